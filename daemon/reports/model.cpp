// The DSMB report model. Every figure is computed from the Input alone; the counting rules are
// stated where each section is built. Sources: NIH/NIDCR and NHLBI DSMB report templates (open
// session: enrolment, status, exposure, AE overview, AEs by SOC and term at the worst grade,
// SAE and death listings); ICH E2A for seriousness and SUSARs; CLINICAL.md for the surgical
// windows; Kaplan & Meier (1958) with Greenwood's variance for time to event; FDA DILI guidance
// (2009) and Watkins et al. (2011) for the liver tests.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "pvmon/reports.hpp"
#include "pvmon/safety/surgical.hpp"
#include "pvmon/survival.hpp"

namespace pvmon::reports {

using nlohmann::json;

namespace {

/// Doubles are rounded before they enter the model, so their printed form is stable.
double r4(double x) { return std::isfinite(x) ? std::round(x * 1e4) / 1e4 : 0.0; }
/// Proportions keep six decimals: a percentage printed from them to four is exact.
double r6(double x) { return std::isfinite(x) ? std::round(x * 1e6) / 1e6 : 0.0; }
double proportion(int n, int of) { return of > 0 ? r6(static_cast<double>(n) / of) : 0.0; }
json np(int n, int of) { return share_json(n, of); }

json quart(const std::optional<stats::Quartiles>& q, int n) {
  if (!q) return {{"n", n}, {"median", nullptr}, {"q1", nullptr}, {"q3", nullptr}};
  return {{"n", n}, {"median", r4(q->median)}, {"q1", r4(q->q1)}, {"q3", r4(q->q3)}};
}


bool counts(const safety::AeFact& f) { return !f.nullified; }

/// Per entry of in.tables.related: whether the list names any of `interventions` (so that a
/// fact's relatedness is one lookup in the loops over a million facts).
std::vector<char> related_lists(const Input& in, const std::vector<std::string>& interventions) {
  std::vector<char> out(in.tables.related.size(), 0);
  for (std::size_t i = 0; i < out.size(); ++i)
    for (const auto& iv : in.tables.related[i])
      if (std::find(interventions.begin(), interventions.end(), iv) != interventions.end()) out[i] = 1;
  return out;
}

const safety::SubjectEvent* first_of(const SubjectInput& s, std::string_view kind) {
  const safety::SubjectEvent* out = nullptr;
  for (const auto& e : s.events)
    if (e.kind == kind && (!out || e.date < out->date)) out = &e;
  return out;
}

// ---- Header and enrolment ----------------------------------------------------------------

json header(const Input& in) {
  json iv = json::array();
  for (const auto& i : in.interventions) iv.push_back({{"id", i.id}, {"kind", i.kind}});
  return {{"schema", kSchema},
          {"study", in.study},
          {"title", in.title},
          {"number", in.number},
          {"data_cutoff", format_date(in.cutoff.date())},
          {"as_of", format_timestamp(in.as_of)},
          {"period", {{"from", in.previous_cutoff ? json(format_date(in.previous_cutoff->date())) : json(nullptr)},
                      {"to", format_date(in.cutoff.date())}}},
          {"protocol_sha256", in.protocol_sha256},
          {"sites", in.sites},
          {"interventions", iv}};
}

/// Status at the cut-off, first that applies: dead (from any source); withdrawn (a withdrawal
/// event); in_follow_up (operated, and the index admission has ended: discharged, or outpatient
/// evidence shows the subject left); operated (operated, still in the index admission);
/// on_neoadjuvant (not yet operated).
std::string status_of(const SubjectInput& s) {
  if (s.course.dead()) return "dead";  // from any source (course.hpp)
  if (first_of(s, "withdrawal")) return "withdrawn";
  if (!first_of(s, "surgery")) return "on_neoadjuvant";
  // The end of the index admission as the course reconciles it, as /safety's windows and
  // in-hospital death read it: a subject seen as an outpatient left even with no discharge.
  return s.course.admission_end == safety::AdmissionEnd::open ? "operated" : "in_follow_up";
}

json enrolment(const Input& in) {
  const int n = static_cast<int>(in.subjects.size());
  std::map<std::string, int> by_site;
  for (const auto& site : in.sites) by_site[site] = 0;
  std::map<std::string, int> by_month;
  std::map<Date, int> by_date;
  std::map<std::string, int> status_counts{{"on_neoadjuvant", 0}, {"operated", 0}, {"in_follow_up", 0},
                                           {"withdrawn", 0}, {"dead", 0}};
  json subjects = json::array();
  std::vector<double> to_surgery;
  for (const auto& s : in.subjects) {
    ++by_site[s.site];
    ++by_month[format_date(s.enrolled).substr(0, 7)];
    ++by_date[s.enrolled];
    const std::string st = status_of(s);
    ++status_counts[st];
    const auto* surgery = first_of(s, "surgery");
    json days = nullptr;
    if (surgery) {
      days = surgery->date.days - s.enrolled.days;
      to_surgery.push_back(surgery->date.days - s.enrolled.days);
    }
    subjects.push_back({{"subject", s.subject}, {"site", s.site}, {"enrolled", format_date(s.enrolled)},
                        {"status", st}, {"enrolment_to_surgery_days", days}});
  }
  json sites = json::array();
  for (const auto& [site, k] : by_site) sites.push_back({{"site", site}, {"n", k}, {"proportion", proportion(k, n)}});
  json months = json::array();
  int cum = 0;
  for (const auto& [m, k] : by_month) {
    cum += k;
    months.push_back({{"month", m}, {"n", k}, {"cumulative", cum}});
  }
  json cumulative = json::array();
  cum = 0;
  for (const auto& [d, k] : by_date) {
    cum += k;
    cumulative.push_back({{"date", format_date(d)}, {"cumulative", cum}});
  }
  json status = json::object();
  for (const auto& [k, v] : status_counts) status[k] = np(v, n);
  const int ts = static_cast<int>(to_surgery.size());
  return {{"total", n},
          {"by_site", sites},
          {"by_month", months},
          {"cumulative", cumulative},
          {"status", status},
          {"subjects", subjects},
          {"enrolment_to_surgery_days", quart(stats::quartiles(to_surgery), ts)}};
}

// ---- Exposure ------------------------------------------------------------------------------

/// Per drug: subjects who started; exposure days from each start to the next hold or stop (or
/// the cut-off, or death), so holds do not count; holds, dose changes and permanent stops. For
/// a drug given in 21-day cycles (camrelizumab 200 mg q3w), cycles begun = ceil(days / 21).
/// Radiotherapy: subjects started and completed, delivered dose and fractions.
json exposure(const Input& in) {
  const int n = static_cast<int>(in.subjects.size());
  const Date cut = in.cutoff.date();
  json drugs = json::array();
  for (const auto& iv : in.interventions) {
    if (iv.kind != "drug") continue;
    int started = 0, holds = 0, changes = 0, stopped = 0, total_days = 0;
    std::vector<double> days_per_subject, cycles;
    for (const auto& s : in.subjects) {
      std::vector<const safety::SubjectEvent*> ev;
      for (const auto& e : s.events)
        if (e.fields.value("drug", "") == iv.id) ev.push_back(&e);
      std::stable_sort(ev.begin(), ev.end(), [](auto* a, auto* b) { return a->date < b->date; });
      if (ev.empty() || ev.front()->kind != "drug_start") continue;
      ++started;
      const Date end_of_data = s.course.death ? std::min(*s.course.death, cut) : cut;
      bool running = false;
      Date since{};
      int days = 0;
      for (const auto* e : ev) {
        if (e->kind == "drug_start") {
          if (!running) since = e->date;
          running = true;
        } else if (e->kind == "drug_hold" || e->kind == "drug_stop") {
          if (running) days += e->date.days - since.days + 1;
          running = false;
          (e->kind == "drug_hold" ? holds : stopped) += 1;
        } else if (e->kind == "dose_change") {
          ++changes;
        }
      }
      if (running && since <= end_of_data) days += end_of_data.days - since.days + 1;
      total_days += days;
      days_per_subject.push_back(days);
      cycles.push_back(std::ceil(days / 21.0));
    }
    json d{{"drug", iv.id},
           {"subjects_started", np(started, n)},
           {"exposure_days_total", total_days},
           {"exposure_days", quart(stats::quartiles(days_per_subject), started)},
           {"holds", holds},
           {"dose_changes", changes},
           {"stopped", stopped}};
    if (iv.id == "camrelizumab") d["cycles_21d"] = quart(stats::quartiles(cycles), started);
    drugs.push_back(d);
  }
  int rt_started = 0, rt_completed = 0;
  std::vector<double> dose, fractions;
  for (const auto& s : in.subjects) {
    if (first_of(s, "radiotherapy_start")) ++rt_started;
    if (const auto* e = first_of(s, "radiotherapy_end")) {
      ++rt_completed;
      if (e->fields.contains("dose_gy")) dose.push_back(e->fields["dose_gy"].get<double>());
      if (e->fields.contains("fractions")) fractions.push_back(e->fields["fractions"].get<double>());
    }
  }
  return {{"drugs", drugs},
          {"radiotherapy", {{"started", np(rt_started, n)},
                            {"completed", np(rt_completed, n)},
                            {"delivered_dose_gy", quart(stats::quartiles(dose), static_cast<int>(dose.size()))},
                            {"fractions", quart(stats::quartiles(fractions), static_cast<int>(fractions.size()))}}}};
}

// ---- Adverse events ------------------------------------------------------------------------

/// Subjects (not reports) with: any AE, grade >= 3, a serious AE, an AE that led to withdrawal
/// of a study drug, a fatal AE (grade 5 or outcome fatal); percentages of enrolled subjects.
/// Nullified reports never count.
json ae_overview(const Input& in) {
  return ae_counts_json(in.ae_counts, static_cast<int>(in.subjects.size()));
}

/// AEs by SOC and term: each subject counted once per row, at the worst grade they had for that
/// term (for the SOC row: for any term in the SOC). Columns grade 1..5, any, >= 3, with
/// percentages of enrolled subjects. SOCs by name; terms by subjects (descending), then name.
json by_soc_term(const Input& in, const std::function<bool(const safety::AeFact&)>& keep) {
  const int n = static_cast<int>(in.subjects.size());
  // Rows are SOC and term names: term table entries (one per code) with the same names share
  // a row. Worst grades are kept per row and subject index, one byte each (0 = none).
  std::map<std::string, std::map<std::string, std::size_t>> row_of;  // soc -> term -> row
  std::map<std::string, std::size_t> soc_of;
  std::vector<std::size_t> term_row, term_soc;
  for (const auto& t : in.tables.terms) {
    term_row.push_back(row_of[t.soc].try_emplace(t.term, term_row.size()).first->second);
    term_soc.push_back(soc_of.try_emplace(t.soc, soc_of.size()).first->second);
  }
  const std::size_t subjects = in.tables.subjects.size();
  std::vector<std::uint8_t> worst(term_row.size() * subjects, 0), soc_worst(soc_of.size() * subjects, 0);
  for (const auto& f : in.reports) {
    if (!counts(f) || f.term < 0 || f.grade < 1 || f.grade > 5 || !keep(f)) continue;
    const auto t = static_cast<std::size_t>(f.term);
    auto& w = worst[term_row[t] * subjects + f.subject];
    w = std::max(w, f.grade);
    auto& sw = soc_worst[term_soc[t] * subjects + f.subject];
    sw = std::max(sw, f.grade);
  }
  struct Row {
    std::array<int, 5> g{};
    int any = 0, g3 = 0;
  };
  auto tally = [&](const std::vector<std::uint8_t>& grades, std::size_t row) {
    Row r;
    for (std::size_t s = 0; s < subjects; ++s)
      if (const int grade = grades[row * subjects + s]; grade > 0) {
        ++r.g[static_cast<std::size_t>(grade - 1)];
        ++r.any;
        r.g3 += grade >= 3;
      }
    return r;
  };
  auto row_json = [&](const Row& r) {
    json j = json::object();
    for (int k = 1; k <= 5; ++k) j["grade_" + std::to_string(k)] = np(r.g[static_cast<std::size_t>(k - 1)], n);
    j["any"] = np(r.any, n);
    j["grade_3_or_more"] = np(r.g3, n);
    return j;
  };
  json out = json::array();
  for (const auto& [soc, terms] : row_of) {
    const Row soc_counts = tally(soc_worst, soc_of.at(soc));
    if (soc_counts.any == 0) continue;
    json soc_row = row_json(soc_counts);
    soc_row["soc"] = soc;
    std::vector<std::pair<const std::string*, Row>> order;
    for (const auto& [term, row] : terms)
      if (Row r = tally(worst, row); r.any > 0) order.emplace_back(&term, r);
    std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
      return a.second.any != b.second.any ? a.second.any > b.second.any : *a.first < *b.first;
    });
    json term_rows = json::array();
    for (const auto& [term, r] : order) {
      json t = row_json(r);
      t["term"] = *term;
      term_rows.push_back(t);
    }
    soc_row["terms"] = term_rows;
    out.push_back(soc_row);
  }
  return out;
}

json fact_row(const Input& in, const safety::AeFact& f) {
  const auto* t = in.tables.term(f);
  json criteria = json::array();
  for (std::size_t i = 0; i < safety::kSeriousnessCriteria.size(); ++i)
    if (f.has_criterion(i)) criteria.push_back(std::string(safety::kSeriousnessCriteria[i]));
  return {{"id", f.id},
          {"report_id", in.tables.report_id(f)},
          {"subject", in.tables.subject(f)},
          {"site", in.tables.site(f)},
          {"term", t ? t->term : ""},
          {"soc", t ? t->soc : ""},
          {"grade", f.grade},
          {"onset", f.onset ? json(format_date(*f.onset)) : json(nullptr)},
          {"resolved", f.resolved ? json(format_date(*f.resolved)) : json(nullptr)},
          {"outcome", in.tables.outcome(f)},
          {"criteria", criteria},
          {"related_to", in.tables.related_to(f)},
          {"susar", f.susar}};
}

/// Listings are sorted by subject, onset, then server id.
json listing(const Input& in, const std::vector<safety::AeFact>& facts,
             const std::function<bool(const safety::AeFact&)>& keep) {
  std::vector<const safety::AeFact*> rows;
  for (const auto& f : facts)
    if (counts(f) && keep(f)) rows.push_back(&f);
  std::stable_sort(rows.begin(), rows.end(), [&](auto* a, auto* b) {
    return std::tie(in.tables.subject(*a), a->onset, a->id) < std::tie(in.tables.subject(*b), b->onset, b->id);
  });
  json out = json::array();
  for (const auto* f : rows) out.push_back(fact_row(in, *f));
  return out;
}

/// An AESI rule matches a report when the term (CTCAE name, MedDRA code or protocol code) or
/// its SOC is listed, the grade is at least the rule's minimum, and, when the rule names
/// interventions, the report is related to one of them.
json aesi(const Input& in) {
  const int n = static_cast<int>(in.subjects.size());
  json out = json::array();
  for (const auto& r : in.aesi) {
    std::vector<char> term_matches;  // by term index
    for (const auto& t : in.tables.terms) {
      const bool term = std::any_of(r.terms.begin(), r.terms.end(), [&](const std::string& x) {
        return x == t.term || x == t.meddra_code;
      });
      const bool soc = std::find(r.socs.begin(), r.socs.end(), t.soc) != r.socs.end();
      term_matches.push_back(term || soc);
    }
    const auto related = related_lists(in, r.interventions);
    std::vector<std::uint8_t> worst(in.tables.subjects.size(), 0);  // by subject index; 0 = none
    std::vector<char> any(in.tables.subjects.size(), 0);
    int reports = 0;
    for (const auto& f : in.reports) {
      if (!counts(f) || f.term < 0 || f.grade < r.min_grade || !term_matches[static_cast<std::size_t>(f.term)])
        continue;
      if (!r.interventions.empty() && !related[f.related_to]) continue;
      ++reports;
      any[f.subject] = 1;
      worst[f.subject] = std::max(worst[f.subject], f.grade);
    }
    std::array<int, 5> g{};
    for (const auto grade : worst)
      if (grade >= 1 && grade <= 5) ++g[static_cast<std::size_t>(grade - 1)];
    out.push_back({{"id", r.id},
                   {"terms", r.terms},
                   {"socs", r.socs},
                   {"min_grade", r.min_grade},
                   {"interventions", r.interventions},
                   {"subjects", np(static_cast<int>(std::count(any.begin(), any.end(), 1)), n)},
                   {"reports", reports},
                   {"worst_grade", g}});
  }
  return out;
}

/// Deaths from any source (course.hpp): the reconciled date, every record it rests on, the
/// death event's cause when there is one, what is still to be reconciled, days from enrolment
/// and from the index surgery, and whether within 30 days of it (day of surgery = day 0).
json deaths(const Input& in) {
  json out = json::array();
  for (const auto& s : in.subjects) {
    const auto& c = s.course;
    if (!c.death) continue;
    const auto* d = first_of(s, "death");
    json from_surgery = c.surgery ? json(c.death->days - c.surgery->days) : json(nullptr);
    json sources = json::array();
    for (const auto& r : c.death_records)
      sources.push_back({{"source", std::string(safety::to_string(r.source))}, {"ref", r.ref}, {"date", format_date(r.date)}});
    json queries = json::array();
    for (const auto& q : c.queries)
      if (safety::death_query(q.kind))
        queries.push_back({{"kind", std::string(safety::to_string(q.kind))}, {"text", q.text}});
    out.push_back({{"subject", s.subject},
                   {"site", s.site},
                   {"date", format_date(*c.death)},
                   {"cause", d ? d->fields.value("cause", "") : ""},
                   {"related_ae", d ? d->fields.value("related_ae", "") : ""},
                   {"days_from_enrolment", c.death->days - s.enrolled.days},
                   {"days_from_surgery", from_surgery},
                   {"within_30_days_of_surgery", c.surgery && c.death->days - c.surgery->days <= 30},
                   {"sources", sources},
                   {"queries", queries}});
  }
  return out;
}

/// Reporting clocks started by the cut-off, by kind, in their state at the as-of time: met
/// (stopped in time), late (stopped after the due time), open (running, not yet due) and
/// overdue (running, past due).
json clocks(const Input& in) {
  std::map<std::string, std::array<int, 4>> by_kind;
  json overdue = json::array();
  for (const auto& c : in.clocks) {
    auto& k = by_kind[std::string(safety::to_string(c.kind))];
    if (c.stopped_at) {
      ++k[c.late ? 1 : 0];
    } else if (in.as_of > c.due_at) {
      ++k[3];
      overdue.push_back({{"report", c.report}, {"report_id", c.report_ref}, {"subject", c.subject},
                         {"kind", std::string(safety::to_string(c.kind))}, {"due_at", format_timestamp(c.due_at)}});
    } else {
      ++k[2];
    }
  }
  json rows = json::array();
  for (const auto& [kind, k] : by_kind) {
    const int done = k[0] + k[1];
    // With no clock closed yet there is no compliance to show: null, not 0 (issue 17).
    rows.push_back({{"kind", kind}, {"met", k[0]}, {"late", k[1]}, {"open", k[2]}, {"overdue", k[3]},
                    {"on_time", done > 0 ? json(proportion(k[0], done)) : json(nullptr)}});
  }
  return {{"by_kind", rows}, {"overdue", overdue}};
}

// ---- Surgery -------------------------------------------------------------------------------

json surgical(const Input& in) { return surgical_json(in.surgical); }

json stopping(const Input& in) {
  json out = json::array();
  for (const auto& b : in.boundaries) {
    json rows = json::array();
    for (const auto& r : b.rows) rows.push_back({{"n", r.n}, {"stop_if_events_at_least", r.stop_at}});
    json oc = json::array();
    for (const auto& o : b.oc)
      oc.push_back({{"rate", r4(o.rate)}, {"p_stop", r4(o.p_cross)}, {"p_stop_early", r4(o.p_stop_early)},
                    {"expected_n", r4(o.expected_n)}});
    json path = json::array();
    for (const auto& [n, e] : b.path) path.push_back({n, e});
    out.push_back({{"id", b.id},
                   {"event", b.event},
                   {"method", b.method},
                   {"n_max", b.n_max},
                   {"evaluable", b.evaluable},
                   {"events", b.events},
                   {"crossed", b.crossed},
                   {"crossed_at", b.crossed_at ? json{{"n", b.crossed_at->first}, {"events", b.crossed_at->second}}
                                               : json(nullptr)},
                   {"type1_error", r4(b.type1_error)},
                   {"power", b.power ? json(r4(*b.power)) : json(nullptr)},
                   {"design_complete", b.design_complete},
                   {"boundary", rows},
                   {"operating_characteristics", oc},
                   {"path", path}});
  }
  return out;
}

// ---- Time to event -------------------------------------------------------------------------

using safety::kDaysPerMonth;
constexpr int kAtRiskEveryMonths = 3;

json ci_json(const std::optional<stats::Interval>& ci) {
  return ci ? json{r4(ci->lower), r4(ci->upper)} : json(nullptr);
}

/// One endpoint's Kaplan–Meier estimate (safety/endpoints.hpp computes it; this renders it):
/// Greenwood's variance and R survfit's default log-transformed 95% CI. Estimates at 6, 12 and
/// 24 months (`at`; a time beyond the last observation is null); `table`, the whole step
/// function, one row per distinct observed time as R's summary(survfit(...), censored = TRUE);
/// `at_risk`, the numbers at risk at 0, 3, 6, ... months up to the last observation (R's
/// summary(fit, times = ...)$n.risk: subjects with time >= t); `median_follow_up`, the median of
/// the reverse Kaplan–Meier estimate (Schemper & Smith 1996) with its 95% limits as R's
/// quantile(survfit(Surv(time, 1 - status) ~ 1)), null where not reached.
json km_section(const safety::SurvivalEndpoint& ep) {
  json no_follow_up{{"days", nullptr}, {"months", nullptr}, {"ci95_days", {nullptr, nullptr}},
                    {"ci95_months", {nullptr, nullptr}}};
  json out{{"n", static_cast<int>(ep.times.size())}, {"events", 0}, {"at", json::array()}, {"steps", json::array()},
           {"censored", json::array()}, {"table", json::array()}, {"at_risk", json::array()},
           {"median_follow_up", no_follow_up}};
  if (!ep.km) return out;
  const auto& km = *ep.km;
  int events = 0;
  for (const auto& s : km.steps) {
    events += s.n_event;
    if (s.n_event > 0) out["steps"].push_back({r4(s.time), r4(s.survival)});
    if (s.n_censor > 0) out["censored"].push_back({r4(s.time), r4(s.survival)});
    out["table"].push_back({{"days", r4(s.time)},
                            {"months", r4(s.time / kDaysPerMonth)},
                            {"n_risk", s.n_risk},
                            {"n_event", s.n_event},
                            {"n_censor", s.n_censor},
                            {"survival", r4(s.survival)},
                            {"std_err", s.std_err ? json(r4(*s.std_err)) : json(nullptr)},
                            {"ci95", ci_json(s.ci_log)}});
  }
  out["events"] = events;
  for (int m : {6, 12, 24}) {
    auto e = ep.at_months(m);
    json row{{"months", m}};
    if (!e) {
      row["survival"] = nullptr;
      row["n_risk"] = nullptr;
      row["ci95"] = nullptr;
    } else {
      row["survival"] = r4(e->survival);
      row["n_risk"] = e->n_risk;
      row["ci95"] = ci_json(e->ci_log);
    }
    out["at"].push_back(row);
  }
  for (int m = 0;; m += kAtRiskEveryMonths) {
    const auto e = ep.at_months(m);
    if (!e) break;  // beyond the last observation
    out["at_risk"].push_back({{"months", m}, {"n_risk", e->n_risk}});
  }
  if (const auto& fu = ep.follow_up) {
    auto days = [](const std::optional<double>& t) { return t ? json(r4(*t)) : json(nullptr); };
    auto months = [](const std::optional<double>& t) { return t ? json(r4(*t / kDaysPerMonth)) : json(nullptr); };
    out["median_follow_up"] = {{"days", days(fu->time)},
                               {"months", months(fu->time)},
                               {"ci95_days", {days(fu->lower), days(fu->upper)}},
                               {"ci95_months", {months(fu->lower), months(fu->upper)}}};
  }
  return out;
}

/// OS, EFS and DFS as the protocol defines them (safety/endpoints.hpp, CLINICAL.md): OS and EFS
/// from the start of study treatment, DFS from the index hepatectomy; subjects without a time
/// zero listed in `excluded`.
json time_to_event(const Input& in) {
  const auto& e = in.endpoints;
  return {{"overall_survival", km_section(e.os)},
          {"event_free_survival", km_section(e.efs)},
          {"disease_free_survival", km_section(e.dfs)},
          {"excluded", {{"overall_survival", e.os.excluded},
                        {"event_free_survival", e.efs.excluded},
                        {"disease_free_survival", e.dfs.excluded}}},
          {"time_unit", "days from the start of study treatment; disease-free survival from the index hepatectomy"},
          {"days_per_month", kDaysPerMonth},
          {"ci", "Greenwood variance, log transform (R survfit default)"},
          {"follow_up", "median of the reverse Kaplan–Meier estimate (Schemper & Smith 1996)"}};
}

// ---- Alerts --------------------------------------------------------------------------------

/// Alerts raised in the period (previous cut-off, cut-off], with their acknowledgement as of
/// the as-of time; and every alert raised by the cut-off still open then, whenever raised.
json alerts(const Input& in) {
  std::map<std::pair<std::string, std::string>, std::array<int, 2>> by_rule;
  json listing = json::array();
  int open_total = 0;
  for (const auto& a : in.alerts) {
    if (!a.acked_at) ++open_total;
    if (in.previous_cutoff && a.raised_at <= *in.previous_cutoff) continue;
    ++by_rule[{a.rule, a.severity}][a.acked_at ? 0 : 1];
    listing.push_back({{"id", a.id},
                       {"rule", a.rule},
                       {"severity", a.severity},
                       {"title", a.title},
                       {"subject", a.subject},
                       {"raised_at", format_timestamp(a.raised_at)},
                       {"acknowledged_at", a.acked_at ? json(format_timestamp(*a.acked_at)) : json(nullptr)},
                       {"acknowledged_by", a.acked_by}});
  }
  json rows = json::array();
  for (const auto& [k, v] : by_rule)
    rows.push_back({{"rule", k.first}, {"severity", k.second}, {"acknowledged", v[0]}, {"open", v[1]}});
  return {{"by_rule", rows}, {"raised_in_period", listing}, {"open_at_cutoff", open_total}};
}

// ---- Liver tests ---------------------------------------------------------------------------

/// The names the model gives eDISH quadrants and analytes (safety/labs.hpp's enums; spelled here
/// so that the model does not depend on the lab stream's implementation).
const char* quadrant_name(safety::EdishQuadrant q) {
  switch (q) {
    case safety::EdishQuadrant::normal: return "normal";
    case safety::EdishQuadrant::hyperbilirubinaemia: return "hyperbilirubinaemia";
    case safety::EdishQuadrant::temple_corollary: return "temple_corollary";
    case safety::EdishQuadrant::hys_law: return "hys_law";
  }
  return "normal";
}

const char* analyte_name(safety::Analyte a) {
  switch (a) {
    case safety::Analyte::alt: return "alt";
    case safety::Analyte::ast: return "ast";
    case safety::Analyte::alp: return "alp";
    case safety::Analyte::bilirubin: return "bilirubin";
    case safety::Analyte::other: return "other";
  }
  return "other";
}

/// Liver tests as the lab stream computed them (safety/labs.hpp; rendered, not counted again):
/// eDISH (Watkins et al., Drug Saf 2011;34:243), per subject the peak ALT and peak total
/// bilirubin after baseline as multiples of the ULN, which may come from different days, with
/// the reference lines at 3 x ULN (ALT) and 2 x ULN (bilirubin) and the subjects of the Hy's law
/// quadrant listed with the dates of their peaks; each CTCAE term's shift table, baseline grade
/// (rows) against worst post-baseline grade (columns), subjects without a baseline value left out
/// and counted; the ALT, AST and bilirubin results of the Hy's law quadrant's subjects in time
/// order; and the potential Hy's law alerts (FDA DILI guidance, 2009) raised by the cut-off with
/// their assessment. {"available": false} for a study without lab data.
json labs(const Input& in) {
  if (!in.labs) return {{"available", false}};
  const LabsInput& l = *in.labs;
  json points = json::array(), quadrant = json::array();
  for (const auto& p : l.edish.points) {
    points.push_back({{"subject", p.subject},
                      {"peak_alt_x_uln", r4(p.peak_alt_x_uln)},
                      {"peak_bilirubin_x_uln", r4(p.peak_bilirubin_x_uln)},
                      {"alt_at", format_timestamp(p.alt_at)},
                      {"bilirubin_at", format_timestamp(p.bilirubin_at)},
                      {"quadrant", quadrant_name(p.quadrant)}});
    if (p.quadrant == safety::EdishQuadrant::hys_law)
      quadrant.push_back({{"subject", p.subject},
                          {"peak_alt_x_uln", r4(p.peak_alt_x_uln)},
                          {"alt_at", format_timestamp(p.alt_at)},
                          {"peak_bilirubin_x_uln", r4(p.peak_bilirubin_x_uln)},
                          {"bilirubin_at", format_timestamp(p.bilirubin_at)}});
  }
  json counts = json::object();
  for (auto q : {safety::EdishQuadrant::normal, safety::EdishQuadrant::hyperbilirubinaemia,
                 safety::EdishQuadrant::temple_corollary, safety::EdishQuadrant::hys_law})
    counts[quadrant_name(q)] = l.edish.quadrant_counts[static_cast<std::size_t>(q)];
  json shifts = json::array();
  for (const auto& t : l.shifts) {
    json grid = json::array();
    for (const auto& row : t.counts) grid.push_back(row);
    shifts.push_back({{"term", t.term}, {"subjects", t.subjects}, {"no_baseline", t.no_baseline}, {"counts", grid}});
  }
  json course = json::array();
  for (const auto& [subject, results] : l.hys_law_series) {
    std::vector<const safety::LabResult*> order;
    for (const auto& r : results) order.push_back(&r);
    std::stable_sort(order.begin(), order.end(), [](auto* a, auto* b) { return a->collected_at < b->collected_at; });
    json rows = json::array();
    for (const auto* r : order)
      rows.push_back({{"collected_at", format_timestamp(r->collected_at)},
                      {"analyte", analyte_name(r->analyte)},
                      {"test", r->test},
                      {"term", r->term ? json(std::string(r->term->term)) : json(nullptr)},
                      {"value", r4(r->value)},
                      {"unit", r->unit},
                      {"x_uln", r->x_uln ? json(r4(*r->x_uln)) : json(nullptr)},
                      {"grade", r->grade}});
    course.push_back({{"subject", subject}, {"results", rows}});
  }
  // By time raised, then subject: the order the DSMB reads them in.
  std::vector<const HysLawAlertInput*> order;
  for (const auto& c : l.cases) order.push_back(&c);
  std::stable_sort(order.begin(), order.end(), [](auto* a, auto* b) {
    return std::tie(a->raised_at, a->subject) < std::tie(b->raised_at, b->subject);
  });
  json cases = json::array();
  for (const auto* c : order)
    cases.push_back({{"subject", c->subject},
                     {"raised_at", format_timestamp(c->raised_at)},
                     {"text", c->text},
                     {"assessment", c->assessment}});
  return {{"available", true},
          {"edish", {{"points", points},
                     {"quadrant_counts", counts},
                     {"reference", {{"alt_x_uln", 3}, {"bilirubin_x_uln", 2}}},
                     {"hys_law_quadrant", quadrant}}},
          {"shift_tables", shifts},
          {"time_course", course},
          {"potential_hys_law_cases", cases},
          {"source", "FDA DILI guidance 2009 (Hy's law); eDISH: Watkins et al., Drug Saf 2011"}};
}

std::vector<RuleState> rule_states(const std::vector<BoundaryInput>& boundaries) {
  std::vector<RuleState> out;
  for (const auto& b : boundaries) out.push_back({b.id, b.event, b.evaluable, b.events, b.crossed});
  return out;
}

/// Every section but the listings of single reports.
json summary_sections(const Input& in) {
  json related = json::array();
  for (const auto& iv : in.interventions) {
    const auto lists = related_lists(in, {iv.id});
    related.push_back({{"intervention", iv.id},
                       {"rows", by_soc_term(in, [&](const safety::AeFact& f) { return lists[f.related_to] != 0; })}});
  }
  return {{"header", header(in)},
          {"enrolment", enrolment(in)},
          {"exposure", exposure(in)},
          {"ae_overview", ae_overview(in)},
          {"ae_by_soc_term", by_soc_term(in, [](const safety::AeFact&) { return true; })},
          {"ae_related", related},
          {"aesi", aesi(in)},
          {"deaths", deaths(in)},
          {"clocks", clocks(in)},
          {"surgical", surgical(in)},
          {"stopping_rules", stopping(in)},
          {"time_to_event", time_to_event(in)},
          {"benefit_risk", benefit_risk_json(in.endpoints, in.surgical, in.ae_counts, rule_states(in.boundaries))},
          {"labs", labs(in)},
          {"alerts", alerts(in)}};
}

bool is_serious(const safety::AeFact& f) { return f.serious; }
bool is_susar(const safety::AeFact& f) { return f.susar; }

}  // namespace

json build(const Input& in) {
  json model = summary_sections(in);
  model["sae_listing"] = listing(in, in.reports, is_serious);
  model["susars"] = listing(in, in.reports, is_susar);
  return model;
}

json build(Input&& in) {
  json model = summary_sections(in);
  // The listings' rows are the model's largest part (some 1.5 KB each as JSON): the facts they
  // list are kept and the others given back before they are built.
  std::vector<safety::AeFact> listed;
  for (const auto& f : in.reports)
    if (counts(f) && (f.serious || f.susar)) listed.push_back(f);
  std::vector<safety::AeFact>().swap(in.reports);
  model["sae_listing"] = listing(in, listed, is_serious);
  model["susars"] = listing(in, listed, is_susar);
  return model;
}

std::string canonical_json(const json& model) {
  // Sorted keys (nlohmann's object is a std::map), no spaces, invalid UTF-8 replaced so that
  // dumping never throws.
  return model.dump(-1, ' ', false, json::error_handler_t::replace);
}


json rate_json(const safety::Rate& r) {
  return {{"events", r.events},
          {"n", r.n},
          {"rate", r.n ? json(proportion(r.events, r.n)) : json(nullptr)},
          {"ci95", {r6(r.ci.lower), r6(r.ci.upper)}}};
}

namespace {

json time_json(const std::optional<safety::EndpointTime>& t) {
  if (!t) return nullptr;
  return {{"days", t->days}, {"event", t->event}, {"ref", t->event_ref}};
}

json km_row(const char* endpoint, const char* label, const char* definition, const safety::SurvivalEndpoint& ep) {
  const auto e = ep.at_months(safety::kPrimaryEndpointMonths);
  return {{"endpoint", endpoint},
          {"label", label},
          {"kind", "km"},
          {"events", ep.events()},
          {"n", static_cast<int>(ep.times.size())},
          {"rate", e ? json(r4(e->survival)) : json(nullptr)},
          {"ci95", e ? ci_json(e->ci_log) : json(nullptr)},
          {"n_risk", e ? json(e->n_risk) : json(nullptr)},
          {"missing", static_cast<int>(ep.excluded.size())},
          {"definition", definition}};
}

json proportion_row(const char* endpoint, const char* label, const char* definition, const safety::Rate& r,
                    std::optional<int> missing) {
  json row = rate_json(r);
  row["endpoint"] = endpoint;
  row["label"] = label;
  row["kind"] = "proportion";
  row["n_risk"] = nullptr;
  row["missing"] = missing ? json(*missing) : json(nullptr);
  row["definition"] = definition;
  return row;
}

json survival_json(const safety::SurvivalEndpoint& ep) {
  auto months = [](const std::optional<double>& t) { return t ? json(r4(*t / kDaysPerMonth)) : json(nullptr); };
  json median_ci = {nullptr, nullptr};
  json median = nullptr, follow_up = nullptr;
  if (ep.median) {
    median = months(ep.median->time);
    median_ci = {months(ep.median->lower), months(ep.median->upper)};
  }
  if (ep.follow_up) follow_up = months(ep.follow_up->time);
  return {{"n", static_cast<int>(ep.times.size())},
          {"events", ep.events()},
          {"median_months", median},
          {"median_ci95_months", median_ci},
          {"median_follow_up_months", follow_up}};
}

}  // namespace

json benefit_risk_json(const safety::Endpoints& e, const safety::SurgicalSafety& surg, const safety::AeCounts& aes,
                       const std::vector<RuleState>& rules) {
  using safety::Response;
  const auto& p = e.efs_12_months;
  const json primary{
      {"endpoint", "efs_1_year"},
      {"label", "1-year event-free survival rate"},
      {"months", safety::kPrimaryEndpointMonths},
      {"days", safety::kPrimaryEndpointMonths * kDaysPerMonth},
      {"n", static_cast<int>(e.efs.times.size())},
      {"events", e.efs.events()},
      {"rate", p ? json(r4(p->survival)) : json(nullptr)},
      {"ci95", p ? ci_json(p->ci_log) : json(nullptr)},
      {"n_risk", p ? json(p->n_risk) : json(nullptr)},
      {"ci", "Greenwood variance, log transform (R survfit default)"},
      {"definition",
       "Kaplan–Meier estimate at 12 months from the start of study treatment; events: progression or relapse by "
       "mRECIST, death from any cause; otherwise censored at the last contact"}};
  json benefit = json::array();
  benefit.push_back(km_row("efs_1_year", "1-year event-free survival rate",
                           "from the start of study treatment to progression or relapse (mRECIST) or death", e.efs));
  benefit.push_back(km_row("os_1_year", "1-year overall survival rate",
                           "from the start of study treatment to death from any cause", e.os));
  benefit.push_back(km_row("dfs_1_year", "1-year disease-free survival rate",
                           "operated subjects, from the hepatectomy to progression or relapse (mRECIST) or death", e.dfs));
  benefit.push_back(proportion_row("orr", "Objective response rate",
                                   "subjects whose best overall response (primary tumour by mRECIST and PVTT by "
                                   "Cheng's classification, the protocol's rule) is CR or PR, of subjects assessed",
                                   e.orr, static_cast<int>(e.not_assessed.size())));
  benefit.push_back(proportion_row("mpr", "Major pathological response",
                                   "at most 10% viable tumour in the resected specimen, of operated subjects with a "
                                   "pathology report",
                                   e.mpr, static_cast<int>(e.pathology_missing.size())));
  benefit.push_back(proportion_row("r0", "R0 resection", "microscopically clear margin, of operated subjects",
                                   surg.r0, surg.operated - surg.r0.n));
  const int enrolled = e.enrolled;
  json risk = json::array();
  risk.push_back(proportion_row("grade_3_or_more", "Subjects with a grade ≥ 3 AE",
                                "CTCAE v5.0 grade 3 or more, any attribution, of enrolled subjects",
                                safety::rate_of(aes.subjects_grade3plus, enrolled), std::nullopt));
  risk.push_back(proportion_row("serious", "Subjects with an SAE", "ICH E2A seriousness, of enrolled subjects",
                                safety::rate_of(aes.subjects_with_sae, enrolled), std::nullopt));
  risk.push_back(proportion_row("mortality_30d", "30-day post-operative mortality",
                                "death within 30 days of the hepatectomy or during its admission, of operated "
                                "subjects whose window has closed",
                                surg.mortality30, static_cast<int>(surg.pending30.size() + surg.unknown30.size())));
  risk.push_back(proportion_row("mortality_90d", "90-day post-operative mortality",
                                "death within 90 days of the hepatectomy, of operated subjects whose window has closed",
                                surg.mortality90, static_cast<int>(surg.pending90.size() + surg.unknown90.size())));
  json bor = json::object();
  int assessed = 0;
  for (auto r : {Response::CR, Response::PR, Response::SD, Response::PD, Response::NE}) {
    bor[std::string(safety::to_string(r))] = e.best_response[static_cast<int>(r)];
    assessed += e.best_response[static_cast<int>(r)];
  }
  bor["assessed"] = assessed;
  bor["not_assessed"] = static_cast<int>(e.not_assessed.size());
  bor["not_assessed_subjects"] = e.not_assessed;
  json stopping = json::array();
  for (const auto& r : rules)
    stopping.push_back({{"id", r.id}, {"event", r.event}, {"evaluable", r.evaluable}, {"events", r.events}, {"crossed", r.crossed}});
  json subjects = json::array();
  for (const auto& x : e.subjects) {
    json other = json::array();
    for (const auto& t : x.other_progressions) other.push_back(format_date(t.date) + " " + t.ref);
    subjects.push_back(
        {{"subject", x.subject},
         {"treatment_start", x.treatment_start ? json(format_date(*x.treatment_start)) : json(nullptr)},
         {"operated", x.operated},
         {"os", time_json(x.os)},
         {"efs", time_json(x.efs)},
         {"dfs", time_json(x.dfs)},
         {"best_response", x.best_response ? json(std::string(safety::to_string(*x.best_response))) : json(nullptr)},
         {"assessments", x.assessments},
         {"viable_tumour_percent", x.pathology ? json(r4(x.pathology->viable_percent)) : json(nullptr)},
         {"mpr", x.pathology ? json(x.pathology->mpr()) : json(nullptr)},
         {"margin", x.margin ? json(std::string(*x.margin == safety::Margin::R0   ? "R0"
                                                : *x.margin == safety::Margin::R1 ? "R1"
                                                                                  : "R2"))
                             : json(nullptr)},
         {"other_progressions", other}});
  }
  return {{"open_session", true},
          {"note",
           "Open-session data: the single arm's pooled figures, as every DSMB member and the sponsor may see them. "
           "Efficacy counts from the start of study treatment; each rate with its exact or Greenwood 95% CI."},
          {"cutoff", format_date(e.cutoff)},
          {"time_zero",
           "the start of study treatment (the first study-drug dose or radiotherapy fraction); disease-free survival "
           "from the index hepatectomy"},
          {"enrolled", e.enrolled},
          {"treated", e.treated},
          {"operated", e.operated},
          {"not_treated", e.not_treated},
          {"primary_endpoint", primary},
          {"benefit", benefit},
          {"risk", risk},
          {"survival", {{"efs", survival_json(e.efs)}, {"os", survival_json(e.os)}, {"dfs", survival_json(e.dfs)}}},
          {"best_overall_response", bor},
          {"pathology_missing", e.pathology_missing},
          {"stopping_rules", stopping},
          {"subjects", subjects}};
}

json efficacy_json(const safety::SubjectEfficacy& x) {
  auto tumour = [](const safety::TumourEvent& t) { return json{{"date", format_date(t.date)}, {"ref", t.ref}}; };
  json assessments = json::array();
  for (const auto& a : x.assessments)
    assessments.push_back({{"event", a.event},
                           {"date", format_date(a.date)},
                           {"primary", std::string(safety::to_string(a.primary))},
                           {"pvtt", std::string(safety::to_string(a.pvtt))},
                           {"overall", std::string(safety::to_string(a.overall))}});
  json other = json::array();
  for (const auto& t : x.other_progressions) other.push_back(tumour(t));
  const auto best = safety::best_overall_response(x.assessments);
  return {{"treatment_start", x.treatment_start ? json(format_date(*x.treatment_start)) : json(nullptr)},
          {"assessments", assessments},
          {"best_overall_response", best ? json(std::string(safety::to_string(*best))) : json(nullptr)},
          {"pathology", x.pathology ? json{{"event", x.pathology->event},
                                           {"date", format_date(x.pathology->date)},
                                           {"viable_tumour_percent", x.pathology->viable_percent},
                                           {"mpr", x.pathology->mpr()},
                                           {"margin", x.pathology->margin}}
                                    : json(nullptr)},
          {"first_progression", x.first_progression ? tumour(*x.first_progression) : json(nullptr)},
          {"first_progression_after_surgery",
           x.first_progression_after_surgery ? tumour(*x.first_progression_after_surgery) : json(nullptr)},
          {"other_progressions", other}};
}

json course_json(const safety::SubjectCourse& c) {
  json sources = json::array();
  for (const auto& r : c.death_records)
    sources.push_back({{"source", std::string(safety::to_string(r.source))}, {"ref", r.ref}, {"date", format_date(r.date)}});
  json queries = json::array();
  for (const auto& q : c.queries) queries.push_back({{"kind", std::string(safety::to_string(q.kind))}, {"text", q.text}});
  return {{"as_of_date", format_date(c.cutoff)},
          {"vital_status", c.dead() ? "dead" : "alive at last contact"},
          {"death_date", c.death ? json(format_date(*c.death)) : json(nullptr)},
          {"death_sources", sources},
          {"queries", queries},
          {"last_contact", format_date(c.last_contact)},
          {"index_surgery", c.surgery ? json(format_date(*c.surgery)) : json(nullptr)},
          {"index_admission_end", {{"how", std::string(safety::to_string(c.admission_end))},
                                   {"date", c.admission_end_date ? json(format_date(*c.admission_end_date)) : json(nullptr)}}}};
}

/// Kaplan–Meier mortality by day t: null when t is beyond the last observation.
json km_mortality_json(const std::optional<safety::SurgicalSafety::KmMortality>& m) {
  if (!m) return nullptr;
  return {{"estimate", r6(m->estimate)},
          {"n_risk", m->n_risk},
          {"ci95", m->ci ? json{r6(m->ci->lower), r6(m->ci->upper)} : json(nullptr)}};
}

json share_json(int n, int of) { return {{"n", n}, {"proportion", proportion(n, of)}}; }

json subject_surgical_json(const safety::SubjectSurgical& x) {
  return {{"subject", x.subject},
          {"surgery", format_date(x.surgery)},
          {"day30", std::string(safety::to_string(x.day30))},
          {"day90", std::string(safety::to_string(x.day90))},
          {"pending30_reason", x.pending30_reason},
          {"pending90_reason", x.pending90_reason},
          {"window30_last_day", x.window30_last_day ? json(format_date(*x.window30_last_day)) : json(nullptr)},
          {"window90_last_day", format_date(x.window90_last_day)},
          {"last_contact", format_date(x.last_contact)},
          {"in_hospital_death", x.in_hospital_death ? json(*x.in_hospital_death) : json(nullptr)},
          {"worst_clavien_dindo", x.worst_complication ? json(safety::to_string(*x.worst_complication)) : json(nullptr)},
          {"cci", r4(x.cci)},
          {"reoperated", x.reoperated},
          {"readmission_30d", std::string(safety::to_string(x.readmission30))},
          {"postop_stay_days", x.postop_stay_days ? json(*x.postop_stay_days) : json(nullptr)},
          {"enrolment_to_surgery_days", x.enrolment_to_surgery_days},
          {"margin", x.margin ? json(*x.margin == safety::Margin::R0   ? "R0"
                                     : *x.margin == safety::Margin::R1 ? "R1"
                                                                        : "R2")
                              : json(nullptr)}};
}

json surgical_json(const safety::SurgicalSafety& ss) {
  json cd = json::object();
  const char* names[] = {"I", "II", "IIIa", "IIIb", "IVa", "IVb", "V"};
  for (std::size_t i = 0; i < 7; ++i)
    cd[names[i]] = i < ss.worst_grade_counts.size() ? ss.worst_grade_counts[i] : 0;
  cd["none"] = ss.without_complication;
  std::vector<double> cci;
  json subjects = json::array();
  for (const auto& x : ss.subjects) {
    cci.push_back(x.cci);
    subjects.push_back(subject_surgical_json(x));
  }
  return {{"operated", ss.operated},
          {"mortality_30d", rate_json(ss.mortality30)},
          {"mortality_30d_pending", ss.pending30},
          {"mortality_30d_unknown", ss.unknown30},
          {"mortality_30d_bounds", {{"unknown_alive", rate_json(ss.mortality30_all_alive)},
                                    {"unknown_dead", rate_json(ss.mortality30_all_dead)}}},
          {"mortality_30d_km", km_mortality_json(ss.km_mortality30)},
          {"mortality_90d", rate_json(ss.mortality90)},
          {"mortality_90d_pending", ss.pending90},
          {"mortality_90d_unknown", ss.unknown90},
          {"mortality_90d_bounds", {{"unknown_alive", rate_json(ss.mortality90_all_alive)},
                                    {"unknown_dead", rate_json(ss.mortality90_all_dead)}}},
          {"mortality_90d_km", km_mortality_json(ss.km_mortality90)},
          {"in_hospital_death", rate_json(ss.in_hospital_death)},
          {"reoperation", rate_json(ss.reoperation)},
          {"readmission_30d", rate_json(ss.readmission30)},
          {"readmission_30d_pending", ss.pending_readmission30},
          {"postop_stay_days", quart(ss.postop_stay_days, ss.postop_stay_n)},
          {"r0_resection", rate_json(ss.r0)},
          {"enrolment_to_surgery_days", quart(ss.enrolment_to_surgery_days, ss.operated)},
          {"clavien_dindo_worst", cd},
          {"cci", quart(stats::quartiles(cci), static_cast<int>(cci.size()))},
          {"subjects", subjects}};
}

json ae_counts_json(const safety::AeCounts& c, int enrolled) {
  json worst = json::object();
  for (int g = 1; g <= 5; ++g) worst[std::to_string(g)] = c.subjects_by_worst_grade[static_cast<std::size_t>(g - 1)];
  return {{"enrolled", enrolled},
          {"any_ae", share_json(c.subjects_with_ae, enrolled)},
          {"grade_3_or_more", share_json(c.subjects_grade3plus, enrolled)},
          {"serious", share_json(c.subjects_with_sae, enrolled)},
          {"susar", share_json(c.subjects_with_susar, enrolled)},
          {"fatal", share_json(c.subjects_with_fatal_ae, enrolled)},
          {"led_to_drug_withdrawal", share_json(c.subjects_drug_withdrawn, enrolled)},
          {"subjects_by_worst_grade", worst},
          {"reports", {{"in_force", c.reports}, {"serious", c.serious_reports}, {"nullified", c.nullified_reports}}}};
}

namespace {

/// Version 1 kept percentages: {n, pct} shares, {events, n, pct, ci95} rates, on_time_pct.
void upgrade_v1(json& j) {
  if (j.is_array()) {
    for (auto& x : j) upgrade_v1(x);
    return;
  }
  if (!j.is_object()) return;
  if (j.contains("pct") && j["pct"].is_number()) {
    const double p = j["pct"].get<double>() / 100.0;
    if (j.contains("events")) {
      j["rate"] = j.value("n", 0) > 0 ? json(r6(p)) : json(nullptr);
      if (j.contains("ci95") && j["ci95"].is_array() && j["ci95"].size() == 2)
        j["ci95"] = {r6(j["ci95"][0].get<double>() / 100.0), r6(j["ci95"][1].get<double>() / 100.0)};
    } else {
      j["proportion"] = r6(p);
    }
    j.erase("pct");
  }
  if (j.contains("on_time_pct")) {
    const int done = j.value("met", 0) + j.value("late", 0);
    j["on_time"] = done > 0 ? json(r6(j["on_time_pct"].get<double>() / 100.0)) : json(nullptr);
    j.erase("on_time_pct");
  }
  for (auto& [k, v] : j.items()) upgrade_v1(v);
}

/// Before version 3 the header had one instant for the cut-off: the state the report was built
/// from (its as-of), whose date is the cut-off; the period ran between instants.
void upgrade_v2_header(json& h) {
  if (!h.is_object() || !h.contains("data_cutoff") || !h["data_cutoff"].is_string()) return;
  const std::string at = h["data_cutoff"].get<std::string>();
  auto day = [](const json& t) { return t.is_string() ? json(t.get<std::string>().substr(0, 10)) : t; };
  h["as_of"] = at;
  h["data_cutoff"] = at.substr(0, 10);
  if (h.contains("period") && h["period"].is_object())
    for (const char* k : {"from", "to"})
      if (h["period"].contains(k)) h["period"][k] = day(h["period"][k]);
}

}  // namespace

json upgrade(json model) {
  if (!model.is_object() || !model.contains("header")) return model;
  const std::string schema = model["header"].value("schema", "");
  if (schema == "pvmon.dsmb-report/1" || schema == "pvmon.dsmb-report/2") upgrade_v2_header(model["header"]);
  if (schema == "pvmon.dsmb-report/1") {
    upgrade_v1(model);
    if (model.contains("surgical") && model["surgical"].is_object()) {
      json& s = model["surgical"];
      if (s.contains("r0")) {
        s["r0_resection"] = s["r0"];
        s.erase("r0");
      }
      if (s.contains("subjects"))
        for (auto& x : s["subjects"])
          if (x.contains("readmission30")) {
            x["readmission_30d"] = x["readmission30"];
            x.erase("readmission30");
          }
    }
  }
  return model;
}

}  // namespace pvmon::reports
