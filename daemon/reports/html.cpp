// The report as one printable HTML page: inline CSS with print rules, tables, and SVG charts
// drawn here (cumulative enrolment, AEs by worst grade per SOC, the benefit and risk rates with
// their confidence intervals, the eDISH scatter and the Hy's law quadrant's liver tests over
// time, Kaplan–Meier curves) or in svg.cpp, which the desk draws too (each stopping boundary
// with the observed path). No script and no external asset: the page is the same offline, in a
// browser, and printed. Every text from the data is escaped.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <optional>
#include <sstream>
#include <tuple>
#include <utility>

#include "pvmon/reports.hpp"
#include "pvmon/safety/endpoints.hpp"
#include "svg.hpp"

namespace pvmon::reports {

using nlohmann::json;

namespace {

std::string esc(const std::string& s) { return html_escape(s); }

std::string text(const json& v) { return html_text(v); }

using svg::num;

/// The model holds proportions; this page prints percentages.
std::string pct(const json& proportion) {
  return proportion.is_number() ? num(100 * proportion.get<double>()) + "%" : "–";
}

std::string np(const json& v) { return text(v["n"]) + " (" + pct(v["proportion"]) + ")"; }


std::string rate(const json& r) {
  if (!r.is_object() || !r.contains("events")) return "–";
  const std::string share = r["rate"].is_number() ? num(100 * r["rate"].get<double>()) : num(0);
  const json& ci = field(r, "ci95");
  const bool limits = ci.is_array() && ci.size() == 2 && ci[0].is_number() && ci[1].is_number();
  return text(r["events"]) + "/" + text(r["n"]) + " (" + share + "%" +
         (limits ? "; 95% CI " + num(100 * ci[0].get<double>()) + "–" + num(100 * ci[1].get<double>()) + "%" : "") +
         ")";
}

std::string quart(const json& q) {
  if (q["median"].is_null()) return "–";
  return num(q["median"].get<double>()) + " [" + num(q["q1"].get<double>()) + "–" + num(q["q3"].get<double>()) +
         "], n=" + text(q["n"]);
}

class Page {
 public:
  std::ostringstream o;
  void h2(const std::string& id, const std::string& title) {
    o << "<section id=\"" << id << "\"><h2>" << esc(title) << "</h2>\n";
  }
  void end() { o << "</section>\n"; }
  void table(const std::vector<std::string>& head, const std::vector<std::vector<std::string>>& rows,
             const std::string& cls = "") {
    o << "<table" << (cls.empty() ? "" : " class=\"" + cls + "\"") << "><thead><tr>";
    for (const auto& h : head) o << "<th>" << esc(h) << "</th>";
    o << "</tr></thead><tbody>\n";
    if (rows.empty()) o << "<tr><td colspan=\"" << head.size() << "\" class=\"none\">none</td></tr>\n";
    for (const auto& r : rows) {
      o << "<tr>";
      for (const auto& c : r) o << "<td>" << c << "</td>";  // cells are escaped by their makers
      o << "</tr>\n";
    }
    o << "</tbody></table>\n";
  }
};

// ---- SVG (svg.hpp) ---------------------------------------------------------------------------

using svg::axes;
using svg::int_ticks;
using svg::Plot;
using svg::svg_open;

std::string enrolment_chart(const json& cumulative, const std::string& cutoff_date) {
  if (cumulative.empty()) return "<p class=\"none\">No subject enrolled.</p>";
  const Date first = parse_date(cumulative.front()["date"].get<std::string>()).value_or(Date{});
  const Date last = parse_date(cutoff_date).value_or(first);
  Plot p;
  p.x0 = 0;
  p.x1 = std::max(1, last.days - first.days);
  p.y0 = 0;
  p.y1 = std::max(1, cumulative.back()["cumulative"].get<int>());
  std::ostringstream o;
  o << svg_open(p, "Cumulative enrolment");
  std::vector<std::pair<double, std::string>> xt;
  for (const auto& [d, l] : int_ticks(p.x0, p.x1, 5)) xt.emplace_back(d, format_date(first.plus_days(int(d))).substr(0, 7));
  o << axes(p, xt, int_ticks(0, p.y1, 5), "date of enrolment", "subjects");
  o << "<path class=\"line\" d=\"M" << p.X(0) << "," << p.Y(0);
  int prev = 0;
  for (const auto& c : cumulative) {
    const double x = parse_date(c["date"].get<std::string>()).value_or(first).days - first.days;
    o << " L" << p.X(x) << "," << p.Y(prev) << " L" << p.X(x) << "," << p.Y(c["cumulative"].get<int>());
    prev = c["cumulative"].get<int>();
  }
  o << " L" << p.X(p.x1) << "," << p.Y(prev) << "\"/></svg>";
  return o.str();
}

/// Horizontal stacked bars: subjects by worst grade, per SOC.
std::string soc_chart(const json& socs) {
  if (socs.empty()) return "<p class=\"none\">No adverse event.</p>";
  const double row = 22;
  Plot p;
  p.left = 250;
  p.h = p.top + p.bottom + row * static_cast<double>(socs.size());
  int most = 1;
  for (const auto& s : socs) most = std::max(most, s["any"]["n"].get<int>());
  p.x0 = 0;
  p.x1 = most;
  p.y0 = 0;
  p.y1 = 1;
  std::ostringstream o;
  o << svg_open(p, "Subjects by worst CTCAE grade, per system organ class");
  o << axes(p, int_ticks(0, most, 5), {}, "subjects (worst grade)", "");
  double y = p.top;
  for (const auto& s : socs) {
    o << "<text x=\"" << p.left - 6 << "\" y=\"" << y + row * 0.7 << "\" text-anchor=\"end\">"
      << esc(s["soc"].get<std::string>()) << "</text>";
    double x = 0;
    for (int g = 1; g <= 5; ++g) {
      const int n = s["grade_" + std::to_string(g)]["n"].get<int>();
      if (n == 0) continue;
      o << "<rect class=\"g" << g << "\" x=\"" << p.X(x) << "\" y=\"" << y + 3 << "\" width=\"" << p.X(x + n) - p.X(x)
        << "\" height=\"" << row - 6 << "\"><title>grade " << g << ": " << n << "</title></rect>";
      x += n;
    }
    y += row;
  }
  o << "</svg><p class=\"legend\">";
  for (int g = 1; g <= 5; ++g) o << "<span class=\"key g" << g << "\"></span> grade " << g << " ";
  o << "</p>";
  return o.str();
}

using safety::kDaysPerMonth;  // as the model

/// Months from enrolment to an endpoint's last observation (last event or censoring).
double last_month(const json& k) {
  double end = 0;
  for (const char* key : {"steps", "censored"})
    for (const auto& x : k[key]) end = std::max(end, x[0].get<double>() / kDaysPerMonth);
  return end;
}

/// The number at risk at `month` (a multiple of 3) from the model's `at_risk` rows, which run to
/// the last observation: past it nobody has a time >= t, so 0. nullopt for a report stored
/// before the rows were kept.
std::optional<int> at_risk(const json& k, int month) {
  if (!k.contains("at_risk") || !k["at_risk"].is_array()) return std::nullopt;
  for (const auto& r : k["at_risk"])
    if (r["months"].get<int>() == month) return r["n_risk"].get<int>();
  return 0;
}

/// "9.9 months (95% CI 3.3 to not reached)" from a model's median_follow_up.
std::string follow_up_text(const json& f) {
  auto months = [](const json& v) { return v.is_number() ? num(v.get<double>()) : std::string("not reached"); };
  const json& ci = f["ci95_months"];
  return months(f["months"]) + (f["months"].is_number() ? " months" : "") + " (95% CI " + months(ci[0]) + " to " +
         months(ci[1]) + ")";
}

/// One Kaplan–Meier endpoint of a chart: its label in the at-risk table, its name in the
/// legend, and its class (the curve's style; "risk-" + it, its at-risk row's).
struct Curve {
  const char *label, *name, *cls;
  const json& k;
};

/// "the start of study treatment" from the model's time_unit ("days from the start of study
/// treatment; disease-free survival from the index hepatectomy"); "enrolment" for a report
/// stored before time zero was the start of treatment.
std::string time_origin(const json& unit) {
  if (!unit.is_string()) return "enrolment";
  const std::string s = unit.get<std::string>(), from = "days from ";
  if (s.rfind(from, 0) != 0) return "enrolment";
  return s.substr(from.size(), s.find(';') == std::string::npos ? std::string::npos : s.find(';') - from.size());
}

/// The curves over the whole follow-up, ticks every 3, 6, 12, ... months (at most 10
/// intervals), and under the axis the numbers at risk at each tick, in the tick's column.
/// `origin`: time zero, "months from <origin>".
std::string km_chart(const std::vector<Curve>& curves, const std::string& title, const std::string& origin) {
  double span = 0;
  for (const auto& c : curves) span = std::max(span, last_month(c.k));
  int step = 3;
  while (std::ceil(span / step) > 10) step *= 2;
  Plot p;
  p.x0 = 0;
  p.x1 = std::max(1.0, std::ceil(span / step)) * step;
  p.y0 = 0;
  p.y1 = 1;
  std::vector<int> months;
  for (int m = 0; m <= p.x1; m += step) months.push_back(m);
  bool risk = false;
  for (const auto& c : curves) risk = risk || at_risk(c.k, 0);
  std::string desc = "Step curves of the Kaplan–Meier estimates by months from " + origin + "; ticks mark censored subjects.";
  if (risk) {
    desc += " Numbers at risk at months";
    for (std::size_t i = 0; i < months.size(); ++i) desc += (i ? ", " : " ") + std::to_string(months[i]);
    for (const auto& r : curves) {
      if (!at_risk(r.k, 0)) continue;
      desc += std::string("; ") + r.name;
      for (std::size_t i = 0; i < months.size(); ++i) desc += (i ? ", " : " ") + std::to_string(*at_risk(r.k, months[i]));
    }
    desc += ".";
  }
  const double line = 17, below = risk ? 12 + static_cast<double>(1 + curves.size()) * line : 0;
  std::ostringstream o;
  o << svg_open(p, title, desc, below);
  std::vector<std::pair<double, std::string>> yt;
  for (int k = 0; k <= 4; ++k) yt.emplace_back(k * 0.25, num(k * 25, 0) + "%");
  std::vector<std::pair<double, std::string>> xt;
  for (int m : months) xt.emplace_back(m, std::to_string(m));
  o << axes(p, xt, yt, "months from " + origin, "survival");
  auto curve = [&](const json& k, const char* cls) {
    double s = 1;
    o << "<path class=\"" << cls << "\" d=\"M" << p.X(0) << "," << p.Y(1);
    for (const auto& st : k["steps"]) {
      const double m = st[0].get<double>() / kDaysPerMonth;
      o << " L" << p.X(m) << "," << p.Y(s) << " L" << p.X(m) << "," << p.Y(st[1].get<double>());
      s = st[1].get<double>();
    }
    o << " L" << p.X(last_month(k)) << "," << p.Y(s) << "\"/>";
    for (const auto& c : k["censored"]) {
      const double m = c[0].get<double>() / kDaysPerMonth;
      o << "<line class=\"" << cls << "\" x1=\"" << p.X(m) << "\" y1=\"" << p.Y(c[1].get<double>()) - 4 << "\" x2=\""
        << p.X(m) << "\" y2=\"" << p.Y(c[1].get<double>()) + 4 << "\"/>";
    }
  };
  for (const auto& c : curves) curve(c.k, c.cls);
  if (risk) {
    // Same x as the ticks (p.X(month)), one row per endpoint under the axis label.
    double y = p.h + 12;
    o << "<g class=\"at-risk\"><text class=\"risk-head\" x=\"4\" y=\"" << y << "\">Number at risk</text>";
    for (const auto& r : curves) {
      if (!at_risk(r.k, 0)) continue;
      y += line;
      o << "<g class=\"at-risk-row\" data-endpoint=\"" << r.label << "\"><text class=\"risk-" << r.cls
        << "\" x=\"4\" y=\"" << y << "\">" << r.label << "</text>";
      for (int m : months)
        o << "<text x=\"" << p.X(m) << "\" y=\"" << y << "\" text-anchor=\"middle\">" << *at_risk(r.k, m) << "</text>";
      o << "</g>";
    }
    o << "</g>";
  }
  o << "</svg><p class=\"legend\">";
  for (std::size_t i = 0; i < curves.size(); ++i)
    o << (i ? " " : "") << "<span class=\"key " << curves[i].cls << "\"></span> " << curves[i].name;
  o << "; ticks mark censored subjects</p>";
  bool follow_up = true;
  for (const auto& c : curves) follow_up = follow_up && c.k.contains("median_follow_up");
  if (follow_up) {
    o << "<p class=\"follow-up\">Median follow-up (reverse Kaplan–Meier, Schemper &amp; Smith 1996): ";
    for (std::size_t i = 0; i < curves.size(); ++i)
      o << (i ? "; " : "") << curves[i].name << " " << follow_up_text(curves[i].k["median_follow_up"]);
    o << ".</p>";
  }
  return o.str();
}

const char* kCss = R"css(
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1c2430;margin:0 auto;max-width:1000px;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;border-bottom:2px solid #2c5d8f;padding-bottom:3px;margin-top:28px}
.meta{color:#56606b;font-size:12px}.meta code{font-size:11px}
table{border-collapse:collapse;width:100%;margin:8px 0 14px;font-size:12.5px}
th,td{border:1px solid #d5dbe1;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#eef2f6}td.num,th.num{text-align:right}tr.soc td{background:#f6f8fa;font-weight:600}
.none{color:#5b636b;font-style:italic}.crossed{color:#b00020;font-weight:700}
svg{max-width:100%;height:auto;display:block;margin:6px 0}svg text{font-size:11px;fill:#39424c}
.axis line{stroke:#8a939c}.axis line.grid{stroke:#e4e8ec}.line{fill:none;stroke:#2c5d8f;stroke-width:2}
.bound{fill:none;stroke:#b00020;stroke-width:2;stroke-dasharray:5 3}.os{fill:none;stroke:#2c5d8f;stroke-width:2}
.efs{fill:none;stroke:#d9822b;stroke-width:2}
svg text.risk-head{font-weight:600}svg text.risk-os{fill:#2c5d8f;font-weight:600}svg text.risk-efs{fill:#d9822b;font-weight:600}
.g1{fill:#9ecae1}.g2{fill:#4292c6}.g3{fill:#fdae6b}.g4{fill:#e6550d}.g5{fill:#7f0000}
.legend{font-size:12px;color:#56606b}.key{display:inline-block;width:12px;height:12px;vertical-align:middle;margin-left:8px}
.key.g1{background:#9ecae1}.key.g2{background:#4292c6}.key.g3{background:#fdae6b}.key.g4{background:#e6550d}.key.g5{background:#7f0000}
.key.bound{border-top:2px dashed #b00020;height:0}.key.line,.key.os{border-top:2px solid #2c5d8f;height:0}.key.efs{border-top:2px solid #d9822b;height:0}
.flag{color:#b00020;font-weight:600}small{color:#56606b}
.dfs{fill:none;stroke:#3a7d44;stroke-width:2}svg text.risk-dfs{fill:#3a7d44;font-weight:600}.key.dfs{border-top:2px solid #3a7d44;height:0}
.open-session{background:#eaf2fb;border-left:4px solid #2c5d8f;padding:6px 10px;margin:8px 0}
.primary{border:2px solid #2c5d8f;padding:8px 12px;margin:10px 0;font-size:15px}
svg text.group{font-weight:700;fill:#1c2430}svg text.not-estimable{font-style:italic;fill:#5b636b}
.benefit .whisker{fill:none;stroke:#2c5d8f;stroke-width:2}.benefit .dot{fill:#2c5d8f}
.risk .whisker{fill:none;stroke:#b00020;stroke-width:2}.risk .dot{fill:#fff;stroke:#b00020;stroke-width:2}
.key.benefit{background:#2c5d8f;border-radius:50%}.key.risk{background:#fff;border:2px solid #b00020;width:8px;height:8px;transform:rotate(45deg)}
table.efficacy td:nth-child(-n+5),table.benefit-risk td:nth-child(n+4){white-space:nowrap}
.warn{background:#fff4e5;border-left:4px solid #d9822b;padding:6px 10px;margin:8px 0}
.query{background:#fff4e5;border-left:3px solid #d9822b;padding:2px 6px;margin:2px 0}.query strong{color:#8a4b0f}
table.mortality td:first-child{width:40%}table.deaths td:nth-child(-n+2),table.subjects td:nth-child(-n+2),table.subjects td:nth-child(5){white-space:nowrap}
.hys-zone{fill:#fdecee}.ref{stroke:#b00020;stroke-width:1.5;stroke-dasharray:6 4;fill:none}svg text.ref-label{fill:#b00020}
svg text.quadrant{font-weight:600;fill:#56606b}.edish-dot{fill:#fff;stroke:#2c5d8f;stroke-width:1.5}.edish-dot.hys-law{fill:#b00020;stroke:#5c0010;stroke-width:2}
.key.edish-dot{border:1.5px solid #2c5d8f;border-radius:50%;width:8px;height:8px;background:#fff}.key.edish-dot.hys-law{background:#b00020;border:2px solid #5c0010;width:10px;height:10px}
.key.ref{border-top:2px dashed #b00020;height:0}
.course path{fill:none;stroke-width:2}.course .mk{stroke:none}.course.alt path{stroke:#2c5d8f}.course.alt .mk{fill:#2c5d8f}
.course.ast path{stroke:#d9822b}.course.ast .mk{fill:#d9822b}.course.bilirubin path{stroke:#3a7d44}.course.bilirubin .mk{fill:#3a7d44}
.key.course-alt{border-top:2px solid #2c5d8f;height:0}.key.course-ast{border-top:2px solid #d9822b;height:0}.key.course-bilirubin{border-top:2px solid #3a7d44;height:0}
.shifts{display:flex;flex-wrap:wrap;gap:8px 28px}figure.shift{margin:4px 0}figure.shift figcaption{font-size:12.5px}
table.shift{width:auto}table.shift td{min-width:2.2em}table.shift td.zero{color:#b0b7be}table.shift td.worse{background:#fff4e5;font-weight:600}
table.shift tr.total td,table.shift td.total{background:#f6f8fa}table.hys-cases td:nth-child(-n+3),table.hys-law td{white-space:nowrap}.key.worse{background:#fff4e5;border:1px solid #d9822b}
@media print{.warn,.query,.open-session,table.shift td{-webkit-print-color-adjust:exact;print-color-adjust:exact}body{max-width:none;padding:0;font-size:11px}section{break-inside:avoid-page}h2{break-after:avoid}
table{font-size:10px}a{color:inherit;text-decoration:none}}
)css";

std::vector<std::vector<std::string>> soc_rows(const json& socs) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& soc : socs) {
    auto line = [&](const json& r, const std::string& label) {
      std::vector<std::string> v{label};
      for (int g = 1; g <= 5; ++g) v.push_back(text(r["grade_" + std::to_string(g)]["n"]));
      v.push_back(np(r["any"]));
      v.push_back(np(r["grade_3_or_more"]));
      rows.push_back(v);
    };
    line(soc, "<strong>" + text(soc["soc"]) + "</strong>");
    for (const auto& t : soc["terms"]) line(t, "&nbsp;&nbsp;" + text(t["term"]));
  }
  return rows;
}

const std::vector<std::string> kSocHead = {"SOC / term", "G1", "G2", "G3", "G4", "G5", "any, n (%)", "≥ G3, n (%)"};

std::vector<std::vector<std::string>> listing_rows(const json& rows) {
  std::vector<std::vector<std::string>> out;
  for (const auto& r : rows)
    out.push_back({text(r["id"]), text(r["subject"]), text(r["term"]), text(r["grade"]), text(r["onset"]),
                   text(r["outcome"]), text(r["criteria"]), text(r["related_to"])});
  return out;
}
const std::vector<std::string> kListingHead = {"id", "subject", "term", "grade", "onset", "outcome", "criteria",
                                               "related to"};

// ---- Mortality and deaths: what is known, what is not, and what is to reconcile -------------

/// Subject ids, all of them: "S02-0002, S02-0005".
std::string ids(const json& v) {
  std::string s;
  if (v.is_array())
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + text(x);
  return s;
}

std::size_t count(const json& v) { return v.is_array() ? v.size() : 0; }

/// Subjects of unknown vital status: counted and named, flagged when there are any.
std::string unknown_cell(const json& v) {
  if (count(v) == 0) return "0";
  return "<span class=\"flag\">" + std::to_string(count(v)) + " — vital status unknown: " + ids(v) + "</span>";
}

std::string pending_cell(const json& v) {
  if (count(v) == 0) return "0";
  return std::to_string(count(v)) + ": " + ids(v);
}

/// Kaplan–Meier mortality by `day`: "50.0% (95% CI 9.8–94.4%), 1 at risk"; null when the day is
/// beyond the last observation.
std::string km_mortality(const json& k, int day) {
  if (!k.is_object() || !field(k, "estimate").is_number())
    return "<span class=\"none\">not estimable</span> (no follow-up reaches day " + std::to_string(day) + ")";
  const json& ci = field(k, "ci95");
  const bool limits = ci.is_array() && ci.size() == 2 && ci[0].is_number() && ci[1].is_number();
  return pct(k["estimate"]) + " (95% CI " +
         (limits ? num(100 * ci[0].get<double>()) + "–" + num(100 * ci[1].get<double>()) + "%" : std::string("not estimable")) +
         "), " + text(field(k, "n_risk")) + " at risk";
}

/// 30- and 90-day mortality side by side. Rows a report stored before vital status could be
/// unknown does not have are left out.
void mortality_table(Page& pg, const json& s) {
  auto has = [&](const std::string& suffix) {
    return s.contains("mortality_30d" + suffix) || s.contains("mortality_90d" + suffix);
  };
  auto key = [](int days, const char* suffix) { return "mortality_" + std::to_string(days) + "d" + suffix; };
  std::vector<std::vector<std::string>> rows;
  auto row = [&](const std::string& label, const std::function<std::string(int)>& cell) {
    rows.push_back({label, cell(30), cell(90)});
  };
  row("crude, over subjects of known vital status: events/n (%; exact 95% CI)",
      [&](int d) { return rate(field(s, key(d, "").c_str())); });
  if (has("_unknown"))
    row("vital status unknown (window past its last day, neither a death nor a later contact)",
        [&](int d) { return unknown_cell(field(s, key(d, "_unknown").c_str())); });
  if (has("_pending"))
    row("pending (window still open at the cut-off)", [&](int d) { return pending_cell(field(s, key(d, "_pending").c_str())); });
  if (has("_bounds")) {
    row("if all of unknown status are alive", [&](int d) { return rate(field(field(s, key(d, "_bounds").c_str()), "unknown_alive")); });
    row("if all of unknown status are dead", [&](int d) { return rate(field(field(s, key(d, "_bounds").c_str()), "unknown_dead")); });
  }
  if (has("_km"))
    row("Kaplan–Meier mortality by day 30 / 90 (censored at last contact; Greenwood 95% CI), at risk",
        [&](int d) { return km_mortality(field(s, key(d, "_km").c_str()), d); });
  pg.table({"mortality after surgery (day of surgery = day 0)", "30-day", "90-day"}, rows, "mortality");
}

/// "death event 12; grade 5 AE R-7 (dated 2026-04-14)": every record the death rests on; a
/// record's date is shown where it differs from the reconciled date.
std::string sources_cell(const json& sources, const json& date) {
  std::string s;
  for (const auto& r : sources) {
    const std::string src = field(r, "source").is_string() ? r["source"].get<std::string>() : "";
    std::string ref = field(r, "ref").is_string() ? r["ref"].get<std::string>() : "";
    std::string label = src == "death_event"       ? "death event"
                        : src == "fatal_ae"        ? "grade 5 AE"
                        : src == "clavien_dindo_v" ? "Clavien–Dindo V complication"
                                                   : src;
    if (src != "fatal_ae" && ref.rfind("event ", 0) == 0) ref = ref.substr(6);  // "death event 12"
    std::string one = esc(label) + (ref.empty() ? "" : " " + esc(ref));
    if (field(r, "date").is_string() && field(r, "date") != date) one += " (dated " + text(r["date"]) + ")";
    s += (s.empty() ? "" : "; ") + one;
  }
  return s.empty() ? "–" : s;
}

std::string queries_cell(const json& queries) {
  std::string s;
  for (const auto& q : queries) {
    const std::string kind = field(q, "kind").is_string() ? q["kind"].get<std::string>() : "";
    const std::string what = kind == "death_event_missing"   ? "no death event"
                             : kind == "fatal_sae_missing"  ? "no grade 5 SAE report"
                             : kind == "death_dates_differ" ? "dates of death differ"
                                                            : kind;
    s += "<div class=\"query\"><strong>⚠ query: " + esc(what) + "</strong>" +
         (field(q, "text").is_string() ? " — " + text(q["text"]) : "") + "</div>";
  }
  return s.empty() ? "none" : s;
}

/// Day 30 / day 90 of one operated subject: "unknown" (flagged) apart from "pending", with why.
std::string window_cell(const json& x, const char* status, const char* reason) {
  const json& st = field(x, status);
  const std::string why = field(x, reason).is_string() && !x[reason].get<std::string>().empty()
                              ? "<br><small>" + text(x[reason]) + "</small>"
                              : "";
  if (!st.is_string()) return "–";
  const std::string v = st.get<std::string>();
  if (v == "dead_within") return "<strong>died</strong>";
  if (v == "alive_closed") return "alive";
  if (v == "pending") return "pending" + why;
  if (v == "unknown") return "<span class=\"flag\">unknown</span>" + why;
  return text(st);
}

std::string words(const json& v) {
  if (!v.is_string()) return text(v);
  std::string s = v.get<std::string>();
  std::replace(s.begin(), s.end(), '_', ' ');
  return esc(s);
}

// ---- Benefit–risk (open session) ------------------------------------------------------------

/// Short names of the benefit–risk rows, for the chart and the primary endpoint's sentence; a
/// row not named here is shown by its label.
std::string short_name(const json& row) {
  static const std::pair<const char*, const char*> names[] = {
      {"efs_1_year", "1-year EFS"},       {"os_1_year", "1-year OS"},     {"dfs_1_year", "1-year DFS"},
      {"orr", "ORR"},                     {"mpr", "MPR"},                 {"r0", "R0 resection"},
      {"grade_3_or_more", "grade ≥ 3 AE"}, {"serious", "serious AE"},     {"mortality_30d", "30-day mortality"},
      {"mortality_90d", "90-day mortality"}};
  const json& e = field(row, "endpoint");
  for (const auto& [k, name] : names)
    if (e == k) return name;
  return field(row, "label").is_string() ? row["label"].get<std::string>() : e.is_string() ? e.get<std::string>() : "";
}

bool has_ci(const json& ci) { return ci.is_array() && ci.size() == 2 && ci[0].is_number() && ci[1].is_number(); }

/// "61.0–88.0%"
std::string ci_text(const json& ci) {
  return has_ci(ci) ? num(100 * ci[0].get<double>()) + "–" + num(100 * ci[1].get<double>()) + "%" : "–";
}

std::string plural(const json& n, const char* one, const char* many) {
  return text(n) + " " + (n == 1 ? one : many);
}

/// Each benefit and risk rate as a dot with its 95% CI as a whisker on one 0–100% axis, in two
/// labelled groups. Benefits: filled circles; risks: open diamonds (told apart in grayscale
/// print too). A row without an estimate is named and marked "not estimable", not drawn.
std::string benefit_risk_chart(const json& br) {
  struct Group {
    const char *title, *cls;
    const json& rows;
  };
  const Group groups[] = {{"Benefit (higher is better)", "benefit", field(br, "benefit")},
                          {"Risk (lower is better)", "risk", field(br, "risk")}};
  const double row = 22;
  std::size_t lines = 0;
  for (const auto& g : groups) lines += 1 + count(g.rows);
  Plot p;
  p.w = 900;
  p.left = 180;
  p.right = 160;
  p.top = 8;
  p.h = p.top + p.bottom + row * static_cast<double>(lines);
  std::ostringstream o;
  o << svg_open(p, "Benefit and risk estimates with 95% confidence intervals",
                "Dot and whisker plot: each rate with its 95% confidence interval, percent of subjects; benefits "
                "first, then risks.");
  std::vector<std::pair<double, std::string>> xt;
  o << "<g class=\"axis\">";
  for (int k = 0; k <= 10; ++k) {
    xt.emplace_back(k / 10.0, num(k * 10, 0) + "%");
    o << "<line class=\"grid\" x1=\"" << p.X(k / 10.0) << "\" y1=\"" << p.top << "\" x2=\"" << p.X(k / 10.0)
      << "\" y2=\"" << p.h - p.bottom << "\"/>";
  }
  o << "</g>" << axes(p, xt, {}, "estimate, % of subjects (whiskers: 95% CI)", "");
  double y = p.top;
  for (const auto& g : groups) {
    o << "<text class=\"group " << g.cls << "\" x=\"4\" y=\"" << y + row * 0.7 << "\">" << esc(g.title) << "</text>";
    y += row;
    if (!g.rows.is_array()) continue;
    for (const auto& r : g.rows) {
      const double cy = y + row / 2;
      o << "<text x=\"" << p.left - 8 << "\" y=\"" << cy + 4 << "\" text-anchor=\"end\">" << esc(short_name(r))
        << "</text>";
      const json& rate = field(r, "rate");
      if (!rate.is_number()) {
        o << "<text class=\"not-estimable\" x=\"" << p.X(0) + 6 << "\" y=\"" << cy + 4 << "\">not estimable</text>";
        y += row;
        continue;
      }
      const double x = p.X(std::clamp(rate.get<double>(), 0.0, 1.0));
      const json& ci = field(r, "ci95");
      o << "<g class=\"estimate " << g.cls << "\"><title>" << text(field(r, "label")) << ": " << pct(rate)
        << (has_ci(ci) ? " (95% CI " + ci_text(ci) + ")" : "") << "</title>";
      if (has_ci(ci)) {
        const double x0 = p.X(std::clamp(ci[0].get<double>(), 0.0, 1.0)),
                     x1 = p.X(std::clamp(ci[1].get<double>(), 0.0, 1.0));
        o << "<path class=\"whisker\" d=\"M" << x0 << "," << cy << " L" << x1 << "," << cy << " M" << x0 << ","
          << cy - 5 << " L" << x0 << "," << cy + 5 << " M" << x1 << "," << cy - 5 << " L" << x1 << "," << cy + 5
          << "\"/>";
      }
      if (g.cls == std::string("benefit"))
        o << "<circle class=\"dot\" cx=\"" << x << "\" cy=\"" << cy << "\" r=\"4.5\"/>";
      else
        o << "<path class=\"dot\" d=\"M" << x << "," << cy - 5.5 << " L" << x + 5.5 << "," << cy << " L" << x << ","
          << cy + 5.5 << " L" << x - 5.5 << "," << cy << " Z\"/>";
      o << "<text x=\"" << p.w - p.right + 8 << "\" y=\"" << cy + 4 << "\">" << pct(rate)
        << (has_ci(ci) ? " (" + ci_text(ci) + ")" : "") << "</text></g>";
      y += row;
    }
  }
  o << "</svg><p class=\"legend\"><span class=\"key benefit\"></span> benefit <span class=\"key risk\"></span> risk; "
       "whiskers: 95% confidence interval</p>";
  return o.str();
}

/// "1-year EFS 78.0% (95% CI 61.0–88.0%), 20 at risk at 12 months, 8 events in 39 treated subjects".
std::string primary_sentence(const json& pe) {
  std::string s = esc(short_name(pe)) + " ";
  if (field(pe, "rate").is_number()) {
    s += pct(pe["rate"]);
    if (has_ci(field(pe, "ci95"))) s += " (95% CI " + ci_text(pe["ci95"]) + ")";
    if (field(pe, "n_risk").is_number()) s += ", " + text(pe["n_risk"]) + " at risk at " + text(field(pe, "months")) + " months";
  } else {
    s += "<strong>not yet estimable</strong> (no follow-up reaches " + text(field(pe, "months")) + " months)";
  }
  return s + ", " + plural(field(pe, "events"), "event", "events") + " in " + text(field(pe, "n")) + " treated subjects";
}

/// A median in months with its 95% limits; a limit not reached says so.
std::string median_text(const json& s) {
  if (field(s, "n") == 0) return "–";
  auto months = [](const json& v) { return v.is_number() ? num(v.get<double>()) : std::string("not reached"); };
  const json& ci = field(s, "median_ci95_months");
  return months(field(s, "median_months")) +
         (ci.is_array() && ci.size() == 2 ? " (95% CI " + months(ci[0]) + " to " + months(ci[1]) + ")" : "");
}

/// A subject's time on one endpoint: "120 event" with what ended it, "200 censored"; `none` where
/// the subject has no time zero.
std::string endpoint_time(const json& t, const std::string& none) {
  if (!t.is_object()) return none;
  const bool event = field(t, "event") == true;
  return text(field(t, "days")) + (event ? " <strong>event</strong>" : " censored") +
         (field(t, "ref").is_string() && !t["ref"].get<std::string>().empty() ? "<br><small>" + text(t["ref"]) + "</small>"
                                                                           : "");
}

/// Subjects left out of each Kaplan–Meier endpoint (they have no time zero), with why.
void excluded_table(Page& pg, const json& ex) {
  if (!ex.is_object()) return;
  const std::tuple<const char*, const char*, const char*> rows[] = {
      {"overall_survival", "OS", "never treated (no start of study treatment)"},
      {"event_free_survival", "EFS", "never treated (no start of study treatment)"},
      {"disease_free_survival", "DFS", "not operated (no index hepatectomy)"}};
  pg.o << "<p class=\"meta\">Subjects without a time zero are left out of an endpoint, never counted as censored "
          "at day 0.</p>";
  std::vector<std::vector<std::string>> out;
  for (const auto& [key, label, why] : rows) {
    if (!ex.contains(key)) continue;
    out.push_back({label, count(ex[key]) == 0 ? "none" : std::to_string(count(ex[key])) + ": " + ids(ex[key]),
                   count(ex[key]) == 0 ? "–" : why});
  }
  pg.table({"endpoint", "subjects left out", "why"}, out);
}

void benefit_risk_section(Page& pg, const json& br) {
  auto& o = pg.o;
  pg.h2("benefit-risk", "Benefit–risk (open session)");
  if (!br.is_object()) {
    o << "<p class=\"none\">Benefit–risk: not in this report (stored before it was kept).</p>";
    pg.end();
    return;
  }
  o << "<p class=\"open-session\"><strong>Open session</strong> — "
    << (field(br, "note").is_string() ? text(br["note"]) : std::string("open-session data")) << "</p>";
  o << "<p class=\"meta\">Cut-off " << text(field(br, "cutoff")) << " · enrolled " << text(field(br, "enrolled"))
    << ", treated " << text(field(br, "treated")) << ", operated " << text(field(br, "operated"));
  if (count(field(br, "not_treated")) > 0) o << " · never treated: " << ids(br["not_treated"]);
  o << (field(br, "time_zero").is_string() ? "<br>Time zero: " + text(br["time_zero"]) : std::string()) << "</p>";

  const json& pe = field(br, "primary_endpoint");
  if (pe.is_object()) {
    o << "<div class=\"primary\"><strong>Primary endpoint</strong> (" << text(field(pe, "label")) << "): "
      << primary_sentence(pe) << ".";
    if (field(pe, "definition").is_string() || field(pe, "ci").is_string())
      o << "<br><small>" << (field(pe, "definition").is_string() ? text(pe["definition"]) : std::string())
        << (field(pe, "ci").is_string() ? ". 95% CI: " + text(pe["ci"]) + "." : std::string()) << "</small>";
    o << "</div>";
  }

  o << benefit_risk_chart(br);
  {
    std::vector<std::vector<std::string>> rows;
    for (const auto& [group, key] : {std::pair{"benefit", "benefit"}, std::pair{"risk", "risk"}}) {
      const json& list = field(br, key);
      if (!list.is_array()) continue;
      for (const auto& r : list) {
        const bool km = field(r, "kind") == "km";
        std::string counts = km ? plural(field(r, "events"), "event", "events") + " in " + text(field(r, "n"))
                                : text(field(r, "events")) + "/" + text(field(r, "n"));
        if (km && field(r, "n_risk").is_number()) counts += "; " + text(r["n_risk"]) + " at risk";
        rows.push_back({group,
                        text(field(r, "label")) + (field(r, "definition").is_string()
                                                    ? "<br><small>" + text(r["definition"]) + "</small>"
                                                    : std::string()),
                        counts,
                        field(r, "rate").is_number() ? pct(r["rate"]) : "<span class=\"none\">not estimable</span>",
                        ci_text(field(r, "ci95")), text(field(r, "missing"))});
      }
    }
    pg.table({"side", "endpoint", "events/n; at risk", "estimate", "95% CI", "missing"}, rows,
             "benefit-risk");
  }
  if (count(field(br, "pathology_missing")) > 0)
    o << "<p class=\"meta\">Operated without a pathology report (not in the MPR rate): " << ids(br["pathology_missing"])
      << ".</p>";

  const json& bor = field(br, "best_overall_response");
  if (bor.is_object()) {
    o << "<h3>Best overall response</h3>";
    const json& assessed = field(bor, "assessed");
    auto share = [&](const json& n) {
      return n.is_number() && assessed.is_number() && assessed.get<double>() > 0
                 ? num(100 * n.get<double>() / assessed.get<double>()) + "%"
                 : std::string("–");
    };
    std::vector<std::vector<std::string>> rows;
    for (const auto& [k, name] : {std::pair{"CR", "CR — complete response"}, std::pair{"PR", "PR — partial response"},
                                  std::pair{"SD", "SD — stable disease"}, std::pair{"PD", "PD — progressive disease"},
                                  std::pair{"NE", "NE — not evaluable"}})
      rows.push_back({name, text(field(bor, k)), share(field(bor, k))});
    rows.push_back({"<strong>assessed</strong>", "<strong>" + text(assessed) + "</strong>", ""});
    rows.push_back({"not assessed (treated, no assessment)" +
                        (count(field(bor, "not_assessed_subjects")) > 0
                             ? "<br><small>" + ids(bor["not_assessed_subjects"]) + "</small>"
                             : std::string()),
                    text(field(bor, "not_assessed")), ""});
    pg.table({"best overall response", "subjects", "% of assessed"}, rows, "bor");
  }

  const json& sv = field(br, "survival");
  if (sv.is_object()) {
    o << "<h3>Survival medians</h3>";
    std::vector<std::vector<std::string>> rows;
    for (const auto& [k, label] : {std::pair{"efs", "EFS"}, std::pair{"os", "OS"}, std::pair{"dfs", "DFS"}}) {
      const json& s = field(sv, k);
      if (!s.is_object()) continue;
      const json& fu = field(s, "median_follow_up_months");
      rows.push_back({label, text(field(s, "n")), text(field(s, "events")), median_text(s),
                      fu.is_number() ? num(fu.get<double>()) : field(s, "n") == 0 ? "–" : "not reached"});
    }
    pg.table({"endpoint", "subjects", "events", "median, months (95% CI)", "median follow-up, months"}, rows);
  }

  const json& rules = field(br, "stopping_rules");
  if (rules.is_array()) {
    o << "<h3>Stopping-rule states</h3>";
    if (rules.empty()) o << "<p class=\"none\">No stopping rule configured.</p>";
    else {
      o << "<ul class=\"rules\">";
      for (const auto& r : rules)
        o << "<li><strong>" << text(field(r, "id")) << "</strong> (" << text(field(r, "event")) << "): "
          << plural(field(r, "events"), "event", "events") << " in " << text(field(r, "evaluable"))
          << " evaluable subjects — "
          << (field(r, "crossed") == true ? "<span class=\"crossed\">boundary crossed</span>" : "boundary not crossed")
          << "</li>";
      o << "</ul>";
    }
  }

  const json& subjects = field(br, "subjects");
  if (subjects.is_array()) {
    o << "<h3>Subjects</h3>";
    std::vector<std::vector<std::string>> rows;
    for (const auto& x : subjects) {
      const bool treated = field(x, "treatment_start").is_string();
      const std::string untreated = treated ? "–" : "<span class=\"none\">not treated</span>";
      std::string progressions;
      if (field(x, "other_progressions").is_array())
        for (const auto& e : x["other_progressions"]) progressions += (progressions.empty() ? "" : "; ") + text(e);
      const json& viable = field(x, "viable_tumour_percent");
      rows.push_back(
          {text(field(x, "subject")), text(field(x, "treatment_start")), endpoint_time(field(x, "efs"), untreated),
           endpoint_time(field(x, "os"), untreated),
           endpoint_time(field(x, "dfs"), field(x, "operated") == true ? "–" : "<span class=\"none\">not operated</span>"),
           field(x, "best_response").is_string()
               ? text(x["best_response"]) + "<br><small>" + plural(field(x, "assessments"), "assessment", "assessments") +
                     "</small>"
               : "<span class=\"none\">not assessed</span>",
           viable.is_number() ? num(viable.get<double>()) : "–", text(field(x, "mpr")), text(field(x, "margin")),
           progressions.empty() ? "–" : progressions});
    }
    pg.table({"subject", "treatment start", "EFS, days", "OS, days", "DFS, days", "best response", "% viable tumour",
              "MPR", "margin", "other progressions"},
             rows, "efficacy");
  }
  pg.end();
}

// ---- Liver tests: eDISH, the Hy's law quadrant's time courses, shift tables ------------------

/// "3.50×" (a multiple of the ULN).
std::string xuln(const json& v) { return v.is_number() ? num(v.get<double>(), 2) + "×" : "–"; }

/// The date of a model timestamp ("2026-03-01T08:00:00.000Z" -> "2026-03-01").
std::string day_of(const json& ts) { return ts.is_string() ? esc(ts.get<std::string>().substr(0, 10)) : "–"; }

/// A multiple of the ULN on a log10 axis; values at or below the axis' floor sit on it.
double log_x(double v, double floor) { return std::log10(std::max(v, floor)); }

/// The ticks of a log axis from `lo` to `hi` (× ULN): 0.1, 0.2, 0.5, 1, 2, 5, 10, ...
std::vector<std::pair<double, std::string>> log_ticks(double lo, double hi) {
  std::vector<std::pair<double, std::string>> t;
  for (double decade = 0.01; decade <= 1e4; decade *= 10)
    for (double m : {1.0, 2.0, 5.0}) {
      const double v = decade * m;
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) t.emplace_back(std::log10(v), num(v, v < 1 ? 1 : 0));
    }
  return t;
}

/// The smallest of 1, 2, 5 x 10^k at or above `v`, and at least `least`.
double nice_above(double v, double least) {
  for (double decade = 1; decade <= 1e4; decade *= 10)
    for (double m : {1.0, 2.0, 5.0})
      if (decade * m >= least && decade * m >= v) return decade * m;
  return std::max(v, least);
}

struct Quadrant {
  const char *key, *label, *criterion;
};
/// The eDISH quadrants, in the model's order; labels as on the plot.
constexpr Quadrant kQuadrants[] = {
    {"normal", "Normal range", "ALT < 3× ULN, bilirubin < 2× ULN"},
    {"hyperbilirubinaemia", "Hyperbilirubinaemia", "ALT < 3× ULN, bilirubin ≥ 2× ULN"},
    {"temple_corollary", "Temple's corollary", "ALT ≥ 3× ULN, bilirubin < 2× ULN"},
    {"hys_law", "Hy's law range", "ALT ≥ 3× ULN, bilirubin ≥ 2× ULN"}};

std::string quadrant_label(const json& q) {
  for (const auto& x : kQuadrants)
    if (q == x.key) return x.label;
  return q.is_string() ? q.get<std::string>() : "";
}

/// eDISH: peak ALT (x) against peak total bilirubin (y), both × ULN on log10 axes (0.1–100 and
/// 0.1–50, widened to the data), dashed reference lines at the model's 3× and 2× ULN, the four
/// quadrants labelled and the Hy's law range shaded; one dot per subject with a tooltip, the Hy's
/// law quadrant's dots filled red and larger (told apart in grayscale print too).
std::string edish_chart(const json& edish) {
  const json& points = field(edish, "points");
  const json& ref = field(edish, "reference");
  const double ref_x = field(ref, "alt_x_uln").is_number() ? ref["alt_x_uln"].get<double>() : 3.0;
  const double ref_y = field(ref, "bilirubin_x_uln").is_number() ? ref["bilirubin_x_uln"].get<double>() : 2.0;
  double max_x = 100, max_y = 50;
  if (points.is_array())
    for (const auto& pt : points) {
      if (field(pt, "peak_alt_x_uln").is_number()) max_x = std::max(max_x, pt["peak_alt_x_uln"].get<double>());
      if (field(pt, "peak_bilirubin_x_uln").is_number())
        max_y = std::max(max_y, pt["peak_bilirubin_x_uln"].get<double>());
    }
  constexpr double floor = 0.1;
  Plot p;
  p.w = 640;
  p.h = 500;
  p.left = 64;
  p.right = 20;
  p.top = 16;
  p.bottom = 44;
  p.x0 = std::log10(floor);
  p.x1 = std::log10(nice_above(max_x, 100));
  p.y0 = std::log10(floor);
  p.y1 = std::log10(nice_above(max_y, 50));
  std::ostringstream o;
  o << svg_open(p, "eDISH: peak ALT against peak total bilirubin, × ULN",
                "Scatter plot on log scales, one dot per subject: peak ALT after baseline (multiple of the upper "
                "limit of normal) on the x axis, peak total bilirubin on the y axis; dashed reference lines at " +
                    num(ref_x, 0) + "× ULN (ALT) and " + num(ref_y, 0) +
                    "× ULN (bilirubin); the upper right quadrant is the Hy's law range.");
  const double rx = p.X(std::log10(ref_x)), ry = p.Y(std::log10(ref_y));
  o << "<rect class=\"hys-zone\" x=\"" << rx << "\" y=\"" << p.top << "\" width=\"" << p.w - p.right - rx
    << "\" height=\"" << ry - p.top << "\"/>";
  const auto xt = log_ticks(floor, std::pow(10, p.x1)), yt = log_ticks(floor, std::pow(10, p.y1));
  o << "<g class=\"axis\">";
  for (const auto& [x, l] : xt)
    o << "<line class=\"grid\" x1=\"" << p.X(x) << "\" y1=\"" << p.top << "\" x2=\"" << p.X(x) << "\" y2=\""
      << p.h - p.bottom << "\"/>";
  o << "</g>" << axes(p, xt, yt, "peak ALT, × ULN (log scale)", "peak total bilirubin, × ULN (log scale)");
  o << "<g class=\"ref-lines\"><line class=\"ref\" x1=\"" << rx << "\" y1=\"" << p.top << "\" x2=\"" << rx
    << "\" y2=\"" << p.h - p.bottom << "\"/><line class=\"ref\" x1=\"" << p.left << "\" y1=\"" << ry << "\" x2=\""
    << p.w - p.right << "\" y2=\"" << ry << "\"/><text class=\"ref-label\" x=\"" << rx + 4 << "\" y=\""
    << p.h - p.bottom - 6 << "\">" << num(ref_x, 0) << "× ULN</text><text class=\"ref-label\" x=\"" << p.left + 4
    << "\" y=\"" << ry - 4 << "\">" << num(ref_y, 0) << "× ULN</text></g>";
  // Quadrant labels in the plot's corners.
  const double l = p.left + 8, r = p.w - p.right - 8, t = p.top + 16, b = p.h - p.bottom - 22;
  const std::tuple<double, double, const char*, const char*> labels[] = {
      {r, t, "end", "Hy's law range"},
      {l, t, "start", "Hyperbilirubinaemia"},
      {r, b, "end", "Temple's corollary"},
      {l, b, "start", "Normal range"}};
  for (const auto& [x, y, anchor, label] : labels)
    o << "<text class=\"quadrant\" x=\"" << x << "\" y=\"" << y << "\" text-anchor=\"" << anchor << "\">"
      << esc(label) << "</text>";
  // The Hy's law quadrant's dots last, on top.
  if (points.is_array())
    for (const bool hys : {false, true})
      for (const auto& pt : points) {
        if ((field(pt, "quadrant") == "hys_law") != hys) continue;
        const json &ax = field(pt, "peak_alt_x_uln"), &by = field(pt, "peak_bilirubin_x_uln");
        if (!ax.is_number() || !by.is_number()) continue;
        o << "<circle class=\"edish-dot" << (hys ? " hys-law" : "") << "\" cx=\""
          << p.X(log_x(ax.get<double>(), floor)) << "\" cy=\"" << p.Y(log_x(by.get<double>(), floor)) << "\" r=\""
          << (hys ? 6.5 : 4.5) << "\"><title>" << text(field(pt, "subject")) << ": peak ALT " << xuln(ax) << " ULN ("
          << day_of(field(pt, "alt_at")) << "), peak bilirubin " << xuln(by) << " ULN (" << day_of(field(pt, "bilirubin_at"))
          << ") — " << esc(quadrant_label(field(pt, "quadrant"))) << "</title></circle>";
      }
  o << "</svg><p class=\"legend\"><span class=\"key edish-dot\"></span> subject "
       "<span class=\"key edish-dot hys-law\"></span> subject in the Hy's law range "
       "<span class=\"key ref\"></span> reference lines</p>";
  return o.str();
}

/// The lab result's analyte from the model ("alt", "ast", "bilirubin"), or from its CTCAE term.
std::string analyte_of(const json& r) {
  if (field(r, "analyte").is_string()) return r["analyte"].get<std::string>();
  const json& term = field(r, "term");
  if (term == "Alanine aminotransferase increased") return "alt";
  if (term == "Aspartate aminotransferase increased") return "ast";
  if (term == "Blood bilirubin increased") return "bilirubin";
  return "other";
}

/// One subject's ALT, AST and total bilirubin (× ULN, log scale) over time, the dashed lines at
/// 3× (transaminases) and 2× ULN (bilirubin); a marker per result (circle ALT, square AST,
/// diamond bilirubin) with a tooltip. Results without a ULN are not drawn.
std::string lab_course_chart(const json& subject) {
  struct Series {
    const char *key, *label;
    std::vector<std::tuple<double, double, const json*>> pts;  // days, log10 × ULN, the result
  };
  Series series[] = {{"alt", "ALT", {}}, {"ast", "AST", {}}, {"bilirubin", "total bilirubin", {}}};
  const json& results = field(subject, "results");
  std::optional<Timestamp> first;
  if (results.is_array())
    for (const auto& r : results)
      if (auto ts = parse_timestamp(field(r, "collected_at").is_string() ? r["collected_at"].get<std::string>() : ""))
        if (!first || *ts < *first) first = ts;
  if (!first) return "<p class=\"none\">No result to plot.</p>";
  constexpr double floor = 0.1;
  double span = 1, top = 10;
  for (const auto& r : results) {
    const auto ts = parse_timestamp(field(r, "collected_at").is_string() ? r["collected_at"].get<std::string>() : "");
    const json& x = field(r, "x_uln");
    if (!ts || !x.is_number()) continue;
    for (auto& s : series)
      if (analyte_of(r) == s.key) {
        const double days = static_cast<double>(ts->ms - first->ms) / 86'400'000.0;
        span = std::max(span, days);
        top = std::max(top, x.get<double>());
        s.pts.emplace_back(days, log_x(x.get<double>(), floor), &r);
      }
  }
  Plot p;
  p.w = 640;
  p.h = 270;
  p.right = 64;
  p.x0 = 0;
  p.x1 = span;
  p.y0 = std::log10(floor);
  p.y1 = std::log10(nice_above(top, 10));
  std::ostringstream o;
  const json& id = field(subject, "subject");
  o << svg_open(p, "ALT, AST and total bilirubin of " + (id.is_string() ? id.get<std::string>() : std::string()) +
                       ", × ULN",
                "Line chart on a log scale: ALT, AST and total bilirubin as multiples of the upper limit of normal "
                "by date of collection; dashed lines at 3× and 2× ULN.");
  std::vector<std::pair<double, std::string>> xt;
  for (const auto& [d, lab] : int_ticks(0, span, 5))
    xt.emplace_back(d, format_date(first->date().plus_days(static_cast<int>(d))));
  o << axes(p, xt, log_ticks(floor, std::pow(10, p.y1)), "date of collection", "× ULN (log scale)");
  for (const double ref : {3.0, 2.0})
    o << "<line class=\"ref\" x1=\"" << p.left << "\" y1=\"" << p.Y(std::log10(ref)) << "\" x2=\"" << p.w - p.right
      << "\" y2=\"" << p.Y(std::log10(ref)) << "\"/><text class=\"ref-label\" x=\"" << p.w - p.right + 4 << "\" y=\""
      << p.Y(std::log10(ref)) + 4 << "\">" << num(ref, 0) << "× ULN</text>";
  for (const auto& s : series) {
    if (s.pts.empty()) continue;
    o << "<g class=\"course " << s.key << "\"><path d=\"";
    bool start = true;
    for (const auto& [d, y, r] : s.pts) {
      o << (start ? "M" : " L") << p.X(d) << "," << p.Y(y);
      start = false;
    }
    o << "\"/>";
    for (const auto& [d, y, r] : s.pts) {
      const double cx = p.X(d), cy = p.Y(y);
      std::ostringstream tip;
      tip << "<title>" << esc(s.label) << " " << day_of(field(*r, "collected_at")) << ": " << text(field(*r, "value")) << " "
          << text(field(*r, "unit")) << " (" << xuln(field(*r, "x_uln")) << " ULN), grade " << text(field(*r, "grade"))
          << "</title>";
      if (s.key == std::string("alt"))
        o << "<circle class=\"mk\" cx=\"" << cx << "\" cy=\"" << cy << "\" r=\"3.5\">" << tip.str() << "</circle>";
      else if (s.key == std::string("ast"))
        o << "<rect class=\"mk\" x=\"" << cx - 3.5 << "\" y=\"" << cy - 3.5 << "\" width=\"7\" height=\"7\">" << tip.str()
          << "</rect>";
      else
        o << "<path class=\"mk\" d=\"M" << cx << "," << cy - 4.5 << " L" << cx + 4.5 << "," << cy << " L" << cx << "," << cy + 4.5
          << " L" << cx - 4.5 << "," << cy << " Z\">" << tip.str() << "</path>";
    }
    o << "</g>";
  }
  o << "</svg><p class=\"legend\"><span class=\"key course-alt\"></span> ALT <span class=\"key course-ast\"></span> "
       "AST <span class=\"key course-bilirubin\"></span> total bilirubin <span class=\"key ref\"></span> 3× and 2× "
       "ULN</p>";
  return o.str();
}

/// One term's shift table: baseline grade (rows) against worst post-baseline grade (columns),
/// with the totals; cells where the grade worsened are marked.
std::string shift_table(const json& st) {
  const json& counts = field(st, "counts");
  auto cell = [&](std::size_t b, std::size_t w) {
    const json row = counts.is_array() && b < counts.size() ? counts[b] : json(nullptr);
    const json& c = row.is_array() && w < row.size() ? row[w] : json(nullptr);
    return c.is_number_integer() ? c.get<int>() : 0;
  };
  std::ostringstream o;
  o << "<figure class=\"shift\"><figcaption><strong>" << text(field(st, "term")) << "</strong><br><small>"
    << text(field(st, "subjects")) << " subjects; without a baseline value (left out): " << text(field(st, "no_baseline"))
    << "</small></figcaption><table class=\"shift\"><thead><tr><th rowspan=\"2\">baseline grade</th><th "
       "colspan=\"5\">worst post-baseline grade</th><th rowspan=\"2\">total</th></tr><tr>";
  for (int w = 0; w < 5; ++w) o << "<th class=\"num\">" << w << "</th>";
  o << "</tr></thead><tbody>";
  std::array<int, 5> column{};
  int all = 0;
  for (std::size_t b = 0; b < 5; ++b) {
    o << "<tr><th>" << b << "</th>";
    int total = 0;
    for (std::size_t w = 0; w < 5; ++w) {
      const int n = cell(b, w);
      total += n;
      column[w] += n;
      o << "<td class=\"num" << (n == 0 ? " zero" : w > b ? " worse" : "") << "\">" << n << "</td>";
    }
    all += total;
    o << "<td class=\"num total\">" << total << "</td></tr>";
  }
  o << "<tr class=\"total\"><th>total</th>";
  for (const int n : column) o << "<td class=\"num\">" << n << "</td>";
  o << "<td class=\"num\">" << all << "</td></tr></tbody></table></figure>";
  return o.str();
}

std::string assessment_cell(const json& a) {
  if (!a.is_string() || a.get<std::string>().empty()) return "<span class=\"flag\">not yet assessed</span>";
  if (a == "confirmed_dili") return "<strong>confirmed DILI</strong>";
  if (a == "other_cause") return "other cause";
  return words(a);
}

void labs_section(Page& pg, const json& labs) {
  auto& o = pg.o;
  pg.h2("labs", "Liver tests: eDISH and shift tables");
  if (!labs.is_object()) {
    o << "<p class=\"none\">Liver tests: not in this report (stored before they were kept).</p>";
    pg.end();
    return;
  }
  if (field(labs, "available") == false) {
    o << "<p class=\"none\">This study has no laboratory data yet: no liver test to show as of this cut-off.</p>";
    pg.end();
    return;
  }
  const json& edish = field(labs, "edish");
  o << "<p class=\"meta\">eDISH (evaluation of drug-induced serious hepatotoxicity): per subject, the peak ALT and the "
       "peak total bilirubin after baseline as multiples of the upper limit of normal (ULN); the two peaks may come "
       "from different days. "
    << (field(labs, "source").is_string() ? "Sources: " + text(labs["source"]) + "." : std::string()) << "</p>";
  const std::size_t points = count(field(edish, "points"));
  if (points == 0) o << "<p class=\"none\">No subject has both an ALT and a total bilirubin with a ULN yet.</p>";
  else o << edish_chart(edish);
  {
    const json& counts = field(edish, "quadrant_counts");
    std::vector<std::vector<std::string>> rows;
    for (const auto& q : kQuadrants)
      rows.push_back({q.key == std::string("hys_law") ? "<strong>" + esc(q.label) + "</strong>" : esc(q.label),
                      esc(q.criterion), text(field(counts, q.key))});
    pg.table({"eDISH quadrant", "peak values", "subjects"}, rows, "quadrants");
  }
  const json& quadrant = field(edish, "hys_law_quadrant");
  o << "<h3>Subjects in the Hy's law range</h3>";
  if (count(quadrant) == 0) {
    o << "<p class=\"none\">No subject in the Hy's law range.</p>";
  } else {
    std::vector<std::vector<std::string>> rows;
    for (const auto& x : quadrant)
      rows.push_back({text(field(x, "subject")), xuln(field(x, "peak_alt_x_uln")), day_of(field(x, "alt_at")),
                      xuln(field(x, "peak_bilirubin_x_uln")), day_of(field(x, "bilirubin_at"))});
    pg.table({"subject", "peak ALT, × ULN", "on", "peak total bilirubin, × ULN", "on"}, rows, "hys-law");
  }
  const json& course = field(labs, "time_course");
  if (count(course) > 0) {
    o << "<h3>ALT, AST and total bilirubin over time <small>(subjects in the Hy's law range)</small></h3>";
    for (const auto& s : course) {
      o << "<h4>" << text(field(s, "subject")) << "</h4>";
      o << lab_course_chart(s);
    }
  }
  o << "<h3>Potential Hy's law cases <small>(alerts raised by the cut-off)</small></h3>";
  {
    std::vector<std::vector<std::string>> rows;
    const json& cases = field(labs, "potential_hys_law_cases");
    if (cases.is_array())
      for (const auto& c : cases)
        rows.push_back({text(field(c, "subject")), text(field(c, "raised_at")), assessment_cell(field(c, "assessment")),
                        text(field(c, "text"))});
    pg.table({"subject", "raised", "assessment", "what was found"}, rows, "hys-cases");
  }
  o << "<h3>Shift tables <small>(subjects by baseline grade and worst post-baseline CTCAE grade)</small></h3>";
  const json& shifts = field(labs, "shift_tables");
  if (count(shifts) == 0) {
    o << "<p class=\"none\">No shift table.</p>";
  } else {
    o << "<div class=\"shifts\">";
    for (const auto& st : shifts) o << shift_table(st);
    o << "</div><p class=\"legend\"><span class=\"key worse\"></span> worse after baseline</p>";
  }
  pg.end();
}

}  // namespace

std::string to_html(const json& stored, const HtmlMeta& meta) {
  const json m = upgrade(stored);  // a report stored by an earlier version renders the same
  Page pg;
  auto& o = pg.o;
  const json& h = m["header"];
  const std::string title = "DSMB report " + text(h["number"]) + " — " + text(h["study"]);
  o << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" << title
    << "</title><style>" << kCss << "</style></head><body>\n";
  o << "<header><h1>" << title << "</h1><p>" << text(h["title"]) << "</p><p class=\"meta\">Data cut-off "
    << text(h["data_cutoff"]) << " · as of " << text(h["as_of"]) << " · period " << (h["period"]["from"].is_null() ? "from the start" : "from " + text(h["period"]["from"]))
    << " · generated " << esc(meta.generated_at) << " · report id " << esc(meta.report_id)
    << "<br>SHA-256 <code>" << esc(meta.sha256) << "</code> · protocol <code>" << text(h["protocol_sha256"])
    << "</code></p></header>\n<main>\n";

  const json& e = m["enrolment"];
  pg.h2("enrolment", "Enrolment and subject status");
  {
    std::vector<std::vector<std::string>> rows;
    for (const auto& r : e["by_site"]) rows.push_back({text(r["site"]), text(r["n"]) + " (" + pct(r["proportion"]) + ")"});
    rows.push_back({"<strong>total</strong>", "<strong>" + text(e["total"]) + "</strong>"});
    pg.table({"site", "subjects"}, rows);
  }
  o << enrolment_chart(e["cumulative"], text(h["data_cutoff"]).substr(0, 10));
  {
    std::vector<std::vector<std::string>> rows;
    for (const char* k : {"on_neoadjuvant", "operated", "in_follow_up", "withdrawn", "dead"})
      rows.push_back({k, np(e["status"][k])});
    pg.table({"status at cut-off", "subjects, n (%)"}, rows);
  }
  o << "<p>Enrolment to surgery, days: median [IQR] " << quart(e["enrolment_to_surgery_days"]) << "</p>";
  pg.end();

  pg.h2("exposure", "Exposure");
  {
    std::vector<std::vector<std::string>> rows;
    for (const auto& d : m["exposure"]["drugs"])
      rows.push_back({text(d["drug"]), np(d["subjects_started"]), quart(d["exposure_days"]), text(d["holds"]),
                      text(d["dose_changes"]), text(d["stopped"]),
                      d.contains("cycles_21d") ? quart(d["cycles_21d"]) : "–"});
    pg.table({"drug", "started, n (%)", "days on drug, median [IQR]", "holds", "dose changes", "stopped",
              "21-day cycles"},
             rows);
    const json& rt = m["exposure"]["radiotherapy"];
    o << "<p>Radiotherapy: started " << np(rt["started"]) << ", completed " << np(rt["completed"])
      << "; delivered dose (Gy) " << quart(rt["delivered_dose_gy"]) << "; fractions " << quart(rt["fractions"]) << "</p>";
  }
  pg.end();

  const json& ov = m["ae_overview"];
  pg.h2("ae-overview", "Adverse events: overview");
  pg.table({"subjects with", "n (%)"}, {{"any AE", np(ov["any_ae"])},
                                        {"grade ≥ 3 AE", np(ov["grade_3_or_more"])},
                                        {"serious AE", np(ov["serious"])},
                                        {"AE leading to withdrawal of a study drug", np(ov["led_to_drug_withdrawal"])},
                                        {"fatal AE", np(ov["fatal"])},
                                        {"SUSAR", np(ov["susar"])}});
  o << "<p class=\"meta\">Reports in force: " << text(ov["reports"]["in_force"]) << " (serious "
    << text(ov["reports"]["serious"]) << "); nullified and not counted: " << text(ov["reports"]["nullified"])
    << ". Percentages of " << text(ov["enrolled"]) << " enrolled subjects.</p>";
  pg.end();

  pg.h2("ae-soc", "Adverse events by system organ class and term (subjects at worst grade)");
  o << soc_chart(m["ae_by_soc_term"]);
  pg.table(kSocHead, soc_rows(m["ae_by_soc_term"]));
  pg.end();
  for (const auto& rel : m["ae_related"]) {
    pg.h2("ae-related-" + rel["intervention"].get<std::string>(),
          "Adverse events related to " + rel["intervention"].get<std::string>());
    pg.table(kSocHead, soc_rows(rel["rows"]));
    pg.end();
  }

  pg.h2("aesi", "Adverse events of special interest");
  {
    std::vector<std::vector<std::string>> rows;
    for (const auto& a : m["aesi"])
      rows.push_back({text(a["id"]), text(a["terms"]) + (a["socs"].empty() ? "" : "; SOC " + text(a["socs"])),
                      "≥ " + text(a["min_grade"]), np(a["subjects"]), text(a["reports"])});
    pg.table({"AESI", "terms", "grade", "subjects, n (%)", "reports"}, rows);
  }
  pg.end();

  pg.h2("sae", "Serious adverse events");
  pg.table(kListingHead, listing_rows(m["sae_listing"]));
  pg.end();
  pg.h2("deaths", "Deaths");
  {
    // Reports stored before the sources were kept have no `sources` or `queries`: no column.
    bool sourced = false;
    std::size_t to_reconcile = 0;
    for (const auto& d : m["deaths"]) {
      sourced = sourced || d.contains("sources");
      to_reconcile += count(field(d, "queries")) > 0;
    }
    if (to_reconcile > 0)
      o << "<p class=\"warn\">" << to_reconcile << (to_reconcile == 1 ? " death has" : " deaths have")
        << " records to reconcile with the site (flagged below).</p>";
    std::vector<std::vector<std::string>> rows;
    for (const auto& d : m["deaths"]) {
      std::vector<std::string> r{text(d["subject"]), text(d["date"]), text(d["cause"]), text(d["days_from_surgery"]),
                                 field(d, "within_30_days_of_surgery") == true ? "<strong>yes</strong>" : "no"};
      if (sourced) {
        r.push_back(sources_cell(field(d, "sources"), field(d, "date")));
        r.push_back(queries_cell(field(d, "queries")));
      }
      rows.push_back(r);
    }
    std::vector<std::string> head{"subject", "date", "cause", "days from surgery", "within 30 days of surgery"};
    if (sourced) head.insert(head.end(), {"recorded by", "to reconcile"});
    pg.table(head, rows, "deaths");
  }
  pg.end();
  pg.h2("susar", "SUSARs and reporting clocks");
  pg.table(kListingHead, listing_rows(m["susars"]));
  {
    std::vector<std::vector<std::string>> rows;
    for (const auto& c : m["clocks"]["by_kind"])
      rows.push_back({text(c["kind"]), text(c["met"]), text(c["late"]), text(c["open"]), text(c["overdue"]),
                      c["on_time"].is_number() ? pct(c["on_time"]) : "no closed clocks"});
    pg.table({"clock", "on time", "late", "open", "overdue", "on time (closed)"}, rows);
  }
  pg.end();

  const json& s = m["surgical"];
  pg.h2("surgical", "Surgical safety");
  {
    const std::size_t unknown = std::max(count(field(s, "mortality_30d_unknown")), count(field(s, "mortality_90d_unknown")));
    if (unknown > 0)
      o << "<p class=\"warn\">Vital status unknown for " << unknown << " operated subject" << (unknown == 1 ? "" : "s")
        << " past the end of a mortality window: listed below and counted in the bounds, never taken as alive.</p>";
  }
  mortality_table(pg, s);
  o << "<p class=\"meta\">Crude rates count subjects whose status at the window's last day (day 30, or the end of a "
       "longer index admission; day 90) is known. Subjects of unknown vital status are not dropped: the bounds count "
       "them all alive or all dead. Pending windows are still open and count in neither. The Kaplan–Meier estimate "
       "uses every operated subject, censored at last contact.</p>";
  pg.table({"measure", "events/n (%; exact 95% CI)"},
           {{"in-hospital death", rate(s["in_hospital_death"])},
            {"reoperation", rate(s["reoperation"])},
            {"readmission within 30 days", rate(s["readmission_30d"])},
            {"R0 resection", rate(s["r0_resection"])},
            {"post-operative stay, days", quart(s["postop_stay_days"])},
            {"CCI", quart(s["cci"])}});
  {
    std::vector<std::vector<std::string>> rows;
    for (const char* g : {"none", "I", "II", "IIIa", "IIIb", "IVa", "IVb", "V"})
      rows.push_back({g, text(s["clavien_dindo_worst"][g])});
    pg.table({"worst Clavien–Dindo grade", "subjects"}, rows);
  }
  if (field(s, "subjects").is_array()) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& x : s["subjects"])
      rows.push_back({text(field(x, "subject")), text(field(x, "surgery")), window_cell(x, "day30", "pending30_reason"),
                      window_cell(x, "day90", "pending90_reason"), text(field(x, "last_contact")),
                      text(field(x, "worst_clavien_dindo")),
                      field(x, "cci").is_number() ? num(x["cci"].get<double>()) : "–", text(field(x, "reoperated")),
                      words(field(x, "readmission_30d")), text(field(x, "postop_stay_days")), text(field(x, "margin"))});
    o << "<h3>Operated subjects</h3>";
    pg.table({"subject", "surgery", "day 30", "day 90", "last contact", "worst Clavien–Dindo", "CCI", "reoperated",
              "readmitted within 30 days", "post-operative stay, days", "margin"},
             rows, "subjects");
  }
  pg.end();

  benefit_risk_section(pg, field(m, "benefit_risk"));

  pg.h2("stopping", "Stopping rules");
  for (const auto& b : m["stopping_rules"]) {
    o << "<h3>" << text(b["id"]) << " <small>(" << text(b["event"]) << ", " << text(b["method"]) << ")</small></h3>";
    o << "<p>" << text(b["events"]) << " events in " << text(b["evaluable"]) << " evaluable subjects (of "
      << text(b["n_max"]) << "): "
      << (b["crossed"].get<bool>() ? "<span class=\"crossed\">boundary crossed</span>" : "boundary not crossed")
      // The look that reached it (reports stored before `crossed_at` was kept have none).
      << (field(b, "crossed_at").is_object() ? " at " + text(b["crossed_at"]["events"]) + " events in " +
                                                text(b["crossed_at"]["n"]) + " evaluable subjects"
                                          : std::string())
      << (b.value("design_complete", false) ? " (design complete: n_max evaluated, final verdict)" : "")
      << ". Type I error " << num(b["type1_error"].get<double>(), 3) << ", power " << (b["power"].is_number() ? num(b["power"].get<double>(), 3) : std::string("not applicable"))
      << ".</p>";
    o << boundary_svg(b);
    std::vector<std::vector<std::string>> rows;
    for (const auto& r : b["operating_characteristics"])
      rows.push_back({num(r["rate"].get<double>(), 2), num(r["p_stop"].get<double>(), 3),
                      num(r["p_stop_early"].get<double>(), 3), num(r["expected_n"].get<double>(), 1)});
    pg.table({"true rate", "P(stop)", "P(stop early)", "expected n"}, rows);
  }
  if (m["stopping_rules"].empty()) o << "<p class=\"none\">No stopping rule configured.</p>";
  pg.end();

  labs_section(pg, field(m, "labs"));

  const json& t = m["time_to_event"];
  pg.h2("tte", "Time to event (Kaplan–Meier)");
  if (field(t, "time_unit").is_string()) o << "<p class=\"meta\">Time: " << text(t["time_unit"]) << ".</p>";
  o << km_chart({{"OS", "overall survival", "os", t["overall_survival"]},
                 {"EFS", "event-free survival", "efs", t["event_free_survival"]}},
                "Kaplan–Meier estimates of overall and event-free survival", time_origin(field(t, "time_unit")));
  // Disease-free survival starts at the index hepatectomy: a chart of its own (reports stored
  // before it was kept have none).
  const json& dfs = field(t, "disease_free_survival");
  if (dfs.is_object()) {
    o << "<h3>Disease-free survival <small>(operated subjects, from the index hepatectomy)</small></h3>";
    o << km_chart({{"DFS", "disease-free survival", "dfs", dfs}}, "Kaplan–Meier estimate of disease-free survival",
                  "the index hepatectomy");
  }
  excluded_table(pg, field(t, "excluded"));
  {
    std::vector<std::vector<std::string>> rows;
    const std::pair<const char*, const char*> endpoints[] = {
        {"overall_survival", "OS"}, {"event_free_survival", "EFS"}, {"disease_free_survival", "DFS"}};
    for (const auto& [k, label] : endpoints)
      for (const auto& r : field(field(t, k), "at")) {
        const bool est = !r["survival"].is_null();
        rows.push_back({label, text(r["months"]),
                        est ? num(100 * r["survival"].get<double>()) + "%" : "not estimable", text(r["n_risk"]),
                        r["ci95"].is_array() ? num(100 * r["ci95"][0].get<double>()) + "–" +
                                                   num(100 * r["ci95"][1].get<double>()) + "%"
                                             : "–"});
      }
    pg.table({"endpoint", "months", "estimate", "at risk", "95% CI (Greenwood, log)"}, rows);
  }
  pg.end();

  pg.h2("alerts", "Alerts raised in the period");
  {
    std::vector<std::vector<std::string>> rows;
    for (const auto& a : m["alerts"]["raised_in_period"])
      rows.push_back({text(a["id"]), text(a["severity"]), text(a["rule"]), text(a["title"]), text(a["raised_at"]),
                      a["acknowledged_at"].is_null() ? "<strong>open</strong>" : "acknowledged " + text(a["acknowledged_at"])});
    pg.table({"id", "severity", "rule", "title", "raised", "status at cut-off"}, rows);
    o << "<p class=\"meta\">Alerts open at the cut-off (any period): " << text(m["alerts"]["open_at_cutoff"]) << "</p>";
  }
  pg.end();
  o << "</main>\n<footer class=\"meta\">pvmon · schema " << text(h["schema"]) << "</footer></body></html>\n";
  return o.str();
}

const json& field(const json& j, const char* key) {
  static const json none;
  return j.is_object() && j.contains(key) ? j[key] : none;
}

std::string html_text(const json& v, std::string_view empty_list) {
  if (v.is_null()) return "–";
  if (v.is_string()) return html_escape(v.get<std::string>());
  if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
  if (v.is_array()) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + html_text(x, empty_list);
    return s.empty() ? std::string(empty_list) : s;
  }
  return html_escape(v.dump());
}

std::string html_escape(std::string_view s) {
  std::string o;
  o.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&#39;"; break;
      default: o += c;
    }
  }
  return o;
}

}  // namespace pvmon::reports
