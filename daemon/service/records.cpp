#include "records.hpp"

#include <algorithm>
#include <cmath>
#include <set>
#include <tuple>

#include "pvmon/fields.hpp"
#include "pvmon/crypto.hpp"
#include "pvmon/intake.hpp"

namespace pvmon::service {

using nlohmann::json;

const std::vector<std::string> kSubmitted = {
    "report_id", "subject",     "term",         "verbatim", "grade",   "lab",
    "onset",     "resolved",    "site_aware_at", "serious", "causality", "action_taken",
    "outcome",   "narrative",   "death_unrelated"};

std::string canonical_hash(const json& j) { return crypto::sha256_hex(j.dump()); }

namespace {

safety::Seriousness seriousness_of(const json& record) {
  const json& s = record.at("serious");
  return safety::Seriousness{s.value("death", false),         s.value("life_threatening", false),
                             s.value("hospitalization", false), s.value("disability", false),
                             s.value("congenital_anomaly", false),
                             s.value("medically_important", false)};
}

}  // namespace

json criteria_of(const json& record) {
  json out = json::array();
  for (auto it = record.at("serious").begin(); it != record.at("serious").end(); ++it)
    if (it.value().is_boolean() && it.value().get<bool>()) out.push_back(it.key());
  return out;
}

json classification_json(const safety::Classification& c) {
  json products = json::array();
  for (const auto& p : c.products)
    products.push_back({{"intervention", p.intervention}, {"related", p.related}, {"expected", p.expected}});
  return {{"serious", c.serious},
          {"fatal_or_life_threatening", c.fatal_or_life_threatening},
          {"related_to", c.related_to},
          {"products", products},
          {"susar", c.susar},
          {"reasons", c.reasons}};
}


store::AlertRecord to_record(const safety::AlertDraft& d) {
  return store::AlertRecord{d.rule,  std::string(safety::to_string(d.severity)),
                            d.dedupe_key, d.title, d.subject, d.report, d.payload};
}

std::vector<store::AlertRecord> to_records(const std::vector<safety::AlertDraft>& ds) {
  std::vector<store::AlertRecord> out;
  for (const auto& d : ds) out.push_back(to_record(d));
  return out;
}


/// The version facts the rules engine reads, from a stored record.
safety::AeVersionFacts version_facts(const config::Study& st, const json& record, std::int64_t report,
                                     int version, const safety::Classification& cls) {
  safety::AeVersionFacts f;
  f.study = st.id;
  f.report = report;
  f.site_report_id = record.at("report_id").get<std::string>();
  f.subject = record.at("subject").get<std::string>();
  f.version = version;
  f.nullified = record.contains("nullified");
  const json& ct = record.at("ctcae");
  f.term = ct.value("term", "");
  f.meddra_code = ct.value("meddra_code", "");
  f.soc = ct.value("soc", "");
  f.grade = record.value("grade", 1);
  f.outcome = record.value("outcome", "");
  f.grade_discrepancy = ct.value("grade_discrepancy", false);
  if (ct.contains("reported_grade") && ct["reported_grade"].is_number()) f.reported_grade = ct["reported_grade"].get<int>();
  if (ct.contains("lab_grade") && ct["lab_grade"].is_number()) f.lab_grade = ct["lab_grade"].get<int>();
  f.criteria = seriousness_of(record);
  f.classification = cls;
  f.related_to = cls.related_to;
  if (record.contains("safety") && record["safety"].contains("site_report")) {
    const json& sr = record["safety"]["site_report"];
    f.site_report_late = sr.value("late", false);
    if (auto t = parse_timestamp(sr.value("due_at", ""))) f.site_report_due = *t;
  }
  if (auto t = parse_timestamp(record.value("received_at", ""))) f.received_at = *t;
  if (auto d = parse_date(record.value("onset", ""))) f.onset = *d;
  return f;
}

safety::PriorVersion prior_of(const config::Study& st, const json& prev, int version) {
  const auto f = version_facts(st, prev, 0, version, classify_record(st, prev));
  safety::PriorVersion p;
  p.version = version;
  p.grade = f.grade;
  p.term = f.term;
  p.meddra_code = f.meddra_code;
  p.soc = f.soc;
  p.criteria = f.criteria;
  p.classification = f.classification;
  p.related_to = f.related_to;
  p.fatal = safety::is_fatal(f.grade, f.outcome, f.criteria);
  const json sb = prev.value("safety", json::object());
  p.ever_serious = sb.value("ever_serious", f.classification.serious);
  p.ever_susar = sb.value("ever_susar", f.classification.susar);
  return p;
}


Status check_against_course(store::SubjectStore& subjects, const std::string& study,
                            const intake::AeDraft& d, int grade) {
  auto events = subjects.subject_events(study, d.subject);
  if (!events) return events.error();
  auto aes = subjects.subject_aes(study, d.subject);
  if (!aes) return aes.error();
  // As SubjectStore::subject_aes reads a stored report: grade 5 is the fatal one (CTCAE v5.0).
  const safety::CourseAe ae{d.report_id, d.onset, d.resolved, grade, grade == 5, d.serious.any()};
  auto errs = safety::ae_course_errors(ae, events.value(), aes.value());
  if (errs.empty()) return Ok{};
  std::string first = errs.front().field + " " + errs.front().message;
  return Error::invalid(std::move(errs), std::move(first));
}

/// The submitted fields of a stored record, as the site would post them again.
json submitted_fields(const json& record) {
  json out = json::object();
  for (const auto& k : kSubmitted)
    if (record.contains(k)) out[k] = record[k];
  // The record's `grade` is the grade in force; a follow-up restates what the site reported.
  if (record.contains("ctcae")) {
    const json& rg = record["ctcae"]["reported_grade"];
    if (rg.is_null()) out.erase("grade");
    else out["grade"] = rg;
  }
  if (out.contains("lab") && out["lab"].is_null()) out.erase("lab");
  // A report sent without a verbatim is stored with an empty one, which the site could not
  // have sent: restating it would refuse every follow-up of such a report.
  if (out.contains("verbatim") && out["verbatim"] == "") out.erase("verbatim");
  return out;
}




std::vector<safety::Intervention> interventions_of(const config::Study& st) {
  std::vector<safety::Intervention> out;
  for (const auto& iv : st.interventions)
    out.push_back({iv.id, iv.kind, iv.investigational_product, iv.expected_terms});
  return out;
}

safety::Classification classify_record(const config::Study& st, const json& record) {
  safety::AeFacts f;
  f.grade = record.value("grade", 1);
  if (record.contains("ctcae")) {
    f.meddra_code = record["ctcae"].value("meddra_code", "");
    f.term = record["ctcae"].value("term", "");
  }
  f.seriousness = seriousness_of(record);
  for (auto it = record.at("causality").begin(); it != record.at("causality").end(); ++it)
    if (auto c = safety::parse_causality(it.value().get<std::string>())) f.site_causality[it.key()] = *c;
  return safety::classify(f, interventions_of(st));
}

IntakeSafety intake_safety(const config::Study& st, const intake::AeDraft& d, const intake::Coded& c,
                           Timestamp received_at) {
  IntakeSafety out;
  out.classification = classify_draft(st, d, c);
  const auto& cls = out.classification;
  out.block = classification_json(cls);
  const auto& sf = d.serious;
  out.block["criteria"] = criteria_of(json{{"serious", {{"death", sf.death},
                                                        {"life_threatening", sf.life_threatening},
                                                        {"hospitalization", sf.hospitalization},
                                                        {"disability", sf.disability},
                                                        {"congenital_anomaly", sf.congenital_anomaly},
                                                        {"medically_important", sf.medically_important}}}});
  if (cls.serious) {
    // ICH E6 4.11.1: the site reports an SAE to the sponsor within the protocol's hours of
    // becoming aware; the clock ends when the daemon receives the report.
    store::ClockRow site;
    site.clock = safety::site_report_clock(d.site_aware_at, st.site_report_hours);
    const bool late = safety::site_report_late(d.site_aware_at, received_at, st.site_report_hours);
    site.stopped_at = received_at;
    site.stop_reason = "received";
    site.late = late;
    out.block["site_report"] = {{"due_at", format_timestamp(site.clock.due_at)}, {"late", late}};
    out.closed.push_back(site);
  }
  out.block["ever_serious"] = cls.serious;
  out.block["ever_susar"] = cls.susar;
  out.clocks = safety::regulatory_clocks(cls, received_at);
  return out;
}

safety::Classification classify_draft(const config::Study& st, const intake::AeDraft& d,
                                      const intake::Coded& c) {
  safety::AeFacts f;
  f.grade = c.grade;
  if (c.term) {
    f.meddra_code = std::string(c.term->meddra_code);
    f.term = std::string(c.term->term);
  }
  f.seriousness = safety::Seriousness{d.serious.death, d.serious.life_threatening, d.serious.hospitalization,
                                      d.serious.disability, d.serious.congenital_anomaly,
                                      d.serious.medically_important};
  for (const auto& [iv, v] : d.causality)
    if (auto k = safety::parse_causality(v)) f.site_causality[iv] = *k;
  return safety::classify(f, interventions_of(st));
}

safety::AeVersionFacts new_report_facts(const config::Study& st, const intake::AeDraft& d,
                                        const intake::Coded& c, const IntakeSafety& derived,
                                        Timestamp received_at) {
  safety::AeVersionFacts f;
  f.study = st.id;
  f.site_report_id = d.report_id;
  f.subject = d.subject;
  f.version = 1;
  if (c.term) {
    f.term = std::string(c.term->term);
    f.meddra_code = std::string(c.term->meddra_code);
    f.soc = std::string(c.term->soc);
  }
  f.grade = c.grade;
  f.outcome = d.outcome;
  f.grade_discrepancy = c.grade_basis == "discrepancy";
  f.reported_grade = c.reported_grade;
  f.lab_grade = c.lab_grade;
  f.criteria = safety::Seriousness{d.serious.death, d.serious.life_threatening, d.serious.hospitalization,
                                   d.serious.disability, d.serious.congenital_anomaly,
                                   d.serious.medically_important};
  f.classification = derived.classification;
  f.related_to = derived.classification.related_to;
  if (!derived.closed.empty()) {
    f.site_report_late = derived.closed.front().late;
    f.site_report_due = derived.closed.front().clock.due_at;
  }
  f.received_at = received_at;
  f.onset = d.onset;
  return f;
}

}  // namespace pvmon::service
