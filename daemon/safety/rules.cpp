#include <cstdio>
#include "pvmon/safety/rules.hpp"
#include "pvmon/text.hpp"

#include <algorithm>
#include <cassert>
#include <cctype>
#include <set>

namespace pvmon::safety {

using nlohmann::json;

std::string_view to_string(Severity s) {
  switch (s) {
    case Severity::info: return "info";
    case Severity::high: return "high";
    case Severity::critical: return "critical";
  }
  return "?";
}

std::optional<Severity> parse_severity(std::string_view s) {
  if (s == "info") return Severity::info;
  if (s == "high") return Severity::high;
  if (s == "critical") return Severity::critical;
  return std::nullopt;
}

const std::vector<RuleInfo>& rule_catalogue() {
  // Deaths, SUSARs (ICH E2A III.A: 7-day expedited reports), missed regulatory deadlines and
  // crossed stopping boundaries need action today: critical. Every other SAE change, AESI,
  // late site report, cluster and approaching deadline: high. A lab discrepancy is a data
  // query for the site, not a safety signal by itself: info.
  static const std::vector<RuleInfo> kRules = {
      {rule::kSae, Severity::high},
      {rule::kSaeUpdate, Severity::high},
      {rule::kSaeDowngrade, Severity::high},
      {rule::kNullified, Severity::high},
      {rule::kDeath, Severity::critical},
      {rule::kDeath30d, Severity::critical},
      {rule::kSusar, Severity::critical},
      {rule::kSusarEnded, Severity::high},
      {rule::kLateSiteReport, Severity::high},
      {rule::kClockDueSoon, Severity::high},
      {rule::kClockOverdue, Severity::critical},
      {rule::kAesi, Severity::high},
      {rule::kCluster, Severity::high},
      {rule::kLabDiscrepancy, Severity::info},
      {rule::kStoppingBoundary, Severity::critical},
      {rule::kDeathReconciliation, Severity::high},
      {rule::kVitalStatusOverdue, Severity::high},
      // FDA DILI guidance (2009): a potential Hy's law case is assessed at once; a lab finding
      // without an AE report is a reporting question for the site.
      {rule::kPotentialHysLaw, Severity::critical},
      {rule::kLabWithoutAe, Severity::high},
  };
  return kRules;
}

std::string_view to_string(StoppingEvent e) {
  switch (e) {
    case StoppingEvent::death_30d_post_surgery: return "death_30d_post_surgery";
    case StoppingEvent::grade3plus_related: return "grade3plus_related";
    case StoppingEvent::clavien_dindo_3b_plus: return "clavien_dindo_3b_plus";
  }
  return "?";
}

std::optional<StoppingEvent> parse_stopping_event(std::string_view s) {
  if (s == "death_30d_post_surgery") return StoppingEvent::death_30d_post_surgery;
  if (s == "grade3plus_related") return StoppingEvent::grade3plus_related;
  if (s == "clavien_dindo_3b_plus") return StoppingEvent::clavien_dindo_3b_plus;
  return std::nullopt;
}

std::string_view to_string(StoppingMethod m) {
  switch (m) {
    case StoppingMethod::pocock: return "pocock";
    case StoppingMethod::bayes: return "bayes";
  }
  return "?";
}

std::optional<StoppingMethod> parse_stopping_method(std::string_view s) {
  if (s == "pocock") return StoppingMethod::pocock;
  if (s == "bayes") return StoppingMethod::bayes;
  return std::nullopt;
}

bool is_fatal(int grade, std::string_view outcome, const Seriousness& s) {
  return grade == 5 || outcome == "fatal" || s.death;
}

namespace {

Severity severity_of(std::string_view id) {
  for (const auto& r : rule_catalogue())
    if (r.id == id) return r.severity;
  assert(false && "every rule id is in the catalogue");
  return Severity::info;
}

bool term_matches(std::string_view want, std::string_view term, std::string_view code) {
  return (!code.empty() && want == code) || (!term.empty() && iequals(want, term));
}

std::vector<std::string> criteria_names(const Seriousness& s) {
  std::vector<std::string> v;
  if (s.death) v.push_back("death");
  if (s.life_threatening) v.push_back("life_threatening");
  if (s.hospitalization) v.push_back("hospitalization");
  if (s.disability) v.push_back("disability");
  if (s.congenital_anomaly) v.push_back("congenital_anomaly");
  if (s.medically_important) v.push_back("medically_important");
  return v;
}

std::string join(const std::vector<std::string>& v, std::string_view sep = ", ") {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : std::string(sep)) + x;
  return s;
}

std::string g(int grade) { return "grade " + std::to_string(grade); }

class Builder {
 public:
  explicit Builder(const AeVersionFacts& f) : f_(f) {}

  AlertDraft make(std::string_view rule, std::string key, std::string title) const {
    AlertDraft a;
    a.rule = std::string(rule);
    a.severity = severity_of(rule);
    a.dedupe_key = std::move(key);
    a.title = std::move(title);
    a.subject = f_.subject;
    a.report = f_.report;
    a.payload = base();
    return a;
  }

  /// "<term> grade <g> in subject <s> (report <site id>)" — the case as an officer names it.
  std::string the_case() const {
    return f_.term + " " + g(f_.grade) + ", subject " + f_.subject + ", report " +
           (f_.site_report_id.empty() ? std::to_string(f_.report) : f_.site_report_id);
  }

  std::string report_key(std::string_view prefix) const {
    return std::string(prefix) + ":" + std::to_string(f_.report);
  }
  std::string version_key(std::string_view prefix) const {
    return report_key(prefix) + ":v" + std::to_string(f_.version);
  }

 private:
  json base() const {
    json p = {{"study", f_.study},
              {"subject", f_.subject},
              {"report", f_.report},
              {"site_report_id", f_.site_report_id},
              {"version", f_.version},
              {"term", f_.term},
              {"meddra_code", f_.meddra_code},
              {"soc", f_.soc},
              {"grade", f_.grade},
              {"onset", format_date(f_.onset)},
              {"serious", f_.classification.serious},
              {"criteria", criteria_names(f_.criteria)},
              {"related_to", f_.related_to},
              {"susar", f_.classification.susar}};
    if (!f_.outcome.empty()) p["outcome"] = f_.outcome;
    return p;
  }
  const AeVersionFacts& f_;
};

// What changed between two versions of a serious case, as short phrases ("grade 3 -> 4",
// "criteria added: life_threatening").
std::vector<std::string> serious_changes(const AeVersionFacts& f, const PriorVersion& p,
                                         json& detail) {
  std::vector<std::string> changes;
  if (f.grade != p.grade) {
    changes.push_back(g(p.grade) + " -> " + std::to_string(f.grade));
    detail["grade"] = {{"from", p.grade}, {"to", f.grade}};
  }
  const auto before = criteria_names(p.criteria), after = criteria_names(f.criteria);
  std::vector<std::string> added, removed;
  for (const auto& c : after)
    if (std::find(before.begin(), before.end(), c) == before.end()) added.push_back(c);
  for (const auto& c : before)
    if (std::find(after.begin(), after.end(), c) == after.end()) removed.push_back(c);
  if (!added.empty()) {
    changes.push_back("criteria added: " + join(added));
    detail["criteria_added"] = added;
  }
  if (!removed.empty()) {
    changes.push_back("criteria removed: " + join(removed));
    detail["criteria_removed"] = removed;
  }
  if (f.meddra_code != p.meddra_code || !iequals(f.term, p.term)) {
    changes.push_back("recoded from " + p.term);
    detail["term"] = {{"from", p.term}, {"to", f.term}};
  }
  return changes;
}

}  // namespace

bool aesi_matches(const AesiRule& r, std::string_view term, std::string_view meddra_code,
                  std::string_view soc, int grade, const std::vector<std::string>& related_to) {
  if (grade < r.min_grade) return false;
  const bool by_term = std::any_of(r.terms.begin(), r.terms.end(), [&](const std::string& t) {
    return term_matches(t, term, meddra_code);
  });
  const bool by_soc = std::any_of(r.socs.begin(), r.socs.end(),
                                  [&](const std::string& s) { return iequals(s, soc); });
  if (!by_term && !by_soc) return false;
  if (r.interventions.empty()) return true;
  return std::any_of(r.interventions.begin(), r.interventions.end(), [&](const std::string& iv) {
    return std::find(related_to.begin(), related_to.end(), iv) != related_to.end();
  });
}

namespace {

/// cluster_anchor on pointers into the caller's rows: a flood of one term (hundreds of rows per
/// report) is filtered and sorted without copying a row.
std::optional<std::int64_t> anchor_of(const ClusterRule& r, std::vector<const RecentAe*> aes,
                                      std::int64_t report) {
  std::erase_if(aes, [&](const RecentAe* a) {
    return a->grade < r.min_grade || !term_matches(r.term, a->term, a->meddra_code);
  });
  std::sort(aes.begin(), aes.end(), [](const RecentAe* a, const RecentAe* b) {
    return a->onset != b->onset ? a->onset < b->onset : a->report < b->report;
  });
  // The same report twice (a follow-up version passed alongside its earlier one) counts once.
  aes.erase(std::unique(aes.begin(), aes.end(),
                        [](const RecentAe* a, const RecentAe* b) { return a->report == b->report; }),
            aes.end());
  std::size_t i = 0;
  while (i < aes.size()) {
    // Window of `days` calendar days with the opening AE's onset as day 1.
    const Date last_day = aes[i]->onset.plus_days(r.days - 1);
    std::size_t j = i;
    while (j < aes.size() && aes[j]->onset <= last_day) ++j;
    if (static_cast<int>(j - i) >= r.count) {
      for (std::size_t k = i; k < j; ++k)
        if (aes[k]->report == report) return aes[i]->report;
      i = j;
    } else {
      ++i;
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::int64_t> cluster_anchor(const ClusterRule& r, const std::vector<RecentAe>& aes,
                                           std::int64_t report) {
  std::vector<const RecentAe*> ptrs;
  ptrs.reserve(aes.size());
  for (const auto& a : aes) ptrs.push_back(&a);
  return anchor_of(r, std::move(ptrs), report);
}

std::vector<AlertDraft> on_ae_version(const AeVersionFacts& f, const StudyRules& rules,
                                      const std::vector<RecentAe>& recent_same_term,
                                      const std::function<bool(const std::string& key)>& raised) {
  std::vector<AlertDraft> out;
  const Builder b(f);
  const auto& c = f.classification;
  const PriorVersion* p = f.previous ? &*f.previous : nullptr;

  if (f.nullified) {
    // CLINICAL.md: a nullification stops the clocks and is itself reported.
    auto a = b.make(rule::kNullified, b.report_key("nullified"),
                    "Report nullified: " + b.the_case());
    a.payload["was_serious"] = p && p->classification.serious;
    a.payload["was_susar"] = p && p->classification.susar;
    out.push_back(std::move(a));
    return out;
  }

  const bool was_serious = p && p->classification.serious;
  if (c.serious && !was_serious) {
    // ICH E2A II.B: every serious AE. A re-upgrade after a downgrade is a new alert.
    const bool again = p && p->ever_serious;
    auto a = b.make(rule::kSae, again ? b.version_key("sae") : b.report_key("sae"),
                    std::string(again ? "SAE again (upgraded from non-serious): " : "SAE: ") +
                        b.the_case() + " (" + join(criteria_names(f.criteria)) + ")");
    if (p) a.payload["changes"] = {{"serious", {{"from", false}, {"to", true}}}};
    out.push_back(std::move(a));
  } else if (c.serious && was_serious) {
    json detail = json::object();
    const auto changes = serious_changes(f, *p, detail);
    if (!changes.empty()) {
      auto a = b.make(rule::kSaeUpdate, b.version_key("sae_update"),
                      "SAE update: " + b.the_case() + ": " + join(changes, "; "));
      a.payload["changes"] = detail;
      a.payload["previous_version"] = p->version;
      out.push_back(std::move(a));
    }
  } else if (!c.serious && was_serious) {
    // CLINICAL.md "Clocks": a downgrade stops the clocks and is itself reported.
    auto a = b.make(rule::kSaeDowngrade, b.version_key("sae_downgrade"),
                    "SAE downgraded to non-serious: " + b.the_case());
    a.payload["changes"] = {{"serious", {{"from", true}, {"to", false}}},
                            {"criteria_removed", criteria_names(p->criteria)}};
    a.payload["previous_version"] = p->version;
    out.push_back(std::move(a));
  }

  if (is_fatal(f.grade, f.outcome, f.criteria) && !(p && p->fatal)) {
    // Keyed by subject: a subject dies once, whether the news comes as an AE or an event.
    auto a = b.make(rule::kDeath, "death:" + f.subject,
                    "Death: subject " + f.subject + " (" + f.term + ", report " +
                        (f.site_report_id.empty() ? std::to_string(f.report) : f.site_report_id) +
                        ")");
    a.payload["source"] = "ae";
    out.push_back(std::move(a));
  }

  if (c.susar && !(p && p->classification.susar)) {
    // ICH E2A III.A; 21 CFR 312.32(c): expedited report to regulators.
    const bool again = p && p->ever_susar;
    std::vector<std::string> products;
    for (const auto& pa : c.products)
      if (pa.related && !pa.expected) products.push_back(pa.intervention);
    auto a = b.make(rule::kSusar, again ? b.version_key("susar") : b.report_key("susar"),
                    std::string(c.fatal_or_life_threatening ? "SUSAR (fatal or life-threatening, "
                                                              "7-day report): "
                                                            : "SUSAR (15-day report): ") +
                        b.the_case() + ", unexpected for " + join(products));
    a.payload["unexpected_for"] = products;
    a.payload["fatal_or_life_threatening"] = c.fatal_or_life_threatening;
    a.payload["reasons"] = c.reasons;
    out.push_back(std::move(a));
  }

  if (!c.susar && p && p->classification.susar) {
    // A follow-up that ends a SUSAR stops its regulatory clocks (safety::plan_followup): the
    // officer is told why, product by product (ICH E2A III.A: a SUSAR is serious, suspected
    // related and unexpected; losing any of the three ends it).
    std::vector<std::string> why;
    json products = json::array();
    for (const auto& was : p->classification.products) {
      if (!was.related || was.expected) continue;
      const ProductAssessment* now = nullptr;
      for (const auto& pa : c.products)
        if (pa.intervention == was.intervention) now = &pa;
      std::string change;
      if (!now || !now->related) change = "causality downgraded: no longer suspected related to " + was.intervention;
      else if (now->expected) change = "now expected for " + was.intervention + " (reference safety information)";
      else if (!c.serious) change = "no longer serious";
      else change = "classification changed for " + was.intervention;
      why.push_back(change);
      products.push_back({{"intervention", was.intervention},
                          {"related", now && now->related},
                          {"expected", now && now->expected},
                          {"change", change}});
    }
    if (!c.serious && why.empty()) why.push_back("no longer serious");
    auto a = b.make(rule::kSusarEnded, b.version_key("susar_ended"),
                    "No longer a SUSAR: " + b.the_case() + ": " + join(why, "; "));
    a.payload["products"] = products;
    a.payload["serious"] = {{"from", p->classification.serious}, {"to", c.serious}};
    a.payload["previous_version"] = p->version;
    out.push_back(std::move(a));
  }

  if (f.site_report_late) {
    // ICH E6 4.11.1 as the protocol sets it (site_report_hours).
    auto a = b.make(rule::kLateSiteReport, b.report_key("late_site_report"),
                    "Late site report: " + b.the_case() + ", due " +
                        format_timestamp(f.site_report_due) + ", received " +
                        format_timestamp(f.received_at));
    a.payload["due_at"] = format_timestamp(f.site_report_due);
    a.payload["received_at"] = format_timestamp(f.received_at);
    a.payload["hours_late"] = double(f.received_at.ms - f.site_report_due.ms) / 3'600'000.0;
    out.push_back(std::move(a));
  }

  for (const auto& r : rules.aesi) {
    if (!aesi_matches(r, f.term, f.meddra_code, f.soc, f.grade, f.related_to)) continue;
    std::string key;
    if (!p) {
      key = "aesi:" + r.id + ":" + std::to_string(f.report);
    } else if (f.grade > p->grade) {
      key = "aesi:" + r.id + ":" + std::to_string(f.report) + ":g" + std::to_string(f.grade);
    } else if (!aesi_matches(r, p->term, p->meddra_code, p->soc, p->grade, p->related_to)) {
      key = "aesi:" + r.id + ":" + std::to_string(f.report);  // newly matches (recoded, related)
    } else {
      continue;  // same or lower grade: nothing new about this AESI
    }
    auto a = b.make(rule::kAesi, std::move(key), "AESI " + r.id + ": " + b.the_case());
    a.payload["aesi"] = r.id;
    a.payload["min_grade"] = r.min_grade;
    if (p && f.grade != p->grade)
      a.payload["changes"] = {{"grade", {{"from", p->grade}, {"to", f.grade}}}};
    out.push_back(std::move(a));
  }

  if (f.grade_discrepancy) {
    auto a = b.make(rule::kLabDiscrepancy, b.version_key("lab_discrepancy"),
                    "Lab discrepancy: " + b.the_case() + ": reported " +
                        (f.reported_grade ? g(*f.reported_grade) : std::string("no grade")) +
                        ", lab value gives " +
                        (f.lab_grade ? g(*f.lab_grade) : std::string("no grade")));
    a.payload["reported_grade"] = f.reported_grade ? json(*f.reported_grade) : json(nullptr);
    a.payload["lab_grade"] = f.lab_grade ? json(*f.lab_grade) : json(nullptr);
    out.push_back(std::move(a));
  }

  for (const auto& r : rules.clusters) {
    if (f.grade < r.min_grade || !term_matches(r.term, f.term, f.meddra_code)) continue;
    // This version replaces any earlier row of the same report.
    std::vector<const RecentAe*> aes;
    aes.reserve(recent_same_term.size() + 1);
    for (const auto& x : recent_same_term)
      if (x.report != f.report) aes.push_back(&x);
    const RecentAe self{f.report, f.subject, f.term, f.meddra_code, f.grade, f.onset};
    aes.push_back(&self);
    const auto anchor = anchor_of(r, aes, f.report);
    if (!anchor) continue;
    std::string key = "cluster:" + r.id + ":" + std::to_string(*anchor);
    // Every later member of an alerted window lands here: skip the list nobody will see.
    if (raised && raised(key)) continue;
    // The members of the cluster window, for the officer.
    std::vector<const RecentAe*> members;
    const Date first = [&] {
      for (const auto* x : aes)
        if (x->report == *anchor) return x->onset;
      return f.onset;
    }();
    for (const auto* x : aes)
      if (x->grade >= r.min_grade && term_matches(r.term, x->term, x->meddra_code) &&
          x->onset >= first && x->onset <= first.plus_days(r.days - 1))
        members.push_back(x);
    std::sort(members.begin(), members.end(), [](const RecentAe* x, const RecentAe* y) {
      return x->onset != y->onset ? x->onset < y->onset : x->report < y->report;
    });
    json list = json::array();
    std::set<std::string> subjects;
    for (const auto* m : members) {
      list.push_back({{"report", m->report},
                      {"subject", m->subject},
                      {"grade", m->grade},
                      {"onset", format_date(m->onset)}});
      subjects.insert(m->subject);
    }
    auto a = b.make(rule::kCluster, std::move(key),
                    "Cluster " + r.id + ": " + std::to_string(members.size()) + " x " + r.term +
                        " grade >= " + std::to_string(r.min_grade) + " in " +
                        std::to_string(subjects.size()) + " subject(s) within " +
                        std::to_string(r.days) + " days from " + format_date(first));
    a.payload["cluster"] = r.id;
    a.payload["window"] = {{"from", format_date(first)},
                           {"to", format_date(first.plus_days(r.days - 1))},
                           {"days", r.days},
                           {"count", r.count},
                           {"min_grade", r.min_grade}};
    a.payload["members"] = list;
    out.push_back(std::move(a));
  }
  return out;
}

std::vector<AlertDraft> on_subject_event(const std::string& study, const SubjectEvent& event,
                                         const SubjectFacts& facts) {
  std::vector<AlertDraft> out;
  // A death event, or a Clavien–Dindo V complication (Dindo 2004: death of the patient): both
  // record a death (course.hpp), and share the keys, so the second record raises nothing new.
  if (!records_death(event)) return out;
  auto make = [&](std::string_view rule, std::string key, std::string title) {
    AlertDraft a;
    a.rule = std::string(rule);
    a.severity = severity_of(rule);
    a.dedupe_key = std::move(key);
    a.title = std::move(title);
    a.subject = facts.subject;
    a.payload = {{"study", study},
                 {"subject", facts.subject},
                 {"death_date", format_date(event.date)},
                 {"event_id", event.id},
                 {"source", event.kind == "death" ? "subject_event" : "clavien_dindo_v"}};
    if (event.fields.contains("cause") && event.fields["cause"].is_string())
      a.payload["cause"] = event.fields["cause"];
    if (event.fields.contains("related_ae") && event.fields["related_ae"].is_string())
      a.payload["related_ae"] = event.fields["related_ae"];
    return a;
  };
  out.push_back(make(rule::kDeath, "death:" + facts.subject,
                     "Death: subject " + facts.subject + " on " + format_date(event.date)));
  SubjectFacts f = facts;
  f.death = event.date;
  if (f.surgery && *f.surgery <= event.date) {
    // CLINICAL.md: death from any cause within 30 days after surgery (day 0), or during the
    // index admission if that is longer; the same rule as the mortality figures.
    const SubjectSurgical s = assess_subject(f, event.date);
    if (s.day30 == WindowStatus::dead_within) {
      const int day = event.date.days - f.surgery->days;
      auto a = make(rule::kDeath30d, "death_30d_post_surgery:" + facts.subject,
                    "Death within 30 days of surgery: subject " + facts.subject + " on day " +
                        std::to_string(day) + " after surgery on " + format_date(*f.surgery) +
                        (day > 30 ? " (during the index admission)" : ""));
      a.payload["surgery_date"] = format_date(*f.surgery);
      a.payload["postoperative_day"] = day;
      a.payload["in_hospital"] = s.in_hospital_death.value_or(false);
      out.push_back(std::move(a));
    }
  }
  return out;
}

std::vector<AlertDraft> on_clocks(const std::vector<OpenClock>& open, Timestamp now,
                                  const StudyRules& rules) {
  std::vector<AlertDraft> out;
  for (const auto& oc : open) {
    const Clock& c = oc.clock;
    const bool is_overdue = overdue(c, now);
    const bool due_soon = !is_overdue && now >= c.due_at.plus_hours(-rules.clock_warning_hours);
    if (!is_overdue && !due_soon) continue;
    const std::string_view rule = is_overdue ? rule::kClockOverdue : rule::kClockDueSoon;
    // A subject's clock (report 0): a death awaiting its SAE report.
    const std::string what = std::string(to_string(c.kind)) + " clock of " +
                             (oc.report == 0 ? "the death of subject " + oc.subject + " (no SAE report yet)"
                              : "report " + (oc.site_report_id.empty() ? std::to_string(oc.report) : oc.site_report_id) +
                                    ", subject " + oc.subject);
    AlertDraft a;
    a.rule = std::string(rule);
    a.severity = severity_of(rule);
    a.dedupe_key = std::string(rule) + ":" + std::to_string(c.id);
    a.title = (is_overdue ? "Overdue: " : "Due soon: ") + what + ", due " +
              format_timestamp(c.due_at);
    a.subject = oc.subject;
    if (oc.report != 0) a.report = oc.report;
    a.payload = {{"study", oc.study},
                 {"subject", oc.subject},
                 {"report", oc.report},
                 {"site_report_id", oc.site_report_id},
                 {"clock_id", c.id},
                 {"kind", to_string(c.kind)},
                 {"started_at", format_timestamp(c.started_at)},
                 {"due_at", format_timestamp(c.due_at)},
                 {"reason", c.reason},
                 {"hours_to_due", double(c.due_at.ms - now.ms) / 3'600'000.0}};
    out.push_back(std::move(a));
  }
  return out;
}

std::vector<AlertDraft> on_courses(const std::string& study, const std::vector<SubjectCourse>& courses,
                                   const SurgicalSafety& surgical, Date today, int grace_days) {
  std::vector<AlertDraft> out;
  for (const auto& c : courses) {
    // CLINICAL.md: the sources' disagreement is a data query, never two truths.
    for (const auto& q : c.queries) {
      if (!death_query(q.kind)) continue;
      AlertDraft a;
      a.rule = std::string(rule::kDeathReconciliation);
      a.severity = severity_of(rule::kDeathReconciliation);
      a.dedupe_key = a.rule + ":" + c.subject + ":" + std::string(to_string(q.kind)) + ":" +
                     (c.death ? format_date(*c.death) : std::string("-"));
      a.title = "Death records to reconcile: subject " + c.subject + ": " + q.text;
      a.subject = c.subject;
      json sources = json::array();
      for (const auto& r : c.death_records)
        sources.push_back({{"source", std::string(to_string(r.source))}, {"ref", r.ref}, {"date", format_date(r.date)}});
      a.payload = {{"study", study},
                   {"subject", c.subject},
                   {"query", std::string(to_string(q.kind))},
                   {"text", q.text},
                   {"death_date", c.death ? json(format_date(*c.death)) : json(nullptr)},
                   {"sources", sources}};
      out.push_back(std::move(a));
    }
  }
  // CLINICAL.md: a window past its last day with neither a death nor evidence of life is
  // vital status unknown, and is chased with the site.
  for (const auto& s : surgical.subjects) {
    auto chase = [&](WindowStatus w, std::optional<Date> last_day, const char* window, const std::string& why) {
      if (w != WindowStatus::unknown) return;
      const Date from = last_day.value_or(s.surgery.plus_days(30));
      if (today.days - from.days <= grace_days) return;
      AlertDraft a;
      a.rule = std::string(rule::kVitalStatusOverdue);
      a.severity = severity_of(rule::kVitalStatusOverdue);
      a.dedupe_key = a.rule + ":" + s.subject + ":" + window;
      a.title = "Vital status unknown: subject " + s.subject + ", " + window + "-day window after surgery on " +
                format_date(s.surgery) + " ended " + format_date(from) + "; last contact " +
                format_date(s.last_contact) + ": ask the site whether the subject is alive";
      a.subject = s.subject;
      a.payload = {{"study", study},
                   {"subject", s.subject},
                   {"window_days", std::stoi(window)},
                   {"surgery", format_date(s.surgery)},
                   {"window_last_day", format_date(from)},
                   {"last_contact", format_date(s.last_contact)},
                   {"reason", why},
                   {"grace_days", grace_days}};
      out.push_back(std::move(a));
    };
    chase(s.day30, s.window30_last_day, "30", s.pending30_reason);
    chase(s.day90, s.window90_last_day, "90", s.pending90_reason);
  }
  return out;
}

std::vector<AlertDraft> on_boundary(const std::string& study, const std::string& rule_id, int n,
                                    int events, const std::vector<stats::BoundaryRow>& rows) {
  std::vector<AlertDraft> out;
  if (!stats::boundary_crossed(rows, n, events)) return out;
  const stats::BoundaryRow* row = stats::row_for(rows, n);
  assert(row && "boundary_crossed implies a row applies");
  AlertDraft a;
  a.rule = std::string(rule::kStoppingBoundary);
  a.severity = severity_of(rule::kStoppingBoundary);
  a.dedupe_key = "stopping_boundary:" + study + ":" + rule_id;
  a.title = "Stopping boundary crossed: " + rule_id + " in " + study + ": " +
            std::to_string(events) + " events in " + std::to_string(n) +
            " evaluable subjects (stop at " + std::to_string(row->stop_at) + ")";
  json table = json::array();
  for (const auto& r : rows) table.push_back({{"n", r.n}, {"stop_at", r.stop_at}});
  a.payload = {{"study", study},
               {"stopping_rule", rule_id},
               {"n", n},
               {"events", events},
               {"row", {{"n", row->n}, {"max_events", row->max_events}, {"stop_at", row->stop_at}}},
               {"boundary", table}};
  out.push_back(std::move(a));
  return out;
}

std::vector<AlertDraft> version_alerts(const AeVersionFacts& f, const StudyRules& rules,
                                       const RuleReads& reads) {
  std::vector<RecentAe> recent;
  std::set<std::int64_t> seen;
  if (reads.recent)
    for (const auto& rule : rules.clusters) {
      if (rule.term != f.term && rule.term != f.meddra_code) continue;
      for (auto& a : reads.recent(f.meddra_code, rule.min_grade, f.onset.plus_days(-2 * rule.days),
                                  f.onset.plus_days(rule.days), 4 * rule.count + 64)) {
        if (!seen.insert(a.report).second) continue;
        a.term = f.term;
        recent.push_back(std::move(a));
      }
    }
  return on_ae_version(f, rules, recent, reads.raised);
}

AlertDraft hys_law_alert(const std::string& study, const std::string& subject, const HysLawCase& c) {
  AlertDraft a;
  a.rule = std::string(rule::kPotentialHysLaw);
  a.severity = severity_of(rule::kPotentialHysLaw);
  a.dedupe_key = a.rule + ":" + subject + ":" + c.transaminase.panel_ref + ":" + c.bilirubin.panel_ref;
  a.title = "Subject " + subject + ": " + c.text + ": assess at once (confirmed DILI or another cause)";
  a.subject = subject;
  auto result = [](const LabResult& r) {
    return json{{"panel_id", r.panel_ref},       {"collected_at", format_timestamp(r.collected_at)},
                {"test", r.test},                {"term", r.term ? std::string(r.term->term) : std::string()},
                {"value", r.value},              {"unit", r.unit},
                {"uln", r.uln ? json(*r.uln) : json(nullptr)},
                {"x_uln", r.x_uln ? json(*r.x_uln) : json(nullptr)},
                {"x_baseline", r.x_baseline ? json(*r.x_baseline) : json(nullptr)},
                {"grade", r.grade}};
  };
  a.payload = {{"study", study},
               {"subject", subject},
               {"transaminase", result(c.transaminase)},
               {"bilirubin", result(c.bilirubin)},
               {"alp", c.alp ? result(*c.alp) : json(nullptr)},
               {"text", c.text},
               {"source", "FDA guidance Drug-Induced Liver Injury: Premarketing Clinical Evaluation (2009)"},
               {"assessment", {"confirmed_dili", "other_cause"}}};
  return a;
}

AlertDraft lab_without_ae_alert(const std::string& study, const std::string& subject, const UnreportedFinding& f,
                                const LabAeParams& p) {
  AlertDraft a;
  a.rule = std::string(rule::kLabWithoutAe);
  a.severity = severity_of(rule::kLabWithoutAe);
  const std::string term = f.result.term ? std::string(f.result.term->term) : f.result.test;
  a.dedupe_key = a.rule + ":" + subject + ":" + term + ":" + f.result.panel_ref;
  char value[64];
  std::snprintf(value, sizeof value, "%g", f.result.value);
  a.title = "Lab finding without an AE report: subject " + subject + ", " + f.result.test + " " + value + " " +
            f.result.unit + " on " + format_date(f.result.collected_at.date()) + " (CTCAE v5.0 " + term + " grade " +
            std::to_string(f.result.grade) + ") and no AE report of " + term + " within " +
            std::to_string(p.window_days) + " days: report it, or say why it is not an AE";
  a.subject = subject;
  a.payload = {{"study", study},
               {"subject", subject},
               {"panel_id", f.result.panel_ref},
               {"collected_at", format_timestamp(f.result.collected_at)},
               {"test", f.result.test},
               {"term", term},
               {"value", f.result.value},
               {"unit", f.result.unit},
               {"grade", f.result.grade},
               {"due", format_date(f.due)},
               {"window_days", p.window_days}};
  return a;
}

}  // namespace pvmon::safety
