// The safety desk: the officer's inbox and the case page (desk.hpp; issue 21).
// - GET /desk/inbox: every visible study's alerts and open reporting clocks in
// one worklist, in
//   the order and with the priority service/worklist.hpp decides (issue 21;
//   CLINICAL.md).
// - POST /desk/studies/{study}/alerts/{id}/ack: the API's acknowledgement use
// case
//   (service::acknowledge_alert: the same rules and audit row), then back to
//   the page it came from.
// - GET /desk/studies/{study}/ae/{id}: one case, as the API lets the principal
// read it: a site
//   its own reports and their versions; the officer also its clocks,
//   submissions, alerts with their webhook deliveries, and its ICSR and CIOMS I
//   form (.../icsr.xml, .../cioms: the documents of the API's icsr and cioms
//   routes, through icsr_reply and cioms_reply).
// Every figure is read from the store or the use case the API reads it from.
#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "desk.hpp"
#include "pvmon/safety.hpp"
#include "pvmon/service/alerts.hpp"
#include "pvmon/service/icsr.hpp"
#include "pvmon/service/worklist.hpp"

namespace pvmon::http {

using config::Role;
using nlohmann::json;
namespace wl = service::worklist;

namespace {

constexpr int kPage = 500;  // store page size while reading a whole list


/// An id attribute made of `parts` (letters, digits and '-' only).
std::string html_id(const std::string &parts) {
  std::string out;
  for (const char ch : parts) out += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '-';
  return out;
}

/// A JSON value as a cell's text: a string as it is, null as "—", anything else
/// as JSON.
std::string text_of(const json &v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "—";
  if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
  return v.dump();
}
std::string text_of(const std::optional<json> &v) { return v ? text_of(*v) : "(absent)"; }

std::string str(const json &j, const char *key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

/// The Reply of an API document (icsr_reply, cioms_reply) with the desk's
/// headers: never cached, no script, never framed.
Reply desk_document(Reply doc) {
  Reply r = page(doc.status, std::move(doc.raw_body).value_or(""));
  r.content_type = doc.content_type;
  for (auto &h : doc.headers) r.headers.push_back(std::move(h));
  return r;
}

/// A `return` field that the ack may go back to: a path on the desk, nothing
/// else (no scheme, no other host, no header break).
bool desk_return(const std::string &to) {
  if (to.rfind("/desk/", 0) != 0 || to.size() > 2000) return false;
  return std::all_of(to.begin(), to.end(), [](char ch) {
    const auto u = static_cast<unsigned char>(ch);
    return u > 0x20 && u < 0x7f && ch != '\\';
  });
}

/// One form per open alert: its comment and the button, posting to the desk's
/// ack route.
std::string ack_form(const Session &who, const std::string &study, std::int64_t alert, const std::string &back) {
  const std::string id = html_id("ack-" + study + "-" + std::to_string(alert));
  const std::string action = study_path(study) + "/alerts/" + std::to_string(alert) + "/ack";
  return "<form method=\"post\" action=\"" + esc(action) + "\" class=\"no-print ack\">" + csrf_input(who) +
         "<input type=\"hidden\" name=\"return\" value=\"" + esc(back) + "\"><label for=\"" + id +
         "\">Comment on alert " + std::to_string(alert) + "</label><input id=\"" + id +
         "\" name=\"comment\" required maxlength=\"2000\"> <button "
         "type=\"submit\">Acknowledge alert " +
         std::to_string(alert) + "</button></form>";
}

/// The records a page reads more than once (an AE report, a subject's site),
/// each read once.
class Lookup {
 public:
  explicit Lookup(Services &s) : s_(s) {}
  /// The current version of a report, or null when there is none.
  Result<const json *> report(const std::string &study, std::int64_t id) {
    const auto key = std::make_pair(study, id);
    auto it = reports_.find(key);
    if (it == reports_.end()) {
      auto rec = s_.store.get_ae(study, id);
      if (!rec) return rec.error();
      it = reports_.emplace(key, std::move(rec.value())).first;
    }
    return it->second ? &*it->second : nullptr;
  }
  /// The site of a subject ("" when unknown).
  Result<std::string> subject_site(const std::string &study, const std::string &subject) {
    const auto key = std::make_pair(study, subject);
    auto it = sites_.find(key);
    if (it == sites_.end()) {
      auto row = s_.store.find_subject(study, subject);
      if (!row) return row.error();
      it = sites_.emplace(key, row.value() ? row.value()->site : std::string()).first;
    }
    return it->second;
  }

 private:
  Services &s_;
  std::map<std::pair<std::string, std::int64_t>, std::optional<json>> reports_;
  std::map<std::pair<std::string, std::string>, std::string> sites_;
};

/// Every alert of a study the store lists for these filters (all pages).
Result<std::vector<store::AlertView>> all_alerts(Services &s, const std::string &study,
                                                 const std::optional<std::string> &status,
                                                 const std::optional<std::string> &severity) {
  std::vector<store::AlertView> out;
  std::optional<std::int64_t> after;
  do {
    auto page = s.store.list_alerts(study, status, severity, after, kPage);
    if (!page) return page.error();
    for (auto &a : page->items) out.push_back(std::move(a));
    after = page->next_after_id;
  } while (after);
  return out;
}

/// The due time of the clock an alert is about (clock_due_soon, clock_overdue
/// carry it).
std::optional<Timestamp> clock_due_of(const store::AlertView &a) {
  const std::string due = str(a.details, "due_at");
  return due.empty() ? std::nullopt : parse_timestamp(due);
}

// --- the inbox
// -------------------------------------------------------------------------

struct InboxRow {
  wl::OrderKey key;
  std::string kind, study, site, subject, what, severity, due, state;
  std::string href, link_text;
  std::optional<std::int64_t> open_alert;  // an open alert's id: its ack form
};

struct InboxFilter {
  std::string study, site, rule, severity, state = "open";
};

/// The rules an alert may have: the rules engine's catalogue and the ICSR
/// gateway's rejection.
std::vector<std::string> alert_rules() {
  std::vector<std::string> out;
  for (const auto &r : safety::rule_catalogue()) out.emplace_back(r.id);
  out.emplace_back("icsr.rejected");
  return out;
}

std::string select_field(const std::string &name, const std::string &label, const std::string &chosen,
                         const std::vector<std::pair<std::string, std::string>> &options) {
  std::string h =
      "<p><label for=\"f-" + name + "\">" + esc(label) + "</label><select id=\"f-" + name + "\" name=\"" + name + "\">";
  for (const auto &[value, text] : options)
    h += "<option value=\"" + esc(value) + "\"" + (value == chosen ? " selected" : "") + ">" + esc(text) + "</option>";
  return h + "</select></p>";
}

std::string filter_form(const Call &c, const Session &who, const InboxFilter &f) {
  std::vector<std::pair<std::string, std::string>> studies{{"", "All studies"}}, sites{{"", "All sites"}},
      rules{{"", "All rules"}}, severities{{"", "All severities"}},
      states{{"open", "Open"}, {"acknowledged", "Acknowledged"}, {"all", "All"}};
  std::set<std::string> site_ids;
  for (const config::Study *st : visible_studies(c, who)) {
    studies.emplace_back(st->id, st->id);
    site_ids.insert(st->sites.begin(), st->sites.end());
  }
  for (const auto &s : site_ids) sites.emplace_back(s, s);
  for (const auto &r : alert_rules()) rules.emplace_back(r, r);
  for (const char *s : {"critical", "high", "info"}) severities.emplace_back(s, s);
  return "<form method=\"get\" action=\"/desk/inbox\" class=\"no-print "
         "filters\" aria-label=\"Filter the inbox\">" +
         select_field("study", "Study", f.study, studies) + select_field("site", "Site", f.site, sites) +
         select_field("rule", "Alert rule", f.rule, rules) +
         select_field("severity", "Alert severity", f.severity, severities) +
         select_field("state", "Alert state", f.state, states) +
         "<p><button type=\"submit\">Apply filters</button> <a "
         "href=\"/desk/inbox\">Clear filters</a></p></form>";
}

/// The filters of the query, each checked against what it may name (422 page
/// otherwise).
std::optional<Reply> read_filter(const Call &c, const Session &who, InboxFilter &f) {
  auto param = [&](const char *k) { return c.req.has_param(k) ? c.req.param(k) : std::string(); };
  f.study = param("study");
  f.site = param("site");
  f.rule = param("rule");
  f.severity = param("severity");
  if (c.req.has_param("state") && !c.req.param("state").empty()) f.state = c.req.param("state");
  std::vector<std::string> bad;
  if (!f.study.empty() && !c.config->study(f.study))
    return error_page(404, "Not found", "No study '" + f.study + "'.", &who);
  bool site_known = f.site.empty();
  for (const config::Study *st : visible_studies(c, who)) site_known = site_known || st->has_site(f.site);
  if (!site_known) bad.push_back("site: no study has a site '" + f.site + "'");
  const auto rules = alert_rules();
  if (!f.rule.empty() && std::find(rules.begin(), rules.end(), f.rule) == rules.end())
    bad.push_back("rule: no alert rule '" + f.rule + "'");
  if (!f.severity.empty() && f.severity != "info" && f.severity != "high" && f.severity != "critical")
    bad.push_back("severity: must be one of critical, high, info");
  if (f.state != "open" && f.state != "acknowledged" && f.state != "all")
    bad.push_back("state: must be one of open, acknowledged, all");
  if (bad.empty()) return std::nullopt;
  std::string msg = "Invalid filters: ";
  for (std::size_t i = 0; i < bad.size(); ++i) msg += (i ? "; " : "") + bad[i];
  return error_page(422, "Invalid filters", msg + ".", &who);
}

/// The alert rows of one study.
Status alert_rows(Services &s, Lookup &look, const config::Study &st, const InboxFilter &f, Timestamp now,
                  std::vector<InboxRow> &out) {
  std::optional<std::string> status;
  if (f.state == "open") status = "open";
  if (f.state == "acknowledged") status = "acked";
  auto alerts = all_alerts(s, st.id, status, f.severity.empty() ? std::nullopt : std::optional(f.severity));
  if (!alerts) return alerts.error();
  for (const auto &a : alerts.value()) {
    if (!f.rule.empty() && a.rule != f.rule) continue;
    wl::ItemFacts facts;
    facts.rule = a.rule;
    facts.due = clock_due_of(a);
    std::string site;
    if (a.report) {
      auto rec = look.report(st.id, *a.report);
      if (!rec) return rec.error();
      if (rec.value()) {
        facts.case_facts = wl::case_facts(*rec.value());
        site = str(*rec.value(), "site");
      }
    } else if (a.subject && !a.subject->empty()) {
      auto found = look.subject_site(st.id, *a.subject);
      if (!found) return found.error();
      site = found.value();
    }
    if (!f.site.empty() && site != f.site) continue;
    InboxRow r;
    r.key = {wl::priority(facts, now, st.rules.clock_warning_hours),
             facts.due.value_or(a.created_at),
             true,
             wl::severity_rank(a.severity),
             st.id,
             a.id};
    r.kind = "alert";
    r.study = st.id;
    r.site = site;
    r.subject = a.subject.value_or("");
    r.what = a.rule + ": " + a.title;
    r.severity = a.severity;
    r.due = facts.due ? format_timestamp(*facts.due) : "on receipt (raised " + format_timestamp(a.created_at) + ")";
    if (a.status == "open") {
      r.state = "open";
      r.open_alert = a.id;
    } else {
      r.state = "acknowledged" + (a.acked_by ? " by " + *a.acked_by : std::string()) +
                (a.acked_at ? " at " + format_timestamp(*a.acked_at) : std::string());
    }
    if (a.report) {
      r.href = case_path(st.id, *a.report);
      r.link_text = "Case " + std::to_string(*a.report);
    } else if (!r.subject.empty()) {
      r.href = subject_path(st.id, r.subject);
      r.link_text = "Subject " + r.subject;
    } else {
      r.href = study_path(st.id);
      r.link_text = "Study " + st.id;
    }
    out.push_back(std::move(r));
  }
  return Ok{};
}

/// The open clock rows of one study (GET /v1/studies/{study}/clocks?state=open
/// reads the same).
Status clock_rows(Services &s, Lookup &look, const config::Study &st, const InboxFilter &f, Timestamp now,
                  std::vector<InboxRow> &out) {
  auto clocks = s.store.clocks(st.id, true, std::nullopt);
  if (!clocks) return clocks.error();
  for (const auto &c : clocks.value()) {
    if (!f.site.empty() && c.site != f.site) continue;
    wl::ItemFacts facts;
    facts.due = c.clock.due_at;
    facts.death_awaiting_report = c.report == 0;
    if (c.report != 0) {
      auto rec = look.report(st.id, c.report);
      if (!rec) return rec.error();
      if (rec.value()) facts.case_facts = wl::case_facts(*rec.value());
    }
    InboxRow r;
    r.key = {wl::priority(facts, now, st.rules.clock_warning_hours), c.clock.due_at, false, 3, st.id, c.id};
    r.kind = "clock";
    r.study = st.id;
    r.site = c.site;
    r.subject = c.subject;
    r.what = std::string(safety::to_string(c.clock.kind)) + " clock" +
             (c.report ? " of report " + c.report_ref : " (a death awaiting its SAE report)") +
             (c.clock.reason.empty() ? "" : ": " + c.clock.reason);
    r.severity = "—";
    r.due = format_timestamp(c.clock.due_at);
    r.state = safety::overdue(c.clock, now) ? "overdue" : "open";
    if (c.report) {
      r.href = case_path(st.id, c.report);
      r.link_text = "Case " + std::to_string(c.report);
    } else {
      r.href = subject_path(st.id, c.subject);
      r.link_text = "Subject " + c.subject;
    }
    out.push_back(std::move(r));
  }
  return Ok{};
}

Result<Reply> get_inbox(Services &s, Call &c, const Session &who) {
  InboxFilter f;
  if (auto bad = read_filter(c, who, f)) return *bad;
  const Timestamp now = s.clock.now();
  Lookup look(s);
  std::vector<InboxRow> rows;
  // A clock has no rule, severity or acknowledgement: it is listed beside the
  // open alerts when no rule or severity is chosen.
  const bool with_clocks = f.rule.empty() && f.severity.empty() && f.state != "acknowledged";
  for (const config::Study *st : visible_studies(c, who)) {
    if (!f.study.empty() && st->id != f.study) continue;
    if (auto st2 = alert_rows(s, look, *st, f, now, rows); !st2) return error_page(st2.error(), &who);
    if (with_clocks)
      if (auto st2 = clock_rows(s, look, *st, f, now, rows); !st2) return error_page(st2.error(), &who);
  }
  std::sort(rows.begin(), rows.end(),
            [](const InboxRow &a, const InboxRow &b) { return wl::comes_before(a.key, b.key); });
  std::map<wl::Priority, int> per;
  for (const auto &r : rows) ++per[r.key.priority];

  std::string h =
      "<p>Alerts and open reporting clocks of every study in one list, most "
      "urgent first. <strong>P1</strong>: "
      "death or life-threatening, a SUSAR, or an overdue clock; "
      "<strong>P2</strong>: another serious case, or a "
      "clock due within the study's warning hours; <strong>P3</strong>: the "
      "rest. Then by due time (UTC); an alert "
      "not about a clock is due on receipt.</p>";
  h += filter_form(c, who, f);
  h += "<h2 id=\"counts\">Counts</h2><p id=\"inbox-counts\">Shown: <strong "
       "id=\"count-total\">" +
       std::to_string(rows.size()) + "</strong>";
  for (auto p : {wl::Priority::p1, wl::Priority::p2, wl::Priority::p3}) {
    const std::string name(wl::to_string(p));
    h += " · " + name + ": <strong id=\"count-" + html_id(name) + "\">" + std::to_string(per[p]) + "</strong>";
  }
  h += "</p>";
  if (!with_clocks)
    h += "<p>Clocks have no rule, severity or acknowledgement: with these "
         "filters only alerts are listed.</p>";
  h += "<h2 id=\"worklist\">Worklist</h2>";
  if (rows.empty()) return page(200, layout("Inbox", &who, h + "<p>Nothing to do for these filters.</p>"));
  const std::string back =
      c.req.target.rfind("/desk/inbox", 0) == 0 && desk_return(c.req.target) ? c.req.target : "/desk/inbox";
  // A table wider than the window scrolls inside its own region (reachable by keyboard), not the page.
  h += "<div class=\"wide\" role=\"region\" aria-labelledby=\"inbox-caption\" tabindex=\"0\"><table id=\"inbox\"><caption "
       "id=\"inbox-caption\">Worklist: " +
       std::to_string(rows.size()) +
       " item(s), by priority then due time</caption><thead><tr>";
  for (const char *col : {"Priority", "Kind", "Study", "Site", "Subject", "What", "Severity", "Due (UTC)", "State",
                          "Case", "Acknowledge"})
    h += std::string("<th scope=\"col\"") + (std::string_view(col) == "Acknowledge" ? " class=\"no-print\"" : "") +
         ">" + col + "</th>";
  h += "</tr></thead><tbody>";
  for (const auto &r : rows) {
    h += "<tr><td><strong>" + std::string(wl::to_string(r.key.priority)) + "</strong></td><td>" + esc(r.kind) +
         "</td><td>" + esc(r.study) + "</td><td>" + esc(r.site.empty() ? "—" : r.site) + "</td><td>" +
         esc(r.subject.empty() ? "—" : r.subject) + "</td><td>" + esc(r.what) + "</td><td>" + esc(r.severity) +
         "</td><td>" + esc(r.due) + "</td><td>" + esc(r.state) + "</td><td><a href=\"" + esc(r.href) + "\">" +
         esc(r.link_text) + "</a></td><td class=\"no-print\">" +
         (r.open_alert ? ack_form(who, r.study, *r.open_alert, back) : std::string()) + "</td></tr>";
  }
  h += "</tbody></table></div>";
  return page(200, layout("Inbox", &who, h));
}

Result<Reply> post_ack(Services &, Call &c, const Session &who) {
  const config::Study *st = c.config->study(c.params[0]);
  auto id = parse_id(c.params[1], "id");
  if (!st || !id) return error_page(404, "Not found", "No such alert.", &who);
  const auto form = form_of(c.req);  // with_session has read it for its CSRF token
  json body = json::object();
  if (const std::string *comment = form ? form_field(*form, "comment") : nullptr) body["comment"] = *comment;
  auto done = service::acknowledge_alert(c.context(), caller_of(who), *st, id.value(), body);
  if (!done) return error_page(done.error(), &who);
  const std::string *back = form ? form_field(*form, "return") : nullptr;
  return redirect(back && desk_return(*back) ? *back : "/desk/inbox");
}

// --- the case page
// ---------------------------------------------------------------------

std::string row(const std::string &name, const std::string &value) {
  return "<tr><th scope=\"row\">" + esc(name) + "</th><td>" + esc(value) + "</td></tr>";
}

std::string current_section(const json &rec, const std::string &study) {
  std::string h =
      "<section aria-labelledby=\"current\"><h2 "
      "id=\"current\">Current version</h2><table><caption>Report " +
      esc(str(rec, "report_id")) + ", version " + esc(text_of(rec.value("version", json(nullptr)))) +
      "</caption><tbody>";
  const std::string subject = str(rec, "subject");
  h += row("Site report id", str(rec, "report_id"));
  h += "<tr><th scope=\"row\">Subject</th><td><a href=\"" + esc(subject_path(study, subject)) + "\">" + esc(subject) +
       "</a></td></tr>";
  h += row("Site", str(rec, "site"));
  if (rec.contains("nullified")) h += row("Nullified", text_of(rec["nullified"]));
  for (const auto &[key, label] :
       std::vector<std::pair<const char *, const char *>>{{"version", "Version"},
                                                          {"received_at", "Received (UTC)"},
                                                          {"term", "Term as reported"},
                                                          {"verbatim", "Verbatim"},
                                                          {"grade", "Grade"},
                                                          {"onset", "Onset"},
                                                          {"resolved", "Resolved"},
                                                          {"site_aware_at", "Site aware (UTC)"},
                                                          {"outcome", "Outcome"},
                                                          {"narrative", "Narrative"}})
    if (rec.contains(key)) h += row(label, text_of(rec[key]));
  if (rec.contains("lab") && rec["lab"].is_object())
    for (auto it = rec["lab"].begin(); it != rec["lab"].end(); ++it) h += row("Lab " + it.key(), text_of(it.value()));
  if (rec.contains("action_taken") && rec["action_taken"].is_object())
    for (auto it = rec["action_taken"].begin(); it != rec["action_taken"].end(); ++it)
      h += row("Action taken: " + it.key(), text_of(it.value()));
  return h + "</tbody></table></section>";
}

std::string coding_section(const json &rec) {
  const json ct = rec.value("ctcae", json::object());
  std::string h =
      "<section aria-labelledby=\"coding\"><h2 id=\"coding\">CTCAE "
      "coding</h2><table><caption>CTCAE " +
      esc(str(ct, "version")) + " coding</caption><tbody>";
  h += row("Term", str(ct, "term"));
  h += row("MedDRA code", text_of(ct.value("meddra_code", json(nullptr))));
  h += row("System organ class", str(ct, "soc"));
  h += row("Grade", text_of(ct.value("grade", json(nullptr))));
  h += row("Grade text", text_of(ct.value("grade_text", json(nullptr))));
  h += row("Grade basis", text_of(ct.value("grade_basis", json(nullptr))));
  h += row("Reported grade", text_of(ct.value("reported_grade", json(nullptr))));
  if (ct.value("lab_grade", json(nullptr)) != nullptr) {
    h += row("Lab grade", text_of(ct["lab_grade"]));
    h += row("Lab criterion", text_of(ct.value("lab_criterion", json(nullptr))));
    h += row("Lab basis", text_of(ct.value("lab_basis", json(nullptr))));
  }
  h += row("Match", text_of(ct.value("match", json(nullptr))));
  if (ct.value("synonym", json(nullptr)) != nullptr) h += row("Synonym", text_of(ct["synonym"]));
  if (ct.value("protocol_term", false)) h += row("Protocol term", "yes (its grades are the protocol's)");
  return h + "</tbody></table></section>";
}

std::string classification_section(const json &rec) {
  const json sf = rec.value("safety", json::object());
  const json crit = rec.value("serious", json::object());
  std::string h =
      "<section aria-labelledby=\"classification\"><h2 "
      "id=\"classification\">Classification</h2>"
      "<table><caption>Seriousness criteria (ICH E2A)</caption><tbody>";
  for (const auto &[key, label] :
       std::vector<std::pair<const char *, const char *>>{{"death", "Death"},
                                                          {"life_threatening", "Life-threatening"},
                                                          {"hospitalization", "Hospitalisation"},
                                                          {"disability", "Disability"},
                                                          {"congenital_anomaly", "Congenital anomaly"},
                                                          {"medically_important", "Medically important"}})
    h += row(label, text_of(crit.value(key, json(nullptr))));
  h += "</tbody></table><table><caption>Classification of the current "
       "version</caption><tbody>";
  h += row("Serious", text_of(sf.value("serious", json(nullptr))));
  h += row("Fatal or life-threatening", text_of(sf.value("fatal_or_life_threatening", json(nullptr))));
  h += row("SUSAR", text_of(sf.value("susar", json(nullptr))));
  h += row("Ever serious", text_of(sf.value("ever_serious", json(nullptr))));
  h += row("Ever a SUSAR", text_of(sf.value("ever_susar", json(nullptr))));
  if (sf.contains("site_report") && sf["site_report"].is_object())
    h += row("Site report due (UTC)", str(sf["site_report"], "due_at") +
                                          (sf["site_report"].value("late", false) ? " (received late)" : " (on time)"));
  h += "</tbody></table>";
  h += "<table><caption>Relatedness and expectedness per "
       "intervention</caption><thead><tr><th "
       "scope=\"col\">Intervention</th><th scope=\"col\">Investigator's "
       "causality</th><th scope=\"col\">Related</th><th "
       "scope=\"col\">Expected</th></tr></thead><tbody>";
  const json causality = rec.value("causality", json::object());
  for (const auto &p : sf.value("products", json::array())) {
    const std::string iv = str(p, "intervention");
    h += "<tr><th scope=\"row\">" + esc(iv) + "</th><td>" + esc(text_of(causality.value(iv, json(nullptr)))) +
         "</td><td>" + esc(text_of(p.value("related", json(nullptr)))) + "</td><td>" +
         esc(text_of(p.value("expected", json(nullptr)))) + "</td></tr>";
  }
  h += "</tbody></table>";
  if (sf.contains("reasons") && sf["reasons"].is_array() && !sf["reasons"].empty()) {
    h += "<p>Why:</p><ul>";
    for (const auto &r : sf["reasons"]) h += "<li>" + esc(text_of(r)) + "</li>";
    h += "</ul>";
  }
  return h + "</section>";
}

/// What is shown of a version's difference: the record's own fields, not the
/// bookkeeping every version changes, nor the follow-up's own summary of what
/// it changed (`changes`).
const std::vector<std::string> kNotCompared{"version",     "followup",    "changes",
                                            "recorded_at", "recorded_by", "received_at"};

std::string versions_section(const std::vector<store::VersionRow> &versions) {
  std::string h = "<section aria-labelledby=\"versions\"><h2 id=\"versions\">Versions</h2>";
  h += "<table><caption>Every version, oldest first</caption><thead><tr><th "
       "scope=\"col\">Version</th><th "
       "scope=\"col\">Kind</th><th scope=\"col\">Recorded (UTC)</th><th "
       "scope=\"col\">By</th></tr></thead><tbody>";
  for (const auto &v : versions)
    h += "<tr><th scope=\"row\">" + std::to_string(v.version) + "</th><td>" + esc(v.kind) + "</td><td>" +
         esc(v.recorded_at) + "</td><td>" + esc(v.recorded_by) + "</td></tr>";
  h += "</tbody></table>";
  for (std::size_t i = 1; i < versions.size(); ++i) {
    const auto &prev = versions[i - 1];
    const auto &next = versions[i];
    const auto changes = wl::version_diff(prev.record, next.record, kNotCompared);
    const std::string vid = "diff-" + std::to_string(prev.version) + "-" + std::to_string(next.version);
    h += "<h3 id=\"" + vid + "\">Version " + std::to_string(prev.version) + " to " + std::to_string(next.version) +
         " (" + esc(next.kind) + ")</h3>";
    if (changes.empty()) {
      h += "<p>No field changed.</p>";
      continue;
    }
    h += "<table><caption>What changed from version " + std::to_string(prev.version) + " to version " +
         std::to_string(next.version) +
         "</caption><thead><tr><th scope=\"col\">Field</th><th "
         "scope=\"col\">Before</th><th "
         "scope=\"col\">After</th></tr></thead><tbody>";
    for (const auto &ch : changes)
      h += "<tr><th scope=\"row\"><code>" + esc(ch.field) + "</code></th><td>" + esc(text_of(ch.before)) + "</td><td>" +
           esc(text_of(ch.after)) + "</td></tr>";
    h += "</tbody></table>";
  }
  return h + "</section>";
}

std::string clocks_section(const std::vector<store::ClockRow> &clocks, Timestamp now) {
  std::string h =
      "<section aria-labelledby=\"clocks\"><h2 "
      "id=\"clocks\">Reporting clocks</h2>";
  if (clocks.empty()) return h + "<p>No reporting clock.</p></section>";
  h += "<table><caption>Reporting clocks of this case</caption><thead><tr><th "
       "scope=\"col\">Clock</th><th "
       "scope=\"col\">Started (UTC)</th><th scope=\"col\">Due (UTC)</th><th "
       "scope=\"col\">State</th><th "
       "scope=\"col\">Why</th></tr></thead><tbody>";
  for (const auto &c : clocks) {
    std::string state;
    if (c.stopped_at)
      state =
          "stopped " + format_timestamp(*c.stopped_at) + " (" + c.stop_reason + (c.late ? ", late" : ", on time") + ")";
    else
      state = safety::overdue(c.clock, now) ? "open, overdue" : "open";
    h += "<tr><th scope=\"row\">" + esc(std::string(safety::to_string(c.clock.kind))) + "</th><td>" +
         esc(format_timestamp(c.clock.started_at)) + "</td><td>" + esc(format_timestamp(c.clock.due_at)) + "</td><td>" +
         esc(state) + "</td><td>" + esc(c.clock.reason) + "</td></tr>";
  }
  return h + "</tbody></table></section>";
}

std::string submissions_section(const json &subs) {
  std::string h =
      "<section aria-labelledby=\"submissions\"><h2 "
      "id=\"submissions\">Submissions</h2>";
  const json items = subs.value("items", json::array());
  if (items.empty()) return h + "<p>No regulatory submission recorded.</p></section>";
  h += "<table><caption>Regulatory submissions and the gateway's "
       "acknowledgements</caption><thead><tr><th "
       "scope=\"col\">Kind</th><th scope=\"col\">Submitted (UTC)</th><th "
       "scope=\"col\">Authority</th><th "
       "scope=\"col\">Reference</th><th scope=\"col\">ICSR message</th><th "
       "scope=\"col\">Acknowledgements</th></tr>"
       "</thead><tbody>";
  for (const auto &s : items) {
    std::string acks;
    for (const auto &a : s.value("acks", json::array())) {
      if (!acks.empty()) acks += "; ";
      acks += a.is_object()
                  ? (a.value("accepted", false) ? "accepted" : "rejected") +
                        std::string(a.contains("code") ? " (" + text_of(a["code"]) + ")" : "") +
                        (a.contains("text") && a["text"].is_string() ? ": " + a["text"].get<std::string>() : "")
                  : text_of(a);
    }
    if (acks.empty()) acks = str(s, "message_id").empty() ? "—" : "none yet";
    h += "<tr><th scope=\"row\">" + esc(str(s, "kind")) + "</th><td>" +
         esc(text_of(s.value("submitted", json(nullptr)))) + "</td><td>" +
         esc(text_of(s.value("authority", json(nullptr)))) + "</td><td>" +
         esc(text_of(s.value("reference", json(nullptr)))) + "</td><td>" +
         esc(str(s, "message_id").empty() ? "—" : str(s, "message_id")) + "</td><td>" + esc(acks) + "</td></tr>";
  }
  return h + "</tbody></table></section>";
}

/// The webhook deliveries of `alerts`, by alert. The outbox lists newest first
/// and an alert's messages are queued when it is raised or re-sent, so the scan
/// stops below the oldest alert.
Result<std::map<std::int64_t, std::vector<store::DeliveryView>>> deliveries_of(
    Services &s, const std::vector<store::AlertView> &alerts) {
  std::map<std::int64_t, std::vector<store::DeliveryView>> out;
  if (alerts.empty()) return out;
  Timestamp oldest = alerts.front().created_at;
  for (const auto &a : alerts) oldest = std::min(oldest, a.created_at);
  const std::string floor = format_timestamp(oldest);
  std::optional<std::int64_t> after;
  do {
    auto page = s.store.list_deliveries(std::nullopt, std::nullopt, after, 1000);
    if (!page) return page.error();
    for (auto &d : page->items) {
      if (d.created_at < floor) return out;
      if (d.alert && std::any_of(alerts.begin(), alerts.end(), [&](const auto &a) { return a.id == *d.alert; }))
        out[*d.alert].push_back(std::move(d));
    }
    after = page->next_after_id;
  } while (after);
  return out;
}

std::string alerts_section(const Session &who, const std::string &study, const std::string &back,
                           const std::vector<store::AlertView> &alerts,
                           const std::map<std::int64_t, std::vector<store::DeliveryView>> &deliveries) {
  std::string h = "<section aria-labelledby=\"alerts\"><h2 id=\"alerts\">Alerts</h2>";
  if (alerts.empty()) return h + "<p>No alert names this case.</p></section>";
  h += "<table><caption>Alerts of this case, newest first, with their webhook "
       "deliveries</caption><thead><tr><th "
       "scope=\"col\">Alert</th><th scope=\"col\">Rule</th><th "
       "scope=\"col\">Severity</th><th scope=\"col\">Title</th>"
       "<th scope=\"col\">Raised (UTC)</th><th scope=\"col\">State</th><th "
       "scope=\"col\">Webhook deliveries</th>"
       "<th scope=\"col\" "
       "class=\"no-print\">Acknowledge</th></tr></thead><tbody>";
  for (const auto &a : alerts) {
    std::string state = a.status == "open" ? "open" : "acknowledged";
    if (a.acked_by) state += " by " + *a.acked_by;
    if (a.acked_at) state += " at " + format_timestamp(*a.acked_at);
    if (a.ack_comment) state += ": " + *a.ack_comment;
    std::string del;
    auto it = deliveries.find(a.id);
    if (it == deliveries.end() || it->second.empty()) {
      del = "none (no endpoint takes it)";
    } else {
      del = "<ul class=\"deliveries\">";
      for (const auto &d : it->second) {
        std::string last_error;
        for (const auto &at : d.history)
          if (!at.error.empty()) last_error = at.error;
        del += "<li><span class=\"endpoint\">" + esc(d.endpoint) + "</span>: <span class=\"delivery-state\">" +
               esc(d.state) + "</span>, " + std::to_string(d.attempts) + " attempt(s)" +
               (last_error.empty() ? "" : ", last error: " + esc(last_error)) + "</li>";
      }
      del += "</ul>";
    }
    h += "<tr id=\"" + html_id("alert-" + std::to_string(a.id)) + "\"><th scope=\"row\">" + std::to_string(a.id) +
         "</th><td>" + esc(a.rule) + "</td><td>" + esc(a.severity) + "</td><td>" + esc(a.title) + "</td><td>" +
         esc(format_timestamp(a.created_at)) + "</td><td>" + esc(state) + "</td><td>" + del +
         "</td><td class=\"no-print\">" + (a.status == "open" ? ack_form(who, study, a.id, back) : std::string()) +
         "</td></tr>";
  }
  return h + "</tbody></table></section>";
}

Result<Reply> get_case(Services &s, Call &c, const Session &who) {
  const config::Study *st = c.config->study(c.params[0]);
  if (!st) return error_page(404, "Not found", "No study '" + c.params[0] + "'.", &who);
  if (who.role == Role::site && !st->has_site(who.row.site))
    return error_page(403, "Forbidden", "Site " + who.row.site + " is not in study " + st->id + ".", &who);
  auto id = parse_id(c.params[1], "id");
  if (!id) return error_page(404, "Not found", "No AE report " + c.params[1] + ".", &who);
  // What GET /v1/studies/{study}/ae/{id} and .../versions read.
  auto rec = s.store.get_ae(st->id, id.value());
  if (!rec) return error_page(rec.error(), &who);
  if (!rec.value()) return error_page(404, "Not found", "No AE report " + c.params[1] + ".", &who);
  const json &r = *rec.value();
  // As the API: another site's report is not found, the same answer as one that does not exist.
  if (who.role == Role::site && str(r, "site") != who.row.site)
    return error_page(404, "Not found", "No AE report " + c.params[1] + ".", &who);
  auto versions = s.store.ae_versions(st->id, id.value());
  if (!versions) return error_page(versions.error(), &who);

  const std::string here = case_path(st->id, id.value());
  std::string h = "<p>Study <a href=\"" + esc(study_path(st->id)) + "\">" + esc(st->title) + " (" + esc(st->id) +
                  ")</a>, subject <a href=\"" + esc(subject_path(st->id, str(r, "subject"))) + "\">" +
                  esc(str(r, "subject")) + "</a>.</p>";
  if (who.role == Role::officer) {
    // The ICSR and CIOMS I form: built from the same case (service/icsr.cpp
    // load_case); when the CIOMS form cannot be built, neither can the ICSR,
    // and the reason is the API's.
    auto cioms = service::cioms_document(c.context(), *st, id.value(), std::nullopt);
    h += "<section aria-labelledby=\"documents\"><h2 "
         "id=\"documents\">Regulatory documents</h2>";
    if (cioms)
      h += "<ul><li><a id=\"icsr-link\" href=\"" + esc(here + "/icsr.xml") +
           "\">ICSR (E2B R3 XML)</a></li><li><a id=\"cioms-link\" href=\"" + esc(here + "/cioms") +
           "\">CIOMS I form</a></li></ul>";
    else if (status_of(cioms.error().code) >= 500)
      return error_page(cioms.error(), &who);
    else
      h += "<p id=\"icsr-unavailable\">No ICSR or CIOMS I form for this case: " + esc(cioms.error().message) + "</p>";
    h += "</section>";
  }
  h += current_section(r, st->id) + coding_section(r) + classification_section(r) + versions_section(versions.value());
  if (who.role == Role::officer) {
    const Timestamp now = s.clock.now();
    auto clocks = s.store.clocks(st->id, false, id.value());
    if (!clocks) return error_page(clocks.error(), &who);
    h += clocks_section(clocks.value(), now);
    auto subs = service::report_submissions(c.context(), *st, id.value());
    if (!subs) return error_page(subs.error(), &who);
    h += submissions_section(subs.value());
    auto all = all_alerts(s, st->id, std::nullopt, std::nullopt);
    if (!all) return error_page(all.error(), &who);
    std::vector<store::AlertView> mine;
    for (auto &a : all.value())
      if (a.report && *a.report == id.value()) mine.push_back(std::move(a));
    auto deliveries = deliveries_of(s, mine);
    if (!deliveries) return error_page(deliveries.error(), &who);
    h += alerts_section(who, st->id, here, mine, deliveries.value());
  }
  return page(200, layout("Case " + str(r, "report_id") + " (report " + std::to_string(id.value()) + ")", &who, h));
}

/// The case of an officer's document route: the study and report id of the
/// path, or a 404 page.
std::optional<Reply> document_case(const Call &c, const Session &who, const config::Study *&st, std::int64_t &id) {
  st = c.config->study(c.params[0]);
  auto parsed = parse_id(c.params[1], "id");
  if (!st || !parsed) return error_page(404, "Not found", "No such AE report.", &who);
  id = parsed.value();
  return std::nullopt;
}

Result<Reply> get_icsr_xml(Services &, Call &c, const Session &who) {
  const config::Study *st = nullptr;
  std::int64_t id = 0;
  if (auto bad = document_case(c, who, st, id)) return *bad;
  auto doc = icsr_reply(c, *st, id, std::nullopt, 1);
  if (!doc) return error_page(doc.error(), &who);
  return desk_document(std::move(doc.value()));
}

Result<Reply> get_cioms(Services &, Call &c, const Session &who) {
  const config::Study *st = nullptr;
  std::int64_t id = 0;
  if (auto bad = document_case(c, who, st, id)) return *bad;
  auto doc = cioms_reply(c, *st, id, std::nullopt);
  if (!doc) return error_page(doc.error(), &who);
  return desk_document(std::move(doc.value()));
}

}  // namespace

std::vector<RouteDef> desk_officer_routes(Services &s) {
  // The API's roles: alerts, clocks, submissions, ICSR and CIOMS are the
  // officer's; a site reads its own reports and their versions (the case page
  // shows it those alone).
  const std::vector<Role> officer{Role::officer};
  const std::vector<Role> officer_site{Role::officer, Role::site};
  return {
      {"GET", "/desk/inbox", {}, with_session(s, officer, get_inbox), true},
      {"POST", "/desk/studies/{study}/alerts/{id}/ack", {}, with_session(s, officer, post_ack), true},
      {"GET", "/desk/studies/{study}/ae/{id}/icsr.xml", {}, with_session(s, officer, get_icsr_xml), true},
      {"GET", "/desk/studies/{study}/ae/{id}/cioms", {}, with_session(s, officer, get_cioms), true},
      {"GET", "/desk/studies/{study}/ae/{id}", {}, with_session(s, officer_site, get_case), true},
  };
}

}  // namespace pvmon::http
