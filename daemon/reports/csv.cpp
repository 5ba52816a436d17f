// The report's tables as CSV files (RFC 4180: CRLF line ends, fields with a comma, quote or
// line break quoted, quotes doubled). A cell that begins with = + - @ (or a tab or CR) gets a
// leading apostrophe: spreadsheets would run it as a formula, and site-entered text (a term,
// a cause of death) reaches these files (OWASP "CSV injection").
#include <cmath>
#include <sstream>

#include "pvmon/reports.hpp"

namespace pvmon::reports {

using nlohmann::json;

namespace {

std::string cell(const json& v) {
  std::string s;
  if (v.is_null()) return "";
  if (v.is_string()) s = v.get<std::string>();
  else if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  else if (v.is_array()) {
    for (const auto& x : v) s += (s.empty() ? "" : "; ") + (x.is_string() ? x.get<std::string>() : x.dump());
  } else {
    return v.dump();  // numbers: as in the JSON
  }
  if (!s.empty() && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r'))
    s = "'" + s;
  if (s.find_first_of(",\"\r\n") != std::string::npos) {
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  }
  return s;
}

class Table {
 public:
  explicit Table(std::vector<std::string> cols) : cols_(std::move(cols)) { add(to_json(cols_)); }
  void add(const std::vector<json>& row) {
    for (std::size_t i = 0; i < row.size(); ++i) out_ << (i ? "," : "") << cell(row[i]);
    out_ << "\r\n";
  }
  std::string str() const { return out_.str(); }

 private:
  static std::vector<json> to_json(const std::vector<std::string>& v) { return {v.begin(), v.end()}; }
  std::vector<std::string> cols_;
  std::ostringstream out_;
};


// The model holds proportions; the CSV tables print percentages, as statisticians' tables do:
// shares to one decimal, confidence limits to four.
json pct1(const json& p) { return p.is_number() ? json(std::round(p.get<double>() * 1000) / 10) : json(nullptr); }
json pct4(const json& p) { return p.is_number() ? json(std::round(p.get<double>() * 1e6) / 1e4) : json(nullptr); }

void soc_table(const json& rows, Table& t) {
  for (const auto& soc : rows) {
    auto line = [&](const json& r, const json& term) {
      std::vector<json> v{soc["soc"], term};
      for (int g = 1; g <= 5; ++g) v.push_back(r["grade_" + std::to_string(g)]["n"]);
      v.push_back(r["any"]["n"]);
      v.push_back(pct1(r["any"]["proportion"]));
      v.push_back(r["grade_3_or_more"]["n"]);
      v.push_back(pct1(r["grade_3_or_more"]["proportion"]));
      t.add(v);
    };
    line(soc, "(any term)");
    for (const auto& term : soc["terms"]) line(term, term["term"]);
  }
}

const std::vector<std::string> kSocCols = {"soc", "term", "grade_1", "grade_2", "grade_3", "grade_4", "grade_5",
                                           "any_n", "any_pct", "grade_3_or_more_n", "grade_3_or_more_pct"};

void listing(const json& rows, Table& t) {
  for (const auto& r : rows)
    t.add({r["id"], r["report_id"], r["subject"], r["site"], r["term"], r["soc"], r["grade"], r["onset"],
           r["resolved"], r["outcome"], r["criteria"], r["related_to"], r["susar"]});
}
const std::vector<std::string> kListingCols = {"id", "report_id", "subject", "site", "term", "soc", "grade", "onset",
                                               "resolved", "outcome", "criteria", "related_to", "susar"};

/// The whole step function, one row per distinct observed time. A report stored before it was
/// kept (no `table`) gives the header alone.
void km_table(const json& k, Table& t) {
  if (!k.contains("table")) return;
  for (const auto& r : k["table"]) {
    const json ci = r["ci95"];
    t.add({r["days"], r["months"], r["n_risk"], r["n_event"], r["n_censor"], r["survival"], r["std_err"],
           ci.is_array() ? ci[0] : json(nullptr), ci.is_array() ? ci[1] : json(nullptr)});
  }
}
const std::vector<std::string> kKmTableCols = {"days",     "months",  "n_risk",   "n_event",  "n_censor",
                                               "survival", "std_err", "ci95_low", "ci95_high"};

void km_at(const json& k, Table& t) {
  if (!k.is_object() || !k.contains("at")) return;  // an endpoint a stored report does not have
  for (const auto& r : k["at"]) {
    const json ci = r["ci95"];
    t.add({r["months"], r["survival"], r["n_risk"], ci.is_array() ? ci[0] : json(nullptr),
           ci.is_array() ? ci[1] : json(nullptr)});
  }
}

/// A median with its quartiles (model: {n, median, q1, q3}) as a row of a measure table whose
/// last columns are subjects, pct, median, q1, q3.
void quartile_row(const char* measure, const json& q, Table& t) {
  t.add({measure, field(q, "n"), nullptr, field(q, "median"), field(q, "q1"), field(q, "q3")});
}

/// A benefit–risk row: the estimate in percent to one decimal, its limits to four (as the
/// surgical table); a null rate (not estimable) leaves them empty.
void benefit_risk_rows(const char* group, const json& rows, Table& t) {
  if (!rows.is_array()) return;
  for (const auto& r : rows) {
    const json ci = field(r, "ci95");
    const bool limits = ci.is_array() && ci.size() == 2;
    t.add({group, field(r, "endpoint"), field(r, "label"), field(r, "kind"), field(r, "events"), field(r, "n"), pct1(field(r, "rate")),
           limits ? pct4(ci[0]) : json(nullptr), limits ? pct4(ci[1]) : json(nullptr), field(r, "n_risk"),
           field(r, "missing")});
  }
}

}  // namespace

std::vector<CsvFile> to_csv(const json& stored) {
  const json m = upgrade(stored);  // a report stored by an earlier version gives the same tables
  std::vector<CsvFile> out;
  // Each file names the HTML section (to_html's <section id>) that shows its table.
  auto put = [&](std::string name, std::string section, const Table& t) {
    out.push_back({std::move(name) + ".csv", t.str(), std::move(section)});
  };
  {
    Table t({"study", "number", "data_cutoff", "as_of", "period_from", "protocol_sha256"});
    const json& h = m["header"];
    t.add({h["study"], h["number"], h["data_cutoff"], h["as_of"], h["period"]["from"], h["protocol_sha256"]});
    put("header", "header", t);
  }
  {
    Table t({"site", "n", "pct"});
    for (const auto& r : m["enrolment"]["by_site"]) t.add({r["site"], r["n"], pct1(r["proportion"])});
    put("enrolment_by_site", "enrolment", t);
  }
  {
    Table t({"month", "n", "cumulative"});
    for (const auto& r : m["enrolment"]["by_month"]) t.add({r["month"], r["n"], r["cumulative"]});
    put("enrolment_by_month", "enrolment", t);
  }
  {
    Table t({"subject", "site", "enrolled", "status", "enrolment_to_surgery_days"});
    for (const auto& r : m["enrolment"]["subjects"])
      t.add({r["subject"], r["site"], r["enrolled"], r["status"], r["enrolment_to_surgery_days"]});
    put("subject_status", "enrolment", t);
  }
  {
    // The HTML's "status at cut-off" table, and enrolment to surgery (median, quartiles).
    Table t({"measure", "subjects", "pct", "median", "q1", "q3"});
    const json& e = m["enrolment"];
    for (const char* k : {"on_neoadjuvant", "operated", "in_follow_up", "withdrawn", "dead"})
      t.add({k, field(e["status"], k)["n"], pct1(field(e["status"], k)["proportion"]), nullptr, nullptr, nullptr});
    t.add({"total", e["total"], nullptr, nullptr, nullptr, nullptr});
    quartile_row("enrolment_to_surgery_days", field(e, "enrolment_to_surgery_days"), t);
    put("enrolment_status", "enrolment", t);
  }
  {
    // The HTML's exposure table whole: days on drug with its quartiles, and the 21-day cycles
    // (camrelizumab's schedule) where the model has them; new columns at the end.
    Table t({"drug", "subjects_started", "pct", "exposure_days_total", "exposure_days_median", "holds",
             "dose_changes", "stopped", "exposure_days_q1", "exposure_days_q3", "cycles_21d_n", "cycles_21d_median",
             "cycles_21d_q1", "cycles_21d_q3"});
    for (const auto& r : m["exposure"]["drugs"]) {
      const json& c = field(r, "cycles_21d");
      t.add({r["drug"], r["subjects_started"]["n"], pct1(r["subjects_started"]["proportion"]), r["exposure_days_total"],
             r["exposure_days"]["median"], r["holds"], r["dose_changes"], r["stopped"], field(r["exposure_days"], "q1"),
             field(r["exposure_days"], "q3"), field(c, "n"), field(c, "median"), field(c, "q1"), field(c, "q3")});
    }
    const json& rt = m["exposure"]["radiotherapy"];
    t.add({"radiotherapy (completed)", rt["completed"]["n"], pct1(rt["completed"]["proportion"]), nullptr,
           rt["delivered_dose_gy"]["median"], nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
           nullptr});
    put("exposure", "exposure", t);
  }
  {
    // The HTML's radiotherapy line: started, completed, delivered dose and fractions.
    Table t({"measure", "n", "pct", "median", "q1", "q3"});
    const json& rt = m["exposure"]["radiotherapy"];
    for (const char* k : {"started", "completed"})
      t.add({k, field(rt, k)["n"], pct1(field(rt, k)["proportion"]), nullptr, nullptr, nullptr});
    quartile_row("delivered_dose_gy", field(rt, "delivered_dose_gy"), t);
    quartile_row("fractions", field(rt, "fractions"), t);
    put("radiotherapy", "exposure", t);
  }
  {
    Table t({"measure", "subjects", "pct"});
    const json& o = m["ae_overview"];
    for (const char* k : {"any_ae", "grade_3_or_more", "serious", "led_to_drug_withdrawal", "fatal", "susar"})
      t.add({k, o[k]["n"], pct1(o[k]["proportion"])});
    put("ae_overview", "ae-overview", t);
  }
  {
    Table t(kSocCols);
    soc_table(m["ae_by_soc_term"], t);
    put("ae_by_soc_term", "ae-soc", t);
  }
  for (const auto& rel : m["ae_related"]) {
    Table t(kSocCols);
    soc_table(rel["rows"], t);
    put("ae_related_" + rel["intervention"].get<std::string>(), "ae-related-" + rel["intervention"].get<std::string>(), t);
  }
  {
    Table t({"id", "subjects", "pct", "reports", "worst_grade_1", "worst_grade_2", "worst_grade_3", "worst_grade_4",
             "worst_grade_5"});
    for (const auto& r : m["aesi"]) {
      const json& g = r["worst_grade"];
      t.add({r["id"], r["subjects"]["n"], pct1(r["subjects"]["proportion"]), r["reports"], g[0], g[1], g[2], g[3], g[4]});
    }
    put("aesi", "aesi", t);
  }
  {
    Table t(kListingCols);
    listing(m["sae_listing"], t);
    put("sae_listing", "sae", t);
  }
  {
    Table t(kListingCols);
    listing(m["susars"], t);
    put("susars", "susar", t);
  }
  {
    // sources: "death_event event 12 2026-04-15; fatal_ae R6 2026-04-14"; queries: "kind: text; ...".
    // Empty in a report stored before they were kept.
    Table t({"subject", "site", "date", "cause", "days_from_enrolment", "days_from_surgery", "within_30_days_of_surgery",
             "sources", "queries"});
    auto str = [](const json& v) { return v.is_string() ? v.get<std::string>() : std::string(); };
    for (const auto& r : m["deaths"]) {
      json sources = nullptr, queries = nullptr;
      if (r.contains("sources")) {
        sources = json::array();
        for (const auto& x : r["sources"])
          sources.push_back(str(field(x, "source")) + " " + str(field(x, "ref")) + " " + str(field(x, "date")));
      }
      if (r.contains("queries")) {
        queries = json::array();
        for (const auto& q : r["queries"]) queries.push_back(str(field(q, "kind")) + ": " + str(field(q, "text")));
      }
      t.add({r["subject"], r["site"], r["date"], r["cause"], r["days_from_enrolment"], r["days_from_surgery"],
             r["within_30_days_of_surgery"], sources, queries});
    }
    put("deaths", "deaths", t);
  }
  {
    Table t({"kind", "met", "late", "open", "overdue", "on_time_pct"});
    for (const auto& r : m["clocks"]["by_kind"])
      t.add({r["kind"], r["met"], r["late"], r["open"], r["overdue"], pct1(r["on_time"])});
    put("clocks", "susar", t);
  }
  {
    // Mortality rows also give the subjects whose window is still open (pending) and those of
    // unknown vital status, and, after the original six rows, the bounds (every unknown
    // subject alive / dead) and the Kaplan–Meier mortality (n_risk; no events/n). A report
    // stored before these were kept leaves the new cells empty and has no new rows.
    // The post-operative stay and the CCI are medians with quartiles (median, q1, q3; n their
    // subjects), as the HTML's measure table shows them.
    Table t({"measure", "events", "n", "pct", "ci95_low", "ci95_high", "pending", "pending_subjects", "unknown",
             "unknown_subjects", "n_risk", "median", "q1", "q3"});
    const json& s = m["surgical"];
    auto ids = [](const json& v) { return v.is_array() ? json(v.size()) : json(nullptr); };
    for (const char* k : {"mortality_30d", "mortality_90d", "in_hospital_death", "reoperation", "readmission_30d", "r0_resection"}) {
      const std::string key = k;
      const json pending = field(s, (key + "_pending").c_str()), unknown = field(s, (key + "_unknown").c_str());
      t.add({k, s[k]["events"], s[k]["n"], s[k]["n"].get<int>() ? pct1(s[k]["rate"]) : json(0.0),
             pct4(s[k]["ci95"][0]), pct4(s[k]["ci95"][1]), ids(pending), pending, ids(unknown), unknown, nullptr,
             nullptr, nullptr, nullptr});
    }
    for (const char* k : {"mortality_30d", "mortality_90d"}) {
      const std::string key = k;
      const json bounds = field(s, (key + "_bounds").c_str());
      for (const char* b : {"unknown_alive", "unknown_dead"}) {
        if (!bounds.is_object() || !bounds.contains(b)) continue;
        const json& r = bounds[b];
        t.add({key + "_if_" + b, r["events"], r["n"], r["n"].get<int>() ? pct1(r["rate"]) : json(0.0),
               pct4(r["ci95"][0]), pct4(r["ci95"][1]), nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
               nullptr});
      }
      if (!s.contains(key + "_km")) continue;
      const json& km = s[key + "_km"];  // null: not estimable, empty cells
      const json ci = km.is_object() ? field(km, "ci95") : json(nullptr);
      t.add({key + "_km", nullptr, nullptr, km.is_object() ? pct1(km["estimate"]) : json(nullptr),
             ci.is_array() ? pct4(ci[0]) : json(nullptr), ci.is_array() ? pct4(ci[1]) : json(nullptr), nullptr,
             nullptr, nullptr, nullptr, km.is_object() ? field(km, "n_risk") : json(nullptr), nullptr, nullptr, nullptr});
    }
    for (const char* k : {"postop_stay_days", "cci"}) {
      const json q = field(s, k);
      t.add({k, nullptr, field(q, "n"), nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
             field(q, "median"), field(q, "q1"), field(q, "q3")});
    }
    put("surgical", "surgical", t);
  }
  {
    // Operated subjects, one row each: each window's status (dead_within, alive_closed, pending,
    // unknown) with the reason, its last day, and the last contact.
    Table t({"subject", "surgery", "day30", "day30_reason", "window30_last_day", "day90", "day90_reason",
             "window90_last_day", "last_contact", "worst_clavien_dindo", "cci", "reoperated", "readmission_30d",
             "postop_stay_days", "margin"});
    if (m["surgical"].contains("subjects"))
      for (const auto& x : m["surgical"]["subjects"])
        t.add({field(x, "subject"), field(x, "surgery"), field(x, "day30"), field(x, "pending30_reason"), field(x, "window30_last_day"),
               field(x, "day90"), field(x, "pending90_reason"), field(x, "window90_last_day"), field(x, "last_contact"),
               field(x, "worst_clavien_dindo"), field(x, "cci"), field(x, "reoperated"), field(x, "readmission_30d"),
               field(x, "postop_stay_days"), field(x, "margin")});
    put("surgical_subjects", "surgical", t);
  }
  {
    Table t({"worst_grade", "subjects"});
    for (const char* g : {"none", "I", "II", "IIIa", "IIIb", "IVa", "IVb", "V"})
      t.add({g, m["surgical"]["clavien_dindo_worst"][g]});
    put("clavien_dindo", "surgical", t);
  }
  {
    // The open-session benefit–risk summary: every benefit row (1-year EFS, OS, DFS; ORR, MPR,
    // R0), then every risk row. A report stored before it was kept gives the headers alone.
    const json br = field(m, "benefit_risk");
    {
      Table t({"group", "endpoint", "label", "kind", "events", "n", "estimate", "ci95_low", "ci95_high", "n_risk",
               "missing"});
      benefit_risk_rows("benefit", field(br, "benefit"), t);
      benefit_risk_rows("risk", field(br, "risk"), t);
      put("benefit_risk", "benefit-risk", t);
    }
    {
      Table t({"response", "subjects"});
      const json bor = field(br, "best_overall_response");
      if (bor.is_object()) {
        for (const char* k : {"CR", "PR", "SD", "PD", "NE"}) t.add({k, field(bor, k)});
        t.add({"not_assessed", field(bor, "not_assessed")});
      }
      put("best_response", "benefit-risk", t);
    }
    {
      // Survival medians in months with their 95% limits (empty: not reached) and the median
      // follow-up.
      Table t({"endpoint", "subjects", "events", "median_months", "ci95_low_months", "ci95_high_months",
               "median_follow_up_months"});
      const json sv = field(br, "survival");
      for (const auto& [k, label] : {std::pair{"efs", "EFS"}, std::pair{"os", "OS"}, std::pair{"dfs", "DFS"}}) {
        const json x = field(sv, k);
        if (!x.is_object()) continue;
        const json ci = field(x, "median_ci95_months");
        const bool limits = ci.is_array() && ci.size() == 2;
        t.add({label, field(x, "n"), field(x, "events"), field(x, "median_months"), limits ? ci[0] : json(nullptr),
               limits ? ci[1] : json(nullptr), field(x, "median_follow_up_months")});
      }
      put("survival_medians", "benefit-risk", t);
    }
    {
      // One row per enrolled subject; an endpoint without a time (not treated, not operated)
      // leaves its cells empty.
      Table t({"subject", "treatment_start", "operated", "efs_days", "efs_event", "os_days", "os_event", "dfs_days",
               "dfs_event", "best_response", "assessments", "viable_tumour_percent", "mpr", "margin",
               "other_progressions"});
      const json subjects = field(br, "subjects");
      if (subjects.is_array())
        for (const auto& x : subjects) {
          std::vector<json> v{field(x, "subject"), field(x, "treatment_start"), field(x, "operated")};
          for (const char* k : {"efs", "os", "dfs"}) {
            const json time = field(x, k);
            v.push_back(field(time, "days"));
            v.push_back(field(time, "event"));
          }
          for (const char* k : {"best_response", "assessments", "viable_tumour_percent", "mpr", "margin",
                                "other_progressions"})
            v.push_back(field(x, k));
          t.add(v);
        }
      put("efficacy_subjects", "benefit-risk", t);
    }
  }
  {
    Table t({"id", "event", "method", "n_max", "evaluable", "events", "crossed", "crossed_at_n", "crossed_at_events",
             "type1_error", "power"});
    for (const auto& r : m["stopping_rules"]) {
      // The look that crossed the boundary (empty when not crossed, or in a report stored before it was kept).
      const json x = field(r, "crossed_at");
      t.add({r["id"], r["event"], r["method"], r["n_max"], r["evaluable"], r["events"], r["crossed"],
             x.is_object() ? x["n"] : json(nullptr), x.is_object() ? x["events"] : json(nullptr), r["type1_error"],
             r["power"]});
    }
    put("stopping_rules", "stopping", t);
  }
  {
    // Each rule's operating characteristics, as the HTML tabulates them under its chart.
    Table t({"id", "true_rate", "p_stop", "p_stop_early", "expected_n"});
    for (const auto& r : m["stopping_rules"])
      if (field(r, "operating_characteristics").is_array())
        for (const auto& oc : r["operating_characteristics"])
          t.add({r["id"], field(oc, "rate"), field(oc, "p_stop"), field(oc, "p_stop_early"), field(oc, "expected_n")});
    put("stopping_rules_oc", "stopping", t);
  }
  const json& tte = m["time_to_event"];
  struct Endpoint {
    const char *label, *key, *file;
  };
  // Disease-free survival runs from the index hepatectomy (time_to_event's time_unit); a report
  // stored before it was kept gives km_dfs.csv and km_dfs_at.csv with the header alone.
  const Endpoint endpoints[] = {{"OS", "overall_survival", "km_os"},
                                {"EFS", "event_free_survival", "km_efs"},
                                {"DFS", "disease_free_survival", "km_dfs"}};
  for (const auto& [label, key, file] : endpoints) {
    Table t(kKmTableCols);
    km_table(field(tte, key), t);
    put(file, "tte", t);
  }
  for (const auto& [label, key, file] : endpoints) {
    Table t({"months", "survival", "n_risk", "ci95_low", "ci95_high"});
    km_at(field(tte, key), t);
    put(std::string(file) + "_at", "tte", t);
  }
  {
    Table t({"endpoint", "months", "n_risk"});
    for (const auto& [label, key, file] : endpoints)
      if (field(tte, key).contains("at_risk"))
        for (const auto& r : tte[key]["at_risk"]) t.add({label, r["months"], r["n_risk"]});
    put("km_at_risk", "tte", t);
  }
  {
    // Reverse Kaplan–Meier median follow-up; empty cells where not reached.
    Table t({"endpoint", "days", "months", "ci95_low_days", "ci95_high_days", "ci95_low_months", "ci95_high_months"});
    for (const auto& [label, key, file] : endpoints)
      if (field(tte, key).contains("median_follow_up")) {
        const json& f = tte[key]["median_follow_up"];
        t.add({label, f["days"], f["months"], f["ci95_days"][0], f["ci95_days"][1], f["ci95_months"][0],
               f["ci95_months"][1]});
      }
    put("km_median_follow_up", "tte", t);
  }
  {
    // Subjects left out of an endpoint for want of a time zero (never treated; not operated).
    Table t({"endpoint", "subjects_left_out", "subjects"});
    const json ex = field(tte, "excluded");
    for (const auto& [label, key, file] : endpoints)
      if (ex.is_object() && ex.contains(key))
        t.add({label, ex[key].is_array() ? json(ex[key].size()) : json(nullptr), ex[key]});
    put("km_excluded", "tte", t);
  }
  {
    // Liver tests. A study without lab data ({"available": false}) and a report stored before
    // the section was kept give the headers alone.
    const json labs = field(m, "labs");
    const json edish = field(labs, "edish");
    {
      Table t({"subject", "peak_alt_x_uln", "alt_at", "peak_bilirubin_x_uln", "bilirubin_at", "quadrant"});
      if (field(edish, "points").is_array())
        for (const auto& p : edish["points"])
          t.add({field(p, "subject"), field(p, "peak_alt_x_uln"), field(p, "alt_at"), field(p, "peak_bilirubin_x_uln"),
                 field(p, "bilirubin_at"), field(p, "quadrant")});
      put("edish", "labs", t);
    }
    {
      Table t({"quadrant", "subjects"});
      const json counts = field(edish, "quadrant_counts");
      if (counts.is_object())
        for (const char* k : {"normal", "hyperbilirubinaemia", "temple_corollary", "hys_law"}) t.add({k, field(counts, k)});
      put("edish_quadrants", "labs", t);
    }
    {
      // One row per term and baseline grade (all five, so that each term's grid is whole): the
      // subjects by worst post-baseline grade, the row's total; then the term's subjects and
      // those without a baseline value (left out of the grid), the same on its five rows.
      Table t({"term", "baseline_grade", "worst_grade_0", "worst_grade_1", "worst_grade_2", "worst_grade_3",
               "worst_grade_4", "total", "subjects", "no_baseline"});
      if (field(labs, "shift_tables").is_array())
        for (const auto& st : labs["shift_tables"]) {
          const json counts = field(st, "counts");
          for (std::size_t b = 0; b < 5; ++b) {
            const json row = counts.is_array() && b < counts.size() ? counts[b] : json(nullptr);
            std::vector<json> v{field(st, "term"), b};
            int total = 0;
            for (std::size_t w = 0; w < 5; ++w) {
              const json c = row.is_array() && w < row.size() ? row[w] : json(nullptr);
              total += c.is_number_integer() ? c.get<int>() : 0;
              v.push_back(c);
            }
            v.push_back(total);
            v.push_back(field(st, "subjects"));
            v.push_back(field(st, "no_baseline"));
            t.add(v);
          }
        }
      put("shift_tables", "labs", t);
    }
    {
      Table t({"subject", "collected_at", "analyte", "test", "term", "value", "unit", "x_uln", "grade"});
      if (field(labs, "time_course").is_array())
        for (const auto& s : labs["time_course"])
          if (field(s, "results").is_array())
            for (const auto& r : s["results"])
              t.add({field(s, "subject"), field(r, "collected_at"), field(r, "analyte"), field(r, "test"), field(r, "term"),
                     field(r, "value"), field(r, "unit"), field(r, "x_uln"), field(r, "grade")});
      put("lab_time_course", "labs", t);
    }
    {
      // assessment: "" while not yet assessed, confirmed_dili, other_cause.
      Table t({"subject", "raised_at", "assessment", "text"});
      if (field(labs, "potential_hys_law_cases").is_array())
        for (const auto& c : labs["potential_hys_law_cases"])
          t.add({field(c, "subject"), field(c, "raised_at"), field(c, "assessment"), field(c, "text")});
      put("hys_law_cases", "labs", t);
    }
  }
  {
    Table t({"id", "rule", "severity", "title", "subject", "raised_at", "acknowledged_at", "acknowledged_by"});
    for (const auto& r : m["alerts"]["raised_in_period"])
      t.add({r["id"], r["rule"], r["severity"], r["title"], r["subject"], r["raised_at"], r["acknowledged_at"],
             field(r, "acknowledged_by")});
    put("alerts", "alerts", t);
  }
  return out;
}

}  // namespace pvmon::reports
