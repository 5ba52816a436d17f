#include "pvmon/intake.hpp"

#include <algorithm>

#include "pvmon/fields.hpp"

namespace pvmon::intake {

using nlohmann::json;

// Causality scale: the WHO-UMC categories sites use, plus "unassessable" (CLINICAL.md: a
// relationship that cannot be ruled out counts as suspected for SUSAR purposes).
const std::vector<std::string> kCausalityValues = {"unrelated", "unlikely", "possible",
                                                   "probable",  "definite", "unassessable"};
// CDISC SDTM AEACN controlled terms, in snake case.
const std::vector<std::string> kActionValues = {
    "dose_not_changed", "dose_reduced",   "dose_increased", "drug_interrupted",
    "drug_withdrawn",   "not_applicable", "unknown"};
// CDISC SDTM AEOUT controlled terms, in snake case.
const std::vector<std::string> kOutcomeValues = {
    "recovered", "recovering", "not_recovered", "recovered_with_sequelae", "fatal", "unknown"};

namespace {

const std::vector<std::string> kSexValues = {"M", "F", "U"};

std::optional<LabValue> read_lab(const json& j, const std::string& prefix,
                                 std::vector<FieldError>& errors, bool baseline_allowed) {
  if (!j.is_object()) {
    errors.push_back({prefix, "must be an object"});
    return std::nullopt;
  }
  FieldReader r(j, prefix, errors);
  const auto before = errors.size();
  LabValue lab;
  lab.systolic = r.number("systolic", false, 0, 400);
  lab.diastolic = r.number("diastolic", false, 0, 300);
  const bool pressure = lab.systolic || lab.diastolic;
  auto value = r.number("value", !pressure, 0, 1e9);
  auto unit = r.string("unit", !pressure, 32);
  if (auto v = r.boolean("on_anticoagulation", false)) lab.on_anticoagulation = *v;
  lab.uln = r.number("uln", false, 0, 1e9);
  lab.lln = r.number("lln", false, 0, 1e9);
  if (baseline_allowed) {
    lab.baseline = r.number("baseline", false, 0, 1e9);
    lab.baseline_abnormal = r.boolean("baseline_abnormal", false);
  }
  r.finish();
  if (lab.uln && lab.lln && *lab.lln > *lab.uln) r.error("lln", "is above uln");
  if (errors.size() != before) return std::nullopt;
  lab.value = value;
  lab.unit = unit.value_or("");
  return lab;
}

}  // namespace

bool valid_subject_id(std::string_view id) {
  auto alnum = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (id.empty() || id.size() > kMaxIdLength || !alnum(id.front())) return false;
  return std::all_of(id.begin(), id.end(), [&](char c) { return alnum(c) || c == '.' || c == '_' || c == '-'; });
}

void validate_baseline(const json& baseline, const std::string& prefix,
                       std::vector<FieldError>& errors) {
  if (!baseline.is_object()) {
    errors.push_back({prefix, "must be an object of lab values by analyte"});
    return;
  }
  for (auto it = baseline.begin(); it != baseline.end(); ++it) {
    const std::string key = it.key();
    const bool ok_key = !key.empty() && key.size() <= 32 &&
                        std::all_of(key.begin(), key.end(), [](char c) {
                          return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
                        });
    if (!ok_key) {
      errors.push_back({prefix + "." + key, "analyte keys are lower-case letters, digits, _"});
      continue;
    }
    // A key no lab result could be graded against would be kept for nothing: a typo ("atl")
    // leaves the subject without the baseline the site meant to give.
    if (!ctcae::is_lab_test(key)) {
      errors.push_back({prefix + "." + key, "is not an analyte CTCAE v5.0 grades from a lab value (e.g. alt, ast, "
                                            "alp, bilirubin, platelets, neutrophils, haemoglobin, creatinine)"});
      continue;
    }
    (void)read_lab(it.value(), prefix + "." + key, errors, false);
  }
}

Result<SubjectDraft> parse_subject(const json& body, Date today) {
  std::vector<FieldError> errors;
  if (!body.is_object()) return Error::invalid({{"", "the body must be a JSON object"}});
  FieldReader r(body, "", errors);
  SubjectDraft s;
  auto subject = r.string("subject", true, kMaxIdLength);
  if (subject && !valid_subject_id(*subject)) {
    r.error("subject", kSubjectIdRule);
    subject.reset();
  }
  auto enrolled = r.date("enrolled", true);
  auto sex = r.one_of("sex", true, kSexValues);
  auto age = r.integer("age", true, 18, 120);  // adult oncology trial
  if (const auto* b = r.get("baseline", false)) validate_baseline(*b, "baseline", errors);
  r.finish();
  if (enrolled && *enrolled > today) r.error("enrolled", "is in the future");
  if (!errors.empty()) return Error::invalid(std::move(errors));
  s.subject = *subject;
  s.enrolled = *enrolled;
  s.sex = *sex;
  s.age = static_cast<int>(*age);
  if (const auto* b = body.find("baseline") != body.end() ? &body["baseline"] : nullptr;
      b && !b->is_null())
    s.baseline = *b;
  return s;
}

Result<AeDraft> parse_ae(const json& body, const StudyRules& rules, Timestamp now,
                         const SubjectFacts& subject) {
  std::vector<FieldError> errors;
  if (!body.is_object()) return Error::invalid({{"", "the body must be a JSON object"}});
  FieldReader r(body, "", errors);
  AeDraft d;
  auto report_id = r.id("report_id", true, kMaxIdLength);
  auto subj = r.string("subject", true, kMaxIdLength);
  // A subject enrolled before the rule keeps its id: its reports must still come in. Any other
  // id outside the rule is named for its form (being unenrolled is then beside the point).
  if (subj && !subject.known && !valid_subject_id(*subj)) {
    r.error("subject", kSubjectIdRule);
    subj.reset();
  }
  auto term = r.string("term", true, kMaxTextLength);
  auto verbatim = r.string("verbatim", false, kMaxTextLength);
  auto grade = r.integer("grade", false, 1, 5);
  if (const auto* lab = r.get("lab", false)) d.lab = read_lab(*lab, "lab", errors, true);
  auto onset = r.date("onset", true);
  auto resolved = r.date("resolved", false);
  auto aware = r.timestamp("site_aware_at", true);
  auto outcome = r.one_of("outcome", true, kOutcomeValues);
  auto narrative = r.string("narrative", false, kMaxNarrativeLength, true);
  if (auto v = r.boolean("death_unrelated", false)) d.death_unrelated = *v;

  if (const auto* s = r.get("serious", true)) {
    if (!s->is_object()) {
      r.error("serious", "must be an object of the six ICH E2A criteria");
    } else {
      FieldReader sr(*s, "serious", errors);
      auto b = [&](const char* k, bool& out) {
        if (auto v = sr.boolean(k, true)) out = *v;
      };
      b("death", d.serious.death);
      b("life_threatening", d.serious.life_threatening);
      b("hospitalization", d.serious.hospitalization);
      b("disability", d.serious.disability);
      b("congenital_anomaly", d.serious.congenital_anomaly);
      b("medically_important", d.serious.medically_important);
      sr.finish();
    }
  }

  auto read_map = [&](const char* key, const std::vector<std::string>& allowed,
                      std::map<std::string, std::string>& out, bool required) {
    const auto* m = r.get(key, required);
    if (!m) return;
    if (!m->is_object()) {
      r.error(key, "must be an object keyed by intervention");
      return;
    }
    FieldReader mr(*m, key, errors);
    for (const auto& iv : rules.interventions)
      if (auto v = mr.one_of(iv, false, allowed)) out[iv] = *v;
    for (auto it = m->begin(); it != m->end(); ++it)
      if (std::find(rules.interventions.begin(), rules.interventions.end(), it.key()) ==
          rules.interventions.end())
        mr.error(it.key(), "is not an intervention of this study");
    // Unknown keys were reported just above with a clearer message than finish() gives.
  };
  read_map("causality", kCausalityValues, d.causality, true);
  read_map("action_taken", kActionValues, d.action_taken, false);
  r.finish();

  if (const auto* c = body.find("causality") != body.end() ? &body["causality"] : nullptr;
      c && c->is_object() && c->empty())
    r.error("causality", "must assess at least one intervention");
  if (!grade && !d.lab && body.contains("lab") == false)
    r.error("grade", "is required unless a lab value is given");

  // Chronology (CLINICAL.md: dates are calendar days; nothing may lie in the future).
  const Date today = now.date();
  if (onset && *onset > today) r.error("onset", "is in the future");
  if (resolved && *resolved > today) r.error("resolved", "is in the future");
  if (onset && resolved && *resolved < *onset) r.error("resolved", "is before onset");
  if (aware && *aware > now.plus_ms(5 * 60'000))  // five minutes of clock skew tolerated
    r.error("site_aware_at", "is in the future");
  if (aware && onset && aware->date() < *onset)
    r.error("site_aware_at", "is before onset: the site cannot know of an event before it began");
  if (subj && !subject.known) r.error("subject", "is not enrolled in this study");
  if (subj && subject.known && onset && *onset < subject.enrolled)
    r.error("onset", "is before the subject's enrolment (" + format_date(subject.enrolled) + ")");
  if (outcome && resolved && (*outcome == "not_recovered" || *outcome == "recovering"))
    r.error("outcome", "is '" + *outcome + "' but a resolution date is given");

  if (!errors.empty()) return Error::invalid(std::move(errors));
  d.report_id = *report_id;
  d.subject = *subj;
  d.term = *term;
  d.verbatim = verbatim.value_or("");
  d.grade = grade ? std::optional<int>(static_cast<int>(*grade)) : std::nullopt;
  d.onset = *onset;
  d.resolved = resolved;
  d.site_aware_at = *aware;
  d.outcome = *outcome;
  d.narrative = narrative.value_or("");
  return d;
}

json to_json(const AeDraft& d) {
  json j;
  j["report_id"] = d.report_id;
  j["subject"] = d.subject;
  j["term"] = d.term;
  j["verbatim"] = d.verbatim;
  j["grade"] = d.grade ? json(*d.grade) : json(nullptr);
  if (d.lab) {
    json l = json::object();
    if (d.lab->value) l["value"] = *d.lab->value;
    if (!d.lab->unit.empty()) l["unit"] = d.lab->unit;
    if (d.lab->systolic) l["systolic"] = *d.lab->systolic;
    if (d.lab->diastolic) l["diastolic"] = *d.lab->diastolic;
    if (d.lab->on_anticoagulation) l["on_anticoagulation"] = true;
    if (d.lab->uln) l["uln"] = *d.lab->uln;
    if (d.lab->lln) l["lln"] = *d.lab->lln;
    if (d.lab->baseline) l["baseline"] = *d.lab->baseline;
    if (d.lab->baseline_abnormal) l["baseline_abnormal"] = *d.lab->baseline_abnormal;
    j["lab"] = l;
  } else {
    j["lab"] = nullptr;
  }
  j["onset"] = format_date(d.onset);
  j["resolved"] = d.resolved ? json(format_date(*d.resolved)) : json(nullptr);
  j["site_aware_at"] = format_timestamp(d.site_aware_at);
  j["serious"] = {{"death", d.serious.death},
                  {"life_threatening", d.serious.life_threatening},
                  {"hospitalization", d.serious.hospitalization},
                  {"disability", d.serious.disability},
                  {"congenital_anomaly", d.serious.congenital_anomaly},
                  {"medically_important", d.serious.medically_important}};
  j["causality"] = d.causality;
  j["action_taken"] = d.action_taken;
  j["outcome"] = d.outcome;
  j["narrative"] = d.narrative;
  if (d.death_unrelated) j["death_unrelated"] = true;
  return j;
}

json to_json(const SubjectDraft& s) {
  return json{{"subject", s.subject},
              {"enrolled", format_date(s.enrolled)},
              {"sex", s.sex},
              {"age", s.age},
              {"baseline", s.baseline}};
}

}  // namespace pvmon::intake
