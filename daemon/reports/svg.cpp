// SVG charts shared by the DSMB report and the safety desk: the plot frame (svg.hpp), a
// stopping rule's boundary with its observed path, and a subject's timeline with its
// post-surgical windows. Pure: the same input gives the same bytes. Every text from the data is
// escaped. Nothing here decides a clinical fact: the windows' ends, the grades and the deaths
// come from the subject view (safety::assess_subject, safety::subject_course), the boundary and
// the path from the figures (service::evaluate_boundaries).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "pvmon/reports.hpp"
#include "svg.hpp"

namespace pvmon::reports {

using nlohmann::json;

namespace svg {

std::string num(double x, int decimals) {
  char b[32];
  std::snprintf(b, sizeof b, "%.*f", decimals, x);
  return b;
}

std::string svg_open(const Plot& p, const std::string& title, const std::string& desc, double below,
                     std::string_view style) {
  std::ostringstream o;
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" viewBox=\"0 0 " << p.w << " " << p.h + below
    << "\" width=\"" << p.w << "\" height=\"" << p.h + below << "\"><title>" << html_escape(title) << "</title>";
  if (!desc.empty()) o << "<desc>" << html_escape(desc) << "</desc>";
  if (!style.empty()) o << "<style>" << style << "</style>";
  return o.str();
}

std::string axes(const Plot& p, const std::vector<std::pair<double, std::string>>& xs,
                 const std::vector<std::pair<double, std::string>>& ys, const std::string& xlabel,
                 const std::string& ylabel) {
  std::ostringstream o;
  o << "<g class=\"axis\"><line x1=\"" << p.left << "\" y1=\"" << p.h - p.bottom << "\" x2=\"" << p.w - p.right
    << "\" y2=\"" << p.h - p.bottom << "\"/><line x1=\"" << p.left << "\" y1=\"" << p.top << "\" x2=\"" << p.left
    << "\" y2=\"" << p.h - p.bottom << "\"/>";
  for (const auto& [x, l] : xs)
    o << "<line x1=\"" << p.X(x) << "\" y1=\"" << p.h - p.bottom << "\" x2=\"" << p.X(x) << "\" y2=\""
      << p.h - p.bottom + 4 << "\"/><text x=\"" << p.X(x) << "\" y=\"" << p.h - p.bottom + 16
      << "\" text-anchor=\"middle\">" << html_escape(l) << "</text>";
  for (const auto& [y, l] : ys)
    o << "<line class=\"grid\" x1=\"" << p.left << "\" y1=\"" << p.Y(y) << "\" x2=\"" << p.w - p.right << "\" y2=\""
      << p.Y(y) << "\"/><text x=\"" << p.left - 6 << "\" y=\"" << p.Y(y) + 4 << "\" text-anchor=\"end\">"
      << html_escape(l) << "</text>";
  o << "<text x=\"" << (p.left + p.w - p.right) / 2 << "\" y=\"" << p.h - 4 << "\" text-anchor=\"middle\">"
    << html_escape(xlabel) << "</text><text transform=\"translate(14," << (p.top + p.h - p.bottom) / 2
    << ") rotate(-90)\" text-anchor=\"middle\">" << html_escape(ylabel) << "</text></g>";
  return o.str();
}

std::vector<std::pair<double, std::string>> int_ticks(double lo, double hi, int want) {
  const double span = std::max(1.0, hi - lo);
  double step = std::pow(10, std::floor(std::log10(span / want)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (span / (step * m) <= want) {
      step *= m;
      break;
    }
  step = std::max(1.0, step);
  std::vector<std::pair<double, std::string>> t;
  for (double v = std::ceil(lo / step) * step; v <= hi + 1e-9; v += step) t.emplace_back(v, num(v, 0));
  return t;
}

}  // namespace svg

using svg::Plot;

// ---- A stopping rule -------------------------------------------------------------------------

/// The boundary (events needed to stop at each look) as a step line, and the observed path.
std::string boundary_svg(const json& b, std::string_view style) {
  static const json kNone = json::array();
  const json& rows = b.contains("boundary") ? b["boundary"] : kNone;
  const json& path = b.contains("path") ? b["path"] : kNone;
  if (rows.empty()) return "";
  Plot p;
  p.x0 = 0;
  p.x1 = b["n_max"].get<int>();
  p.y0 = 0;
  int top = 1;
  for (const auto& r : rows)
    if (r["stop_if_events_at_least"].get<int>() <= r["n"].get<int>()) top = std::max(top, r["stop_if_events_at_least"].get<int>());
  for (const auto& pt : path) top = std::max(top, pt[1].get<int>());
  p.y1 = top + 1;
  std::ostringstream o;
  o << svg::svg_open(p, "Stopping boundary " + b["id"].get<std::string>() + " and the observed path", "", 0, style);
  o << svg::axes(p, svg::int_ticks(0, p.x1, 6), svg::int_ticks(0, p.y1, 5), "evaluable subjects", "events");
  o << "<path class=\"bound\" d=\"";
  bool first = true;
  for (const auto& r : rows) {
    const int n = r["n"].get<int>(), s = r["stop_if_events_at_least"].get<int>();
    if (s > n) continue;  // this look cannot stop
    o << (first ? "M" : " L") << p.X(n - 1) << "," << p.Y(s) << " L" << p.X(n) << "," << p.Y(s);
    first = false;
  }
  o << "\"/><path class=\"line\" d=\"M" << p.X(0) << "," << p.Y(0);
  for (const auto& pt : path) o << " L" << p.X(pt[0].get<int>()) << "," << p.Y(pt[1].get<int>());
  o << "\"/></svg><p class=\"legend\"><span class=\"key bound\"></span> stop when events reach the boundary "
    << "<span class=\"key line\"></span> observed</p>";
  return o.str();
}

// ---- Bars with their confidence intervals -----------------------------------------------------

std::string bars_svg(const std::string& title, const std::string& desc, const std::vector<Bar>& rows, bool percent,
                     const std::string& xlabel, bool graded, std::string_view style) {
  if (rows.empty()) return "";
  const double row = 26;
  Plot p;
  p.left = 200;
  p.right = 170;  // the value's text beyond the axis
  p.top = 8;
  p.h = p.top + p.bottom + row * static_cast<double>(rows.size());
  p.x0 = 0;
  double most = 1;
  for (const auto& r : rows) most = std::max({most, r.value, r.ci95 ? r.ci95->second : 0.0});
  p.x1 = percent ? 1.0 : most;
  std::vector<std::pair<double, std::string>> xt;
  if (percent)
    for (int k = 0; k <= 10; k += 2) xt.emplace_back(k / 10.0, svg::num(k * 10, 0) + "%");
  else
    xt = svg::int_ticks(0, most, 5);
  std::ostringstream o;
  o << svg::svg_open(p, title, desc, 0, style) << svg::axes(p, xt, {}, xlabel, "");
  double y = p.top;
  int g = 0;
  for (const auto& r : rows) {
    ++g;
    const double cy = y + row / 2;
    const auto X = [&](double v) { return p.X(std::clamp(v, 0.0, p.x1)); };
    o << "<g class=\"bar-row\"><title>" << html_escape(r.label) << ": " << html_escape(r.text) << "</title>"
      << "<text x=\"" << p.left - 8 << "\" y=\"" << cy + 4 << "\" text-anchor=\"end\">" << html_escape(r.label)
      << "</text><rect class=\"" << (graded ? "g" + std::to_string(std::min(g, 5)) : std::string("bar")) << "\" x=\""
      << p.X(0) << "\" y=\"" << y + 5 << "\" width=\"" << X(r.value) - p.X(0) << "\" height=\"" << row - 10 << "\"/>";
    if (r.ci95) {
      const double x0 = X(r.ci95->first), x1 = X(r.ci95->second);
      o << "<path class=\"whisker\" d=\"M" << x0 << "," << cy << " L" << x1 << "," << cy << " M" << x0 << "," << cy - 6
        << " L" << x0 << "," << cy + 6 << " M" << x1 << "," << cy - 6 << " L" << x1 << "," << cy + 6 << "\"/>";
    }
    o << "<text x=\"" << p.w - p.right + 8 << "\" y=\"" << cy + 4 << "\">" << html_escape(r.text) << "</text></g>";
    y += row;
  }
  o << "</svg>";
  return o.str();
}

// ---- A subject's timeline --------------------------------------------------------------------

namespace {

std::string str(const json& j, const char* k) {
  return j.is_object() && j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string();
}

std::optional<Date> date_of(const json& j, const char* k) { return parse_date(str(j, k)); }

std::string value_text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
  if (v.is_null()) return "–";
  return v.dump();
}

/// What a mark of an event says.
std::string event_label(const json& e) {
  const std::string kind = str(e, "kind"), drug = str(e, "drug");
  if (kind == "drug_start") return "Start " + drug;
  if (kind == "dose_change") return "Dose change " + drug;
  if (kind == "drug_hold") return "Hold " + drug;
  if (kind == "drug_stop") return "Stop " + drug;
  if (kind == "radiotherapy_start") return "IMRT start";
  if (kind == "radiotherapy_end") return "IMRT end";
  if (kind == "surgery") return "Surgery";
  if (kind == "discharge") return "Discharge";
  if (kind == "readmission") return "Readmission";
  if (kind == "reoperation") return "Reoperation";
  if (kind == "surgical_complication") return "Complication " + str(e, "grade");
  if (kind == "progression") return "Progression";
  if (kind == "relapse") return "Relapse";
  if (kind == "death") return "Death";
  if (kind == "withdrawal") return "Withdrawal";
  if (kind == "last_known_alive") return "Alive";
  if (kind == "response_assessment") return "Response " + str(e, "primary");
  if (kind == "pathology") return "Pathology";
  return kind;
}

/// The rest of an event's fields, "name: value; ...".
std::string event_detail(const json& e) {
  std::string d;
  for (const auto& [k, v] : e.items()) {
    if (k == "kind" || k == "date" || k == "id" || k == "corrects") continue;
    d += (d.empty() ? "" : "; ") + k + ": " + value_text(v);
  }
  return d;
}

std::string shorten(const std::string& s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t cut = max - 1;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // not inside a UTF-8 sequence
  return s.substr(0, cut) + "…";
}

// CTCAE grade colours of the DSMB report (html.cpp .g1-.g5); each mark also says "G1".."G5".
const char* grade_fill(std::optional<int> g) {
  static const char* fills[] = {"#9ecae1", "#4292c6", "#fdae6b", "#e6550d", "#7f0000"};
  return g && *g >= 1 && *g <= 5 ? fills[*g - 1] : "#ffffff";
}

constexpr std::size_t kLabelChars = 30;  // a mark's label on the picture; the table has it whole
constexpr double kCharWidth = 6.2;       // 11px system-ui, an average character
constexpr double kLaneHeight = 18;
constexpr double kBandRows = 2 * 16 + 6;  // the two windows' labels above the marks
constexpr double kLeft = 110, kRight = 16;
constexpr int kMaxLanes = 16;  // past them, labels may overlap (the table still lists every fact)

std::string label_of(const TimelineItem& it) { return shorten(it.label, kLabelChars); }

}  // namespace

TimelineInput timeline_input(const json& view, Date today) {
  TimelineInput in;
  in.subject = str(view, "subject");
  in.today = today;
  in.enrolled = date_of(view, "enrolled").value_or(today);
  in.items.push_back({in.enrolled, "enrolment", "Enrolled", "site " + str(view, "site"), std::nullopt, std::nullopt, ""});
  bool death_event = false;
  if (view.contains("events") && view["events"].is_array())
    for (const auto& e : view["events"]) {
      const auto d = date_of(e, "date");
      if (!d) continue;
      death_event = death_event || str(e, "kind") == "death";
      in.items.push_back({*d, str(e, "kind"), event_label(e), event_detail(e), std::nullopt, std::nullopt, ""});
    }
  if (view.contains("adverse_events") && view["adverse_events"].is_array())
    for (const auto& a : view["adverse_events"]) {
      const auto d = date_of(a, "onset");
      if (!d) continue;
      TimelineItem it{*d, "ae", "", "", std::nullopt, std::nullopt, str(a, "report_id")};
      if (a.contains("grade") && a["grade"].is_number_integer()) it.grade = a["grade"].get<int>();
      if (a.contains("id") && a["id"].is_number_integer()) it.report = a["id"].get<std::int64_t>();
      const bool nullified = str(a, "status") == "nullified";
      const bool serious = a.contains("safety") && a["safety"].is_object() && a["safety"].value("serious", false);
      it.label = (it.grade ? "G" + std::to_string(*it.grade) + " " : std::string("grade not given ")) + str(a, "term") +
                 (nullified ? " (nullified)" : "");
      it.detail = "report " + it.report_ref + "; " + (serious ? "serious" : "not serious") + "; outcome " +
                  value_text(a.value("outcome", json())) + "; resolved " + value_text(a.value("resolved", json()));
      in.items.push_back(std::move(it));
    }
  // A death the course knows from another source only (a grade 5 AE, a Clavien–Dindo V
  // complication): drawn at its date, its sources named.
  const json course = view.value("course", json::object());
  if (const auto death = date_of(course, "death_date"); death && !death_event) {
    std::string from;
    for (const auto& s : course.value("death_sources", json::array()))
      from += (from.empty() ? "" : ", ") + str(s, "source") + " " + str(s, "ref");
    in.items.push_back({*death, "death", "Death", "recorded as " + from, std::nullopt, std::nullopt, ""});
  }
  const json surgical = view.value("surgical", json());
  if (surgical.is_object()) {
    in.surgery = date_of(surgical, "surgery");
    in.window30_last_day = date_of(surgical, "window30_last_day");
    in.window90_last_day = date_of(surgical, "window90_last_day");
    in.day30_status = str(surgical, "day30");
    in.day90_status = str(surgical, "day90");
  }
  std::stable_sort(in.items.begin(), in.items.end(), [](const auto& a, const auto& b) { return a.date < b.date; });
  return in;
}

TimelineGeometry timeline_geometry(const TimelineInput& in, double width) {
  TimelineGeometry g;
  g.width = width;
  g.left = kLeft;
  g.right = kRight;
  g.first = in.enrolled;
  g.last = std::max(in.today, in.enrolled);
  for (const auto& it : in.items) {
    g.first = std::min(g.first, it.date);
    g.last = std::max(g.last, it.date);
  }
  if (in.surgery) g.first = std::min(g.first, *in.surgery);
  for (const auto& w : {in.window30_last_day, in.window90_last_day})
    if (w) g.last = std::max(g.last, *w);
  const int days = g.last.days - g.first.days + 1;
  g.day_width = (width - g.left - g.right) / days;

  // The windows (CLINICAL.md: day of surgery = day 0), from the surgery's day to the end of
  // their last day; the 30-day window of a subject still in the index admission is open.
  if (in.surgery) {
    const Date end = g.last;
    if (in.window90_last_day)
      g.bands.push_back({"90-day window", *in.surgery, *in.window90_last_day, false, g.x_of(*in.surgery),
                         g.x_of(in.window90_last_day->plus_days(1))});
    const bool open = !in.window30_last_day;
    const Date to = open ? end : *in.window30_last_day;
    g.bands.push_back({"30-day window", *in.surgery, to, open, g.x_of(*in.surgery), g.x_of(to.plus_days(1))});
  }

  // Marks: events in the course row, AE reports in theirs; a label that would run into the one
  // before it in its lane takes the next lane down.
  const double course_top = 8 + kBandRows;
  std::vector<double> course_end(kMaxLanes, -1e9), ae_end(kMaxLanes, -1e9);
  std::vector<std::pair<std::size_t, int>> placed;  // item, lane
  for (std::size_t i = 0; i < in.items.size(); ++i) {
    const auto& it = in.items[i];
    auto& ends = it.kind == "ae" ? ae_end : course_end;
    const double x = g.x_of(it.date) + g.day_width / 2;
    const double from = x - 6, to = x + 10 + kCharWidth * static_cast<double>(label_of(it).size());
    int lane = -1;
    for (int l = 0; l < kMaxLanes && lane < 0; ++l)
      if (ends[static_cast<std::size_t>(l)] + 4 <= from) lane = l;
    if (lane < 0)  // every lane taken: the one that ends first
      lane = static_cast<int>(std::min_element(ends.begin(), ends.end()) - ends.begin());
    ends[static_cast<std::size_t>(lane)] = to;
    placed.emplace_back(i, lane);
    (it.kind == "ae" ? g.ae_lanes : g.course_lanes) = std::max(it.kind == "ae" ? g.ae_lanes : g.course_lanes, lane + 1);
  }
  const double ae_top = course_top + g.course_lanes * kLaneHeight + 8;
  g.band_top = course_top - 4;
  g.axis_y = ae_top + g.ae_lanes * kLaneHeight + 4;
  g.band_bottom = g.axis_y;
  g.height = g.axis_y + 36;
  for (const auto& [i, lane] : placed) {
    const bool ae = in.items[i].kind == "ae";
    g.marks.push_back({i, ae ? "ae" : "course", lane, g.x_of(in.items[i].date) + g.day_width / 2,
                       (ae ? ae_top : course_top) + lane * kLaneHeight + kLaneHeight / 2});
  }
  for (const auto& [d, label] : svg::int_ticks(0, days - 1, 6)) {
    (void)label;
    const Date day = g.first.plus_days(static_cast<int>(d));
    g.ticks.emplace_back(g.x_of(day) + g.day_width / 2, format_date(day));
  }
  g.today_x = g.x_of(in.today) + g.day_width / 2;
  return g;
}

std::string timeline_svg(const TimelineInput& in, const TimelineGeometry& g) {
  using svg::num;
  auto n = [](double x) { return num(x, 1); };
  std::ostringstream o;
  std::string desc = "Subject " + in.subject + " from enrolment on " + format_date(in.enrolled) + " to " +
                     format_date(g.last) + ": " + std::to_string(in.items.size()) + " dated facts";
  for (const auto& b : g.bands)
    desc += "; " + b.label + " from " + format_date(b.from) + (b.open ? " (open: still in the index admission)"
                                                                       : " to " + format_date(b.to));
  desc += ". The table below lists the same facts.";
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" viewBox=\"0 0 " << n(g.width) << " " << n(g.height)
    << "\" width=\"" << n(g.width) << "\" height=\"" << n(g.height)
    << "\" style=\"max-width:100%;height:auto\" font-family=\"system-ui, sans-serif\" font-size=\"11\"><title>Timeline of subject "
    << html_escape(in.subject) << "</title><desc>" << html_escape(desc) << "</desc>";
  // The windows: shaded behind the marks, each named above them (the 90-day window first: the
  // 30-day one lies inside it).
  double label_y = 8 + 12;
  for (const auto& b : g.bands) {
    const bool d30 = b.label.rfind("30", 0) == 0;
    o << "<g class=\"band\"><rect x=\"" << n(b.x0) << "\" y=\"" << n(g.band_top) << "\" width=\""
      << n(std::max(1.0, b.x1 - b.x0)) << "\" height=\"" << n(g.band_bottom - g.band_top) << "\" fill=\""
      << (d30 ? "#f9dcc4" : "#e3ecf6") << "\"/><line x1=\"" << n(b.x0) << "\" y1=\"" << n(label_y + 4) << "\" x2=\""
      << n(b.x1) << "\" y2=\"" << n(label_y + 4) << "\" stroke=\"" << (d30 ? "#8a4b0f" : "#2c5d8f")
      << "\" stroke-width=\"3\"" << (b.open ? " stroke-dasharray=\"6 3\"" : "") << "/>";
    const std::string text = b.label + (b.open ? " (open)" : " to " + format_date(b.to));
    const bool right = b.x0 + kCharWidth * static_cast<double>(text.size()) > g.width - g.right;
    o << "<text x=\"" << n(right ? b.x1 : b.x0) << "\" y=\"" << n(label_y) << "\" fill=\"#1b1b1b\""
      << (right ? " text-anchor=\"end\"" : "") << ">" << html_escape(text) << "</text></g>";
    label_y += 16;
  }
  // Rows and axis.
  const double course_top = 8 + kBandRows, ae_top = course_top + g.course_lanes * kLaneHeight + 8;
  o << "<g class=\"rows\" fill=\"#1b1b1b\"><text x=\"" << n(g.left - 8) << "\" y=\"" << n(course_top + 13)
    << "\" text-anchor=\"end\" font-weight=\"600\">Course</text><text x=\"" << n(g.left - 8) << "\" y=\""
    << n(ae_top + 13) << "\" text-anchor=\"end\" font-weight=\"600\">AE reports</text></g>";
  o << "<g class=\"axis\" stroke=\"#6b7680\"><line x1=\"" << n(g.left) << "\" y1=\"" << n(g.axis_y) << "\" x2=\""
    << n(g.width - g.right) << "\" y2=\"" << n(g.axis_y) << "\"/>";
  for (const auto& [x, label] : g.ticks)
    o << "<line x1=\"" << n(x) << "\" y1=\"" << n(g.axis_y) << "\" x2=\"" << n(x) << "\" y2=\"" << n(g.axis_y + 4)
      << "\"/><text x=\"" << n(x) << "\" y=\"" << n(g.axis_y + 16) << "\" text-anchor=\"middle\" stroke=\"none\" fill=\"#1b1b1b\">"
      << html_escape(label) << "</text>";
  o << "</g>";
  o << "<g class=\"today\"><line x1=\"" << n(g.today_x) << "\" y1=\"" << n(g.band_top) << "\" x2=\"" << n(g.today_x)
    << "\" y2=\"" << n(g.axis_y) << "\" stroke=\"#1b1b1b\" stroke-dasharray=\"2 2\"/><text x=\"" << n(g.today_x)
    << "\" y=\"" << n(g.axis_y + 30) << "\" text-anchor=\"middle\" fill=\"#1b1b1b\">today</text></g>";
  // Marks: an event a dark dot (a death a cross), an AE a square in its grade's colour; each
  // with its label, so that no fact is carried by colour alone.
  for (const auto& m : g.marks) {
    const auto& it = in.items[m.item];
    o << "<g class=\"mark " << html_escape(m.row) << " " << html_escape(it.kind) << "\"";
    if (it.grade) o << " data-grade=\"" << *it.grade << "\"";
    o << ">";
    if (it.kind == "ae") {
      o << "<rect x=\"" << n(m.x - 5) << "\" y=\"" << n(m.y - 5) << "\" width=\"10\" height=\"10\" fill=\""
        << grade_fill(it.grade) << "\" stroke=\"#1b1b1b\"/>";
    } else if (it.kind == "death") {
      o << "<path d=\"M" << n(m.x - 5) << "," << n(m.y - 5) << " L" << n(m.x + 5) << "," << n(m.y + 5) << " M"
        << n(m.x + 5) << "," << n(m.y - 5) << " L" << n(m.x - 5) << "," << n(m.y + 5)
        << "\" stroke=\"#1b1b1b\" stroke-width=\"2.5\"/>";
    } else {
      o << "<circle cx=\"" << n(m.x) << "\" cy=\"" << n(m.y) << "\" r=\"" << (it.kind == "surgery" ? 6 : 4)
        << "\" fill=\"#12355b\"/>";
    }
    o << "<text x=\"" << n(m.x + 8) << "\" y=\"" << n(m.y + 4) << "\" fill=\"#1b1b1b\">" << html_escape(label_of(it))
      << "</text></g>";
  }
  o << "</svg>";
  return o.str();
}

}  // namespace pvmon::reports
