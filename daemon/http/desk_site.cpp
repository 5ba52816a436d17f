// The safety desk: a site's lists and its forms (enrol, AE report, follow-up, subject event) (desk.hpp).
//
// The lists read what the API reads: the AE reports through the store's list_ae under the API's
// scope (scoped_query: a site sees its own), the subjects with each one's course as the figures
// build it (service::courses_of). Each form posts the JSON object its /v1 route takes: its fields
// are named by their JSON keys ("serious.death" for a nested one), a POST turns them into that
// object and hands it to the use case the API handler calls (enrol_subject, accept_ae,
// add_followup, add_subject_event). An error comes back as the form with what the user typed,
// each of the API's errors beside the control its JSON path names and all of them in a summary
// on top. A control's id is its JSON path with '-' for '.' ("serious-death").
//
// The one script, /desk/static/term-search.js (desk/term-search.js, compiled in), turns the AE
// form's term field into a combobox over GET /desk/ctcae/terms: the API's term search, to the
// session. Without it the field is text the server codes as the API does.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <map>
#include <set>

#include "desk.hpp"
#include "pvmon/intake.hpp"
#include "pvmon/safety/events.hpp"
#include "pvmon/service/ae.hpp"
#include "pvmon/service/figures.hpp"
#include "pvmon/service/subjects.hpp"

namespace pvmon::http {

extern const std::string_view kTermSearchJs;  // desk_term_search.cpp, generated from desk/term-search.js

using config::Role;
using nlohmann::json;

namespace {

constexpr const char* kTermSearchPath = "/desk/static/term-search.js";

// ---- the session as the API's caller ---------------------------------------------------

/// The session's principal where the API's helpers and use cases read the caller
/// (find_site_study, scoped_query, site_report, Call::caller).
void act_as(Call& c, const Session& who) { c.principal = Principal{who.row.principal, who.role, who.row.site}; }

/// The study in the path as the API finds it for the caller: a site must take part in it (403),
/// an unknown one is 404.
Result<const config::Study*> study_of(const Call& c) {
  return c.principal.role == Role::site ? find_site_study(c) : find_study(c, c.params[0]);
}


/// The study's subjects now, with their events and what their courses read of their AE reports:
/// the store's snapshot as the scheduler reads it (no report, no clock).
Result<store::Snapshot> subjects_now(Services& s, const config::Study& st, bool courses) {
  store::Store::SnapshotOptions o;
  o.slim = true;
  o.alerts = false;
  store::Store::SnapshotOptions::Scheduler sch;
  sch.clocks_due_by = Timestamp{};
  sch.courses = courses;
  o.scheduler = std::move(sch);
  return s.store.snapshot(st.id, s.clock.now(), o);
}

/// The ids of the subjects the caller may see (a site: its own), in id order.
Result<std::vector<std::string>> visible_subjects(Services& s, const Call& c, const config::Study& st) {
  auto snap = subjects_now(s, st, false);
  if (!snap) return snap.error();
  std::vector<std::string> out;
  for (const auto& row : snap->subjects)
    if (sees_site(c.principal, row.site)) out.push_back(row.subject);
  return out;
}

// ---- forms: controls named by JSON paths ------------------------------------------------

enum class Kind { text, textarea, integer, number, date, datetime, select, checkbox, yes_no };

struct Control {
  std::string name;   // the JSON path, dotted for a nested key ("serious.death")
  std::string label;  // without "(required)": added for a required control
  Kind kind = Kind::text;
  bool required = false;  // the API requires it (never set on a checkbox: unticked is an answer)
  std::vector<std::pair<std::string, std::string>> options = {};  // a select's (value, text)
  std::string hint = {};
  bool unticked_false = false;  // a checkbox the API requires: unticked is false, else left out
  std::string attributes = {};  // further attributes, written as they are
  bool numeric = false;         // a select whose value is sent as a JSON number (the grade)
};

/// Controls of one JSON object in a fieldset (`name` its key, the fieldset's id), or loose
/// controls (no name).
struct Group {
  std::string name;
  std::string legend;
  std::vector<Control> controls;
  bool always = false;  // the object is sent even when no control in it is filled
};

using Form = std::vector<Group>;
using Values = std::map<std::string, std::string>;

std::string id_of(std::string name) {
  std::replace(name.begin(), name.end(), '.', '-');
  return name;
}

json::json_pointer pointer_of(const std::string& name) {
  std::string p = "/";
  for (char ch : name) {
    if (ch == '.') p += '/';
    else if (ch == '~') p += "~0";
    else if (ch == '/') p += "~1";
    else p += ch;
  }
  return json::json_pointer(p);
}

const Control* control_named(const Form& f, const std::string& name) {
  for (const auto& g : f)
    for (const auto& k : g.controls)
      if (k.name == name) return &k;
  return nullptr;
}

const Group* group_named(const Form& f, const std::string& name) {
  for (const auto& g : f)
    if (!g.name.empty() && g.name == name) return &g;
  return nullptr;
}

/// The form as posted: the first value of each field.
Values values_of(const Fields& posted) {
  Values v;
  for (const auto& [k, val] : posted) v.emplace(k, val);
  return v;
}

std::string value_in(const Values& v, const std::string& name) {
  const auto it = v.find(name);
  return it == v.end() ? std::string() : it->second;
}

/// A number as typed, as JSON: an integer, else a decimal; anything else stays text for the API
/// to name ("must be a number").
json number_of(const std::string& s) {
  const char* end = s.data() + s.size();
  std::int64_t i = 0;
  if (auto [p, ec] = std::from_chars(s.data(), end, i); ec == std::errc() && p == end) return i;
  double d = 0;
  if (auto [p, ec] = std::from_chars(s.data(), end, d); ec == std::errc() && p == end && std::isfinite(d)) return d;
  return s;
}

/// A datetime-local value ("2026-10-03T08:10", seconds optional) is UTC, as its label says: the
/// RFC 3339 date-time the API takes. Anything else goes on as typed, for the API to judge.
std::string rfc3339_of(const std::string& s) {
  const bool local = s.size() >= 16 && s[10] == 'T' && s.find_first_of("Zz+-", 11) == std::string::npos;
  if (!local) return s;
  return s + (s.size() == 16 ? ":00Z" : "Z");
}

/// A stored date-time (format_timestamp: "2026-10-03T08:10:00.000Z") as a datetime-local value.
std::string local_of(const std::string& s) {
  if (s.size() >= 20 && s[10] == 'T' && (s.back() == 'Z' || s.back() == 'z')) return s.substr(0, 19);
  return s;
}

/// The JSON object the form's fields make: each filled control at its path; an empty control is
/// left out (the API's "absent"), a checkbox is true when ticked (false when the API requires it).
json body_of(const Form& f, const Values& v) {
  json out = json::object();
  for (const auto& g : f) {
    if (g.always && !g.name.empty()) out[pointer_of(g.name)] = json::object();
    for (const auto& k : g.controls) {
      const std::string s = value_in(v, k.name);
      std::optional<json> val;
      switch (k.kind) {
        case Kind::checkbox:
          if (!s.empty()) val = true;
          else if (k.unticked_false) val = false;
          break;
        case Kind::yes_no:
          if (s == "true") val = true;
          else if (s == "false") val = false;
          else if (!s.empty()) val = s;
          break;
        case Kind::integer:
        case Kind::number:
          if (!s.empty()) val = number_of(s);
          break;
        case Kind::datetime:
          if (!s.empty()) val = rfc3339_of(s);
          break;
        default:
          if (!s.empty()) val = k.numeric ? number_of(s) : json(s);
      }
      if (val) out[pointer_of(k.name)] = std::move(*val);
    }
  }
  return out;
}

/// The form's values from a stored record (a follow-up starts from the current version); the
/// controls' names carry `prefix` ("changes."), the record's keys do not.
Values values_from(const Form& f, const json& record, const std::string& prefix) {
  Values v;
  for (const auto& g : f)
    for (const auto& k : g.controls) {
      if (k.name.rfind(prefix, 0) != 0) continue;
      const auto ptr = pointer_of(k.name.substr(prefix.size()));
      if (!record.contains(ptr)) continue;
      const json& j = record.at(ptr);
      if (j.is_boolean()) {
        if (j.get<bool>()) v[k.name] = "true";
      } else if (j.is_string()) {
        v[k.name] = k.kind == Kind::datetime ? local_of(j.get<std::string>()) : j.get<std::string>();
      } else if (j.is_number()) {
        v[k.name] = j.dump();
      }
    }
  return v;
}

// ---- a follow-up's changes: what the form changed of the current version ---------------

/// null, "" and {} all say "not given" (the stored record writes an unset narrative as "").
bool unset(const json& j) {
  return j.is_null() || (j.is_string() && j.get_ref<const std::string&>().empty()) || (j.is_object() && j.empty());
}

bool same(const json& a, const json& b) {
  if (unset(a) && unset(b)) return true;
  if (a.is_string() && b.is_string()) {
    // "2026-10-03T08:10:00Z" as the form sends it is the stored "2026-10-03T08:10:00.000Z".
    const auto ta = parse_timestamp(a.get<std::string>()), tb = parse_timestamp(b.get<std::string>());
    if (ta && tb) return *ta == *tb;
  }
  return a == b;
}

/// The RFC 7386 merge patch from `from` to `to` (the follow-up's `changes`, which the use case
/// merges into the current version): only what differs; a field emptied is null.
json patch_of(const json& from, const json& to) {
  json p = json::object();
  std::set<std::string> keys;
  for (const json* o : {&from, &to})
    if (o->is_object())
      for (auto it = o->begin(); it != o->end(); ++it) keys.insert(it.key());
  for (const auto& k : keys) {
    const json a = from.is_object() && from.contains(k) ? from.at(k) : json();
    const json b = to.is_object() && to.contains(k) ? to.at(k) : json();
    if (same(a, b)) continue;
    if (a.is_object() && b.is_object()) {
      json sub = patch_of(a, b);
      if (!sub.empty()) p[k] = std::move(sub);
    } else {
      p[k] = unset(b) ? json(nullptr) : b;
    }
  }
  return p;
}

// ---- errors beside their fields ----------------------------------------------------------

struct Problems {
  std::map<std::string, std::string> at;                   // by control or group name
  std::vector<std::pair<std::string, std::string>> listed;  // (control or group, or ""; text)
};

/// The control or fieldset an API error names by its JSON path (under `prefix` when the form's
/// fields sit in one, a follow-up's "changes."; else the nearest enclosing object), or "".
std::string target_of(const Form& f, const std::string& field, const std::string& prefix) {
  for (const std::string& candidate : {prefix + field, field}) {
    std::string p = candidate;
    while (!p.empty()) {
      if (control_named(f, p) || group_named(f, p)) return p;
      const auto dot = p.rfind('.');
      if (dot == std::string::npos) break;
      p.resize(dot);
    }
  }
  return "";
}

std::string label_of(const Form& f, const std::string& name) {
  if (const Control* k = control_named(f, name)) return k->label;
  if (const Group* g = group_named(f, name)) return g->legend;
  return name;
}

Problems problems_of(const Form& f, const Error& e, const std::string& prefix = "") {
  Problems out;
  for (const auto& fe : e.fields) {
    const std::string t = target_of(f, fe.field, prefix);
    // Beside its own control the API's message follows the label; beside an enclosing fieldset,
    // or in the summary alone, it names the path the API gave.
    const bool own = !t.empty() && (t == fe.field || t == prefix + fe.field);
    const std::string text =
        own ? label_of(f, t) + ": " + fe.message
            : (fe.field.empty() || fe.field == "body" ? fe.message : fe.field + ": " + fe.message);
    if (!t.empty()) {
      std::string& beside = out.at[t];
      beside += (beside.empty() ? "" : " ") + text + (text.ends_with('.') ? "" : ".");
    }
    out.listed.emplace_back(t, text);
  }
  if (out.listed.empty()) out.listed.emplace_back("", e.message);
  return out;
}

/// The error summary at the top of a form sent back (role=alert), each problem a link to its field.
std::string summary_html(const Problems& p) {
  if (p.listed.empty()) return {};
  std::string h =
      "<div class=\"error-summary\" role=\"alert\" aria-labelledby=\"error-summary-title\"><h2 "
      "id=\"error-summary-title\">" +
      std::string(p.listed.size() == 1 ? "There is a problem" : "There are " + std::to_string(p.listed.size()) +
                                                                      " problems") +
      "</h2><ul>";
  for (const auto& [target, text] : p.listed) {
    if (target.empty()) h += "<li class=\"error\">" + esc(text) + "</li>";
    else h += "<li><a class=\"error\" href=\"#" + esc(id_of(target)) + "\">" + esc(text) + "</a></li>";
  }
  return h + "</ul></div>";
}

std::string control_html(const Control& k, const Values& v, const Problems& p) {
  const std::string id = id_of(k.name);
  const auto err = p.at.find(k.name);
  const std::string value = value_in(v, k.name);
  std::string described;
  if (!k.hint.empty()) described = id + "-hint";
  if (err != p.at.end()) described += (described.empty() ? "" : " ") + id + "-error";
  std::string attrs = " id=\"" + esc(id) + "\" name=\"" + esc(k.name) + "\"";
  if (k.required) attrs += " required";
  if (err != p.at.end()) attrs += " aria-invalid=\"true\"";
  if (!described.empty()) attrs += " aria-describedby=\"" + esc(described) + "\"";
  attrs += k.attributes;
  const std::string hint = k.hint.empty() ? "" : "<span id=\"" + esc(id) + "-hint\" class=\"hint\">" + esc(k.hint) + "</span><br>";
  const std::string error =
      err == p.at.end() ? "" : " <span id=\"" + esc(id) + "-error\" class=\"error\">" + esc(err->second) + "</span>";
  const std::string label =
      "<label for=\"" + esc(id) + "\">" + esc(k.label) + (k.required ? " (required)" : "") + "</label>";

  if (k.kind == Kind::checkbox)
    return "<div class=\"field\"><label for=\"" + esc(id) + "\"><input type=\"checkbox\" value=\"true\"" + attrs +
           (value.empty() ? "" : " checked") + "> " + esc(k.label) + "</label>" +
           (k.hint.empty() ? "" : "<span id=\"" + esc(id) + "-hint\" class=\"hint\">" + esc(k.hint) + "</span>") +
           error + "</div>";
  std::string control;
  auto input = [&](const char* type, const char* more) {
    return std::string("<input type=\"") + type + "\"" + more + attrs + " value=\"" + esc(value) + "\">";
  };
  switch (k.kind) {
    case Kind::textarea:
      control = "<textarea rows=\"5\" cols=\"60\"" + attrs + ">" + esc(value) + "</textarea>";
      break;
    case Kind::integer: control = input("number", " step=\"1\" inputmode=\"numeric\""); break;
    case Kind::number: control = input("number", " step=\"any\" inputmode=\"decimal\""); break;
    case Kind::date: control = input("date", ""); break;
    case Kind::datetime: control = input("datetime-local", " step=\"1\""); break;
    case Kind::select:
    case Kind::yes_no: {
      const auto options = k.kind == Kind::yes_no
                               ? std::vector<std::pair<std::string, std::string>>{{"", "Not given"},
                                                                                  {"true", "Yes"},
                                                                                  {"false", "No"}}
                               : k.options;
      control = "<select" + attrs + ">";
      bool chosen = false;
      for (const auto& [val, text] : options) {
        const bool sel = !chosen && val == value;
        chosen = chosen || sel;
        control += "<option value=\"" + esc(val) + "\"" + (sel ? " selected" : "") + ">" + esc(text) + "</option>";
      }
      // A value typed elsewhere (an old record's) is kept as it was, not silently dropped.
      if (!chosen && !value.empty())
        control += "<option value=\"" + esc(value) + "\" selected>" + esc(value) + "</option>";
      control += "</select>";
      break;
    }
    default: control = input("text", ""); break;
  }
  return "<div class=\"field\">" + label + hint + control + error + "</div>";
}

std::string groups_html(const Form& f, const Values& v, const Problems& p) {
  std::string h;
  for (const auto& g : f) {
    std::string inner;
    for (const auto& k : g.controls) inner += control_html(k, v, p);
    if (g.name.empty()) {
      h += inner;
      continue;
    }
    const std::string id = id_of(g.name);
    const auto err = p.at.find(g.name);
    h += "<fieldset id=\"" + esc(id) + "\"" +
         (err == p.at.end() ? "" : " aria-describedby=\"" + esc(id) + "-error\"") + "><legend>" + esc(g.legend) +
         "</legend>" +
         (err == p.at.end() ? "" : "<p id=\"" + esc(id) + "-error\" class=\"error\">" + esc(err->second) + "</p>") +
         inner + "</fieldset>";
  }
  return h;
}

/// A whole POST form: the summary of a form sent back, then the fields and the submit button.
std::string form_html(const std::string& action, const Form& f, const Values& v, const Problems& p,
                      const Session& who, const std::string& submit, const std::string& hidden = "") {
  return summary_html(p) +
         "<p>Fields marked (required) must be filled in. Dates are calendar dates; times are UTC.</p>"
         "<form method=\"post\" action=\"" +
         esc(action) + "\">" + csrf_input(who) + hidden + groups_html(f, v, p) +
         "<p class=\"no-print\"><button type=\"submit\">" + esc(submit) + "</button></p></form>";
}

/// An error of a form's use case: the form again with the API's status when it is about what was
/// typed (400, 409, 422), else the error page.
bool about_the_form(const Error& e) {
  const int st = status_of(e.code);
  return st == 400 || st == 409 || st == 422;
}

/// What a site is told of a report or subject that is not its own, or that does not exist: the
/// same either way and the API's (404), so that the page tells nothing of other sites' records.
Reply not_yours(const Session& who, const std::string& what) {
  return error_page(404, "Not found", "Site " + who.row.site + " has no " + what + " in this study.", &who);
}

// ---- the forms' controls ---------------------------------------------------------------------

std::string humanize(std::string_view key) {
  std::string s(key);
  std::replace(s.begin(), s.end(), '_', ' ');
  if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  return s;
}

std::string intervention_label(const config::Intervention& iv) {
  return (iv.name.empty() ? iv.id : iv.name) + " (" + iv.kind + ")";
}

/// POST /v1/studies/{study}/subjects: `subject`, `enrolled`, `sex`, `age`, `baseline`.
Form enrol_form() {
  Form f{{"",
          "",
          {{"subject", "Subject id", Kind::text, true, {},
            "Pseudonymous: no name, initials or date of birth. 1 to 64 letters, digits, '.', '_' or '-', starting "
            "with a letter or digit (e.g. S01-0007)."},
           {"enrolled", "Enrolment date", Kind::date, true},
           {"sex", "Sex", Kind::select, true, {{"", "Choose"}, {"M", "M (male)"}, {"F", "F (female)"}, {"U", "U (unknown)"}}},
           {"age", "Age in years", Kind::integer, true}}}};
  // Baseline labs: the liver tests CTCAE v5.0 grades against an abnormal baseline; others later
  // through POST .../baseline.
  for (const auto& [key, name] : std::vector<std::pair<std::string, std::string>>{
           {"alt", "ALT"}, {"ast", "AST"}, {"bilirubin", "Total bilirubin"}, {"alp", "Alkaline phosphatase"}}) {
    const std::string b = "baseline." + key;
    f.push_back({b,
                 "Baseline " + name + " (optional)",
                 {{b + ".value", name + " value", Kind::number},
                  {b + ".unit", name + " unit", Kind::text, false, {}, "e.g. U/L, umol/L, mg/dL"},
                  {b + ".uln", name + " upper limit of normal", Kind::number}}});
  }
  return f;
}

std::vector<std::pair<std::string, std::string>> choices(const std::vector<std::string>& values, const char* none) {
  std::vector<std::pair<std::string, std::string>> out{{"", none}};
  for (const auto& v : values) out.emplace_back(v, humanize(v));
  return out;
}

/// The AE report's fields (README "AE report fields"): a new report's (with `subjects`, the ids
/// the site may report on) or a follow-up's (`prefix` "changes.", without report_id and subject,
/// which identify the report).
Form ae_form(const config::Study& st, const std::vector<std::string>* subjects, const std::string& prefix) {
  Group what{"", "", {}};
  if (subjects) {
    what.controls.push_back({"report_id", "Report id", Kind::text, true, {},
                             "Your site's id for this report, unique in the study (e.g. S01-0007-AE-003)."});
    Control sub{"subject", "Subject", Kind::select, true, {{"", "Choose a subject"}}};
    for (const auto& s : *subjects) sub.options.emplace_back(s, s);
    what.controls.push_back(std::move(sub));
  }
  Control term{prefix + "term", "CTCAE term", Kind::text, true, {},
               "A CTCAE v5.0 term, a synonym (ALT, anaemia) or its MedDRA code; the protocol's own terms too."};
  term.attributes = " data-grade-select=\"" + id_of(prefix + "grade") + "\"";
  what.controls.push_back(std::move(term));
  what.controls.push_back({prefix + "verbatim", "Verbatim term", Kind::text, false, {},
                           "The event as the investigator wrote it; required for an \"Other, specify\" term."});
  what.controls.push_back({prefix + "grade", "CTCAE grade", Kind::select, false,
                           {{"", "Not given: graded from the lab value"},
                            {"1", "1 (mild)"},
                            {"2", "2 (moderate)"},
                            {"3", "3 (severe)"},
                            {"4", "4 (life-threatening)"},
                            {"5", "5 (death)"}},
                           "Required unless a lab value is given.",
                           false,
                           {},
                           true});
  Group lab{prefix + "lab",
            "Lab value (optional: graded by the term's CTCAE row)",
            {{prefix + "lab.value", "Value", Kind::number},
             {prefix + "lab.unit", "Unit", Kind::text, false, {}, "e.g. U/L, umol/L, 10^9/L"},
             {prefix + "lab.uln", "Upper limit of normal (ULN)", Kind::number},
             {prefix + "lab.lln", "Lower limit of normal (LLN)", Kind::number},
             {prefix + "lab.baseline", "Baseline value", Kind::number},
             {prefix + "lab.baseline_abnormal", "The baseline was abnormal", Kind::checkbox},
             {prefix + "lab.systolic", "Systolic blood pressure (mmHg)", Kind::number},
             {prefix + "lab.diastolic", "Diastolic blood pressure (mmHg)", Kind::number},
             {prefix + "lab.on_anticoagulation", "On anticoagulation", Kind::checkbox}}};
  Group when{"",
             "",
             {{prefix + "onset", "Onset date", Kind::date, true},
              {prefix + "resolved", "Resolution date", Kind::date, false, {}, "Empty while not resolved."},
              {prefix + "site_aware_at", "Site aware at (UTC)", Kind::datetime, true, {},
               "When the site learned of the event (of its seriousness, for a follow-up that makes it serious)."}}};
  Group serious{prefix + "serious", "Seriousness (ICH E2A): tick each criterion the event meets", {}};
  for (const auto& [key, text] : std::vector<std::pair<std::string, std::string>>{
           {"death", "Results in death"},
           {"life_threatening", "Life-threatening"},
           {"hospitalization", "Requires or prolongs hospitalisation"},
           {"disability", "Persistent or significant disability"},
           {"congenital_anomaly", "Congenital anomaly"},
           {"medically_important", "Medically important"}})
    serious.controls.push_back({prefix + "serious." + key, text, Kind::checkbox, false, {}, {}, true});
  Group outcome{"",
                "",
                {{prefix + "outcome", "Outcome", Kind::select, true, choices(intake::kOutcomeValues, "Choose")},
                 {prefix + "death_unrelated", "The subject died of something else (death unrelated to this event)",
                  Kind::checkbox}}};
  Group causality{prefix + "causality", "Relatedness to each intervention (at least one required)", {}, true};
  Group action{prefix + "action_taken", "Action taken with each intervention (optional)", {}};
  for (const auto& iv : st.interventions) {
    causality.controls.push_back({prefix + "causality." + iv.id, intervention_label(iv), Kind::select, false,
                                  choices(intake::kCausalityValues, "Not assessed")});
    action.controls.push_back({prefix + "action_taken." + iv.id, intervention_label(iv), Kind::select, false,
                               choices(intake::kActionValues, "Not given")});
  }
  Group story{"", "", {{prefix + "narrative", "Narrative", Kind::textarea}}};
  return {what, lab, when, serious, outcome, causality, action, story};
}

/// The labels of event fields whose key alone reads poorly.
std::string event_field_label(std::string_view name) {
  static const std::map<std::string_view, std::string_view> kLabels{
      {"dose_gy", "Dose (Gy)"},
      {"primary", "Primary tumour response (mRECIST)"},
      {"pvtt_before", "PVTT before treatment (Cheng type)"},
      {"pvtt_now", "PVTT now (Cheng type)"},
      {"related_ae", "Related AE report id"},
      {"viable_tumour_percent", "Viable tumour (percent)"},
  };
  const auto it = kLabels.find(name);
  return it != kLabels.end() ? std::string(it->second) : humanize(name);
}

/// The kind chooser of the event form (a GET: works without script).
Group event_kind_group() {
  Control kind{"kind", "Kind of event", Kind::select, true, {{"", "Choose"}}};
  for (const auto& k : safety::event_kinds()) kind.options.emplace_back(std::string(k.kind), humanize(k.kind));
  return {"", "", {std::move(kind)}};
}

/// POST /v1/studies/{study}/subjects/{subject}/events: `kind` (hidden; the chooser picks it),
/// `date`, the kind's fields (safety::event_kinds, the API's one table), `corrects`.
Form event_form(const safety::EventKindSpec& spec, const config::Study& st) {
  Group g{"", "", {{"date", "Date", Kind::date, true}}};
  for (const auto& f : spec.fields) {
    Control k{std::string(f.name), event_field_label(f.name), Kind::text, f.required, {}, std::string(f.note)};
    switch (f.type) {
      case safety::FieldType::date: k.kind = Kind::date; break;
      case safety::FieldType::number: k.kind = Kind::number; break;
      case safety::FieldType::integer: k.kind = Kind::integer; break;
      case safety::FieldType::boolean: k.kind = Kind::yes_no; break;
      case safety::FieldType::enumeration:
        k.kind = Kind::select;
        k.options.emplace_back("", f.required ? "Choose" : "Not given");
        for (auto a : f.allowed) k.options.emplace_back(std::string(a), std::string(a));
        break;
      case safety::FieldType::study_drug:
        k.kind = Kind::select;
        k.options.emplace_back("", f.required ? "Choose" : "Not given");
        for (const auto& iv : st.interventions)
          if (iv.kind == "drug") k.options.emplace_back(iv.id, intervention_label(iv));
        break;
      case safety::FieldType::string: break;
    }
    g.controls.push_back(std::move(k));
  }
  g.controls.push_back({"corrects", "Corrects event", Kind::integer, false, {},
                        "The id of an earlier event of this subject that this one replaces (a correction)."});
  return {g};
}

// ---- the list --------------------------------------------------------------------------------

std::string yes_no(bool b) { return b ? "Yes" : "No"; }

Result<Reply> get_list(Services& s, Call& c, const Session& who) {
  act_as(c, who);
  auto study = study_of(c);
  if (!study) return error_page(study.error(), &who);
  const config::Study& st = *study.value();
  const bool site = who.role == Role::site;
  const std::string base = study_path(st.id);

  std::string h = "<p>" + esc(st.title) + " <small>(" + esc(st.id) + ")</small></p>";
  if (site)
    h += "<ul class=\"no-print\"><li><a href=\"" + esc(base) + "/subjects/new\">Enrol a subject</a></li><li><a href=\"" +
         esc(base) + "/ae/new\">File an AE report</a></li></ul>";

  // Subjects, each with its vital status from its course as the figures reconcile it.
  auto snap = subjects_now(s, st, true);
  if (!snap) return error_page(snap.error(), &who);
  const auto courses = service::courses_of(snap.value(), s.clock.now().date());
  h += "<h2>Subjects</h2>";
  std::string rows;
  for (std::size_t i = 0; i < snap->subjects.size() && i < courses.size(); ++i) {
    const auto& row = snap->subjects[i];
    if (!sees_site(c.principal, row.site)) continue;
    const json course = reports::course_json(courses[i]);
    const std::string status =
        course.value("vital_status", "") == "dead"
            ? "Dead (" + course["death_date"].get<std::string>() + ")"
            : "Alive at last contact (" + course.value("last_contact", "") + ")";
    const std::string href = subject_path(st.id, row.subject);
    rows += "<tr><th scope=\"row\"><a href=\"" + esc(href) + "\">" + esc(row.subject) + "</a></th><td>" +
            esc(row.site) + "</td><td>" + esc(format_date(row.enrolled)) + "</td><td>" + esc(status) + "</td>";
    if (site)
      rows += "<td class=\"no-print\"><a href=\"" + esc(base) + "/ae/new?subject=" + esc(percent_encode(row.subject)) +
              "\" aria-label=\"New AE report for " + esc(row.subject) + "\">New AE report</a> · <a href=\"" +
              esc(href) + "/events/new\" aria-label=\"New event for " + esc(row.subject) + "\">New event</a></td>";
    rows += "</tr>";
  }
  if (rows.empty()) {
    h += "<p>No subject yet.</p>";
  } else {
    h += "<table><caption>" + std::string(site ? "Subjects of site " + esc(who.row.site) : "Subjects of every site") +
         ", by id</caption><thead><tr><th scope=\"col\">Subject</th><th scope=\"col\">Site</th><th "
         "scope=\"col\">Enrolled</th><th scope=\"col\">Vital status</th>" +
         (site ? "<th scope=\"col\" class=\"no-print\">Record</th>" : "") + "</tr></thead><tbody>" + rows +
         "</tbody></table>";
  }

  // AE reports: GET /v1/studies/{study}/ae's query and scope, a page at a time.
  store::AeQuery q = scoped_query(c);
  q.limit = 100;
  if (c.req.has_param("cursor")) {
    const std::string v = c.req.param("cursor");
    std::int64_t n = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || p != v.data() + v.size() || n < 0)
      return error_page(422, "Invalid cursor", "The cursor is not one this page gave.", &who);
    q.after_id = n;
  }
  auto page_of = s.store.list_ae(q);
  if (!page_of) return error_page(page_of.error(), &who);
  h += "<h2>AE reports</h2>";
  if (page_of->items.empty()) {
    h += "<p>No AE report" + std::string(q.after_id ? " after these." : " yet.") + "</p>";
  } else {
    h += "<table><caption>AE reports of " + std::string(site ? "site " + esc(who.row.site) : "every site") +
         ", in the order received</caption><thead><tr><th scope=\"col\">Id</th><th scope=\"col\">Site report "
         "id</th><th scope=\"col\">Subject</th><th scope=\"col\">CTCAE term</th><th scope=\"col\">Grade</th><th "
         "scope=\"col\">Serious</th><th scope=\"col\">Version</th><th scope=\"col\">Status</th><th "
         "scope=\"col\">Received</th>" +
         std::string(site ? "<th scope=\"col\" class=\"no-print\">Record</th>" : "") + "</tr></thead><tbody>";
    for (const auto& r : page_of->items) {
      const std::int64_t id = r.value("id", std::int64_t{0});
      const std::string subject = r.value("subject", "");
      const json ctcae = r.value("ctcae", json::object());
      const json safety = r.value("safety", json::object());
      const bool active = r.value("status", "active") != "nullified";
      h += "<tr><th scope=\"row\"><a href=\"" + esc(case_path(st.id, id)) + "\">" + std::to_string(id) +
           "</a></th><td>" + esc(r.value("report_id", "")) + "</td><td><a href=\"" +
           esc(subject_path(st.id, subject)) + "\">" + esc(subject) + "</a></td><td>" +
           esc(ctcae.value("term", r.value("term", ""))) + "</td><td>" + std::to_string(r.value("grade", 0)) +
           "</td><td>" + yes_no(safety.value("serious", false)) + "</td><td>" +
           std::to_string(r.value("version", 1)) + "</td><td>" + (active ? "Active" : "Nullified") + "</td><td>" +
           esc(r.value("received_at", "")) + "</td>";
      if (site)
        h += "<td class=\"no-print\">" +
             (active ? "<a href=\"" + esc(case_path(st.id, id)) + "/follow-up\" aria-label=\"Follow-up of report " +
                           std::to_string(id) + "\">Follow-up</a>"
                     : std::string()) +
             "</td>";
      h += "</tr>";
    }
    h += "</tbody></table>";
    if (page_of->next_after_id)
      h += "<p class=\"no-print\"><a href=\"" + esc(base) + "/subjects?cursor=" +
           std::to_string(*page_of->next_after_id) + "\">Next AE reports</a></p>";
  }
  return page(200, layout("Subjects and AE reports", &who, h));
}

// ---- enrol ----------------------------------------------------------------------------------

Reply enrol_page(int status, const config::Study& st, const Session& who, const Values& v, const Problems& p) {
  const std::string h = "<p>" + esc(st.title) + " <small>(" + esc(st.id) + ")</small>, site " + esc(who.row.site) +
                        ".</p>" +
                        form_html(study_path(st.id) + "/subjects/new", enrol_form(), v, p, who, "Enrol the subject");
  return page(status, layout("Enrol a subject", &who, h));
}

Result<Reply> get_enrol(Services&, Call& c, const Session& who) {
  act_as(c, who);
  auto study = study_of(c);
  if (!study) return error_page(study.error(), &who);
  return enrol_page(200, *study.value(), who, {}, {});
}

Result<Reply> post_enrol(Services&, Call& c, const Session& who) {
  act_as(c, who);
  auto study = study_of(c);
  if (!study) return error_page(study.error(), &who);
  const config::Study& st = *study.value();
  const Values v = values_of(form_of(c.req).value_or(Fields{}));
  const Form f = enrol_form();
  auto stored = service::enrol_subject(c.context(), c.caller(), st, body_of(f, v));
  if (!stored) {
    if (!about_the_form(stored.error())) return error_page(stored.error(), &who);
    return enrol_page(status_of(stored.error().code), st, who, v, problems_of(f, stored.error()));
  }
  return redirect(subject_path(st.id, stored->record.value("subject", value_in(v, "subject"))));
}

// ---- a new AE report ---------------------------------------------------------------------------

Reply ae_page(int status, const config::Study& st, const Session& who, const std::vector<std::string>& subjects,
              const Values& v, const Problems& p) {
  std::string h = "<p>" + esc(st.title) + " <small>(" + esc(st.id) + ")</small>, site " + esc(who.row.site) + ".</p>";
  if (subjects.empty())
    h += "<p>Your site has no subject in this study yet: <a href=\"" + esc(study_path(st.id)) +
         "/subjects/new\">enrol a subject</a> first.</p>";
  h += form_html(study_path(st.id) + "/ae/new", ae_form(st, &subjects, ""), v, p, who, "File the AE report");
  return page(status, layout("File an AE report", &who, h, kTermSearchPath));
}

Result<Reply> get_ae_new(Services& s, Call& c, const Session& who) {
  act_as(c, who);
  auto study = study_of(c);
  if (!study) return error_page(study.error(), &who);
  auto subjects = visible_subjects(s, c, *study.value());
  if (!subjects) return error_page(subjects.error(), &who);
  Values v;
  if (c.req.has_param("subject")) v["subject"] = c.req.param("subject");
  return ae_page(200, *study.value(), who, subjects.value(), v, {});
}

Result<Reply> post_ae_new(Services& s, Call& c, const Session& who) {
  act_as(c, who);
  auto study = study_of(c);
  if (!study) return error_page(study.error(), &who);
  const config::Study& st = *study.value();
  auto subjects = visible_subjects(s, c, st);
  if (!subjects) return error_page(subjects.error(), &who);
  const Values v = values_of(form_of(c.req).value_or(Fields{}));
  const Form f = ae_form(st, &subjects.value(), "");
  auto stored = service::accept_ae(c.context(), c.caller(), st, body_of(f, v));
  if (!stored) {
    if (!about_the_form(stored.error())) return error_page(stored.error(), &who);
    return ae_page(status_of(stored.error().code), st, who, subjects.value(), v, problems_of(f, stored.error()));
  }
  return redirect(case_path(st.id, stored->record.value("id", std::int64_t{0})));
}

// ---- a follow-up -------------------------------------------------------------------------------

/// The calling site's report in the path (site_report, as POST .../followups reads it), or the page
/// that answers instead.
struct Report {
  std::optional<json> record;
  std::optional<Reply> instead;
};

Report own_report(Call& c, const Session& who) {
  auto id = parse_id(c.params[1], "report");
  if (!id) return {std::nullopt, error_page(404, "Not found", "No such AE report.", &who)};
  auto rec = site_report(c, id.value());
  if (!rec) {
    if (rec.error().code == Errc::not_found) return {std::nullopt, not_yours(who, "AE report " + c.params[1])};
    return {std::nullopt, error_page(rec.error(), &who)};
  }
  return {std::move(rec.value()), std::nullopt};
}

Form followup_form(const config::Study& st) {
  Form f{{"",
          "",
          {{"followup_id", "Follow-up id", Kind::text, true, {},
            "Your site's id for this follow-up, unique for the report (the same id again is the same follow-up)."}}}};
  for (auto& g : ae_form(st, nullptr, "changes.")) f.push_back(std::move(g));
  return f;
}

Reply followup_page(int status, const config::Study& st, const Session& who, const json& cur, const Values& v,
                    const Problems& p) {
  const std::int64_t id = cur.value("id", std::int64_t{0});
  std::string h = "<p>Report <a href=\"" + esc(case_path(st.id, id)) + "\">" + std::to_string(id) + "</a> (" +
                  esc(cur.value("report_id", "")) + ") of subject " + esc(cur.value("subject", "")) + ", version " +
                  std::to_string(cur.value("version", 1)) +
                  ". The fields show the current version: change what the follow-up changes.</p>";
  h += form_html(case_path(st.id, id) + "/follow-up", followup_form(st), v, p, who, "Record the follow-up");
  return page(status, layout("Follow-up of AE report " + std::to_string(id), &who, h, kTermSearchPath));
}

/// The current version's submitted fields a follow-up may change (not the report's identity).
json changeable(const json& cur) {
  json out = service::submitted_fields(cur);
  out.erase("report_id");
  out.erase("subject");
  return out;
}

Result<Reply> get_followup(Services&, Call& c, const Session& who) {
  act_as(c, who);
  auto study = study_of(c);
  if (!study) return error_page(study.error(), &who);
  auto report = own_report(c, who);
  if (report.instead) return std::move(*report.instead);
  const json& cur = *report.record;
  Values v = values_from(followup_form(*study.value()), changeable(cur), "changes.");
  v["followup_id"] = cur.value("report_id", "") + "-FU" + std::to_string(cur.value("version", 1));
  return followup_page(200, *study.value(), who, cur, v, {});
}

Result<Reply> post_followup(Services&, Call& c, const Session& who) {
  act_as(c, who);
  auto study = study_of(c);
  if (!study) return error_page(study.error(), &who);
  const config::Study& st = *study.value();
  auto report = own_report(c, who);
  if (report.instead) return std::move(*report.instead);
  const json& cur = *report.record;
  const Values v = values_of(form_of(c.req).value_or(Fields{}));
  const Form f = followup_form(st);
  const json typed = body_of(f, v);
  // The follow-up's JSON: its id, and the fields the form changed as a merge patch of the current
  // version (POST .../followups "changes").
  json body{{"changes", patch_of(changeable(cur), typed.value("changes", json::object()))}};
  if (typed.contains("followup_id")) body["followup_id"] = typed["followup_id"];
  auto stored = service::add_followup(c.context(), c.caller(), st, cur.value("id", std::int64_t{0}), body);
  if (!stored) {
    if (!about_the_form(stored.error())) return error_page(stored.error(), &who);
    return followup_page(status_of(stored.error().code), st, who, cur, v, problems_of(f, stored.error(), "changes."));
  }
  return redirect(case_path(st.id, cur.value("id", std::int64_t{0})));
}

// ---- a subject event -----------------------------------------------------------------------------

Reply event_page(int status, const config::Study& st, const Session& who, const std::string& subject,
                 const Values& v, const Problems& p) {
  const std::string kind = value_in(v, "kind");
  const safety::EventKindSpec* spec = safety::find_event_kind(kind);
  const std::string action = subject_path(st.id, subject) + "/events/new";
  const Group chooser = event_kind_group();
  // The chooser's problem (an unknown kind) shows beside it; the others in the event's form.
  Problems choose, fields = p;
  if (auto it = p.at.find("kind"); it != p.at.end()) choose.at["kind"] = it->second;
  std::string h = "<p>Subject <a href=\"" + esc(subject_path(st.id, subject)) + "\">" + esc(subject) + "</a> of " +
                  esc(st.title) + " <small>(" + esc(st.id) + ")</small>.</p>";
  if (!spec) h += summary_html(p);
  h += "<form method=\"get\" action=\"" + esc(action) + "\" class=\"no-print\">" + groups_html({chooser}, v, choose) +
       "<p><button type=\"submit\">Show the event's fields</button></p></form>";
  if (spec) {
    h += "<h2>" + esc(humanize(spec->kind)) + "</h2>" +
         form_html(action, event_form(*spec, st), v, fields, who, "Record the event",
                   "<input type=\"hidden\" name=\"kind\" value=\"" + esc(kind) + "\">");
  }
  return page(status, layout("Record a subject event", &who, h));
}

/// The calling site's subject in the path, as the API's event route finds it (own_subject_to_write);
/// nullopt when it is, else the page that answers instead.
std::optional<Reply> own_subject(Call& c, const Session& who, const config::Study& st) {
  auto row = service::own_subject_to_write(c.context(), c.caller(), st, c.params[1]);
  if (row) return std::nullopt;
  if (row.error().code == Errc::not_found) return not_yours(who, "subject " + c.params[1]);
  return error_page(row.error(), &who);
}

Result<Reply> get_event(Services&, Call& c, const Session& who) {
  act_as(c, who);
  auto study = study_of(c);
  if (!study) return error_page(study.error(), &who);
  if (auto instead = own_subject(c, who, *study.value())) return std::move(*instead);
  Values v;
  if (c.req.has_param("kind")) v["kind"] = c.req.param("kind");
  Problems p;
  if (!v["kind"].empty() && !safety::find_event_kind(v["kind"])) {
    p.at["kind"] = "Kind of event: '" + v["kind"] + "' is not an event kind.";
    p.listed.emplace_back("kind", p.at["kind"]);
  }
  return event_page(p.listed.empty() ? 200 : 422, *study.value(), who, c.params[1], v, p);
}

Result<Reply> post_event(Services&, Call& c, const Session& who) {
  act_as(c, who);
  auto study = study_of(c);
  if (!study) return error_page(study.error(), &who);
  const config::Study& st = *study.value();
  if (auto instead = own_subject(c, who, st)) return std::move(*instead);
  const Values v = values_of(form_of(c.req).value_or(Fields{}));
  const std::string kind = value_in(v, "kind");
  const safety::EventKindSpec* spec = safety::find_event_kind(kind);
  Form f{event_kind_group()};
  if (spec)
    for (auto& g : event_form(*spec, st)) f.push_back(std::move(g));
  json body = body_of(f, v);
  body["kind"] = kind;  // sent as it came, even empty: the API names what is wrong with it
  auto stored = service::add_subject_event(c.context(), c.caller(), st, c.params[1], body);
  if (!stored) {
    if (!about_the_form(stored.error())) return error_page(stored.error(), &who);
    return event_page(status_of(stored.error().code), st, who, c.params[1], v, problems_of(f, stored.error()));
  }
  return redirect(subject_path(st.id, c.params[1]));
}

// ---- the term search -------------------------------------------------------------------------------

/// GET /desk/ctcae/terms?q=&limit=: GET /v1/ctcae/terms's answer (ctcae_term_search), to the session.
Result<Reply> get_terms(Services&, Call& c, const Session&) {
  auto out = ctcae_term_search(c.req);
  if (!out) return out.error();
  Reply r = json_reply(200, std::move(out.value()));
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

/// GET /desk/ctcae/terms/{meddra_code}: GET /v1/ctcae/terms/{meddra_code}'s answer, whose grade
/// texts the script offers once a term is chosen.
Result<Reply> get_term(Services&, Call& c, const Session&) {
  auto out = ctcae_term_entry(c.params[0]);
  if (!out) return out.error();
  Reply r = json_reply(200, std::move(out.value()));
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

/// GET /desk/static/term-search.js: the one script, the same bytes for everyone (no session).
Result<Reply> get_script(Call&) {
  Reply r;
  r.content_type = "text/javascript";
  r.raw_body = std::string(kTermSearchJs);
  r.headers.emplace_back("Cache-Control", "public, max-age=3600");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return r;
}

}  // namespace

std::vector<RouteDef> desk_site_routes(Services& s) {
  const std::vector<Role> site{Role::site};
  const std::vector<Role> site_officer{Role::site, Role::officer};
  const std::vector<Role> not_dsmb{Role::site, Role::officer, Role::admin};
  // Literal segments (`new`) before captures: these are matched before the study's and the
  // officer's pages (desk_routes).
  return {
      {"GET", kTermSearchPath, {}, get_script, true},
      {"GET", "/desk/ctcae/terms", {}, with_session(s, not_dsmb, get_terms), true},
      {"GET", "/desk/ctcae/terms/{meddra_code}", {}, with_session(s, not_dsmb, get_term), true},
      {"GET", "/desk/studies/{study}/subjects", {}, with_session(s, site_officer, get_list), true},
      {"GET", "/desk/studies/{study}/subjects/new", {}, with_session(s, site, get_enrol), true},
      {"POST", "/desk/studies/{study}/subjects/new", {}, with_session(s, site, post_enrol), true},
      {"GET", "/desk/studies/{study}/ae/new", {}, with_session(s, site, get_ae_new), true},
      {"POST", "/desk/studies/{study}/ae/new", {}, with_session(s, site, post_ae_new), true},
      {"GET", "/desk/studies/{study}/ae/{id}/follow-up", {}, with_session(s, site, get_followup), true},
      {"POST", "/desk/studies/{study}/ae/{id}/follow-up", {}, with_session(s, site, post_followup), true},
      {"GET", "/desk/studies/{study}/subjects/{subject}/events/new", {}, with_session(s, site, get_event), true},
      {"POST", "/desk/studies/{study}/subjects/{subject}/events/new", {}, with_session(s, site, post_event), true},
  };
}

}  // namespace pvmon::http
