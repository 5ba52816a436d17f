// CDISC SDTM AE domain. Mapping choices, per SDTMIG v3.3 §6.2 and CDISC CT:
// - AETERM is the site's verbatim text (the term when none), AEDECOD/AEPTCD/AEBODSYS the CTCAE
//   v5.0 term, its MedDRA code and SOC, AETOXGR the CTCAE grade.
// - AESER and the six criteria flags (NY codelist: Y/N) from the report's seriousness.
// - AEREL: this study has several interventions and SDTM one AEREL; it takes the strongest
//   assessment over all of them: RELATED when any is possible, probable or definite, NOT
//   RELATED otherwise, UNKNOWN when only unassessable. (Per-intervention causality belongs in
//   SUPPAE, not built here.)
// - AEACN: the most severe action over the study drugs (ACN codelist): DRUG WITHDRAWN >
//   DRUG INTERRUPTED > DOSE REDUCED > DOSE INCREASED > DOSE NOT CHANGED > NOT APPLICABLE >
//   UNKNOWN; empty when none recorded.
// - AEOUT (OUT codelist) from the outcome; AESTDTC/AEENDTC ISO 8601 dates; AESTDY/AEENDY
//   study days against RFSTDTC.
#include <algorithm>
#include <map>
#include <sstream>
#include <tuple>

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

std::string action(const std::vector<std::pair<std::string, std::string>>& actions) {
  static const std::vector<std::pair<std::string, std::string>> kOrder = {
      {"drug_withdrawn", "DRUG WITHDRAWN"}, {"drug_interrupted", "DRUG INTERRUPTED"},
      {"dose_reduced", "DOSE REDUCED"},     {"dose_increased", "DOSE INCREASED"},
      {"dose_not_changed", "DOSE NOT CHANGED"}, {"not_applicable", "NOT APPLICABLE"},
      {"unknown", "UNKNOWN"}};
  for (const auto& [code, ct] : kOrder)
    for (const auto& [iv, v] : actions)
      if (v == code) return ct;
  return "";
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

std::string sdtm_ae_csv(const std::string& study, const std::vector<SdtmSubject>& subjects,
                        const std::vector<SdtmAe>& aes) {
  std::map<std::string, Date> ref;
  for (const auto& s : subjects) ref[s.subject] = s.reference_start;
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
  std::ostringstream o;
  o << "STUDYID,DOMAIN,USUBJID,AESEQ,AESPID,AETERM,AEDECOD,AEPTCD,AEBODSYS,AETOXGR,AESER,AESDTH,"
       "AESLIFE,AESHOSP,AESDISAB,AESCONG,AESMIE,AEREL,AEACN,AEOUT,AESTDTC,AEENDTC,AESTDY,AEENDY\r\n";
  std::map<std::string, int> seq;
  for (const auto& row : rows) {
    const SdtmAe& r = *row.r;
    auto day = [&](const std::string& d) -> std::string {
      auto date = parse_date(d);
      auto it = ref.find(r.subject);
      return date && it != ref.end() ? std::to_string(study_day(*date, it->second)) : "";
    };
    o << cell(study) << ",AE," << cell(row.usubjid) << "," << ++seq[row.usubjid] << "," << cell(r.report_id) << ","
      << cell(r.verbatim.empty() ? r.reported_term : r.verbatim) << "," << cell(r.term) << ","
      << cell(r.meddra_code) << "," << cell(r.soc) << "," << r.grade << "," << (r.serious ? "Y" : "N") << ","
      << yn(r.criteria, "death") << "," << yn(r.criteria, "life_threatening") << ","
      << yn(r.criteria, "hospitalization") << "," << yn(r.criteria, "disability") << ","
      << yn(r.criteria, "congenital_anomaly") << "," << yn(r.criteria, "medically_important") << ","
      << relation(r.causality) << "," << cell(action(r.action_taken)) << "," << cell(outcome(r.outcome)) << ","
      << r.onset << "," << r.resolved << "," << day(r.onset) << "," << day(r.resolved) << "\r\n";
  }
  return o.str();
}

std::string sdtm_dm_csv(const std::string& study, const std::vector<SdtmDm>& subjects) {
  std::vector<const SdtmDm*> rows;
  for (const auto& s : subjects) rows.push_back(&s);
  std::sort(rows.begin(), rows.end(), [](auto* a, auto* b) { return a->subject < b->subject; });
  std::ostringstream o;
  o << "STUDYID,DOMAIN,USUBJID,SUBJID,RFSTDTC,RFICDTC,RFPENDTC,DTHDTC,DTHFL,SITEID,AGE,AGEU,SEX\r\n";
  for (const auto* s : rows) {
    // SDTMIG v3.3 DM: DTHFL is "Y" or null (never "N"); AGEU "YEARS" with AGE; SEX M, F, U.
    o << cell(study) << ",DM," << cell(study + "-" + s->subject) << "," << cell(s->subject) << ","
      << format_date(s->reference_start) << "," << format_date(s->enrolled) << "," << format_date(s->participation_end)
      << "," << (s->death ? format_date(*s->death) : "") << "," << (s->death ? "Y" : "") << "," << cell(s->site) << ","
      << (s->age ? std::to_string(*s->age) : "") << "," << (s->age ? "YEARS" : "") << "," << cell(s->sex) << "\r\n";
  }
  return o.str();
}

}  // namespace pvmon::interop
