// pvmon::reports — the DSMB summary: one report model built from the data as of a cut-off, and
// its JSON, CSV and HTML renderings. Pure functions (no I/O, no clock reads), deterministic:
// the same input gives the same bytes. Counting rules follow the open-session tables of NIH
// DSMB report templates; each is written down where it is computed (model.cpp).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pvmon/boundary.hpp"
#include "pvmon/safety/ae_facts.hpp"
#include "pvmon/safety/clocks.hpp"
#include "pvmon/safety/course.hpp"
#include "pvmon/safety/endpoints.hpp"
#include "pvmon/safety/events.hpp"
#include "pvmon/safety/figures.hpp"
#include "pvmon/safety/labs.hpp"
#include "pvmon/safety/surgical.hpp"
#include "pvmon/safety/rules.hpp"
#include "pvmon/time.hpp"

namespace pvmon::reports {

struct SubjectInput {
  std::string subject, site;
  Date enrolled;
  std::vector<safety::SubjectEvent> events;
  safety::SubjectCourse course;  // reconciled as of the cut-off (safety/course.hpp)
};
struct ClockInput {
  std::int64_t report = 0;
  std::string report_ref, subject, site;
  safety::ClockKind kind = safety::ClockKind::site_report;
  Timestamp started_at, due_at;
  std::optional<Timestamp> stopped_at;
  std::string stop_reason;
  bool late = false;
};
struct AlertInput {
  std::int64_t id = 0;
  std::string rule, severity, title, subject;
  Timestamp raised_at;
  std::optional<Timestamp> acked_at;
  std::string acked_by;
};
struct BoundaryInput {
  std::string id, event, method;
  int n_max = 0;
  std::vector<stats::BoundaryRow> rows;
  std::vector<stats::OcRow> oc;
  double type1_error = 0;
  std::optional<double> power;  // none: not applicable (a Bayesian rule without an alternative)
  int evaluable = 0, events = 0;
  bool crossed = false;
  bool design_complete = false;  // n_max subjects evaluated: the rule's final verdict
  std::vector<std::pair<int, int>> path;
  std::optional<std::pair<int, int>> crossed_at;  // the first look that reached the boundary
};
struct InterventionInput {
  std::string id, kind;
};
/// A potential Hy's law alert raised by the cut-off, with the medical monitor's assessment as of
/// the as-of time.
struct HysLawAlertInput {
  std::string subject;
  Timestamp raised_at;
  std::string text;
  std::string assessment;  // "" (not yet assessed), "confirmed_dili", "other_cause"
};
/// The lab stream's figures as of the cut-off (safety/labs.hpp), computed once by the caller.
struct LabsInput {
  safety::Edish edish;
  std::vector<safety::ShiftTable> shifts;
  /// ALT, AST and total bilirubin results of the subjects in the Hy's law quadrant, by subject,
  /// in time order.
  std::map<std::string, std::vector<safety::LabResult>> hys_law_series;
  std::vector<HysLawAlertInput> cases;
};
struct Input {
  std::string study, title;
  std::vector<std::string> sites;
  std::vector<InterventionInput> interventions;
  std::vector<safety::AesiRule> aesi;
  /// The clinical cut-off as the end of its day (23:59:59.999Z): the data are what happened by
  /// then (the caller clips them), as recorded at `as_of` (the state of clocks and alerts too).
  Timestamp cutoff;
  Timestamp as_of;
  int number = 1;
  std::optional<Timestamp> previous_cutoff;
  std::string protocol_sha256;
  std::vector<SubjectInput> subjects;
  std::vector<safety::AeFact> reports;  // every report's version in force (nullified included)
  safety::AeFactTables tables;          // the strings AeFact's indexes name
  std::vector<ClockInput> clocks;
  std::vector<AlertInput> alerts;
  std::vector<BoundaryInput> boundaries;
  /// Computed once by the caller, which shows them elsewhere too (GET /safety, the webhook's
  /// summary): the model renders them, it does not count again.
  safety::AeCounts ae_counts;
  safety::SurgicalSafety surgical;
  safety::Endpoints endpoints;  // the protocol's efficacy endpoints (safety/endpoints.hpp)
  /// Liver tests: eDISH, shift tables, the Hy's law quadrant's time courses and the potential
  /// Hy's law cases. nullopt: a study without lab data yet (the section says so).
  std::optional<LabsInput> labs;
};

/// Version 3: the header's `data_cutoff` is the clinical cut-off date (YYYY-MM-DD), `as_of` the
/// instant of the database state the report was built from, and `period` runs between dates.
/// Version 2 (proportions in [0, 1] everywhere: `proportion`, `rate`, `ci95`, `on_time`;
/// percentages exist only in the CSV and HTML renderings) had one instant, `data_cutoff`, for
/// both. Version 1 stored percentages (`pct`). upgrade() reads both. Keys added within version 2
/// (time_to_event's `table`, `at_risk`, `median_follow_up`, `follow_up`) are missing from reports
/// stored before them; the renderers leave them out.
/// Version 4: time to event counts from the start of study treatment (3: from enrolment), adds
/// disease-free survival, and the `benefit_risk` section; reports stored before it lack both.
/// Within version 4, the `labs` section (liver tests: eDISH, shift tables, the Hy's law
/// quadrant's time courses, potential Hy's law cases; {"available": false} for a study without
/// lab data); reports stored before it lack it, and the renderers say so (HTML) or give the
/// headers alone (CSV).
inline constexpr const char* kSchema = "pvmon.dsmb-report/4";

// ---- The figures every view shows, with one set of keys and units -----------------------

/// A rate with its exact (Clopper–Pearson) 95% CI: {events, n, rate, ci95: [lower, upper]},
/// proportions; rate null when n is 0.
nlohmann::json rate_json(const safety::Rate& r);
/// A subject's reconciled course (safety/course.hpp): death with its sources and queries,
/// last contact, the index admission's end.
nlohmann::json course_json(const safety::SubjectCourse& c);
/// A subject's efficacy facts (safety/response.hpp): the start of treatment, each assessment
/// with the PVTT's and the overall response derived by the protocol's rule, the best overall
/// response, the pathology (with MPR), the first progression counted and those that are not.
nlohmann::json efficacy_json(const safety::SubjectEfficacy& x);
/// n and its proportion of `of`: {n, proportion} (0 when `of` is 0).
nlohmann::json share_json(int n, int of);
/// Surgical safety (CLINICAL.md): 30- and 90-day mortality, in-hospital death, reoperation,
/// readmission, post-operative stay, R0 resection, Clavien–Dindo, CCI, and one row per subject.
nlohmann::json surgical_json(const safety::SurgicalSafety& s);
/// One operated subject's assessment (also the subject view's `surgical`).
nlohmann::json subject_surgical_json(const safety::SubjectSurgical& s);
/// A stopping rule's state as the benefit–risk view shows it.
struct RuleState {
  std::string id, event;
  int evaluable = 0, events = 0;
  bool crossed = false;
};
/// The benefit–risk view (GET /safety and the DSMB report's open session): the protocol's
/// efficacy endpoints (the primary endpoint, the 1-year EFS rate, first) beside the main safety
/// figures (grade >= 3 AE rate, SAEs, 30/90-day mortality, stopping rules). Renders figures
/// computed elsewhere, once; proportions in [0, 1].
nlohmann::json benefit_risk_json(const safety::Endpoints& e, const safety::SurgicalSafety& surgical,
                                 const safety::AeCounts& aes, const std::vector<RuleState>& rules);

/// AE and SAE counts of `enrolled` subjects.
nlohmann::json ae_counts_json(const safety::AeCounts& c, int enrolled);

// ---- Charts the desk draws too (svg.cpp) ---------------------------------------------------

/// A stopping rule as GET /safety and the DSMB model give it (`id`, `n_max`, `boundary`, `path`)
/// as an SVG chart: the boundary (events that stop the trial at each number of evaluable
/// subjects) as a step line and the observed path, with a legend; "" without a boundary table.
/// `style`: CSS for the chart's classes, written into the <svg>, for a page without them.
std::string boundary_svg(const nlohmann::json& rule, std::string_view style = {});

/// One bar of bars_svg: a value with its text, and a 95% confidence interval when there is one.
struct Bar {
  std::string label;
  double value = 0;
  std::optional<std::pair<double, double>> ci95;  // in the value's units
  std::string text;                               // what the bar says ("2/10 (20.0%)")
};

/// Horizontal bars from 0, one row each, with the value's text at the bar's end and a whisker for
/// its 95% CI. `percent`: values are proportions drawn 0 to 100% (else counts, 0 to the largest).
/// Each bar's class is "bar", or with `graded` "g1".."g5" by row (grades 1 to 5). "" for no rows.
/// `style`: CSS for the chart's classes, for a page without them.
std::string bars_svg(const std::string& title, const std::string& desc, const std::vector<Bar>& rows, bool percent,
                     const std::string& xlabel, bool graded = false, std::string_view style = {});

/// One dated fact on a subject's timeline: an event of its course or an AE report.
struct TimelineItem {
  Date date;
  std::string kind;    // the event's kind ("surgery", "death", ...), or "ae"
  std::string label;   // what the mark says ("Surgery", "G3 Alanine aminotransferase increased")
  std::string detail;  // the rest, for the table ("procedure: right hemihepatectomy; margin: R0")
  std::optional<int> grade;            // an AE's CTCAE grade (1..5)
  std::optional<std::int64_t> report;  // an AE's server id (its case page)
  std::string report_ref;              // an AE's report_id
};
/// What the timeline shows of a subject, as the subject view (service::subject_view) gives it.
struct TimelineInput {
  std::string subject;
  Date enrolled;
  Date today;
  std::vector<TimelineItem> items;  // date order (enrolment first)
  std::optional<Date> surgery;      // the index surgery
  /// The windows' last days as safety::assess_subject sets them (CLINICAL.md: day of surgery =
  /// day 0; the 30-day window lasts to day 30 or to the end of a longer index admission, and is
  /// nullopt while that admission goes on; the 90-day window to day 90). Never computed here.
  std::optional<Date> window30_last_day, window90_last_day;
  std::string day30_status, day90_status;  // "dead_within", "alive_closed", "pending", "unknown"
};
/// The subject view's JSON (enrolment record with `events`, `adverse_events`, `course`,
/// `surgical`) as a timeline's input: every event, every AE report at its onset, and a death
/// known only from another source (a grade 5 AE) at its date.
TimelineInput timeline_input(const nlohmann::json& view, Date today);

/// A post-surgical window drawn as a band over the days [from, to], both whole.
struct TimelineBand {
  std::string label;  // "30-day window", "90-day window"
  Date from, to;
  bool open = false;  // the index admission goes on: the band runs to the axis's end
  double x0 = 0, x1 = 0;
};
/// Where an item of TimelineInput::items is drawn: its row ("course" or "ae"), its lane in the
/// row (labels that would overlap move down a lane) and the centre of its day.
struct TimelineMark {
  std::size_t item = 0;
  std::string row;
  int lane = 0;
  double x = 0, y = 0;
};
struct TimelineGeometry {
  double width = 0, height = 0, left = 0, right = 0;
  Date first, last;  // the days the axis spans, both whole: enrolment to the 90-day window's end or today
  double day_width = 0;
  double band_top = 0, band_bottom = 0;  // the bands' vertical extent (behind the marks)
  double axis_y = 0;
  int course_lanes = 1, ae_lanes = 1;
  std::vector<TimelineBand> bands;
  std::vector<TimelineMark> marks;
  std::vector<std::pair<double, std::string>> ticks;  // x, date
  double today_x = 0;
  /// The left edge of day `d` (its centre is half a day_width to the right).
  double x_of(Date d) const { return left + (d.days - first.days) * day_width; }
};
/// The timeline's geometry, `width` pixels wide: days to x (each day a day_width wide), the
/// windows' bands (x0 at the surgery's day, x1 at the end of the window's last day), the marks.
TimelineGeometry timeline_geometry(const TimelineInput& in, double width = 960);
/// The timeline as an SVG image (role="img", <title>, <desc>): the bands, each mark with its
/// label (an AE's coloured and written "G1".."G5"), the axis and a line at today. Styled by
/// its own attributes: it needs no page CSS.
std::string timeline_svg(const TimelineInput& in, const TimelineGeometry& g);

/// Text for HTML content and attribute values: & < > " ' as character references. Every
/// HTML pvmond writes from reports and the desk escapes through this one function.
std::string html_escape(std::string_view s);
/// A JSON value as escaped HTML text: "–" for null, yes/no, an array joined by ", " (or
/// `empty_list` when empty), a number as JSON writes it. The DSMB report and the desk print
/// values with it.
std::string html_text(const nlohmann::json& v, std::string_view empty_list = "–");
/// A key of an object, or null where it is absent (a report stored by an earlier version, an
/// optional figure): how the renderers and the desk read a model.
const nlohmann::json& field(const nlohmann::json& j, const char* key);

/// A stored model of any schema version as the current renderers read it (version 1's
/// percentages become proportions, its renamed keys get their current names; before version 3
/// the one instant `data_cutoff` is both the as-of and, by its date, the cut-off).
nlohmann::json upgrade(nlohmann::json model);
/// The report model: one JSON object per section (header, enrolment, exposure, ae_overview,
/// ae_by_soc_term, ae_related, aesi, sae_listing, deaths, susars, clocks, surgical,
/// stopping_rules, time_to_event, benefit_risk, labs, alerts).
nlohmann::json build(const Input& in);
/// The same model from an input given up: its facts are released before the listings are
/// built, so that a million of them and the model are not in memory together.
nlohmann::json build(Input&& in);
/// The exact bytes stored and hashed: keys sorted, no spaces.
std::string canonical_json(const nlohmann::json& model);
struct CsvFile {
  std::string name;
  std::string text;
  std::string section;  // the id of to_html's <section> that shows this table
};
/// One RFC 4180 file (CRLF) per table; every section of to_html has at least one.
std::vector<CsvFile> to_csv(const nlohmann::json& model);
struct HtmlMeta {
  std::string report_id, generated_at, sha256;
};
/// One self-contained printable page: inline CSS and SVG charts, no scripts, no external assets.
std::string to_html(const nlohmann::json& model, const HtmlMeta& meta);

}  // namespace pvmon::reports
