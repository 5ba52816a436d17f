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

namespace pvmon::interop {

using nlohmann::json;

namespace {

std::string cell(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

std::string yn(const json& j, const char* key) { return j.is_object() && j.value(key, false) ? "Y" : "N"; }

std::string relation(const json& causality) {
  bool related = false, assessed = false;
  if (causality.is_object())
    for (const auto& [iv, v] : causality.items()) {
      const std::string c = v.is_string() ? v.get<std::string>() : "";
      related = related || c == "possible" || c == "probable" || c == "definite";
      assessed = assessed || (c != "unassessable" && !c.empty());
    }
  return related ? "RELATED" : assessed ? "NOT RELATED" : "UNKNOWN";
}

std::string action(const json& actions) {
  static const std::vector<std::pair<std::string, std::string>> kOrder = {
      {"drug_withdrawn", "DRUG WITHDRAWN"}, {"drug_interrupted", "DRUG INTERRUPTED"},
      {"dose_reduced", "DOSE REDUCED"},     {"dose_increased", "DOSE INCREASED"},
      {"dose_not_changed", "DOSE NOT CHANGED"}, {"not_applicable", "NOT APPLICABLE"},
      {"unknown", "UNKNOWN"}};
  if (!actions.is_object()) return "";
  for (const auto& [code, ct] : kOrder)
    for (const auto& [iv, v] : actions.items())
      if (v == code) return ct;
  return "";
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

std::string sdtm_ae_csv(const std::string& study, const std::vector<SdtmSubject>& subjects,
                        const std::vector<json>& records) {
  std::map<std::string, Date> ref;
  for (const auto& s : subjects) ref[s.subject] = s.reference_start;
  struct Row {
    std::string usubjid, stdtc, spid;
    const json* r;
  };
  std::vector<Row> rows;
  for (const auto& r : records) {
    if (r.value("status", "") == "nullified") continue;
    rows.push_back({study + "-" + r.value("subject", ""), r.value("onset", ""), r.value("report_id", ""), &r});
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return std::tie(a.usubjid, a.stdtc, a.spid) < std::tie(b.usubjid, b.stdtc, b.spid);
  });
  std::ostringstream o;
  o << "STUDYID,DOMAIN,USUBJID,AESEQ,AESPID,AETERM,AEDECOD,AEPTCD,AEBODSYS,AETOXGR,AESER,AESDTH,"
       "AESLIFE,AESHOSP,AESDISAB,AESCONG,AESMIE,AEREL,AEACN,AEOUT,AESTDTC,AEENDTC,AESTDY,AEENDY\r\n";
  std::map<std::string, int> seq;
  for (const auto& row : rows) {
    const json& r = *row.r;
    const json ct = r.value("ctcae", json::object());
    const json ser = r.value("serious", json::object());
    const std::string subject = r.value("subject", "");
    const std::string verbatim = r.value("verbatim", "");
    const std::string resolved = r.contains("resolved") && r["resolved"].is_string() ? r["resolved"].get<std::string>() : "";
    auto day = [&](const std::string& d) -> std::string {
      auto date = parse_date(d);
      auto it = ref.find(subject);
      return date && it != ref.end() ? std::to_string(study_day(*date, it->second)) : "";
    };
    const bool serious = r.contains("safety") ? r["safety"].value("serious", false) : false;
    o << cell(study) << ",AE," << cell(row.usubjid) << "," << ++seq[row.usubjid] << "," << cell(row.spid) << ","
      << cell(verbatim.empty() ? r.value("term", "") : verbatim) << "," << cell(ct.value("term", "")) << ","
      << cell(ct.value("meddra_code", "")) << "," << cell(ct.value("soc", "")) << "," << r.value("grade", 0) << ","
      << (serious ? "Y" : "N") << "," << yn(ser, "death") << "," << yn(ser, "life_threatening") << ","
      << yn(ser, "hospitalization") << "," << yn(ser, "disability") << "," << yn(ser, "congenital_anomaly") << ","
      << yn(ser, "medically_important") << "," << relation(r.value("causality", json::object())) << ","
      << cell(action(r.value("action_taken", json::object()))) << "," << cell(outcome(r.value("outcome", ""))) << ","
      << row.stdtc << "," << resolved << "," << day(row.stdtc) << "," << day(resolved) << "\r\n";
  }
  return o.str();
}

}  // namespace pvmon::interop
