// The CIOMS I form ("Suspect adverse reaction report", CIOMS Working Group I, 1990) for one
// case: its fields 1 to 24d and 25a, numbered and labelled as on the form, as one printable HTML
// page. Inline CSS with print rules sized for A4 and Letter alike; no script, no external asset,
// no web font, so the page is the same offline, on screen and on paper. Every text from the
// case is escaped, and the markup is also well-formed XML (the tests parse it so).
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "e2b_terms.hpp"
#include "pvmon/icsr.hpp"

namespace pvmon::icsr {
namespace {

/// The code point of the well-formed UTF-8 sequence at s[i] (RFC 3629: no overlong form, no
/// surrogate, nothing past U+10FFFF) and its length, or length 0 when it is not one.
std::pair<std::uint32_t, std::size_t> utf8_at(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  std::size_t n = 0;
  std::uint32_t cp = 0, min = 0;
  if (c < 0x80) return {c, 1};
  if ((c & 0xE0) == 0xC0) n = 2, cp = c & 0x1F, min = 0x80;
  else if ((c & 0xF0) == 0xE0) n = 3, cp = c & 0x0F, min = 0x800;
  else if ((c & 0xF8) == 0xF0) n = 4, cp = c & 0x07, min = 0x10000;
  else return {0, 0};
  if (i + n > s.size()) return {0, 0};
  for (std::size_t k = 1; k < n; ++k) {
    if ((b(k) & 0xC0) != 0x80) return {0, 0};
    cp = (cp << 6) | (b(k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return {0, 0};
  return {cp, n};
}

/// Text for HTML content and attribute values: the five markup characters as references, and
/// what HTML and XML both refuse (control characters other than tab and line breaks, invalid
/// UTF-8) as U+FFFD, so that a stray byte in a site's text cannot break the page.
std::string esc(std::string_view s) {
  std::string o;
  o.reserve(s.size() + s.size() / 8);
  for (std::size_t i = 0; i < s.size();) {
    const auto [cp, n] = utf8_at(s, i);
    if (n == 0) {
      o += "\xEF\xBF\xBD";
      ++i;
      continue;
    }
    switch (cp) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&#39;"; break;
      default:
        if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || (cp >= 0x7F && cp <= 0x9F) ||
            cp == 0xFFFE || cp == 0xFFFF)
          o += "\xEF\xBF\xBD";
        else
          o.append(s.substr(i, n));
    }
    i += n;
  }
  return o;
}

/// A CSS string literal (for the running page header): everything but letters, digits, space
/// and a few safe signs as a hex escape, so neither markup nor CSS can be closed from inside.
std::string css_string(std::string_view s) {
  std::string o = "\"";
  for (std::size_t i = 0; i < s.size();) {
    const auto [cp, n] = utf8_at(s, i);
    if (n == 0 || cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) {
      o += "\\FFFD ";
      i += n == 0 ? 1 : n;
      continue;
    }
    if ((cp >= '0' && cp <= '9') || (cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z') || cp == ' ' ||
        cp == '-' || cp == '_' || cp == '.' || cp == ',' || cp == ':' || cp == '/' || cp >= 0xA0) {
      o.append(s.substr(i, n));
    } else {
      char b[16];
      std::snprintf(b, sizeof b, "\\%X ", static_cast<unsigned>(cp));
      o += b;
    }
    i += n;
  }
  return o + "\"";
}

/// The shortest decimal that reads back as the same double, never in exponent form (250, 2.5,
/// 0.04): a dose or a lab value is printed as it was given.
std::string num(double x) {
  if (!std::isfinite(x)) return "not a number";
  char b[64];
  if (const auto r = std::to_chars(b, b + sizeof b, x, std::chars_format::fixed); r.ec == std::errc{})
    return std::string(b, r.ptr);
  std::snprintf(b, sizeof b, "%.17g", x);  // too long for fixed notation (|x| >= 1e63)
  return b;
}

std::string iso(Date d) { return format_date(d); }
std::string iso(const std::optional<Date>& d, std::string_view none) { return d ? iso(*d) : std::string(none); }

struct Dmy {
  std::string day, month, year;
};
Dmy dmy(Date d) {
  static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{d.days}}};
  char day[8];
  std::snprintf(day, sizeof day, "%02u", static_cast<unsigned>(ymd.day()));
  const unsigned m = static_cast<unsigned>(ymd.month());
  return {day, m >= 1 && m <= 12 ? kMonths[m - 1] : "?", std::to_string(static_cast<int>(ymd.year()))};
}

/// The Day / Month / Year boxes of fields 2 and 4-6; `none` across them when there is no date.
std::string dmy_table(const std::optional<Date>& d, std::string_view none) {
  std::string o =
      "<table class=\"dmy\"><thead><tr><th scope=\"col\">Day</th><th scope=\"col\">Month</th>"
      "<th scope=\"col\">Year</th></tr></thead><tbody><tr>";
  if (d) {
    const Dmy x = dmy(*d);
    o += "<td>" + x.day + "</td><td>" + x.month + "</td><td>" + x.year + "</td>";
  } else {
    o += "<td colspan=\"3\">" + esc(none) + "</td>";
  }
  return o + "</tr></tbody></table>";
}

/// A box of the form, checked or not; the state is the image's accessible name.
std::string box(bool on) {
  return on ? "<span class=\"cb on\" role=\"img\" aria-label=\"checked\">X</span>"
            : "<span class=\"cb\" role=\"img\" aria-label=\"not checked\"></span>";
}
/// One labelled box; `id` lets a reader (and the tests) find it.
std::string choice(const std::string& id, bool on, std::string_view label, const std::string& detail = "") {
  return "<li id=\"" + id + "\">" + box(on) + " <span class=\"opt\">" + esc(label) + "</span>" +
         (detail.empty() ? "" : " <span class=\"detail\">" + detail + "</span>") + "</li>";
}

void open_field(std::ostringstream& o, std::string_view id, std::string_view no, std::string_view label,
                std::string_view cls = "") {
  o << "<div class=\"field" << (cls.empty() ? "" : " ") << cls << "\" id=\"" << id
    << "\"><div class=\"label\"><span class=\"no\">" << no << "</span> " << esc(label)
    << "</div><div class=\"value\">";
}
void close_field(std::ostringstream& o) { o << "</div></div>\n"; }

std::string or_none(const std::string& s, std::string_view none = "not reported") {
  return s.empty() ? "<span class=\"none\">" + esc(none) + "</span>" : esc(s);
}

std::string sex_text(const std::string& s) {
  if (s == "M") return "Male";
  if (s == "F") return "Female";
  return "Unknown";  // E2B D.5 null flavour UNK
}

// E2B(R3) G.k.8 action taken with drug.
std::string_view action_text(DrugAction a) {
  switch (a) {
    case DrugAction::withdrawn: return "drug withdrawn";
    case DrugAction::dose_reduced: return "dose reduced";
    case DrugAction::dose_increased: return "dose increased";
    case DrugAction::dose_not_changed: return "dose not changed";
    case DrugAction::unknown: return "unknown";
    case DrugAction::not_applicable: return "not applicable";
  }
  return "unknown";
}

std::string_view role_text(DrugRole r) {
  switch (r) {
    case DrugRole::suspect: return "Suspect";
    case DrugRole::concomitant: return "Concomitant";
    case DrugRole::interacting: return "Interacting";
    case DrugRole::not_administered: return "Not administered";
  }
  return "Suspect";
}

/// Field 20, the dechallenge: it is only a question when the drug was stopped (G.k.8 withdrawn);
/// then the outcome (E.i.7) answers it. A dose kept, reduced or raised is no stop: NA. An
/// unknown action or outcome leaves every box empty and says so, rather than guess.
enum class Answer { yes, no, na, unknown };
Answer dechallenge(DrugAction a, Outcome o) {
  switch (a) {
    case DrugAction::withdrawn:
      switch (o) {
        case Outcome::recovered:
        case Outcome::recovering:
        case Outcome::recovered_with_sequelae: return Answer::yes;
        case Outcome::not_recovered:
        case Outcome::fatal: return Answer::no;
        case Outcome::unknown: return Answer::unknown;
      }
      return Answer::unknown;
    case DrugAction::dose_reduced:
    case DrugAction::dose_increased:
    case DrugAction::dose_not_changed:
    case DrugAction::not_applicable: return Answer::na;
    case DrugAction::unknown: return Answer::unknown;
  }
  return Answer::unknown;
}

std::string answer_boxes(const std::string& id, Answer a, const std::string& basis) {
  std::string o = "<ul class=\"checks inline\">";
  o += choice(id + "-yes", a == Answer::yes, "Yes");
  o += choice(id + "-no", a == Answer::no, "No");
  o += choice(id + "-na", a == Answer::na, "NA");
  o += "</ul>";
  if (a == Answer::unknown) o += "<div class=\"answer\">unknown</div>";
  if (!basis.empty()) o += "<div class=\"note\">" + basis + "</div>";
  return o;
}

std::string dose_text(const Drug& d) {
  if (!d.dose) return "<span class=\"none\">not reported</span>";
  return esc(num(*d.dose)) + " " + (d.dose_unit.empty() ? "(unit not reported)" : esc(d.dose_unit));
}

std::string duration_text(const Drug& d) {
  if (!d.start || !d.end) return "<span class=\"none\">unknown (start or end date not reported)</span>";
  if (d.end->days < d.start->days) return "<span class=\"none\">not calculable (end before start)</span>";
  const long days = static_cast<long>(d.end->days) - d.start->days + 1;  // both days count
  return std::to_string(days) + (days == 1 ? " day" : " days");
}

std::string range_value(const std::optional<double>& v) {
  return v ? esc(num(*v)) : "<span class=\"none\">not reported</span>";
}

const char* kCss = R"css(
@page{margin:14mm 12mm 14mm 12mm;@bottom-right{content:"Page " counter(page) " of " counter(pages);font:8pt Arial,sans-serif}}
*{box-sizing:border-box}
html{background:#fff;color:#000}
body{font:10pt/1.35 Arial,"Liberation Sans","Helvetica Neue",Helvetica,sans-serif;margin:0 auto;max-width:196mm;padding:16px 12px}
header{display:flex;justify-content:space-between;align-items:flex-end;gap:12px;border-bottom:2px solid #000;padding-bottom:4px}
.form-name{font-weight:700;letter-spacing:.12em;margin:0;font-size:9pt}
h1{font-size:14pt;margin:0;text-transform:uppercase;letter-spacing:.02em}
.case-id{text-align:right;margin:0;font-size:9pt}
.case-id strong{font-size:11pt}
.banner{border:2px solid #000;padding:4px 8px;margin:8px 0 0;font-weight:700}
.banner.nullified{background:#fde8e8;border-color:#a00000;color:#600}
.banner.followup{background:#eef3fa}
h2{font-size:9.5pt;text-transform:uppercase;letter-spacing:.04em;background:#e6e6e6;border:1px solid #000;border-bottom:0;margin:10px 0 0;padding:3px 6px}
h3{font-size:8pt;text-transform:uppercase;letter-spacing:.02em;margin:8px 0 2px}
.grid{display:grid;border-left:1px solid #000;border-top:1px solid #000}
.grid+.grid{border-top:0}
.r1{grid-template-columns:1.25fr .7fr 1.25fr .6fr .7fr 1.5fr}
.r2{grid-template-columns:1fr 16em}
.r3{grid-template-columns:1fr}
.r4{grid-template-columns:1.4fr 1fr 1fr}
.r5{grid-template-columns:1.4fr 1fr 1fr}
.field{border-right:1px solid #000;border-bottom:1px solid #000;padding:3px 6px 5px;min-width:0}
.label{font-size:7.5pt;text-transform:uppercase;letter-spacing:.02em;color:#222}
.no{font-weight:700}
.value{margin-top:2px;overflow-wrap:break-word}
.note{font-size:8pt;color:#333}
.none{font-style:italic;color:#444}
table{border-collapse:collapse;width:100%;margin:2px 0}
th,td{border:1px solid #000;padding:2px 4px;text-align:left;vertical-align:top;overflow-wrap:break-word}
thead th{background:#f0f0f0;font-size:8pt;font-weight:700;white-space:nowrap}
table.dmy th,table.dmy td{text-align:center;font-size:8pt;padding:1px 2px}
table.dmy td{font-size:10pt}
table.drugs{margin:0;border-top:0}
table.drugs>tbody>tr>th{width:26%;font-weight:400}
table.drugs>tbody>tr>th .label{display:block}
td.num{text-align:right;white-space:nowrap}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:1px 10px;margin:2px 0}
dl.facts dt{font-weight:700}
dl.facts dd{margin:0}
.narrative{white-space:pre-wrap;margin:2px 0}
ul.checks{list-style:none;margin:2px 0 0;padding:0}
ul.checks li{margin:2px 0;padding-left:1.5em;text-indent:-1.5em}
ul.checks.inline li{display:inline-block;margin-right:12px;padding-left:0;text-indent:0}
ul.plain{margin:0;padding-left:1.1em}
.cb{display:inline-block;text-indent:0;width:12px;height:12px;border:1px solid #000;text-align:center;font:700 10px/10px Arial,"Liberation Sans",sans-serif;vertical-align:-1px;margin-right:.2em}
.detail{display:block;text-indent:0;font-size:9pt}
.answer{font-style:italic;font-size:9pt}
footer{margin-top:10px;font-size:8pt;color:#333;border-top:1px solid #000;padding-top:3px}
@media (max-width:640px){.r1,.r2,.r4,.r5{grid-template-columns:1fr}body{padding:8px}header{display:block}.case-id{text-align:left}}
@media print{body{max-width:none;padding:0;font-size:9pt}h2,h3{break-after:avoid}
.field:not(.long),tr,li,.banner{break-inside:avoid}thead{display:table-header-group}
h2,thead th,.banner,.cb{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
)css";

void reaction_section(std::ostringstream& o, const Case& c) {
  const Reaction& r = c.reaction;
  o << "<section id=\"s1\" aria-labelledby=\"h-s1\"><h2 id=\"h-s1\">I. Reaction information</h2>\n"
       "<div class=\"grid r1\">\n";
  open_field(o, "f1", "1.", "Patient initials (first, last)");
  o << or_none(c.subject) << "<div class=\"note\">pseudonymous subject id</div>";
  close_field(o);
  open_field(o, "f1a", "1a.", "Country");
  const std::string& country = !r.country.empty() ? r.country
                               : !c.primary_source_country.empty() ? c.primary_source_country
                                                                   : c.reporter_country;
  o << or_none(country);
  close_field(o);
  open_field(o, "f2", "2.", "Date of birth");
  o << dmy_table(std::nullopt, "not collected") << "<div class=\"note\">age in 2a</div>";
  close_field(o);
  open_field(o, "f2a", "2a.", "Age");
  o << (c.age_years ? std::to_string(*c.age_years) + " years" : "<span class=\"none\">unknown</span>")
    << "<div class=\"note\">at onset</div>";
  close_field(o);
  open_field(o, "f3", "3.", "Sex");
  o << sex_text(c.sex);
  close_field(o);
  open_field(o, "f4-6", "4-6", "Reaction onset");
  o << dmy_table(r.start, "unknown");
  close_field(o);
  o << "</div>\n<div class=\"grid r2\">\n";

  open_field(o, "f7-13", "7 + 13", "Describe reaction(s) (including relevant tests/lab data)", "long");
  o << "<dl class=\"facts\">";
  const bool tagged = r.language.size() == 2 && r.language != "en";
  o << "<dt>Reported term (verbatim)</dt><dd id=\"verbatim\""
    << (tagged ? " lang=\"" + esc(r.language) + "\"" : std::string()) << ">" << or_none(r.verbatim) << "</dd>";
  o << "<dt>CTCAE v5.0 term</dt><dd id=\"term\">" << or_none(r.term)
    << (r.grade > 0 ? ", grade " + std::to_string(r.grade) : std::string(", grade not recorded")) << "</dd>";
  o << "<dt>MedDRA</dt><dd id=\"meddra\">"
    << (r.meddra_code.empty() ? "<span class=\"none\">code not recorded</span>"
                              : "LLT " + esc(r.meddra_code) + " (MedDRA " + esc(r.meddra_version) + ")")
    << "</dd>";
  o << "<dt>Onset</dt><dd id=\"onset\">" << esc(iso(r.start, "unknown")) << "</dd>";
  o << "<dt>End</dt><dd id=\"end\">" << esc(iso(r.end, "not reported")) << "</dd>";
  o << "<dt>Outcome</dt><dd id=\"outcome\">" << outcome_text(r.outcome) << "</dd>";
  o << "</dl>";

  o << "<h3>Relevant tests and laboratory data</h3>";
  if (c.labs.empty()) {
    o << "<p class=\"none\" id=\"labs\">none reported</p>";
  } else {
    o << "<table id=\"labs\"><thead><tr><th scope=\"col\">Test</th><th scope=\"col\">Date</th>"
         "<th scope=\"col\">Result</th><th scope=\"col\">Unit</th><th scope=\"col\">Normal low</th>"
         "<th scope=\"col\">Normal high</th><th scope=\"col\">Comment</th></tr></thead><tbody>";
    for (const LabTest& l : c.labs)
      o << "<tr><th scope=\"row\">" << or_none(l.name, "unnamed test") << "</th><td>"
        << esc(iso(l.date, "not reported")) << "</td><td class=\"num\">" << esc(num(l.value)) << "</td><td>"
        << or_none(l.unit) << "</td><td class=\"num\">" << range_value(l.low) << "</td><td class=\"num\">"
        << range_value(l.high) << "</td><td>" << esc(l.comment) << "</td></tr>";
    o << "</tbody></table>";
  }

  if (c.death_date || !c.death_causes.empty()) {
    o << "<h3>Death</h3><dl class=\"facts\" id=\"death\"><dt>Date of death</dt><dd>"
      << esc(iso(c.death_date, "not reported")) << "</dd><dt>Reported cause(s)</dt><dd>";
    if (c.death_causes.empty()) o << "<span class=\"none\">not reported</span>";
    for (std::size_t i = 0; i < c.death_causes.size(); ++i) {
      const std::string code = i < c.death_cause_codes.size() ? c.death_cause_codes[i] : "";
      o << (i ? "; " : "") << esc(c.death_causes[i]) << (code.empty() ? "" : " (MedDRA " + esc(code) + ")");
    }
    o << "</dd></dl>";
  }

  o << "<h3>Narrative</h3>";
  if (c.narrative.empty())
    o << "<p class=\"none\" id=\"narrative\">none</p>";
  else
    o << "<p class=\"narrative\" id=\"narrative\">" << esc(c.narrative) << "</p>";
  if (!c.sender_comment.empty())
    o << "<h3>Sender's comment</h3><p class=\"narrative\" id=\"sender-comment\">" << esc(c.sender_comment) << "</p>";
  close_field(o);

  open_field(o, "f8-12", "8-12", "Check all appropriate to adverse reaction");
  std::string death_detail;
  if (r.death) {
    death_detail = "date " + esc(iso(c.death_date, "not reported")) + "; cause: ";
    if (c.death_causes.empty()) death_detail += "not reported";
    for (std::size_t i = 0; i < c.death_causes.size(); ++i) death_detail += (i ? "; " : "") + esc(c.death_causes[i]);
  }
  // E2B(R3) E.i.3.2a-f: the form's four boxes, then the two criteria E2B adds.
  o << "<ul class=\"checks\">" << choice("f8-12-died", r.death, "Patient died", death_detail)
    << choice("f8-12-hospitalisation", r.hospitalization, "Involved or prolonged inpatient hospitalisation")
    << choice("f8-12-disability", r.disability, "Involved persistent or significant disability or incapacity")
    << choice("f8-12-life-threatening", r.life_threatening, "Life threatening")
    << choice("f8-12-congenital-anomaly", r.congenital_anomaly, "Congenital anomaly/birth defect")
    << choice("f8-12-medically-important", r.medically_important, "Other medically important condition")
    << "</ul>";
  close_field(o);
  o << "</div>\n</section>\n";
}

void suspect_section(std::ostringstream& o, const Case& c) {
  std::vector<const Drug*> drugs;
  for (const Drug& d : c.drugs)
    if (d.role == DrugRole::suspect || d.role == DrugRole::interacting) drugs.push_back(&d);
  o << "<section id=\"s2\" aria-labelledby=\"h-s2\"><h2 id=\"h-s2\">II. Suspect drug(s) information</h2>\n";
  if (drugs.empty()) {
    o << "<div class=\"grid r3\">";
    open_field(o, "f14", "14.", "Suspect drug(s) (include generic name)");
    o << "<span class=\"none\">none reported</span>";
    close_field(o);
    o << "</div></section>\n";
    return;
  }
  const std::string study = c.study_name.empty() ? "clinical trial" : c.study_name;
  // One column per drug, one row per field: each field lists every suspect drug, #1, #2...
  o << "<table class=\"drugs\"><thead><tr><th scope=\"col\">Field</th>";
  for (std::size_t i = 0; i < drugs.size(); ++i)
    o << "<th scope=\"col\">#" << i + 1 << " " << role_text(drugs[i]->role) << " drug</th>";
  o << "</tr></thead><tbody>\n";
  auto row = [&](const char* id, const char* no, const char* label, const char* note, auto cell) {
    o << "<tr id=\"" << id << "\"><th scope=\"row\"><span class=\"label\"><span class=\"no\">" << no << "</span> "
      << label << "</span>" << (*note ? std::string("<span class=\"note\">") + note + "</span>" : std::string())
      << "</th>";
    for (std::size_t i = 0; i < drugs.size(); ++i)
      o << "<td id=\"" << id << "-" << i + 1 << "\">" << cell(*drugs[i], std::to_string(i + 1)) << "</td>";
    o << "</tr>\n";
  };
  row("f14", "14.", "Suspect drug(s) (include generic name)", "", [&](const Drug& d, const std::string&) {
    return or_none(d.name, "name not reported") +
           (d.blinded ? std::string(" <span class=\"note\">(blinded investigational product)</span>") : "");
  });
  row("f15", "15.", "Daily dose(s)", "per administration, as reported; dosing interval not recorded",
      [&](const Drug& d, const std::string&) { return dose_text(d); });
  row("f16", "16.", "Route(s) of administration", "",
      [&](const Drug& d, const std::string&) { return or_none(d.route); });
  row("f17", "17.", "Indication(s) for use", "",
      [&](const Drug&, const std::string&) { return esc(study); });
  row("f18", "18.", "Therapy dates (from/to)", "", [&](const Drug& d, const std::string&) {
    return "from " + esc(iso(d.start, "not reported")) + "<br/>to " + esc(iso(d.end, "not reported"));
  });
  row("f19", "19.", "Therapy duration", "", [&](const Drug& d, const std::string&) { return duration_text(d); });
  row("f20", "20.", "Did reaction abate after stopping drug?", "from the action taken and the outcome",
      [&](const Drug& d, const std::string& n) {
        return answer_boxes("f20-" + n, dechallenge(d.action, c.reaction.outcome),
                            "action: " + std::string(action_text(d.action)) + "; outcome: " +
                                std::string(outcome_text(c.reaction.outcome)));
      });
  row("f21", "21.", "Did reaction reappear after reintroduction?", "",
      [&](const Drug&, const std::string& n) {
        // The case records no rechallenge (E2B G.k.9.i.4 is not kept): not applicable.
        return answer_boxes("f21-" + n, Answer::na, "no reintroduction recorded");
      });
  row("action", "", "Action taken with drug", "E2B G.k.8",
      [&](const Drug& d, const std::string&) { return std::string(action_text(d.action)); });
  row("causality", "", "Causality assessment", "E2B G.k.9.i.2.r", [&](const Drug& d, const std::string&) {
    if (d.causality.empty()) return std::string("<span class=\"none\">not assessed</span>");
    std::string s = "<ul class=\"plain\">";
    for (const Causality& a : d.causality)
      s += "<li>" + or_none(a.source, "source not reported") + ": <strong>" + or_none(a.result, "result not reported") +
           "</strong>" + (a.method.empty() ? "" : " <span class=\"note\">(" + esc(a.method) + ")</span>") +
           (!a.reaction_id.empty() && a.reaction_id != c.reaction.id
                ? " <span class=\"note\">(reaction " + esc(a.reaction_id) + ")</span>"
                : "") +
           "</li>";
    return s + "</ul>";
  });
  o << "</tbody></table>\n</section>\n";
}

void history_section(std::ostringstream& o, const Case& c) {
  o << "<section id=\"s3\" aria-labelledby=\"h-s3\"><h2 id=\"h-s3\">III. Concomitant drug(s) and history</h2>\n"
       "<div class=\"grid r3\">\n";
  open_field(o, "f22", "22.", "Concomitant drug(s) and dates of administration (exclude those used to treat reaction)");
  bool any = false;
  for (const Drug& d : c.drugs) any = any || d.role == DrugRole::concomitant;
  if (!any) {
    o << "<span class=\"none\">none reported</span>";
  } else {
    o << "<table><thead><tr><th scope=\"col\">Drug</th><th scope=\"col\">Dose</th><th scope=\"col\">Route</th>"
         "<th scope=\"col\">From</th><th scope=\"col\">To</th></tr></thead><tbody>";
    for (const Drug& d : c.drugs)
      if (d.role == DrugRole::concomitant)
        o << "<tr><th scope=\"row\">" << or_none(d.name, "name not reported") << "</th><td>" << dose_text(d)
          << "</td><td>" << or_none(d.route) << "</td><td>" << esc(iso(d.start, "not reported")) << "</td><td>"
          << esc(iso(d.end, "not reported")) << "</td></tr>";
    o << "</tbody></table>";
  }
  std::string absent;
  for (const Drug& d : c.drugs)
    if (d.role == DrugRole::not_administered) absent += (absent.empty() ? "" : "; ") + or_none(d.name, "unnamed");
  if (!absent.empty()) o << "<div class=\"note\" id=\"not-administered\">Drug(s) not administered: " << absent << "</div>";
  close_field(o);
  open_field(o, "f23", "23.", "Other relevant history (e.g. diagnostics, allergies, pregnancy with last month of period, etc.)");
  // D.7.2 as the site gave it ("None" included); empty is E2B's unknown, not "none".
  if (c.medical_history.empty())
    o << "<span class=\"none\">unknown</span>";
  else
    o << "<p class=\"narrative\" id=\"history\">" << esc(c.medical_history) << "</p>";
  close_field(o);
  o << "</div>\n</section>\n";
}

void manufacturer_section(std::ostringstream& o, const Case& c) {
  o << "<section id=\"s4\" aria-labelledby=\"h-s4\"><h2 id=\"h-s4\">IV. Manufacturer information</h2>\n"
       "<div class=\"grid r4\">\n";
  open_field(o, "f24a", "24a.", "Name and address of manufacturer");
  // C.3.2 to C.3.4.8: the organisation, its safety department and address; the person named
  // in C.3.3 is left to the ICSR (the form asks for the manufacturer).
  o << "<strong>" << or_none(c.sender_organisation) << "</strong>";
  if (!c.sender_department.empty()) o << "<br/>" << esc(c.sender_department);
  if (!c.sender_street.empty()) o << "<br/>" << esc(c.sender_street);
  std::string place;
  for (const std::string* part : {&c.sender_postcode, &c.sender_city, &c.sender_state})
    if (!part->empty()) place += (place.empty() ? "" : " ") + esc(*part);
  if (!place.empty()) o << "<br/>" << place;
  o << "<br/>" << or_none(c.sender_country, "country not reported");
  for (const auto& [what, value] : {std::pair{"tel. ", &c.sender_telephone}, std::pair{"fax ", &c.sender_fax},
                                    std::pair{"e-mail ", &c.sender_email}})
    if (!value->empty()) o << "<br/>" << what << esc(*value);
  close_field(o);
  open_field(o, "f24b", "24b.", "MFR control no.");
  o << "<strong>" << or_none(c.safety_report_id) << "</strong>";
  if (!c.worldwide_case_id.empty() && c.worldwide_case_id != c.safety_report_id)
    o << "<div class=\"note\">worldwide unique case id " << esc(c.worldwide_case_id) << "</div>";
  close_field(o);
  open_field(o, "f24c", "24c.", "Date received by manufacturer");
  o << esc(iso(c.first_received));
  if (c.most_recent != c.first_received)
    o << "<div class=\"note\">most recent information " << esc(iso(c.most_recent)) << "</div>";
  close_field(o);
  o << "</div>\n<div class=\"grid r5\">\n";

  open_field(o, "f24d", "24d.", "Report source");
  o << "<ul class=\"checks inline\">" << choice("f24d-study", true, "Study") << choice("f24d-literature", false, "Literature")
    << choice("f24d-health-professional", false, "Health professional") << choice("f24d-other", false, "Other")
    << "</ul><div class=\"note\">" << (c.study_name.empty() ? "clinical trial" : esc(c.study_name));
  if (!c.registration_number.empty())
    o << "; registration " << esc(c.registration_number)
      << (c.registration_country.empty() ? "" : " (" + esc(c.registration_country) + ")");
  if (!c.sponsor_study_number.empty()) o << "; sponsor study number " << esc(c.sponsor_study_number);
  o << "<br/>primary source: " << or_none(c.reporter_organisation)
    << (c.reporter_country.empty() ? "" : " (" + esc(c.reporter_country) + ")") << ", investigator (physician)</div>";
  close_field(o);
  open_field(o, "f-date", "", "Date of this report");
  o << esc(iso(c.created.date()));
  close_field(o);
  open_field(o, "f25a", "25a.", "Report type");
  o << "<ul class=\"checks inline\">" << choice("f25a-initial", !c.followup, "Initial")
    << choice("f25a-followup", c.followup, "Follow-up") << "</ul><div class=\"note\">version " << c.version << "</div>";
  if (c.nullified)
    o << "<div class=\"answer\" id=\"f25a-nullified\"><strong>Nullified</strong>: "
      << or_none(c.nullification_reason, "reason not reported") << "</div>";
  close_field(o);
  o << "</div>\n</section>\n";
}

}  // namespace

std::string cioms_html(const Case& c) {
  const std::string kind = std::string(c.followup ? "follow-up" : "initial") + " report, version " +
                           std::to_string(c.version) + (c.nullified ? ", nullified" : "");
  std::ostringstream o;
  o << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>"
       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>"
    << "<title>CIOMS I form " << esc(c.safety_report_id) << " (" << kind << ")</title><style>" << kCss
    // Every printed page names the case, so a page that goes astray can be put back.
    << "@page{@top-right{content:" << css_string("CIOMS I " + c.safety_report_id)
    << ";font:8pt Arial,sans-serif}}</style></head><body>\n";
  o << "<header><div><p class=\"form-name\">CIOMS FORM</p><h1>Suspect adverse reaction report</h1></div>"
    << "<p class=\"case-id\">MFR control no. <strong>" << or_none(c.safety_report_id) << "</strong><br/>" << kind
    << "</p></header>\n";
  if (c.nullified)
    o << "<p class=\"banner nullified\" id=\"nullified\">NULLIFIED: this report withdraws case "
      << or_none(c.safety_report_id) << ". Reason: " << or_none(c.nullification_reason, "not reported") << "</p>\n";
  else if (c.followup)
    o << "<p class=\"banner followup\" id=\"followup\">Follow-up report (version " << c.version << ") of case "
      << or_none(c.safety_report_id) << ", first received " << esc(iso(c.first_received)) << "</p>\n";
  reaction_section(o, c);
  suspect_section(o, c);
  history_section(o, c);
  manufacturer_section(o, c);
  o << "<footer>Generated by pvmon from ICSR message " << or_none(c.message_id) << " (batch " << or_none(c.batch_id)
    << "), created " << esc(format_timestamp(c.created))
    << ". The patient is identified by the pseudonymous subject id only.</footer>\n</body></html>\n";
  return o.str();
}

}  // namespace pvmon::icsr
