// CDISC SDTM AE and DM domains. Mapping choices, per SDTMIG v3.3 (§6.2 AE, §5.2 DM) and CDISC
// CT; the README's "SDTM" section says the same for users:
// - AETERM is the site's verbatim text; without one, the term the site reported, unless that is
//   a code (a FHIR report's MedDRA coding without text): then the coded term. Never a code.
// - Dictionary: CTCAE v5.0, whose terms are MedDRA (v20.1) Lowest Level Terms. AELLT/AELLTCD are
//   the CTCAE term and its code ("Other, specify" terms carry their SOC's code, not an LLT's:
//   null there). AEBODSYS/AEBDSYCD and AESOC/AESOCCD are the term's CTCAE SOC and its MedDRA
//   code (soc_code). The PT, HLT and HLGT of an LLT are in MedDRA's licensed hierarchy, which
//   pvmon does not hold: AEPTCD, AEHLT, AEHLTCD, AEHLGT, AEHLGTCD are null, and AEDECOD (Req,
//   never null) carries the CTCAE term, for a MedDRA licensee to recode to the PT.
// - AESER and the six criteria flags (NY codelist: Y/N) from the report's seriousness.
// - AEREL: this study has several interventions and SDTM one AEREL; it takes the strongest
//   assessment over all of them: RELATED when any is possible, probable or definite, NOT
//   RELATED otherwise, UNKNOWN when only unassessable. (Per-intervention causality belongs in
//   SUPPAE, not built here.)
// - AEACN (ACN codelist, C66767), never null: the most severe action recorded over the study
//   treatments: DRUG WITHDRAWN > DRUG INTERRUPTED > DOSE REDUCED > DOSE INCREASED > DOSE NOT
//   CHANGED > NOT APPLICABLE > UNKNOWN. None recorded: NOT APPLICABLE when the AE began before
//   any study treatment (nothing to act on), UNKNOWN otherwise. SDTMIG §4.2.8.3 would write
//   MULTIPLE with one SUPPAE record per treatment; pvmon writes no SUPPAE, and the per-treatment
//   actions are in the FHIR and E2B exports.
// - AEOUT (OUT codelist) from the outcome; AESTDTC/AEENDTC ISO 8601 dates; AESTDY/AEENDY
//   study days against RFSTDTC.
#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>
#include <tuple>

#include "pvmon/ctcae.hpp"
#include "pvmon/interop.hpp"
#include "pvmon/safety/ae_facts.hpp"

namespace pvmon::interop {

using nlohmann::json;

namespace {

std::string cell(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

std::string yn(std::uint8_t criteria, std::string_view name) {
  for (std::size_t i = 0; i < safety::kSeriousnessCriteria.size(); ++i)
    if (safety::kSeriousnessCriteria[i] == name) return (criteria >> i) & 1u ? "Y" : "N";
  return "N";
}

std::string relation(const std::vector<std::pair<std::string, std::string>>& causality) {
  bool related = false, assessed = false;
  for (const auto& [iv, c] : causality) {
    related = related || c == "possible" || c == "probable" || c == "definite";
    assessed = assessed || (c != "unassessable" && !c.empty());
  }
  return related ? "RELATED" : assessed ? "NOT RELATED" : "UNKNOWN";
}

std::string action(const std::vector<std::pair<std::string, std::string>>& actions, bool treated) {
  static const std::vector<std::pair<std::string, std::string>> kOrder = {
      {"drug_withdrawn", "DRUG WITHDRAWN"}, {"drug_interrupted", "DRUG INTERRUPTED"},
      {"dose_reduced", "DOSE REDUCED"},     {"dose_increased", "DOSE INCREASED"},
      {"dose_not_changed", "DOSE NOT CHANGED"}, {"not_applicable", "NOT APPLICABLE"},
      {"unknown", "UNKNOWN"}};
  for (const auto& [code, ct] : kOrder)
    for (const auto& [iv, v] : actions)
      if (v == code) return ct;
  return treated ? "UNKNOWN" : "NOT APPLICABLE";
}

std::vector<std::pair<std::string, std::string>> pairs_of(const json& j) {
  std::vector<std::pair<std::string, std::string>> out;
  if (j.is_object())
    for (const auto& [k, v] : j.items())
      if (v.is_string()) out.emplace_back(k, v.get<std::string>());
  return out;
}

std::string outcome(const std::string& o) {
  static const std::map<std::string, std::string> kOut = {
      {"recovered", "RECOVERED/RESOLVED"}, {"recovering", "RECOVERING/RESOLVING"},
      {"not_recovered", "NOT RECOVERED/NOT RESOLVED"},
      {"recovered_with_sequelae", "RECOVERED/RESOLVED WITH SEQUELAE"}, {"fatal", "FATAL"},
      {"unknown", "UNKNOWN"}};
  auto it = kOut.find(o);
  return it == kOut.end() ? "" : it->second;
}

xpt::Value text(std::string s) { return s.empty() ? xpt::Value{} : xpt::Value{std::move(s)}; }
xpt::Value number(double d) { return xpt::Value{d}; }
/// A MedDRA code as SDTM's numeric --CD variables hold it; null when not all digits.
xpt::Value code(std::string_view c) {
  if (c.empty() || c.size() > 9 || !std::all_of(c.begin(), c.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
    return {};
  return number(std::stod(std::string(c)));
}

// SDTMIG v3.3 §6.2 AE: the variables pvmon fills (Req and Exp ones all; Perm ones it has data
// for), in the IG's order, with the IG's labels and types.
const std::vector<SdtmVariable> kAe = {
    {"STUDYID", "Study Identifier"},
    {"DOMAIN", "Domain Abbreviation"},
    {"USUBJID", "Unique Subject Identifier"},
    {"AESEQ", "Sequence Number", true},
    {"AESPID", "Sponsor-Defined Identifier"},
    {"AETERM", "Reported Term for the Adverse Event"},
    {"AELLT", "Lowest Level Term"},
    {"AELLTCD", "Lowest Level Term Code", true},
    {"AEDECOD", "Dictionary-Derived Term"},
    {"AEPTCD", "Preferred Term Code", true},
    {"AEHLT", "High Level Term"},
    {"AEHLTCD", "High Level Term Code", true},
    {"AEHLGT", "High Level Group Term"},
    {"AEHLGTCD", "High Level Group Term Code", true},
    {"AEBODSYS", "Body System or Organ Class"},
    {"AEBDSYCD", "Body System or Organ Class Code", true},
    {"AESOC", "Primary System Organ Class"},
    {"AESOCCD", "Primary System Organ Class Code", true},
    {"AESER", "Serious Event"},
    {"AEACN", "Action Taken with Study Treatment"},
    {"AEREL", "Causality"},
    {"AEOUT", "Outcome of Adverse Event"},
    {"AESCONG", "Congenital Anomaly or Birth Defect"},
    {"AESDISAB", "Persist or Signif Disability/Incapacity"},
    {"AESDTH", "Results in Death"},
    {"AESHOSP", "Requires or Prolongs Hospitalization"},
    {"AESLIFE", "Is Life Threatening"},
    {"AESMIE", "Other Medically Important Serious Event"},
    {"AETOXGR", "Standard Toxicity Grade"},
    {"AESTDTC", "Start Date/Time of Adverse Event"},
    {"AEENDTC", "End Date/Time of Adverse Event"},
    {"AESTDY", "Study Day of Start of Adverse Event", true},
    {"AEENDY", "Study Day of End of Adverse Event", true},
};

// SDTMIG v3.3 §5.2 DM.
const std::vector<SdtmVariable> kDm = {
    {"STUDYID", "Study Identifier"},
    {"DOMAIN", "Domain Abbreviation"},
    {"USUBJID", "Unique Subject Identifier"},
    {"SUBJID", "Subject Identifier for the Study"},
    {"RFSTDTC", "Subject Reference Start Date/Time"},
    {"RFICDTC", "Date/Time of Informed Consent"},
    {"RFPENDTC", "Date/Time of End of Participation"},
    {"DTHDTC", "Date/Time of Death"},
    {"DTHFL", "Subject Death Flag"},
    {"SITEID", "Study Site Identifier"},
    {"AGE", "Age", true},
    {"AGEU", "Age Units"},
    {"SEX", "Sex"},
};

/// AETERM: never a code (see the top of the file).
std::string reported_term(const SdtmAe& r) {
  if (!r.verbatim.empty()) return r.verbatim;
  const bool is_code = r.reported_term.empty() || r.reported_term == r.meddra_code ||
                       std::all_of(r.reported_term.begin(), r.reported_term.end(),
                                   [](char c) { return c >= '0' && c <= '9'; }) ||
                       ctcae::find_code(r.reported_term) != nullptr;
  return is_code && !r.term.empty() ? r.term : r.reported_term;
}

}  // namespace

int study_day(Date date, Date reference) {
  const int diff = date.days - reference.days;
  return diff >= 0 ? diff + 1 : diff;
}

SdtmAe sdtm_row(const json& r) {
  SdtmAe a;
  a.report_id = r.value("report_id", "");
  a.subject = r.value("subject", "");
  a.nullified = r.value("status", "") == "nullified";
  a.verbatim = r.value("verbatim", "");
  a.reported_term = r.value("term", "");
  const json ct = r.value("ctcae", json::object());
  a.term = ct.value("term", "");
  a.meddra_code = ct.value("meddra_code", "");
  a.soc = ct.value("soc", "");
  a.grade = r.value("grade", 0);
  a.serious = r.contains("safety") && r["safety"].value("serious", false);
  const json ser = r.value("serious", json::object());
  for (std::size_t i = 0; i < safety::kSeriousnessCriteria.size(); ++i)
    if (ser.is_object() && ser.value(std::string(safety::kSeriousnessCriteria[i]), false))
      a.criteria = static_cast<std::uint8_t>(a.criteria | (1u << i));
  a.causality = pairs_of(r.value("causality", json::object()));
  a.action_taken = pairs_of(r.value("action_taken", json::object()));
  a.outcome = r.value("outcome", "");
  a.onset = r.value("onset", "");
  a.resolved = r.contains("resolved") && r["resolved"].is_string() ? r["resolved"].get<std::string>() : "";
  return a;
}

std::string soc_code(std::string_view soc) {
  static const std::map<std::string, std::string, std::less<>> kCodes = [] {
    std::map<std::string, std::string, std::less<>> m;
    for (const auto& t : ctcae::terms())
      if (t.other_specify && !t.protocol) m.emplace(std::string(t.soc), std::string(t.meddra_code));
    return m;
  }();
  auto it = kCodes.find(soc);
  return it == kCodes.end() ? std::string() : it->second;
}

SdtmDataset sdtm_ae(const std::string& study, const std::vector<SdtmSubject>& subjects,
                    const std::vector<SdtmAe>& aes) {
  std::map<std::string, const SdtmSubject*> ref;
  for (const auto& s : subjects) ref[s.subject] = &s;
  struct Row {
    std::string usubjid;
    const SdtmAe* r;
  };
  std::vector<Row> rows;
  for (const auto& r : aes)
    if (!r.nullified) rows.push_back({study + "-" + r.subject, &r});
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return std::tie(a.usubjid, a.r->onset, a.r->report_id) < std::tie(b.usubjid, b.r->onset, b.r->report_id);
  });
  SdtmDataset out{"AE", "Adverse Events", kAe, {}};
  std::map<std::string, int> seq;
  for (const auto& row : rows) {
    const SdtmAe& r = *row.r;
    auto it = ref.find(r.subject);
    const SdtmSubject* sub = it == ref.end() ? nullptr : it->second;
    auto day = [&](const std::string& d) -> xpt::Value {
      auto date = parse_date(d);
      return date && sub ? number(study_day(*date, sub->reference_start)) : xpt::Value{};
    };
    const auto onset = parse_date(r.onset);
    const bool treated = sub && sub->treatment_start && (!onset || *sub->treatment_start <= *onset);
    const ctcae::Term* t = ctcae::find_code(r.meddra_code);
    const bool llt = t != nullptr && !t->other_specify;
    const std::string soc_cd = soc_code(r.soc);
    out.rows.push_back({
        text(study), text("AE"), text(row.usubjid), number(++seq[row.usubjid]), text(r.report_id),
        text(reported_term(r)), llt ? text(r.term) : xpt::Value{}, llt ? code(r.meddra_code) : xpt::Value{},
        text(r.term.empty() ? reported_term(r) : r.term), {}, {}, {}, {}, {},  // AEPTCD..AEHLGTCD: MedDRA licence
        text(r.soc), code(soc_cd), text(r.soc), code(soc_cd), text(r.serious ? "Y" : "N"),
        text(action(r.action_taken, treated)), text(relation(r.causality)), text(outcome(r.outcome)),
        text(yn(r.criteria, "congenital_anomaly")), text(yn(r.criteria, "disability")), text(yn(r.criteria, "death")),
        text(yn(r.criteria, "hospitalization")), text(yn(r.criteria, "life_threatening")),
        text(yn(r.criteria, "medically_important")), text(r.grade ? std::to_string(r.grade) : ""), text(r.onset),
        text(r.resolved), day(r.onset), day(r.resolved)});
  }
  return out;
}

SdtmDataset sdtm_dm(const std::string& study, const std::vector<SdtmDm>& subjects) {
  std::vector<const SdtmDm*> rows;
  for (const auto& s : subjects) rows.push_back(&s);
  std::sort(rows.begin(), rows.end(), [](auto* a, auto* b) { return a->subject < b->subject; });
  SdtmDataset out{"DM", "Demographics", kDm, {}};
  for (const auto* s : rows) {
    // SDTMIG v3.3 DM: DTHFL is "Y" or null (never "N"); AGEU "YEARS" with AGE; SEX M, F, U.
    out.rows.push_back({text(study), text("DM"), text(study + "-" + s->subject), text(s->subject),
                        text(format_date(s->reference_start)), text(format_date(s->enrolled)),
                        text(format_date(s->participation_end)), text(s->death ? format_date(*s->death) : ""),
                        text(s->death ? "Y" : ""), text(s->site), s->age ? number(*s->age) : xpt::Value{},
                        text(s->age ? "YEARS" : ""), text(s->sex)});
  }
  return out;
}

std::string sdtm_csv(const SdtmDataset& data) {
  std::ostringstream o;
  for (std::size_t i = 0; i < data.variables.size(); ++i) o << (i ? "," : "") << data.variables[i].name;
  o << "\r\n";
  for (const auto& row : data.rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (i) o << ",";
      if (const auto* s = std::get_if<std::string>(&row[i])) o << cell(*s);
      else if (const auto* d = std::get_if<double>(&row[i])) {
        if (std::trunc(*d) == *d && std::fabs(*d) < 1e15) o << static_cast<long long>(*d);
        else o << json(*d).dump();
      }
    }
    o << "\r\n";
  }
  return o.str();
}

Result<std::string> sdtm_xpt(const SdtmDataset& data, Timestamp created) {
  xpt::Dataset x{data.domain, data.label, {}, data.rows};
  for (std::size_t i = 0; i < data.variables.size(); ++i) {
    const auto& v = data.variables[i];
    std::size_t length = v.numeric ? 8 : 1;
    if (!v.numeric)
      for (const auto& row : data.rows)
        if (const auto* s = std::get_if<std::string>(&row[i])) length = std::max(length, s->size());
    x.variables.push_back({v.name, v.label, v.numeric, length});
  }
  return xpt::write(x, created);
}

std::string sdtm_ae_csv(const std::string& study, const std::vector<SdtmSubject>& subjects,
                        const std::vector<SdtmAe>& rows) {
  return sdtm_csv(sdtm_ae(study, subjects, rows));
}

std::string sdtm_dm_csv(const std::string& study, const std::vector<SdtmDm>& subjects) {
  return sdtm_csv(sdtm_dm(study, subjects));
}

}  // namespace pvmon::interop
