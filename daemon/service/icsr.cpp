// Use cases: an AE report's ICH E2B(R3) ICSR and CIOMS I form, and the gateway's
// acknowledgements. build_case maps pvmon's records to E2B(R3)'s elements (pure); the message
// itself, its validation and the acknowledgement's reading are pvmon::icsr's.
#include "pvmon/service/icsr.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <set>

#include "pvmon/crypto.hpp"
#include "pvmon/safety.hpp"

namespace pvmon::service {

using nlohmann::json;

namespace {

std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::optional<Date> date_of(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return std::nullopt;
  return parse_date(it->get<std::string>());
}

std::optional<Date> date_of_timestamp(const std::string& s) {
  if (auto t = parse_timestamp(s)) return t->date();
  return std::nullopt;
}

// pvmon's outcome values (CDISC AEOUT) to E2B(R3) E.i.7.
icsr::Outcome outcome_of(const std::string& v) {
  if (v == "recovered") return icsr::Outcome::recovered;
  if (v == "recovering") return icsr::Outcome::recovering;
  if (v == "not_recovered") return icsr::Outcome::not_recovered;
  if (v == "recovered_with_sequelae") return icsr::Outcome::recovered_with_sequelae;
  if (v == "fatal") return icsr::Outcome::fatal;
  return icsr::Outcome::unknown;
}

// pvmon's action values (CDISC AEACN) to E2B(R3) G.k.8, which has no "interrupted": an
// interruption is a withdrawal (1) whose restart the narrative tells.
icsr::DrugAction action_of(const std::string& v) {
  if (v == "drug_withdrawn" || v == "drug_interrupted") return icsr::DrugAction::withdrawn;
  if (v == "dose_reduced") return icsr::DrugAction::dose_reduced;
  if (v == "dose_increased") return icsr::DrugAction::dose_increased;
  if (v == "dose_not_changed") return icsr::DrugAction::dose_not_changed;
  if (v == "not_applicable") return icsr::DrugAction::not_applicable;
  return icsr::DrugAction::unknown;
}

// The test a lab-graded CTCAE term names ("Alanine aminotransferase increased" ->
// "Alanine aminotransferase"): F.r.2.1 is free text.
std::string test_name(std::string term) {
  for (const char* tail : {" increased", " decreased"})
    if (term.size() > std::strlen(tail) && term.ends_with(tail)) return term.substr(0, term.size() - std::strlen(tail));
  return term;
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// Age in whole years on `on`, from the age at enrolment (pvmon keeps no date of birth).
std::optional<int> age_on(const store::SubjectRow& s, Date on) {
  auto it = s.record.find("age");
  if (it == s.record.end() || !it->is_number_integer()) return std::nullopt;
  const int at_enrolment = it->get<int>();
  const int days = on.days - s.enrolled.days;
  return at_enrolment + (days > 0 ? static_cast<int>(days / 365.2425) : 0);
}

struct DrugCourse {
  std::optional<Date> start, end;
  std::optional<double> dose;  // in force at the reaction's onset
  std::string unit;
};

// The subject's drug events for one drug, as of the reaction's onset (CLINICAL.md course).
DrugCourse drug_course(const std::vector<safety::SubjectEvent>& events, const std::string& drug,
                       std::optional<Date> onset) {
  std::vector<const safety::SubjectEvent*> mine;
  for (const auto& e : events)
    if (e.fields.value("drug", "") == drug) mine.push_back(&e);
  std::sort(mine.begin(), mine.end(), [](auto* a, auto* b) { return a->date < b->date || (a->date == b->date && a->id < b->id); });
  DrugCourse c;
  for (const auto* e : mine) {
    if (e->kind == "drug_start" && !c.start) c.start = e->date;
    if (e->kind == "drug_stop") c.end = e->date;
    if ((e->kind == "drug_start" || e->kind == "dose_change") && e->fields.contains("dose") &&
        (!onset || e->date <= *onset)) {
      c.dose = e->fields["dose"].get<double>();
      c.unit = e->fields.value("dose_unit", "");
    }
  }
  return c;
}

// The generated account of the course (H.1 after the site's narrative): treatment, surgery,
// the event, what was done and how it ended, from the records only.
std::string course_account(const CaseSources& src, const icsr::Case& c, const json& rec) {
  std::string out;
  const auto& st = *src.study;
  out += "Subject " + c.subject;
  if (c.age_years) out += ", " + std::to_string(*c.age_years) + " years old at onset";
  if (c.sex == "M") out += ", male";
  if (c.sex == "F") out += ", female";
  if (src.subject) out += ", enrolled " + format_date(src.subject->enrolled);
  out += " in " + st.title + " (" + st.id + ").";
  std::vector<const safety::SubjectEvent*> evs;
  for (const auto& e : src.events) evs.push_back(&e);
  std::sort(evs.begin(), evs.end(), [](auto* a, auto* b) { return a->date < b->date || (a->date == b->date && a->id < b->id); });
  std::map<std::string, std::string> names;
  for (const auto& iv : st.interventions) names[iv.id] = iv.name;
  for (const auto* e : evs) {
    const std::string d = format_date(e->date);
    const json& f = e->fields;
    const std::string drug = names.count(f.value("drug", "")) ? names[f.value("drug", "")] : f.value("drug", "");
    const auto dose = [&] {
      return f.contains("dose") ? " " + num(f["dose"].get<double>()) + " " + f.value("dose_unit", "") : std::string();
    };
    if (e->kind == "drug_start") out += " " + drug + dose() + " started " + d + ".";
    else if (e->kind == "dose_change") out += " " + drug + " changed to" + dose() + " on " + d + ".";
    else if (e->kind == "drug_hold") out += " " + drug + " held " + d + ".";
    else if (e->kind == "drug_stop") out += " " + drug + " stopped " + d + ".";
    else if (e->kind == "radiotherapy_start") out += " IMRT started " + d + ".";
    else if (e->kind == "radiotherapy_end")
      out += " Radiotherapy ended " + d + (f.contains("dose_gy") ? " (" + num(f["dose_gy"].get<double>()) + " Gy in " +
                                                                       std::to_string(f.value("fractions", 0)) + " fractions)" : std::string()) + ".";
    else if (e->kind == "surgery") out += " Surgery (" + f.value("procedure", "") + ") on " + d + ".";
    else if (e->kind == "discharge") out += " Discharged " + d + ".";
    else if (e->kind == "readmission") out += " Readmitted " + d + " (" + f.value("reason", "") + ").";
    else if (e->kind == "reoperation") out += " Reoperation " + d + " (" + f.value("reason", "") + ").";
    else if (e->kind == "surgical_complication")
      out += " Surgical complication " + f.value("term", "") + " (Clavien-Dindo " + f.value("grade", "") + ") on " + d + ".";
    else if (e->kind == "death") out += " Died " + d + " (" + f.value("cause", "") + ").";
  }
  const json ctcae = rec.value("ctcae", json::object());
  out += " Event: " + c.reaction.term + " (CTCAE v5.0 grade " + std::to_string(c.reaction.grade);
  if (!c.reaction.meddra_code.empty()) out += ", MedDRA " + c.reaction.meddra_code;
  out += ")";
  if (c.reaction.start) out += ", onset " + format_date(*c.reaction.start);
  if (c.reaction.end) out += ", resolved " + format_date(*c.reaction.end);
  out += ".";
  if (!c.labs.empty()) {
    const auto& l = c.labs.front();
    out += " " + l.name + " " + num(l.value) + " " + l.unit;
    if (l.high) out += " (ULN " + num(*l.high) + ")";
    if (!l.comment.empty()) out += "; " + l.comment;
    out += ".";
  }
  std::vector<std::string> criteria;
  for (const auto& [flag, name] : {std::pair{c.reaction.death, "results in death"},
                                   {c.reaction.life_threatening, "life-threatening"},
                                   {c.reaction.hospitalization, "hospitalisation or its prolongation"},
                                   {c.reaction.disability, "disability or incapacity"},
                                   {c.reaction.congenital_anomaly, "congenital anomaly"},
                                   {c.reaction.medically_important, "medically important"}})
    if (flag) criteria.push_back(name);
  if (criteria.empty()) {
    out += " Not serious.";
  } else {
    out += " Serious:";
    for (std::size_t i = 0; i < criteria.size(); ++i) out += (i ? ", " : " ") + criteria[i];
    out += " (ICH E2A II.B).";
  }
  const json actions = rec.value("action_taken", json::object());
  for (const auto& iv : st.interventions) {
    if (!actions.contains(iv.id) || !actions[iv.id].is_string()) continue;
    std::string action = actions[iv.id].get<std::string>();
    std::replace(action.begin(), action.end(), '_', ' ');
    out += " Action with " + iv.name + ": " + action + ".";
  }
  static const std::map<std::string, std::string> kOutcome = {
      {"recovered", "recovered"}, {"recovering", "recovering"}, {"not_recovered", "not recovered"},
      {"recovered_with_sequelae", "recovered with sequelae"}, {"fatal", "fatal"}, {"unknown", "unknown"}};
  if (auto it = kOutcome.find(str(rec, "outcome")); it != kOutcome.end()) out += " Outcome: " + it->second + ".";
  if (c.death_date) out += " Date of death " + format_date(*c.death_date) + ".";
  return out;
}

}  // namespace

std::string safety_report_id(const config::IcsrSettings& s, std::int64_t report) {
  return s.case_prefix + "-" + std::to_string(report);
}

std::string icsr_message_id(const std::string& safety_report_id, int version, int attempt) {
  std::string id = safety_report_id + "-V" + std::to_string(version);
  if (attempt > 1) id += "-A" + std::to_string(attempt);
  return id;
}

icsr::Case build_case(const CaseSources& src) {
  const config::Study& st = *src.study;
  const config::IcsrSettings& ic = *st.icsr;
  const store::VersionRow& ver = src.versions.back();
  const json& rec = ver.record;
  const std::string site = str(rec, "site");
  icsr::Case c;
  c.version = ver.version;
  c.safety_report_id = safety_report_id(ic, src.report);
  c.worldwide_case_id = c.safety_report_id;  // pvmon's sponsor is the case's first sender
  c.message_id = icsr_message_id(c.safety_report_id, ver.version, src.attempt);
  c.batch_id = "B-" + c.message_id;
  c.batch_sender = c.message_sender = ic.sender_id;
  c.batch_receiver = ic.batch_receiver_id;
  c.message_receiver = ic.receiver_id;
  c.created = src.now;
  // C.1.4: the sponsor's first receipt of the case (the first version's); C.1.5: the receipt
  // of the information this version carries.
  c.first_received = date_of_timestamp(src.versions.front().recorded_at).value_or(src.now.date());
  c.most_recent = date_of_timestamp(ver.recorded_at).value_or(src.now.date());
  const json safety = rec.value("safety", json::object());
  c.expedited = safety.value("susar", false);  // ICH E2A III.A: a SUSAR is expedited
  c.fda_report_type = c.expedited ? "1" : "2";  // FDA.C.1.7.1: 1 expedited (7/15-day), 2 other
  c.followup = ver.version > 1;
  if (ver.kind == "nullification") {
    c.nullified = true;
    c.nullification_reason = rec.value("nullified", json::object()).value("reason", "");
  }
  c.primary_source_country = ic.country_of(site);
  c.reporter_organisation = "Investigator site " + site;
  c.reporter_country = c.primary_source_country;
  c.sender_organisation = ic.sender_organisation;
  c.sender_country = ic.sender_country;
  const auto contact = [&](const char* key) {
    auto it = ic.sender_contact.find(key);
    return it == ic.sender_contact.end() ? std::string() : it->second;
  };
  c.sender_department = contact("department");
  c.sender_title = contact("title");
  c.sender_given_name = contact("given_name");
  c.sender_family_name = contact("family_name");
  c.sender_street = contact("street");
  c.sender_city = contact("city");
  c.sender_state = contact("state");
  c.sender_postcode = contact("postcode");
  c.sender_telephone = contact("telephone");
  c.sender_fax = contact("fax");
  c.sender_email = contact("email");
  c.registration_number = ic.registration_number;
  c.registration_country = ic.registration_country;
  c.study_name = st.title;
  c.sponsor_study_number = ic.sponsor_study_number;
  c.ind_number = ic.ind_number;

  // D: the pseudonymous subject id only (pvmon takes no name, initials or date of birth).
  c.subject = str(rec, "subject");
  const auto onset = date_of(rec, "onset");
  if (src.subject) {
    if (onset) c.age_years = age_on(*src.subject, *onset);
    c.sex = src.subject->record.value("sex", "U");
  }

  const json ctcae = rec.value("ctcae", json::object());
  auto& r = c.reaction;
  r.id = "r1";
  r.term = str(ctcae, "term");
  r.verbatim = str(rec, "verbatim").empty() ? r.term : str(rec, "verbatim");
  // CTCAE v5.0 terms are MedDRA 20.1 LLTs; a protocol term (PROTO-...) has no MedDRA code.
  if (!ctcae.value("protocol_term", false)) r.meddra_code = str(ctcae, "meddra_code");
  r.grade = rec.value("grade", 0);
  const json serious = rec.value("serious", json::object());
  r.death = serious.value("death", false);
  r.life_threatening = serious.value("life_threatening", false);
  r.hospitalization = serious.value("hospitalization", false);
  r.disability = serious.value("disability", false);
  r.congenital_anomaly = serious.value("congenital_anomaly", false);
  r.medically_important = serious.value("medically_important", false);
  r.start = onset;
  r.end = date_of(rec, "resolved");
  r.outcome = outcome_of(str(rec, "outcome"));
  r.country = c.primary_source_country;

  // D.9: a death recorded by a death event, else by this fatal report (CTCAE grade 5).
  for (const auto& e : src.events)
    if (e.kind == "death" && (!c.death_date || e.date < *c.death_date)) {
      c.death_date = e.date;
      c.death_causes = {e.fields.value("cause", "")};
      c.death_cause_codes = {""};
      if (e.fields.value("related_ae", "") == str(rec, "report_id")) c.death_cause_codes = {r.meddra_code};
    }
  if (!c.death_date && (r.outcome == icsr::Outcome::fatal || r.grade == 5)) {
    c.death_date = r.end ? r.end : r.start;
    c.death_causes = {r.term};
    c.death_cause_codes = {r.meddra_code};
  }

  // F.r: the value that graded a lab-graded term.
  if (const auto lab = rec.find("lab"); lab != rec.end() && lab->is_object() && lab->contains("value") &&
                                        (*lab)["value"].is_number()) {
    icsr::LabTest t;
    t.name = test_name(r.term);
    t.date = onset;
    t.value = (*lab)["value"].get<double>();
    t.unit = lab->value("unit", "");
    if (lab->contains("lln") && (*lab)["lln"].is_number()) t.low = (*lab)["lln"].get<double>();
    if (lab->contains("uln") && (*lab)["uln"].is_number()) t.high = (*lab)["uln"].get<double>();
    if (!ctcae.value("lab_criterion", json()).is_null() && ctcae.contains("lab_criterion"))
      t.comment = "CTCAE v5.0 grade " + std::to_string(ctcae.value("lab_grade", json(0)).is_number() ? ctcae["lab_grade"].get<int>() : 0) +
                  ": " + str(ctcae, "lab_criterion");
    if (lab->contains("baseline") && (*lab)["baseline"].is_number())
      t.comment += (t.comment.empty() ? "" : "; ") + std::string("baseline ") + num((*lab)["baseline"].get<double>());
    c.labs.push_back(std::move(t));
  }

  // G.k: the study's drugs (radiotherapy and surgery are in the narrative, not G.k).
  const json causality = rec.value("causality", json::object());
  const json actions = rec.value("action_taken", json::object());
  std::map<std::string, bool> related;
  for (const auto& p : safety.value("products", json::array()))
    related[p.value("intervention", "")] = p.value("related", false);
  for (const auto& iv : st.interventions) {
    if (iv.kind != "drug") continue;
    icsr::Drug d;
    d.role = iv.investigational_product ? icsr::DrugRole::suspect : icsr::DrugRole::concomitant;
    d.name = iv.name;
    d.route = iv.route;
    const DrugCourse course = drug_course(src.events, iv.id, onset);
    d.start = course.start;
    d.end = course.end;
    d.dose = course.dose ? course.dose : iv.dose;
    d.dose_unit = course.dose ? course.unit : iv.dose_unit;
    d.action = action_of(actions.value(iv.id, "unknown"));
    d.blinded = false;  // G.k.2.5: the study is open-label
    d.ind_number = iv.investigational_product ? ic.ind_number : "";
    if (causality.contains(iv.id))
      d.causality.push_back({r.id, "Investigator", "Global Introspection", causality[iv.id].get<std::string>()});
    // The sponsor's: pvmon's classification for expedited reporting, which keeps the
    // investigator's "reasonable possibility" (ICH E2A III.A.1; a sponsor may not downgrade it).
    if (related.count(iv.id))
      d.causality.push_back({r.id, "Sponsor", "ICH E2A reasonable possibility",
                             related[iv.id] ? "related" : "not related"});
    c.drugs.push_back(std::move(d));
  }

  // H.1: the site's narrative first, then the generated account of the course.
  const std::string site_narrative = str(rec, "narrative");
  c.narrative = site_narrative.empty() ? course_account(src, c, rec)
                                       : site_narrative + "\n\n" + course_account(src, c, rec);
  if (c.narrative.size() > 100000) c.narrative.resize(100000);  // H.1 is 100,000 characters
  // H.4: the sponsor's classification and why.
  std::string comment = safety.value("susar", false) ? "SUSAR" : safety.value("serious", false) ? "Serious adverse event" : "Adverse event";
  for (const auto& reason : safety.value("reasons", json::array()))
    if (reason.is_string()) comment += "; " + reason.get<std::string>();
  if (c.nullified) comment += "; nullified: " + c.nullification_reason;
  c.sender_comment = comment;
  return c;
}

namespace {

struct Loaded {
  CaseSources src;
  std::string site;
};

Result<Loaded> load_case(const Context& cx, const config::Study& st, std::int64_t report,
                         std::optional<int> version) {
  if (!st.icsr)
    return Error::field(Errc::conflict, "study",
                        "the study file of " + st.id + " has no \"icsr\" settings (README \"ICSR\")");
  auto rows = cx.store.ae_versions(st.id, report);
  if (!rows) return rows.error();
  if (rows->empty()) return Error::field(Errc::not_found, "id", "no AE report " + std::to_string(report));
  Loaded l;
  l.src.study = &st;
  l.src.report = report;
  l.src.now = cx.clock.now();
  const int want = version.value_or(rows->back().version);
  for (auto& v : rows.value()) {
    if (v.version > want) break;
    l.src.versions.push_back(std::move(v));
  }
  if (l.src.versions.empty() || l.src.versions.back().version != want)
    return Error::field(Errc::not_found, "version",
                        "report " + std::to_string(report) + " has no version " + std::to_string(want));
  const json& rec = l.src.versions.back().record;
  l.site = str(rec, "site");
  auto subject = cx.store.find_subject(st.id, str(rec, "subject"));
  if (!subject) return subject.error();
  l.src.subject = subject.value();
  auto events = cx.store.subject_events(st.id, str(rec, "subject"));
  if (!events) return events.error();
  l.src.events = std::move(events.value());
  return l;
}

}  // namespace

Result<IcsrDocument> icsr_document(const Context& cx, const config::Study& st, std::int64_t report,
                                   std::optional<int> version, int attempt) {
  auto loaded = load_case(cx, st, report, version);
  if (!loaded) return loaded.error();
  loaded->src.attempt = attempt;
  IcsrDocument doc;
  doc.c = build_case(loaded->src);
  doc.profile = icsr::parse_profile(st.icsr->profile).value_or(icsr::Profile::ich);
  doc.xml = icsr::build(doc.c, doc.profile);
  const auto findings = icsr::validate(doc.xml, doc.profile);
  bool rejected = false;
  for (const auto& f : findings) {
    if (f.rejection) rejected = true;
    spdlog::log(f.rejection ? spdlog::level::err : spdlog::level::warn,
                "icsr: {} report {} version {}: {} {} {}", st.id, report, doc.c.version, f.rule, f.element, f.message);
  }
  if (rejected)
    return Error::of(Errc::internal, "the ICSR of report " + std::to_string(report) +
                                         " failed validation (see the log); it is not served");
  return doc;
}

Result<std::string> cioms_document(const Context& cx, const config::Study& st, std::int64_t report,
                                   std::optional<int> version) {
  auto loaded = load_case(cx, st, report, version);
  if (!loaded) return loaded.error();
  return icsr::cioms_html(build_case(loaded->src));
}

Result<store::Stored> record_icsr_ack(const Context& cx, const Caller& who, const config::Study& st,
                                      std::string_view xml) {
  auto ack = icsr::parse_ack(xml);
  if (!ack) return ack.error();
  if (ack->messages.empty())
    return Error::field(Errc::invalid, "ACK.B.r", "the acknowledgement acknowledges no ICSR message");
  const std::string sha = crypto::sha256_hex(xml);
  // A batch refused whole (ACK.A.4 AE or AR) rejects every message in it.
  const bool batch_ok = ack->batch_code.empty() || ack->batch_code == "AA";
  for (int attempt = 0; attempt < 5; ++attempt) {
    store::IcsrAckWrite w;
    w.study = st.id;
    w.ack_batch_id = ack->batch_id;
    w.ack_sha256 = sha;
    w.receipt = ack->created;
    std::vector<FieldError> errs;
    std::set<std::string> seen;
    for (std::size_t i = 0; i < ack->messages.size(); ++i) {
      const auto& m = ack->messages[i];
      const std::string field = "ACK.B.r[" + std::to_string(i + 1) + "].1";
      if (!seen.insert(m.target_message_id).second) {
        errs.push_back({field, "message " + m.target_message_id + " is acknowledged twice"});
        continue;
      }
      auto sub = cx.store.submission_by_message(st.id, m.target_message_id);
      if (!sub) return sub.error();
      if (!sub.value()) {
        errs.push_back({field, "no submission of study " + st.id + " names ICSR message " + m.target_message_id +
                                   " (record it first: POST .../ae/{id}/submissions with message_id)"});
        continue;
      }
      store::IcsrAckWrite::Item item;
      item.submission = sub.value()->id;
      item.report = sub.value()->report;
      item.message_id = m.target_message_id;
      item.code = m.code;
      item.accepted = batch_ok && m.accepted;
      item.text = !m.text.empty() ? m.text : ack->batch_text;
      item.local_report_number = m.local_report_number;
      auto open = cx.store.clocks(st.id, true, item.report);
      if (!open) return open.error();
      std::vector<safety::Clock> clocks;
      for (const auto& row : open.value()) {
        clocks.push_back(row.clock);
        item.expected_open_clocks.push_back(row.id);
      }
      std::sort(item.expected_open_clocks.begin(), item.expected_open_clocks.end());
      if (item.accepted) {
        const auto kind = safety::parse_submission_kind(sub.value()->kind).value_or(safety::SubmissionKind::initial);
        for (auto& stop : safety::plan_submission(clocks, kind, w.receipt).stop) {
          stop.reason = "acknowledged by the gateway (ICSR " + m.target_message_id + ")";
          item.stop.push_back(std::move(stop));
        }
      } else {
        store::AlertRecord a;
        a.rule = "icsr.rejected";
        a.severity = "critical";
        a.dedupe_key = "icsr.rejected:" + m.target_message_id + ":" + ack->batch_id;
        a.title = "ICSR " + m.target_message_id + " rejected by the gateway: " + item.text;
        a.subject = sub.value()->record.value("report_id", "");
        if (auto rep = cx.store.get_ae(st.id, item.report); rep && rep.value())
          a.subject = rep.value()->value("subject", "");
        a.report = item.report;
        a.payload = {{"message_id", m.target_message_id}, {"ack_batch_id", ack->batch_id},
                     {"code", m.code},                    {"batch_code", ack->batch_code},
                     {"text", item.text},                 {"submission", item.submission}};
        item.alert = std::move(a);
      }
      w.items.push_back(std::move(item));
    }
    if (!errs.empty()) return Error::invalid(std::move(errs), "the acknowledgement names unknown messages");
    auto stored = cx.store.add_icsr_ack(std::move(w), who.actor());
    if (!stored) return stored.error();
    if (!stored->stale) return stored;
  }
  return Error::of(Errc::unavailable, "the reports' clocks kept changing while the acknowledgement was recorded; retry");
}

Result<json> report_submissions(const Context& cx, const config::Study& st, std::int64_t report) {
  auto rep = cx.store.get_ae(st.id, report);
  if (!rep) return rep.error();
  if (!rep.value()) return Error::field(Errc::not_found, "id", "no AE report " + std::to_string(report));
  auto rows = cx.store.submissions(st.id, report);
  if (!rows) return rows.error();
  json items = json::array();
  for (const auto& r : rows.value()) items.push_back(r.record);
  return json{{"report", report}, {"items", items}};
}

}  // namespace pvmon::service
