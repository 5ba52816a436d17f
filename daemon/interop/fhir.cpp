// HL7 FHIR R4 AdverseEvent (http://hl7.org/fhir/R4/adverseevent.html) to and from pvmon's AE
// report. Mapping choices:
// - identifier.value is the site's report_id (idempotency key); subject is the pvmon subject id,
//   as `Patient/<id>` or identifier.value; study (optional) must name the study in the path.
// - event: a MedDRA coding (CTCAE v5.0 terms carry MedDRA LLT codes) or a protocol-term coding
//   is the term; otherwise event.text (or a coding's display) is resolved as a term name.
//   event.text beside a coding is the site's verbatim. Codings naming different terms, or a
//   display that is not its code's term, are refused: which one the site meant cannot be known.
// - The grade comes from the CTCAE IG's ctcae-grade extension (codes 0-5) or the AE research
//   backport IG's ae-grade (NCI Thesaurus codes), each read in its own code system; both given
//   must agree. R4 `severity` (mild/moderate/severe) is not a CTCAE grade and is never read as one.
// - date is onset (its date part), detected the site's awareness (recordedDate when no
//   detected), the CTCAE IG's adverse-event-resolved-date extension the resolution date.
// - seriousness uses the HL7 adverse-event-seriousness codes, one ICH E2A criterion each
//   (SeriousRequiresPreventImpairment is ICH E2A §III.B "other medically important"). R4 has one
//   seriousness; further criteria go in pvmon's seriousness-criterion extension. "Serious" alone
//   names no criterion and is refused: pvmon classifies by criterion.
// - outcome: adverse-event-outcome codes (resolved, recovering, ongoing, resolvedWithSequelae,
//   fatal, unknown) to pvmon's CDISC-like outcomes.
// - suspectEntity: instance names an intervention of the study (Medication/<id>,
//   Procedure/<id>, identifier.value or display); causality.assessment is WHO-UMC
//   (adverse-event-causality-assess) or pvmon's own scale, which also has "unrelated".
#include <algorithm>
#include <cctype>

#include "pvmon/ctcae.hpp"
#include "pvmon/intake.hpp"
#include "pvmon/interop.hpp"

namespace pvmon::interop::fhir {

using nlohmann::json;

namespace {

// R4 AdverseEvent's elements (the resource's own and those of DomainResource).
const std::vector<std::string> kElements = {
    "resourceType", "id", "meta", "implicitRules", "language", "text", "contained", "extension",
    "modifierExtension", "identifier", "actuality", "category", "event", "subject", "encounter",
    "date", "detected", "recordedDate", "resultingCondition", "location", "seriousness",
    "severity", "outcome", "recorder", "contributor", "suspectEntity", "subjectMedicalHistory",
    "referenceDocument", "study"};

// adverse-event-seriousness code -> pvmon criterion (ICH E2A §II.B).
const std::vector<std::pair<std::string, std::string>> kSeriousness = {
    {"SeriousResultsInDeath", "death"},
    {"SeriousIsLifeThreatening", "life_threatening"},
    {"SeriousResultsInHospitalization", "hospitalization"},
    {"SeriousResultsInPersistentOrSignificantDisability", "disability"},
    {"SeriousResultsInCongenitalAnomalyBirthDefect", "congenital_anomaly"},
    {"SeriousRequiresPreventImpairment", "medically_important"}};

const std::map<std::string, std::string> kSeriousnessDisplay = {
    {"Non-serious", "Non-serious"},
    {"SeriousResultsInDeath", "Results in death"},
    {"SeriousIsLifeThreatening", "Is Life-threatening"},
    {"SeriousResultsInHospitalization", "In-patient hospitalization or Prolongation of existing hospitalization"},
    {"SeriousResultsInPersistentOrSignificantDisability", "Results in persistent or significant disability/incapacity"},
    {"SeriousResultsInCongenitalAnomalyBirthDefect", "Is a congenital anomaly/birth defect"},
    {"SeriousRequiresPreventImpairment", "Requires intervention to prevent permanent impairment or damage (Devices)"}};

// adverse-event-outcome code <-> pvmon outcome.
const std::vector<std::pair<std::string, std::string>> kOutcome = {
    {"resolved", "recovered"},           {"recovering", "recovering"},
    {"ongoing", "not_recovered"},        {"resolvedWithSequelae", "recovered_with_sequelae"},
    {"fatal", "fatal"},                  {"unknown", "unknown"}};

// WHO-UMC (adverse-event-causality-assess) code <-> pvmon causality. "Conditional-Classified"
// (more data needed) reads as unassessable; pvmon's "unrelated" has no WHO-UMC code.
const std::vector<std::pair<std::string, std::string>> kCausality = {
    {"Certain", "definite"},          {"Probably-Likely", "probable"},
    {"Possible", "possible"},         {"Unlikely", "unlikely"},
    {"Unassessable-Unclassifiable", "unassessable"}, {"Conditional-Classified", "unassessable"}};

std::string lower(std::string s) {
  for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

std::string list_of(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

/// The codings of a CodeableConcept (empty when it is not one).
std::vector<json> codings(const json& cc) {
  std::vector<json> out;
  if (cc.is_object() && cc.contains("coding") && cc["coding"].is_array())
    for (const auto& c : cc["coding"])
      if (c.is_object()) out.push_back(c);
  return out;
}

std::string str(const json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

/// The last segment of a reference "Type/id" when Type is one of `types`; "" otherwise.
std::string reference_id(const std::string& ref, const std::vector<std::string>& types) {
  const auto slash = ref.rfind('/');
  if (slash == std::string::npos) return "";
  std::string head = ref.substr(0, slash);
  if (auto s = head.rfind('/'); s != std::string::npos) head = head.substr(s + 1);  // absolute URL
  return std::find(types.begin(), types.end(), head) != types.end() ? ref.substr(slash + 1) : "";
}

/// The date part of a FHIR dateTime given at least to the day ("2026-10-02", or with a time).
std::optional<std::string> date_part(const std::string& s) {
  if (s.size() < 10) return std::nullopt;
  const std::string d = s.substr(0, 10);
  if (!parse_date(d)) return std::nullopt;
  if (s.size() > 10 && !parse_timestamp(s)) return std::nullopt;
  return d;
}

/// A FHIR dateTime as an instant: a full date-time with offset, or a date (read as its start,
/// 00:00Z: the earliest reading, so that a reporting clock never starts late).
std::optional<std::string> instant(const std::string& s) {
  if (auto t = parse_timestamp(s)) return format_timestamp(*t);
  if (auto d = parse_date(s)) return format_timestamp(start_of(*d));
  return std::nullopt;
}

struct Reader {
  const json& r;
  std::vector<FieldError> errs;
  void bad(std::string path, std::string msg) { errs.push_back({std::move(path), std::move(msg)}); }
};

/// The extensions with `url`, with their index in `extension`.
std::vector<std::pair<std::size_t, const json*>> extensions(const json& r, const std::string& url) {
  std::vector<std::pair<std::size_t, const json*>> out;
  if (!r.contains("extension") || !r["extension"].is_array()) return out;
  for (std::size_t i = 0; i < r["extension"].size(); ++i) {
    const json& e = r["extension"][i];
    if (e.is_object() && str(e, "url") == url) out.emplace_back(i, &e);
  }
  return out;
}

std::string ext_path(const std::string& url) { return "AdverseEvent.extension('" + url + "')"; }

/// A grade extension and its own code system: code -> CTCAE grade (0 is "absent": no AE).
struct GradeCodes {
  const char* url;
  const char* system;
  std::vector<std::pair<std::string, int>> codes;
  bool system_optional;  // a coding without system reads as this one (the CTCAE IG's codes 0-5)
};

const std::vector<GradeCodes>& grade_extensions() {
  static const std::vector<GradeCodes> all = {
      // US CTCAE IG: ctcae-grade-code-system, codes 0-5.
      {kGradeUrl, kGradeSystem, {{"0", 0}, {"1", 1}, {"2", 2}, {"3", 3}, {"4", 4}, {"5", 5}}, true},
      // AE research backport IG: binding (preferred) to the HL7 value set
      // adverse-event-clinical-research-grades, NCI Thesaurus; C75533 "Absent Adverse Event" as
      // in the CTCAE grade value sets.
      {kBackportGradeUrl,
       kNciThesaurusSystem,
       {{"C75533", 0}, {"C41338", 1}, {"C41339", 2}, {"C41340", 3}, {"C41337", 4}, {"C48275", 5}},
       false},
  };
  return all;
}

// The NCI Thesaurus displays of the grades (HL7 adverse-event-clinical-research-grades).
constexpr const char* kNciGradeDisplay[] = {"Grade 1 Mild Adverse Event", "Grade 2 Moderate Adverse Event",
                                           "Grade 3 Severe Adverse Event",
                                           "Grade 4 Life Threatening or Disabling Adverse Event",
                                           "Grade 5 Death Related to Adverse Event"};

/// The grade one extension gives, or nullopt after naming its problem.
std::optional<int> grade_of(Reader& rd, const GradeCodes& g, const json& e, const std::string& path) {
  std::string code;
  std::vector<std::string> other_systems;
  if (e.contains("valueCodeableConcept")) {
    const auto cs = codings(e["valueCodeableConcept"]);
    // Codings in other systems are translations: the grade is read from the extension's own.
    for (const auto& c : cs) {
      const std::string sys = str(c, "system");
      if (sys == g.system || (sys.empty() && g.system_optional)) {
        if (!code.empty() && str(c, "code") != code) {
          rd.bad(path + ".value", "gives two different grades ('" + code + "', '" + str(c, "code") + "')");
          return std::nullopt;
        }
        code = str(c, "code");
      } else {
        other_systems.push_back(sys.empty() ? "a code without a system" : "a code of " + sys);
      }
    }
  } else if (e.contains("valueInteger") && e["valueInteger"].is_number_integer()) {
    // An integer has no code system: it is the CTCAE grade itself.
    const long long n = e["valueInteger"].get<long long>();
    if (n == 0) rd.bad(path + ".value", "is grade 0: no adverse event to report");
    else if (n < 1 || n > 5) rd.bad(path + ".value", "'" + std::to_string(n) + "' is not a CTCAE grade (1-5)");
    else return static_cast<int>(n);
    return std::nullopt;
  }
  if (code.empty()) {
    rd.bad(path + ".value", other_systems.empty()
                                ? "must be a CodeableConcept with a code of " + std::string(g.system)
                                : "must give its grade in " + std::string(g.system) +
                                      " (this extension's code system): pvmon does not read " +
                                      list_of(other_systems) + " here");
    return std::nullopt;
  }
  auto it = std::find_if(g.codes.begin(), g.codes.end(), [&](const auto& p) { return p.first == code; });
  if (it == g.codes.end()) {
    std::string known;
    for (const auto& [c, n] : g.codes)
      if (n > 0)
        known += (known.empty() ? "" : ", ") + c + (c == std::to_string(n) ? "" : " (grade " + std::to_string(n) + ")");
    rd.bad(path + ".value", "'" + code + "' is not a CTCAE grade (1-5) of " + g.system + ": " + known);
    return std::nullopt;
  }
  if (it->second == 0) {
    rd.bad(path + ".value", "is grade 0: no adverse event to report");
    return std::nullopt;
  }
  return it->second;
}

void map_grade(Reader& rd, Mapped& m) {
  std::optional<int> grade;
  std::string grade_path;
  bool any = false, bad = false;
  for (const auto& g : grade_extensions()) {
    const auto found = extensions(rd.r, g.url);
    if (found.empty()) continue;
    any = true;
    const std::string path = ext_path(g.url);
    if (found.size() > 1) {
      rd.bad(path, "is given more than once");
      bad = true;
      continue;
    }
    const auto n = grade_of(rd, g, *found[0].second, path);
    if (!n) {
      bad = true;
      continue;
    }
    if (grade && *grade != *n) {
      rd.bad(path + ".value", "is grade " + std::to_string(*n) + " but " + grade_path + " is grade " +
                                  std::to_string(*grade));
      bad = true;
      continue;
    }
    if (!grade) {
      grade = n;
      grade_path = path;
    }
  }
  m.paths["grade"] = grade_path.empty() ? ext_path(kGradeUrl) : grade_path;
  if (!any) {
    rd.bad(ext_path(kGradeUrl), rd.r.contains("severity")
                                    ? "is required: severity (mild, moderate, severe) is not a CTCAE grade; give "
                                      "the CTCAE grade 1-5 in the ctcae-grade extension"
                                    : "is required: the CTCAE grade 1-5");
    return;
  }
  if (grade && !bad) m.body["grade"] = *grade;
}

/// The CTCAE term a MedDRA code names: the term itself, or the CTCAE LLT under a PT pvmon
/// knows (intake::pts_with_ctcae_llt); nullptr for any other code.
const ctcae::Term* ctcae_term_of(const std::string& code) {
  if (const ctcae::Term* t = ctcae::find_code(code)) return t;
  if (const auto* pt = intake::ctcae_llt_under_pt(code)) return ctcae::find_code(pt->ctcae_code);
  return nullptr;
}

/// Whether `display` names the term `code` has: its CTCAE name or a spelling the synonym table
/// knows for it ("Diarrhoea" for Diarrhea), compared ignoring case, spacing and punctuation;
/// for a PT, its MedDRA name too. An unknown code's display cannot be checked (true).
bool display_fits(const std::string& code, const std::string& display) {
  const ctcae::Term* t = ctcae_term_of(code);
  if (!t) return true;
  const std::string key = ctcae::normalize_key(display);
  if (key == ctcae::normalize_key(t->term)) return true;
  if (const auto* pt = intake::ctcae_llt_under_pt(code); pt && key == ctcae::normalize_key(pt->pt_name))
    return true;
  for (const auto& s : ctcae::synonyms())
    if (s.term == t->term && key == ctcae::normalize_key(s.text)) return true;
  return false;
}

void map_event(Reader& rd, Mapped& m) {
  m.paths["term"] = "AdverseEvent.event";
  m.paths["verbatim"] = "AdverseEvent.event.text";
  if (!rd.r.contains("event")) {
    rd.bad("AdverseEvent.event", "is required: the CTCAE term (a MedDRA coding or text)");
    return;
  }
  const json& ev = rd.r["event"];
  if (!ev.is_object()) {
    rd.bad("AdverseEvent.event", "must be a CodeableConcept");
    return;
  }
  // The codings that name the term (MedDRA or a protocol term) must all name the same one:
  // the same code, or a PT and the CTCAE LLT under it. One is never kept silently over another.
  std::string code, display, same_as;
  std::size_t code_at = 0;
  bool conflict = false;
  const auto cs = codings(ev);
  for (std::size_t i = 0; i < cs.size(); ++i) {
    const std::string at = "AdverseEvent.event.coding[" + std::to_string(i) + "]";
    const std::string sys = str(cs[i], "system"), c = str(cs[i], "code"), d = str(cs[i], "display");
    if (display.empty()) display = d;
    const bool meddra = sys == kMeddraSystem;
    if (c.empty() || !(meddra || sys.rfind("urn:pvmon:protocol-term", 0) == 0)) continue;
    if (meddra && !d.empty() && !display_fits(c, d)) {
      const ctcae::Term* t = ctcae_term_of(c);
      rd.bad(at + ".display", "'" + d + "' is not the term of MedDRA code " + c + " (CTCAE v5.0: " +
                                  std::string(t->term) + ")");
    }
    // What the coding names: its CTCAE term's code, else the system and code as given.
    const ctcae::Term* t = meddra ? ctcae_term_of(c) : nullptr;
    const std::string names = t ? std::string(t->meddra_code) : sys + "|" + c;
    if (code.empty()) {
      code = c;
      code_at = i;
      same_as = names;
      continue;
    }
    if (names != same_as) {
      rd.bad(at, "names " + (t ? std::string(t->term) + " (" + c + ")" : "'" + c + "'") + ", but event.coding[" +
                     std::to_string(code_at) + "] names '" + code +
                     "': one AdverseEvent is one event of one term; report each other term as its own "
                     "AdverseEvent");
      conflict = true;
      continue;
    }
    // The same term as a PT and as its CTCAE LLT: the CTCAE code is the one coded.
    if (ctcae::find_code(c) && !ctcae::find_code(code)) {
      code = c;
      code_at = i;
    }
  }
  if (conflict) return;
  if (!code.empty()) m.paths["term"] = "AdverseEvent.event.coding[" + std::to_string(code_at) + "]";
  const std::string text = str(ev, "text");
  if (!code.empty()) {
    m.body["term"] = code;
    if (!text.empty()) m.body["verbatim"] = text;
  } else if (!text.empty()) {
    m.body["term"] = text;
    m.paths["term"] = "AdverseEvent.event.text";
  } else if (!display.empty()) {
    m.body["term"] = display;
  } else {
    rd.bad("AdverseEvent.event", "names no term: give a MedDRA coding (" + std::string(kMeddraSystem) +
                                     ") or text");
  }
}

void map_seriousness(Reader& rd, Mapped& m) {
  json serious{{"death", false},      {"life_threatening", false},   {"hospitalization", false},
               {"disability", false}, {"congenital_anomaly", false}, {"medically_important", false}};
  m.paths["serious"] = "AdverseEvent.seriousness";
  m.paths["death_unrelated"] = ext_path(kDeathUnrelatedUrl);
  if (!rd.r.contains("seriousness")) {
    rd.bad("AdverseEvent.seriousness", "is required: Non-serious, or the ICH E2A criterion met");
    return;
  }
  std::vector<std::pair<std::string, std::string>> given;  // code, FHIRPath
  const auto cs = codings(rd.r["seriousness"]);
  for (std::size_t i = 0; i < cs.size(); ++i)
    given.emplace_back(str(cs[i], "code"), "AdverseEvent.seriousness.coding[" + std::to_string(i) + "]");
  for (auto [i, e] : extensions(rd.r, kSeriousnessCriterionUrl))
    given.emplace_back(e->contains("valueCoding") ? str((*e)["valueCoding"], "code") : "",
                       "AdverseEvent.extension[" + std::to_string(i) + "]");
  if (given.empty()) {
    rd.bad("AdverseEvent.seriousness", "has no coding from " + std::string(kSeriousnessSystem));
    return;
  }
  bool non_serious = false, any = false;
  for (const auto& given_one : given) {
    // Not a structured binding: clang 14 cannot capture one in the lambda below.
    const std::string& code = given_one.first;
    const std::string& path = given_one.second;
    if (code == "Non-serious") {
      non_serious = true;
      continue;
    }
    if (code == "Serious") {
      rd.bad(path, "'Serious' names no criterion: use the code of each ICH E2A criterion met "
                   "(SeriousResultsInDeath, SeriousIsLifeThreatening, ...)");
      continue;
    }
    auto it = std::find_if(kSeriousness.begin(), kSeriousness.end(),
                           [&](const auto& p) { return p.first == code; });
    if (it == kSeriousness.end()) {
      rd.bad(path, "'" + code + "' is not an adverse-event-seriousness code");
      continue;
    }
    serious[it->second] = true;
    m.paths["serious." + it->second] = path;
    any = true;
  }
  if (non_serious && any)
    rd.bad("AdverseEvent.seriousness", "is both Non-serious and serious");
  m.body["serious"] = serious;
}

void map_outcome(Reader& rd, Mapped& m) {
  m.paths["outcome"] = "AdverseEvent.outcome";
  if (!rd.r.contains("outcome")) {
    rd.bad("AdverseEvent.outcome", "is required (adverse-event-outcome: resolved, recovering, "
                                   "ongoing, resolvedWithSequelae, fatal, unknown)");
    return;
  }
  for (const auto& c : codings(rd.r["outcome"])) {
    auto it = std::find_if(kOutcome.begin(), kOutcome.end(),
                           [&](const auto& p) { return p.first == str(c, "code"); });
    if (it != kOutcome.end()) {
      m.body["outcome"] = it->second;
      return;
    }
  }
  rd.bad("AdverseEvent.outcome", "has no adverse-event-outcome code (resolved, recovering, "
                                 "ongoing, resolvedWithSequelae, fatal, unknown)");
}

/// The intervention an instance Reference names, or "".
std::string intervention_of(const json& ref, const StudyContext& st) {
  std::vector<std::string> names;
  const std::string r = str(ref, "reference");
  if (!r.empty())
    names.push_back(reference_id(r, {"Medication", "Procedure", "Substance", "MedicationAdministration",
                                     "MedicationStatement", "Device", "Immunization"}));
  if (ref.is_object() && ref.contains("identifier")) names.push_back(str(ref["identifier"], "value"));
  names.push_back(str(ref, "display"));
  for (const auto& n : names)
    for (const auto& [id, kind] : st.interventions)
      if (!n.empty() && lower(n) == lower(id)) return id;
  return "";
}

void map_suspects(Reader& rd, Mapped& m, const StudyContext& st) {
  m.paths["causality"] = "AdverseEvent.suspectEntity";
  if (!rd.r.contains("suspectEntity")) return;  // the intake names the missing causality
  const json& se = rd.r["suspectEntity"];
  if (!se.is_array()) {
    rd.bad("AdverseEvent.suspectEntity", "must be an array");
    return;
  }
  std::vector<std::string> ids;
  for (const auto& [id, kind] : st.interventions) ids.push_back(id);
  json causality = json::object();
  for (std::size_t i = 0; i < se.size(); ++i) {
    const std::string at = "AdverseEvent.suspectEntity[" + std::to_string(i) + "]";
    const json& s = se[i];
    if (!s.is_object() || !s.contains("instance")) {
      rd.bad(at + ".instance", "is required: the intervention suspected");
      continue;
    }
    const std::string iv = intervention_of(s["instance"], st);
    if (iv.empty()) {
      rd.bad(at + ".instance", "names no intervention of study " + st.study + " (" + list_of(ids) + ")");
      continue;
    }
    m.paths["causality." + iv] = at + ".causality";
    if (!s.contains("causality") || !s["causality"].is_array() || s["causality"].empty()) {
      rd.bad(at + ".causality", "is required: the investigator's assessment for " + iv);
      continue;
    }
    std::string value;
    for (std::size_t j = 0; j < s["causality"].size() && value.empty(); ++j) {
      const json& c = s["causality"][j];
      if (!c.is_object() || !c.contains("assessment")) continue;
      for (const auto& cd : codings(c["assessment"])) {
        const std::string sys = str(cd, "system"), code = str(cd, "code");
        if (sys == kPvmonCausalitySystem &&
            std::find(intake::kCausalityValues.begin(), intake::kCausalityValues.end(), code) !=
                intake::kCausalityValues.end())
          value = code;
        else if (sys == kCausalitySystem || sys.empty()) {
          auto it = std::find_if(kCausality.begin(), kCausality.end(),
                                 [&](const auto& p) { return p.first == code; });
          if (it != kCausality.end()) value = it->second;
        }
        if (!value.empty()) break;
      }
      m.paths["causality." + iv] = at + ".causality[" + std::to_string(j) + "].assessment";
    }
    if (value.empty()) {
      rd.bad(at + ".causality", "has no assessment coded in " + std::string(kCausalitySystem) +
                                    " (Certain, Probably-Likely, Possible, Unlikely, "
                                    "Conditional-Classified, Unassessable-Unclassifiable) or " +
                                    kPvmonCausalitySystem);
      continue;
    }
    if (causality.contains(iv) && causality[iv] != value) {
      rd.bad(at + ".instance", iv + " is assessed twice, differently");
      continue;
    }
    causality[iv] = value;
  }
  m.body["causality"] = causality;
}

void map_pvmon_extensions(Reader& rd, Mapped& m) {
  m.paths["narrative"] = ext_path(kNarrativeUrl);
  m.paths["action_taken"] = ext_path(kActionTakenUrl);
  for (auto [i, e] : extensions(rd.r, kNarrativeUrl))
    if (e->contains("valueString") && (*e)["valueString"].is_string()) m.body["narrative"] = (*e)["valueString"];
  for (auto [i, e] : extensions(rd.r, kDeathUnrelatedUrl))
    if (e->contains("valueBoolean") && (*e)["valueBoolean"].is_boolean())
      m.body["death_unrelated"] = (*e)["valueBoolean"];
  json actions = json::object();
  for (auto [i, e] : extensions(rd.r, kActionTakenUrl)) {
    std::string iv, action;
    if (e->contains("extension") && (*e)["extension"].is_array())
      for (const auto& sub : (*e)["extension"]) {
        if (str(sub, "url") == "intervention") iv = str(sub, "valueCode");
        if (str(sub, "url") == "action") action = str(sub, "valueCode");
      }
    if (iv.empty() || action.empty()) {
      rd.bad("AdverseEvent.extension[" + std::to_string(i) + "]",
             "action-taken needs an 'intervention' and an 'action' valueCode");
      continue;
    }
    actions[iv] = action;
    m.paths["action_taken." + iv] = "AdverseEvent.extension[" + std::to_string(i) + "]";
  }
  if (!actions.empty()) m.body["action_taken"] = actions;
}

}  // namespace

Result<Mapped> from_fhir(const json& resource, const StudyContext& st) {
  if (!resource.is_object())
    return Error::field(Errc::invalid, "AdverseEvent", "must be a FHIR resource (a JSON object)");
  if (str(resource, "resourceType") != "AdverseEvent")
    return Error::field(Errc::invalid, "resourceType",
                        "must be AdverseEvent (got '" + str(resource, "resourceType") + "')");
  Reader rd{resource, {}};
  Mapped m;
  m.body = json::object();
  m.source = json::object();

  for (const auto& [k, v] : resource.items()) {
    if (std::find(kElements.begin(), kElements.end(), k) == kElements.end() && k.rfind('_', 0) != 0)
      rd.bad("AdverseEvent." + k, "is not an element of a FHIR R4 AdverseEvent");
  }
  // A modifier changes the meaning of what it sits on: one not understood must be refused
  // (FHIR R4 §2.4.1.3). pvmon understands none.
  if (resource.contains("modifierExtension"))
    rd.bad("AdverseEvent.modifierExtension", "is not understood: pvmon cannot accept it safely");
  if (resource.contains("implicitRules"))
    rd.bad("AdverseEvent.implicitRules", "is not understood: pvmon cannot accept it safely");

  const std::string actuality = str(resource, "actuality");
  if (actuality.empty())
    rd.bad("AdverseEvent.actuality", "is required (actual)");
  else if (actuality != "actual")
    rd.bad("AdverseEvent.actuality", "is '" + actuality + "': only actual adverse events are reported, not potential ones");

  m.paths["report_id"] = "AdverseEvent.identifier";
  if (resource.contains("identifier") && resource["identifier"].is_array())
    rd.bad("AdverseEvent.identifier", "must be one Identifier (FHIR R4 AdverseEvent.identifier is 0..1)");
  else if (const std::string id = resource.contains("identifier") ? str(resource["identifier"], "value") : "";
           id.empty())
    rd.bad("AdverseEvent.identifier", "is required: its value is the site's report id");
  else {
    m.body["report_id"] = id;
    m.paths["report_id"] = "AdverseEvent.identifier.value";
  }

  m.paths["subject"] = "AdverseEvent.subject";
  if (!resource.contains("subject") || !resource["subject"].is_object()) {
    rd.bad("AdverseEvent.subject", "is required: Patient/<subject id> or an identifier");
  } else {
    const json& s = resource["subject"];
    std::string id;
    if (const std::string ref = str(s, "reference"); !ref.empty()) {
      id = reference_id(ref, {"Patient"});
      if (id.empty()) rd.bad("AdverseEvent.subject.reference", "must be Patient/<subject id> (got '" + ref + "')");
    } else if (s.contains("identifier")) {
      id = str(s["identifier"], "value");
      if (id.empty()) rd.bad("AdverseEvent.subject.identifier", "has no value");
    } else {
      rd.bad("AdverseEvent.subject", "has neither a reference nor an identifier");
    }
    if (!id.empty()) m.body["subject"] = id;
  }

  if (resource.contains("study")) {
    const json& studies = resource["study"];
    if (!studies.is_array()) {
      rd.bad("AdverseEvent.study", "must be an array");
    } else {
      for (std::size_t i = 0; i < studies.size(); ++i) {
        const json& s = studies[i];
        std::string id = reference_id(str(s, "reference"), {"ResearchStudy"});
        if (id.empty() && s.is_object() && s.contains("identifier")) id = str(s["identifier"], "value");
        if (id != st.study)
          rd.bad("AdverseEvent.study[" + std::to_string(i) + "]",
                 "names study '" + id + "', not " + st.study + " where it was posted");
      }
    }
  }

  map_event(rd, m);
  map_grade(rd, m);

  m.paths["onset"] = "AdverseEvent.date";
  if (const std::string d = str(resource, "date"); d.empty())
    rd.bad("AdverseEvent.date", "is required: when the event occurred (at least the day)");
  else if (auto day = date_part(d))
    m.body["onset"] = *day;
  else
    rd.bad("AdverseEvent.date", "'" + d + "' is not a dateTime to the day (YYYY-MM-DD, or with a time and offset)");

  m.paths["site_aware_at"] = "AdverseEvent.detected";
  const std::string detected = str(resource, "detected"), recorded = str(resource, "recordedDate");
  if (!detected.empty()) {
    if (auto t = instant(detected))
      m.body["site_aware_at"] = *t;
    else
      rd.bad("AdverseEvent.detected", "'" + detected + "' is not a date or a date-time with offset");
  }
  if (!recorded.empty()) {
    if (auto t = instant(recorded)) {
      m.source["recorded_date"] = recorded;
      if (detected.empty()) {
        m.body["site_aware_at"] = *t;
        m.paths["site_aware_at"] = "AdverseEvent.recordedDate";
      }
    } else {
      rd.bad("AdverseEvent.recordedDate", "'" + recorded + "' is not a date or a date-time with offset");
    }
  }
  if (detected.empty() && recorded.empty())
    rd.bad("AdverseEvent.detected", "is required: when the site became aware (detected, or recordedDate)");

  m.paths["resolved"] = ext_path(kResolvedDateUrl);
  for (auto [i, e] : extensions(resource, kResolvedDateUrl)) {
    const std::string v = str(*e, "valueDateTime");
    if (auto day = date_part(v))
      m.body["resolved"] = *day;
    else
      rd.bad(ext_path(kResolvedDateUrl) + ".value", "'" + v + "' is not a dateTime to the day");
  }

  map_seriousness(rd, m);
  map_outcome(rd, m);
  map_suspects(rd, m, st);
  map_pvmon_extensions(rd, m);

  if (const std::string id = str(resource, "id"); !id.empty()) m.source["resource_id"] = id;
  if (!rd.errs.empty()) return Error::invalid(std::move(rd.errs), "the AdverseEvent cannot be mapped");
  return m;
}

std::string path_of(const Mapped& m, const std::string& field) {
  std::string f = field;
  while (true) {
    if (auto it = m.paths.find(f); it != m.paths.end()) return it->second;
    const auto dot = f.rfind('.');
    if (dot == std::string::npos) break;
    f = f.substr(0, dot);
  }
  return "AdverseEvent";
}

json to_fhir(const json& record, const StudyContext& st) {
  const std::string study = record.value("study", st.study);
  json r{{"resourceType", "AdverseEvent"}};
  r["id"] = std::to_string(record.value("id", 0LL));
  r["meta"] = {{"versionId", std::to_string(record.value("version", 1LL))},
               {"lastUpdated", record.value("recorded_at", record.value("received_at", ""))}};
  r["identifier"] = {{"system", "urn:pvmon:report-id:" + study + ":" + record.value("site", "")},
                     {"value", record.value("report_id", "")}};
  r["actuality"] = "actual";

  json ext = json::array();
  const int grade = record.value("grade", 0);
  if (grade >= 1 && grade <= 5) {
    json coding{{"system", kGradeSystem}, {"code", std::to_string(grade)}, {"display", "Grade " + std::to_string(grade)}};
    json value{{"coding", json::array({coding})}};
    ext.push_back({{"url", kGradeUrl}, {"valueCodeableConcept", value}});
    // The same grade for clients of the AE research backport IG, in its own codes.
    const auto& nci = grade_extensions()[1].codes;
    const auto code = std::find_if(nci.begin(), nci.end(), [&](const auto& p) { return p.second == grade; });
    json nci_coding{{"system", kNciThesaurusSystem},
                    {"code", code->first},
                    {"display", kNciGradeDisplay[grade - 1]}};
    ext.push_back({{"url", kBackportGradeUrl}, {"valueCodeableConcept", {{"coding", json::array({nci_coding})}}}});
  }
  if (record.contains("resolved") && record["resolved"].is_string())
    ext.push_back({{"url", kResolvedDateUrl}, {"valueDateTime", record["resolved"]}});

  // Event: the coded CTCAE term, the site's verbatim as text.
  const json ctcae = record.value("ctcae", json::object());
  json event = json::object();
  if (ctcae.is_object() && ctcae.contains("meddra_code")) {
    const bool protocol = ctcae.value("protocol_term", false);
    event["coding"] = json::array({{{"system", protocol ? "urn:pvmon:protocol-term:" + study : kMeddraSystem},
                                    {"code", ctcae.value("meddra_code", "")},
                                    {"display", ctcae.value("term", "")}}});
  }
  const std::string verbatim = record.value("verbatim", "");
  event["text"] = !verbatim.empty() ? verbatim : ctcae.value("term", record.value("term", ""));
  r["event"] = event;

  r["subject"] = {{"reference", "Patient/" + record.value("subject", "")},
                  {"identifier", {{"system", "urn:pvmon:subject:" + study}, {"value", record.value("subject", "")}}}};
  if (record.contains("onset")) r["date"] = record["onset"];
  if (record.contains("site_aware_at")) r["detected"] = record["site_aware_at"];
  const json source = record.value("fhir", json::object());
  r["recordedDate"] = source.is_object() && source.contains("recorded_date")
                          ? source["recorded_date"]
                          : json(record.value("received_at", ""));

  // Seriousness: the gravest criterion in `seriousness`, the others in pvmon's extension.
  std::vector<std::string> met;
  const json serious = record.value("serious", json::object());
  for (const auto& [code, key] : kSeriousness)
    if (serious.is_object() && serious.value(key, false)) met.push_back(code);
  auto seriousness_coding = [](const std::string& code) {
    return json{{"system", kSeriousnessSystem}, {"code", code}, {"display", kSeriousnessDisplay.at(code)}};
  };
  r["seriousness"] = {{"coding", json::array({seriousness_coding(met.empty() ? "Non-serious" : met[0])})}};
  for (std::size_t i = 1; i < met.size(); ++i)
    ext.push_back({{"url", kSeriousnessCriterionUrl}, {"valueCoding", seriousness_coding(met[i])}});

  for (const auto& [code, outcome] : kOutcome)
    if (record.value("outcome", "") == outcome) {
      r["outcome"] = {{"coding", json::array({{{"system", kOutcomeSystem}, {"code", code}}})}};
      break;
    }

  json suspects = json::array();
  const json causality = record.value("causality", json::object());
  for (const auto& [id, kind] : st.interventions) {
    if (!causality.is_object() || !causality.contains(id) || !causality[id].is_string()) continue;
    const std::string value = causality[id].get<std::string>();
    json assessment{{"coding", json::array({{{"system", kPvmonCausalitySystem}, {"code", value}}})}};
    for (const auto& [who, ours] : kCausality)
      if (ours == value && who != "Conditional-Classified") {
        assessment["coding"].push_back({{"system", kCausalitySystem}, {"code", who}});
        break;
      }
    suspects.push_back({{"instance", {{"reference", (kind == "drug" ? "Medication/" : "Procedure/") + id},
                                      {"display", id}}},
                        {"causality", json::array({{{"assessment", assessment}}})}});
  }
  if (!suspects.empty()) r["suspectEntity"] = suspects;
  r["study"] = json::array({{{"reference", "ResearchStudy/" + study},
                             {"identifier", {{"system", "urn:pvmon:study"}, {"value", study}}}}});

  if (const std::string n = record.value("narrative", ""); !n.empty())
    ext.push_back({{"url", kNarrativeUrl}, {"valueString", n}});
  if (record.value("death_unrelated", false)) ext.push_back({{"url", kDeathUnrelatedUrl}, {"valueBoolean", true}});
  const json actions = record.value("action_taken", json::object());
  if (actions.is_object())
    for (const auto& [iv, a] : actions.items())
      ext.push_back({{"url", kActionTakenUrl},
                     {"extension", json::array({{{"url", "intervention"}, {"valueCode", iv}},
                                                {{"url", "action"}, {"valueCode", a}}})}});
  // R4 AdverseEvent has no status; a nullified report says so here (R5 would say entered-in-error).
  ext.push_back({{"url", kStatusUrl}, {"valueCode", record.value("status", "active")}});
  r["extension"] = ext;
  return r;
}

json searchset(const std::vector<json>& resources, const std::string& base, const std::string& self,
               const std::string& next, std::optional<std::int64_t> total) {
  json b{{"resourceType", "Bundle"}, {"type", "searchset"}};
  if (total) b["total"] = *total;
  json links = json::array({{{"relation", "self"}, {"url", self}}});
  if (!next.empty()) links.push_back({{"relation", "next"}, {"url", next}});
  b["link"] = links;
  json entries = json::array();
  for (const auto& r : resources)
    entries.push_back({{"fullUrl", base + r.value("id", "")}, {"resource", r}, {"search", {{"mode", "match"}}}});
  b["entry"] = entries;
  return b;
}

json observation(const json& r, const std::string& subject, const StudyContext& st, std::size_t index) {
  // FHIR ids: [A-Za-z0-9-.]{1,64}; the site's panel id with anything else as '-', then the index.
  std::string id = r.value("panel_id", "panel");
  for (auto& ch : id)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '.') ch = '-';
  id = id.substr(0, 56) + "-" + std::to_string(index + 1);
  const std::string unit = r.value("unit", "");
  json o{{"resourceType", "Observation"},
         {"id", id},
         {"status", "final"},
         {"category", json::array({{{"coding", json::array({{{"system",
                                                              "http://terminology.hl7.org/CodeSystem/observation-category"},
                                                             {"code", "laboratory"},
                                                             {"display", "Laboratory"}}})}}})},
         {"code", {{"text", r.value("test", "")},
                   {"coding", json::array({{{"system", kMeddraSystem},
                                            {"code", r.value("meddra_code", "")},
                                            {"display", r.value("term", "")}}})}}},
         {"subject", {{"reference", "Patient/" + subject},
                      {"identifier", {{"system", "urn:pvmon:subject:" + st.study}, {"value", subject}}}}},
         {"effectiveDateTime", r.value("collected_at", "")},
         {"identifier", json::array({{{"system", "urn:pvmon:lab-panel:" + st.study}, {"value", r.value("panel_id", "")}}})},
         {"valueQuantity", {{"value", r.value("value", 0.0)}, {"unit", unit}}}};
  json range = json::object();
  if (r.contains("lln") && r["lln"].is_number()) range["low"] = {{"value", r["lln"]}, {"unit", unit}};
  if (r.contains("uln") && r["uln"].is_number()) range["high"] = {{"value", r["uln"]}, {"unit", unit}};
  if (!range.empty()) o["referenceRange"] = json::array({range});
  // v3 ObservationInterpretation: above the range H, below L, else N.
  const double v = r.value("value", 0.0);
  std::string interp = "N";
  if (r.contains("uln") && r["uln"].is_number() && v > r["uln"].get<double>()) interp = "H";
  if (r.contains("lln") && r["lln"].is_number() && v < r["lln"].get<double>()) interp = "L";
  o["interpretation"] = json::array({{{"coding", json::array({{{"system",
                                                                "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"},
                                                               {"code", interp}}})}}});
  const int grade = r.value("grade", 0);
  o["component"] = json::array({{{"code", {{"text", "CTCAE v5.0 grade"}}},
                                 {"valueCodeableConcept",
                                  {{"coding", json::array({{{"system", kGradeSystem},
                                                            {"code", std::to_string(grade)},
                                                            {"display", "Grade " + std::to_string(grade)}}})},
                                   {"text", r.value("criterion", "")}}}}});
  return o;
}

json capability_statement(const std::string& base) {
  // FHIR R4 §2.1.0 (CapabilityStatement): status, date, kind, fhirVersion and format are
  // required. `date` changes when what is stated here changes.
  json resource{
      {"type", "AdverseEvent"},
      {"documentation",
       "pvmon's AE reports of this study (README \"HL7 FHIR R4\"). A site reads and finds its own reports, "
       "an officer every report."},
      {"interaction",
       json::array({{{"code", "read"}, {"documentation", "ETag W/\"<versionId>\"; If-None-Match gives 304"}},
                    {{"code", "search-type"},
                     {"documentation", "in report id order; paged by _count and the next link"}},
                    {{"code", "create"},
                     {"documentation", "sites only; the same identifier and content again is a replay (200)"}}})},
      // meta.versionId is the report's version (follow-ups make new ones); no vread, no update.
      {"versioning", "versioned"},
      {"readHistory", false},
      {"updateCreate", false},
      {"conditionalCreate", false},
      {"conditionalRead", "not-supported"},
      {"conditionalUpdate", false},
      {"conditionalDelete", "not-supported"},
      {"searchParam",
       json::array({{{"name", "subject"},
                     {"definition", "http://hl7.org/fhir/SearchParameter/AdverseEvent-subject"},
                     {"type", "reference"},
                     {"documentation", "Patient/<subject id> or the subject id"}},
                    {{"name", "_count"},
                     {"type", "number"},
                     {"documentation", "entries per page, 1-500 (default 50)"}}})}};
  return {{"resourceType", "CapabilityStatement"},
          {"status", "active"},
          {"date", "2026-12-06"},
          {"publisher", "pvmon"},
          {"kind", "instance"},
          {"software", {{"name", "pvmon"}}},
          {"implementation", {{"description", "pvmon FHIR R4 interface of one study"}, {"url", base}}},
          {"fhirVersion", "4.0.1"},
          {"format", json::array({kMediaType, "json"})},
          {"rest",
           json::array({{{"mode", "server"},
                         {"security",
                          {{"description",
                            "Authorization: Bearer <token> on every interaction but this one; roles site "
                            "(its own reports) and officer"}}},
                         {"resource", json::array({resource})}}})}};
}

json operation_outcome(const Error& e) {
  // FHIR R4 issue-type codes (http://hl7.org/fhir/R4/valueset-issue-type.html).
  auto code_for = [&](const std::string& msg) -> std::string {
    switch (e.code) {
      case Errc::malformed: return "structure";
      case Errc::unauthorized: return "login";
      case Errc::forbidden: return "forbidden";
      case Errc::not_found: return "not-found";
      case Errc::conflict: return "duplicate";
      case Errc::payload_too_large: return "too-costly";
      case Errc::unsupported_media:
      case Errc::method_not_allowed: return "not-supported";
      case Errc::rate_limited: return "throttled";
      case Errc::unavailable: return "transient";
      case Errc::internal: return "exception";
      case Errc::invalid: break;
    }
    if (msg.rfind("is required", 0) == 0) return "required";
    if (msg.find("is not an element") != std::string::npos) return "structure";
    if (msg.find("not understood") != std::string::npos) return "not-supported";
    if (msg.find(" code") != std::string::npos || msg.find("coded") != std::string::npos) return "code-invalid";
    return "value";
  };
  json issues = json::array();
  for (const auto& f : e.fields) {
    json i{{"severity", "error"}, {"code", code_for(f.message)}, {"diagnostics", f.message}};
    if (!f.field.empty()) i["expression"] = json::array({f.field});
    issues.push_back(std::move(i));
  }
  if (issues.empty())
    issues.push_back({{"severity", e.code == Errc::internal ? "fatal" : "error"},
                      {"code", code_for(e.message)},
                      {"diagnostics", e.message}});
  return {{"resourceType", "OperationOutcome"}, {"issue", issues}};
}

}  // namespace pvmon::interop::fhir
