// The safety desk: the study page and the subject page (desk.hpp). Each figure is the one the API
// serves: the study page renders service::study_safety (GET /v1/studies/{study}/safety) and the
// open clocks of the store query GET /v1/studies/{study}/clocks reads; the subject page renders
// service::subject_view (GET /v1/studies/{study}/subjects/{subject}). The charts are drawn by
// pvmon::reports (svg.cpp): post-surgical mortality with its exact CIs, each stopping rule's
// boundary with its path, as in the DSMB report, the subjects with AEs and by worst grade, and the
// subject's timeline with its post-surgical windows. Every chart has its facts in a table beside
// it.
#include <algorithm>
#include <cstdio>
#include <map>

#include "desk.hpp"
#include "pvmon/safety.hpp"
#include "pvmon/service/figures.hpp"
#include "pvmon/service/subjects.hpp"

namespace pvmon::http {

using config::Role;
using nlohmann::json;
using reports::field;

namespace {

/// The boundary chart's classes (the DSMB report's, html.cpp), written into the chart: the desk's
/// frame has none of them.
constexpr std::string_view kChartCss =
    "svg{max-width:100%;height:auto;display:block;margin:.5rem 0}svg text{font-size:11px;fill:#39424c}"
    ".axis line{stroke:#8a939c}.axis line.grid{stroke:#e4e8ec}.line{fill:none;stroke:#2c5d8f;stroke-width:2}"
    ".bound{fill:none;stroke:#b00020;stroke-width:2;stroke-dasharray:5 3}"
    ".key{display:inline-block;width:12px;height:0;vertical-align:middle;margin-left:8px}"
    ".key.bound{border-top:2px dashed #b00020}.key.line{border-top:2px solid #2c5d8f}"
    ".bar{fill:#9ecae1}.whisker{fill:none;stroke:#12355b;stroke-width:2}"
    ".g1{fill:#9ecae1}.g2{fill:#4292c6}.g3{fill:#fdae6b}.g4{fill:#e6550d}.g5{fill:#7f0000}";

/// The clocks the study page lists: due by the end of the 7th calendar day from today (UTC), as
/// reporting clocks count calendar days (CLINICAL.md "Clocks": a 7-day clock of a report received
/// today is due at the end of day 7), and every one overdue.
constexpr int kDueWithinDays = 7;


std::string fixed(double x, int decimals = 1) {
  char b[32];
  std::snprintf(b, sizeof b, "%.*f", decimals, x);
  return b;
}

std::string str(const json& j, const char* k) {
  return j.is_object() && j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string();
}

/// A JSON value as escaped text ("–" for null, "none" for an empty list).
std::string text(const json& v) { return reports::html_text(v, "none"); }


/// A proportion in [0, 1] as a percentage with one decimal ("40.0%").
std::string pct(const json& p) { return p.is_number() ? fixed(100 * p.get<double>()) + "%" : "–"; }

/// The 95% CI of a rate of the figures ({events, n, rate, ci95}), or nothing (no limits, or no
/// subject yet).
std::optional<std::pair<double, double>> ci_of(const json& r) {
  const json& ci = field(r, "ci95");
  if (!(ci.is_array() && ci.size() == 2 && ci[0].is_number() && ci[1].is_number() && field(r, "n") != 0))
    return std::nullopt;
  return std::pair{ci[0].get<double>(), ci[1].get<double>()};
}

/// A rate of the figures: its cells events, n, rate, 95% CI.
std::vector<std::string> rate_cells(const json& r) {
  const auto ci = ci_of(r);
  return {text(field(r, "events")), text(field(r, "n")), pct(field(r, "rate")),
          ci ? pct(ci->first) + " to " + pct(ci->second) : std::string("–")};
}
std::string rate_text(const json& r) {
  const auto c = rate_cells(r);
  return c[0] + "/" + c[1] + " (" + c[2] + (c[3] == "–" ? "" : "; 95% CI " + c[3]) + ")";
}

/// A table with a caption, its header cells `scope="col"`, the first cell of each row a row header.
std::string table(const std::string& id, const std::string& caption, const std::vector<std::string>& head,
                  const std::vector<std::vector<std::string>>& rows, const std::string& empty = "None.") {
  std::string h = "<table";
  if (!id.empty()) h += " id=\"" + esc(id) + "\"";
  h += "><caption>" + esc(caption) + "</caption><thead><tr>";
  for (const auto& c : head) h += "<th scope=\"col\">" + esc(c) + "</th>";
  h += "</tr></thead><tbody>";
  if (rows.empty()) h += "<tr><td colspan=\"" + std::to_string(head.size()) + "\">" + esc(empty) + "</td></tr>";
  for (const auto& r : rows) {
    h += "<tr>";
    for (std::size_t i = 0; i < r.size(); ++i)
      h += i == 0 ? "<th scope=\"row\">" + r[i] + "</th>" : "<td>" + r[i] + "</td>";  // cells escaped by their makers
    h += "</tr>";
  }
  return h + "</tbody></table>";
}

std::string link(const std::string& href, const std::string& html) {
  return "<a href=\"" + esc(href) + "\">" + html + "</a>";
}

// ---- The study page -----------------------------------------------------------------------

/// A rate of the figures as a bar of reports::bars_svg: its proportion, CI and text; nullopt
/// while it has no rate (no subject yet).
std::optional<reports::Bar> rate_bar(const std::string& label, const json& r) {
  const json& rate = field(r, "rate");
  if (!rate.is_number()) return std::nullopt;
  return reports::Bar{label, rate.get<double>(), ci_of(r), rate_text(r)};
}

std::string mortality_section(const json& surg) {
  std::vector<std::vector<std::string>> rows;
  std::vector<reports::Bar> bars;
  for (const auto& [key, label] : {std::pair{"mortality_30d", "30-day"}, std::pair{"mortality_90d", "90-day"}}) {
    const std::string k = key;
    if (!surg.contains(k)) continue;
    auto cells = rate_cells(surg[k]);
    if (auto b = rate_bar(std::string(label) + " mortality", surg[k])) bars.push_back(std::move(*b));
    const json& bounds = field(surg, (k + "_bounds").c_str());
    const json& km = field(surg, (k + "_km").c_str());
    std::string km_text = "–";
    if (km.is_object()) {
      const json& ci = field(km, "ci95");
      km_text = pct(km["estimate"]) +
                (ci.is_array() && ci.size() == 2 ? " (95% CI " + pct(ci[0]) + " to " + pct(ci[1]) + ")" : std::string()) +
                ", " + text(field(km, "n_risk")) + " at risk";
    }
    rows.push_back({esc(label), cells[0], cells[1], cells[2], cells[3],
                    text(field(surg, (k + "_pending").c_str())), text(field(surg, (k + "_unknown").c_str())),
                    rate_text(field(bounds, "unknown_alive")) + " to " + rate_text(field(bounds, "unknown_dead")), km_text});
  }
  return "<section id=\"mortality\"><h2>Post-surgical mortality</h2><p>" + text(field(surg, "operated")) +
         " operated subjects. Death from any cause within 30 days of surgery (day of surgery = day 0) or during a "
         "longer index admission, and within 90 days; a subject counts once its window has closed (CLINICAL.md). "
         "Exact (Clopper–Pearson) 95% confidence intervals.</p>" +
         table("mortality-table", "Post-surgical mortality over closed windows",
               {"Window", "Deaths", "Subjects with the window closed", "Rate", "95% CI", "Window still open",
                "Vital status unknown", "Bounds (unknown all alive to all dead)", "Kaplan–Meier estimate"},
               rows) +
         "<div class=\"chart\">" +
         reports::bars_svg("Post-surgical mortality with exact 95% confidence intervals",
                           "Bar: deaths over subjects with the window closed; whisker: Clopper–Pearson 95% CI.", bars,
                           true, "% of operated subjects with the window closed (whiskers: 95% CI)", false, kChartCss) +
         "</div></section>";
}

std::string rule_section(const json& b) {
  const std::string id = str(b, "id");
  const bool crossed = field(b, "crossed") == true;
  std::string h = "<section id=\"rule-" + esc(id) + "\" aria-labelledby=\"rule-" + esc(id) + "-h\"><h3 id=\"rule-" +
                  esc(id) + "-h\">" + esc(id) + " <small>(" + text(field(b, "event")) + ", " + text(field(b, "method")) +
                  ")</small></h3>";
  h += "<p><strong>" + std::string(crossed ? "Boundary crossed" : "Boundary not crossed") + "</strong>";
  if (field(b, "crossed_at").is_object())
    h += " at " + text(b["crossed_at"]["events"]) + " events in " + text(b["crossed_at"]["n"]) + " evaluable subjects";
  h += ". Now " + text(field(b, "events")) + " events in " + text(field(b, "evaluable")) + " evaluable subjects of " +
       text(field(b, "n_max")) + "; the boundary at this look: stop at " + text(field(b, "stop_at")) + " events" +
       (field(b, "design_complete") == true ? " (design complete: the final verdict)" : "") + ". Type I error " +
       (field(b, "type1_error").is_number() ? fixed(b["type1_error"].get<double>(), 3) : std::string("–")) + ", power " +
       (field(b, "power").is_number() ? fixed(b["power"].get<double>(), 3) : std::string("not applicable")) + ".</p>";
  // The chart and its table side by side where the page is wide enough.
  h += "<div style=\"display:flex;flex-wrap:wrap;gap:1rem;align-items:flex-start\"><div class=\"chart\">" +
       reports::boundary_svg(b, kChartCss) + "</div>";
  // The same facts as the chart: each look's boundary and the observed count there.
  std::map<int, int> observed;
  for (const auto& pt : field(b, "path"))
    if (pt.is_array() && pt.size() == 2) observed[pt[0].get<int>()] = pt[1].get<int>();
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : field(b, "boundary")) {
    const int n = r.value("n", 0), stop = r.value("stop_if_events_at_least", 0);
    const auto o = observed.find(n);
    const bool reached = o != observed.end() && stop <= n && o->second >= stop;
    rows.push_back({std::to_string(n), stop > n ? "cannot stop" : std::to_string(stop),
                    o == observed.end() ? "not yet evaluated" : std::to_string(o->second),
                    o == observed.end() ? "–" : reached ? "reached" : "no"});
  }
  h += table("rule-" + id + "-table", "Stopping rule " + id + ": boundary and observed events by subjects evaluated",
             {"Subjects evaluated", "Stop if events reach", "Observed events", "Boundary reached"}, rows);
  return h + "</div></section>";
}

std::string ae_section(const json& a) {
  std::vector<std::vector<std::string>> rows;
  std::vector<reports::Bar> bars;
  for (const auto& [key, label] :
       {std::pair{"any_ae", "Any AE"}, std::pair{"grade_3_or_more", "Grade 3 or more"}, std::pair{"serious", "Serious (SAE)"},
        std::pair{"susar", "SUSAR"}, std::pair{"fatal", "Fatal"}, std::pair{"led_to_drug_withdrawal", "Led to drug withdrawal"}})
    if (a.contains(key)) {
      rows.push_back({esc(label), text(a[key]["n"]), pct(a[key]["proportion"])});
      const json& prop = field(a[key], "proportion");
      if (prop.is_number())
        bars.push_back({label, prop.get<double>(), std::nullopt, text(a[key]["n"]) + " (" + pct(prop) + ")"});
    }
  std::string h = "<section id=\"adverse-events\"><h2>Adverse events</h2><p>" + text(field(a, "enrolled")) +
                  " subjects enrolled.</p>" +
                  table("ae-table", "Subjects with adverse events", {"Subjects with", "Subjects", "Of enrolled"}, rows) +
                  "<div class=\"chart\">" +
                  reports::bars_svg("Subjects with adverse events, % of enrolled", "", bars, true,
                                    "% of enrolled subjects", false, kChartCss) +
                  "</div>";
  rows.clear();
  bars.clear();
  for (int g = 1; g <= 5; ++g) {
    const json& n = field(field(a, "subjects_by_worst_grade"), std::to_string(g).c_str());
    rows.push_back({"Grade " + std::to_string(g), text(n)});
    bars.push_back({"Grade " + std::to_string(g), n.is_number() ? n.get<double>() : 0.0, std::nullopt, text(n)});
  }
  h += table("ae-grade-table", "Subjects by worst CTCAE grade", {"Worst grade", "Subjects"}, rows) +
       "<div class=\"chart\">" +
       reports::bars_svg("Subjects by worst CTCAE grade", "", bars, false, "subjects", true, kChartCss) + "</div>";
  const json& rep = field(a, "reports");
  h += table("ae-report-table", "AE reports",
             {"Reports", "Count"},
             {{"In force", text(field(rep, "in_force"))}, {"Serious", text(field(rep, "serious"))},
              {"Nullified", text(field(rep, "nullified"))}});
  return h + "</section>";
}

std::string surgical_section(const json& s) {
  if (!s.is_object() || field(s, "operated") == 0) return "";
  std::vector<std::vector<std::string>> rows;
  for (const auto& [key, label] : {std::pair{"in_hospital_death", "In-hospital death"}, std::pair{"reoperation", "Reoperation"},
                                   std::pair{"readmission_30d", "Readmission within 30 days of discharge"},
                                   std::pair{"r0_resection", "R0 resection"}}) {
    if (!s.contains(key)) continue;
    auto c = rate_cells(s[key]);
    rows.push_back({esc(label), c[0], c[1], c[2], c[3]});
  }
  std::string h = "<section id=\"surgical\"><h2>Surgical figures</h2>" +
                  table("surgical-table", "Surgical outcomes of operated subjects", {"Outcome", "Subjects", "Of", "Rate", "95% CI"},
                        rows);
  const json& stay = field(s, "postop_stay_days");
  if (stay.is_object() && stay["median"].is_number())
    h += "<p>Post-operative stay: median " + fixed(stay["median"].get<double>()) + " days (IQR " +
         fixed(stay["q1"].get<double>()) + " to " + fixed(stay["q3"].get<double>()) + "), n = " + text(stay["n"]) + ".</p>";
  rows.clear();
  for (const auto& [g, n] : field(s, "clavien_dindo_worst").items())
    rows.push_back({g == "none" ? "No complication" : "Grade " + esc(g), text(n)});
  h += table("clavien-dindo-table", "Subjects by worst Clavien–Dindo grade", {"Worst grade", "Subjects"}, rows);
  return h + "</section>";
}

/// Open clocks due by the end of the 7th day from today, and those overdue, soonest first.
std::string clocks_section(const std::string& study, const std::vector<store::ClockRow>& open, Timestamp now) {
  const Timestamp horizon = start_of(now.date().plus_days(kDueWithinDays + 1));
  std::vector<const store::ClockRow*> due;
  for (const auto& r : open)
    if (!r.stopped_at && r.clock.due_at < horizon) due.push_back(&r);
  std::stable_sort(due.begin(), due.end(), [](auto* a, auto* b) { return a->clock.due_at < b->clock.due_at; });
  std::vector<std::vector<std::string>> rows;
  for (const auto* r : due) {
    const double hours = static_cast<double>(r->clock.due_at.ms - now.ms) / 3'600'000.0;
    const bool late = safety::overdue(r->clock, now);
    const std::string what = r->report ? link(case_path(study, r->report), "Report " + esc(r->report_ref))
                                       : link(subject_path(study, r->subject), "Subject " + esc(r->subject) + " (no report yet)");
    rows.push_back({esc(format_timestamp(r->clock.due_at)),
                    late ? "<strong>Overdue</strong> by " + fixed(-hours) + " h" : "Due in " + fixed(hours) + " h",
                    esc(std::string(safety::to_string(r->clock.kind))), what, esc(r->subject), esc(r->site),
                    esc(r->clock.reason)});
  }
  return "<section id=\"clocks-due\"><h2>Clocks due this week</h2><p>Open reporting clocks due by the end of " +
         esc(format_date(now.date().plus_days(kDueWithinDays))) + " (UTC), and those overdue, as of " +
         esc(format_timestamp(now)) + ".</p>" +
         table("clocks-table", "Open reporting clocks due within 7 days or overdue",
               {"Due (UTC)", "Status", "Clock", "Case", "Subject", "Site", "Reason"}, rows, "No clock due this week.") +
         "</section>";
}

Result<Reply> get_study(Services& s, Call& c, const Session& who) {
  const config::Study* st = c.config->study(c.params[0]);
  if (!st) return error_page(404, "Not found", "No study '" + c.params[0] + "'.", &who);
  auto q = cutoff_query(c.req);
  if (!q) return error_page(q.error(), &who);
  auto fig = service::study_safety(c.context(), *st, q->cutoff, q->as_of);
  if (!fig) return error_page(fig.error(), &who);
  auto open = s.store.clocks(st->id, true, std::nullopt);  // GET /clocks?state=open
  if (!open) return error_page(open.error(), &who);
  const json& f = fig.value();
  std::string h = "<p>Figures of <code>GET /v1/studies/" + esc(st->id) + "/safety</code>: what happened by the end of " +
                  text(field(f, "cutoff")) + ", as recorded at " + text(field(f, "as_of")) + ". " +
                  text(field(field(f, "enrolment"), "subjects")) + " subjects enrolled";
  std::string sites;
  for (const auto& [site, n] : field(field(f, "enrolment"), "by_site").items())
    sites += (sites.empty() ? "" : ", ") + esc(site) + " " + text(n);
  h += (sites.empty() ? "" : " (" + sites + ")") + ".</p>";
  h += "<ul class=\"no-print\"><li>" + link(study_path(st->id) + "/subjects", "Subjects and AE reports") + "</li><li>" +
       link("/desk/inbox?study=" + percent_encode(st->id), "Inbox of this study") + "</li></ul>";
  h += clocks_section(st->id, open.value(), s.clock.now());
  h += mortality_section(field(f, "surgical_safety"));
  h += "<section id=\"stopping-rules\"><h2>Stopping rules</h2>";
  const json& rules = field(f, "stopping_rules");
  if (!rules.is_array() || rules.empty()) h += "<p>No stopping rule configured.</p>";
  else
    for (const auto& b : rules) h += rule_section(b);
  h += "</section>";
  h += ae_section(field(f, "adverse_events"));
  h += surgical_section(field(f, "surgical_safety"));
  return page(200, layout(st->title + " (" + st->id + ")", &who, h));
}

// ---- The subject page ---------------------------------------------------------------------

std::string enrolment_section(const json& v) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& [k, val] : v.items()) {
    if (k == "events" || k == "adverse_events" || k == "course" || k == "efficacy" || k == "surgical") continue;
    rows.push_back({esc(k), val.is_object() ? "<code>" + esc(val.dump()) + "</code>" : text(val)});
  }
  return "<section id=\"enrolment\"><h2>Enrolment</h2>" +
         table("enrolment-table", "Enrolment record", {"Field", "Value"}, rows) + "</section>";
}

std::string timeline_section(const std::string& study, const reports::TimelineInput& in) {
  const auto g = reports::timeline_geometry(in);
  std::string h = "<section id=\"timeline\"><h2>Timeline</h2><p>Events of the course (dots; a death a cross) and AE "
                  "reports (squares, coloured and labelled by CTCAE grade G1 to G5); the post-surgical windows as "
                  "shaded bands. The table after the picture lists the same facts.</p><div class=\"chart\" "
                  "id=\"timeline-chart\">" +
                  reports::timeline_svg(in, g) + "</div>";
  std::vector<std::vector<std::string>> rows;
  for (const auto& it : in.items) {
    const std::string what = it.kind == "ae" ? "AE report" : esc(it.kind);
    std::string label = esc(it.label);
    if (it.report) label = link(case_path(study, *it.report), label);
    rows.push_back({esc(format_date(it.date)), what, label, esc(it.detail)});
  }
  for (const auto& b : g.bands)
    rows.push_back({esc(format_date(b.from)), "window",
                    esc(b.label) + (b.open ? " (open: the index admission goes on)" : " to " + esc(format_date(b.to))),
                    esc(b.label.rfind("30", 0) == 0 ? "status " + in.day30_status : "status " + in.day90_status)});
  std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a[0] < b[0]; });
  h += table("timeline-table", "The timeline's facts, in date order", {"Date", "Kind", "What", "Details"}, rows);
  return h + "</section>";
}

std::string windows_section(const json& surg) {
  if (!surg.is_object()) return "<section id=\"windows\"><h2>Post-surgical windows</h2><p>No index surgery recorded.</p></section>";
  std::vector<std::vector<std::string>> rows{
      {"30-day", text(field(surg, "surgery")), text(field(surg, "window30_last_day")), text(field(surg, "day30")),
       text(field(surg, "pending30_reason"))},
      {"90-day", text(field(surg, "surgery")), text(field(surg, "window90_last_day")), text(field(surg, "day90")),
       text(field(surg, "pending90_reason"))}};
  std::string h = "<section id=\"windows\"><h2>Post-surgical windows</h2>" +
                  table("windows-table", "Post-surgical windows (day of surgery = day 0)",
                        {"Window", "Surgery", "Last day", "Status", "Why still open or unknown"}, rows);
  h += "<p>Last contact " + text(field(surg, "last_contact")) + "; worst Clavien–Dindo grade " +
       text(field(surg, "worst_clavien_dindo")) + "; reoperated " + text(field(surg, "reoperated")) +
       "; readmission within 30 days " + text(field(surg, "readmission_30d")) + "; margin " + text(field(surg, "margin")) + ".</p>";
  return h + "</section>";
}

std::string course_section(const json& c) {
  std::vector<std::vector<std::string>> rows{
      {"Vital status", text(field(c, "vital_status"))},
      {"Death", text(field(c, "death_date"))},
      {"Last contact", text(field(c, "last_contact"))},
      {"Index surgery", text(field(c, "index_surgery"))},
      {"Index admission ended", text(field(field(c, "index_admission_end"), "date")) + " (" +
                                    text(field(field(c, "index_admission_end"), "how")) + ")"}};
  std::string sources;
  for (const auto& d : field(c, "death_sources"))
    sources += (sources.empty() ? "" : "; ") + text(field(d, "source")) + " " + text(field(d, "ref")) + " on " + text(field(d, "date"));
  if (!sources.empty()) rows.push_back({"Death recorded by", sources});
  for (const auto& q : field(c, "queries")) rows.push_back({"Data query", text(field(q, "kind")) + ": " + text(field(q, "text"))});
  return "<section id=\"course\"><h2>Course</h2>" +
         table("course-table", "The subject's course as of " + str(c, "as_of_date"), {"Fact", "Value"}, rows) + "</section>";
}

std::string reports_section(const std::string& study, const json& aes) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& a : aes) {
    const bool serious = field(a, "safety").is_object() && a["safety"].value("serious", false);
    const std::string id = text(field(a, "report_id"));
    rows.push_back({field(a, "id").is_number_integer() ? link(case_path(study, a["id"].get<std::int64_t>()), id) : id,
                    text(field(a, "term")),
                    field(a, "grade").is_number() ? "Grade " + text(a["grade"]) : std::string("not given"),
                    text(field(a, "onset")), text(field(a, "resolved")), serious ? "Serious" : "Not serious",
                    text(field(a, "status"))});
  }
  return "<section id=\"ae-reports\"><h2>AE reports</h2>" +
         table("ae-reports-table", "The subject's AE reports",
               {"Report", "Term", "CTCAE grade", "Onset", "Resolved", "Seriousness", "Status"}, rows, "No AE report.") +
         "</section>";
}

Result<Reply> get_subject(Services& s, Call& c, const Session& who) {
  const config::Study* st = c.config->study(c.params[0]);
  if (!st) return error_page(404, "Not found", "No study '" + c.params[0] + "'.", &who);
  // As the API: a site sees the studies it takes part in (find_site_study) and its own subjects.
  if (who.role == Role::site && !st->has_site(who.row.site))
    return error_page(403, "Forbidden", "Site " + who.row.site + " is not in study " + st->id + ".", &who);
  const std::string& subject = c.params[1];
  auto view = service::subject_view(c.context(), caller_of(who), *st, subject);
  if (!view) {
    if (view.error().code != Errc::not_found) return error_page(view.error(), &who);
    // As the API: another site's subject is not found, the same answer as one that does not exist.
    return error_page(404, "Not found", "No subject '" + subject + "' in study " + st->id + ".", &who);
  }
  const json& v = view.value();
  std::string h = "<p>Study " + link(who.role == Role::officer ? study_path(st->id) : study_path(st->id) + "/subjects",
                                     esc(st->title) + " (" + esc(st->id) + ")") +
                  ", site " + text(field(v, "site")) + ". The record of <code>GET /v1/studies/" + esc(st->id) +
                  "/subjects/" + esc(subject) + "</code>.</p>";
  if (who.role == Role::site)
    h += "<ul class=\"no-print\"><li>" + link(subject_path(st->id, subject) + "/events/new", "Record an event") +
         "</li><li>" + link(study_path(st->id) + "/ae/new?subject=" + percent_encode(subject), "File an AE report") +
         "</li></ul>";
  h += timeline_section(st->id, reports::timeline_input(v, s.clock.now().date()));
  h += windows_section(field(v, "surgical"));
  h += course_section(field(v, "course"));
  h += reports_section(st->id, field(v, "adverse_events"));
  h += enrolment_section(v);
  return page(200, layout("Subject " + subject, &who, h));
}

}  // namespace

std::vector<RouteDef> desk_study_routes(Services& s) {
  const std::vector<Role> officer{Role::officer};
  const std::vector<Role> officer_site{Role::officer, Role::site};
  return {
      {"GET", "/desk/studies/{study}", {}, with_session(s, officer, get_study), true},
      {"GET", "/desk/studies/{study}/subjects/{subject}", {}, with_session(s, officer_site, get_subject), true},
  };
}

}  // namespace pvmon::http
