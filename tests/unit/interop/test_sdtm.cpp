#include <doctest/doctest.h>

#include "pvmon/ctcae.hpp"
#include "pvmon/interop.hpp"

#include <cmath>
#include <set>

using namespace pvmon;
using nlohmann::json;

TEST_CASE("SDTMIG study day: no day 0") {
  const Date ref = parse_date("2026-03-10").value();
  CHECK(interop::study_day(ref, ref) == 1);
  CHECK(interop::study_day(parse_date("2026-03-11").value(), ref) == 2);
  CHECK(interop::study_day(parse_date("2026-03-09").value(), ref) == -1);
}

TEST_CASE("SDTM AE rows, written out by hand, in order, nullified reports left out") {
  json serious{{"death", false}, {"life_threatening", false}, {"hospitalization", true},
               {"disability", false}, {"congenital_anomaly", false}, {"medically_important", false}};
  json a{{"report_id", "S01-0007-AE-003"}, {"subject", "S01-0007"}, {"term", "ALT raised"}, {"verbatim", "ALT raised"},
         {"grade", 3}, {"onset", "2026-10-02"}, {"resolved", nullptr}, {"serious", serious},
         {"causality", {{"camrelizumab", "probable"}, {"apatinib", "possible"}, {"imrt", "unlikely"}}},
         {"action_taken", {{"apatinib", "dose_reduced"}, {"camrelizumab", "drug_interrupted"}}}, {"outcome", "recovering"},
         {"ctcae", {{"term", "Alanine aminotransferase increased"}, {"meddra_code", "10001551"}, {"soc", "Investigations"}}},
         {"safety", {{"serious", true}}}, {"status", "active"}};
  json b{{"report_id", "S01-0007-AE-001"}, {"subject", "S01-0007"}, {"verbatim", "tired, very"}, {"grade", 1},
         {"onset", "2026-09-20"}, {"resolved", "2026-09-25"}, {"serious", json::object()},
         {"causality", {{"camrelizumab", "unlikely"}}}, {"outcome", "recovered"},
         {"ctcae", {{"term", "Fatigue"}, {"meddra_code", "10016256"}, {"soc", "General disorders and administration site conditions"}}},
         {"safety", {{"serious", false}}}, {"status", "active"}};
  json gone = b;
  gone["report_id"] = "S01-0007-AE-002";
  gone["status"] = "nullified";
  auto rows = [](std::initializer_list<json> records) {
    std::vector<interop::SdtmAe> out;
    for (const auto& r : records) out.push_back(interop::sdtm_row(r));
    return out;
  };
  const std::vector<interop::SdtmSubject> subjects = {
      {"S01-0007", parse_date("2026-09-05").value(), parse_date("2026-09-05").value()}};
  const std::string csv = interop::sdtm_ae_csv("hcc-pvtt-imrt", subjects, rows({a, gone, b}));
  const std::string expected =
      "STUDYID,DOMAIN,USUBJID,AESEQ,AESPID,AETERM,AELLT,AELLTCD,AEDECOD,AEPTCD,AEHLT,AEHLTCD,AEHLGT,AEHLGTCD,"
      "AEBODSYS,AEBDSYCD,AESOC,AESOCCD,AESER,AEACN,AEREL,AEOUT,AESCONG,AESDISAB,AESDTH,AESHOSP,AESLIFE,AESMIE,"
      "AETOXGR,AESTDTC,AEENDTC,AESTDY,AEENDY\r\n"
      // Fatigue first (onset 09-20): day 16 from 09-05; resolved 09-25: day 21. The CTCAE term is
      // the LLT and (for want of MedDRA's hierarchy) AEDECOD; PT, HLT, HLGT null; the SOC's
      // MedDRA code 10018065. No action recorded on a treated subject: UNKNOWN.
      "hcc-pvtt-imrt,AE,hcc-pvtt-imrt-S01-0007,1,S01-0007-AE-001,\"tired, very\",Fatigue,10016256,Fatigue,,,,,,"
      "General disorders and administration site conditions,10018065,"
      "General disorders and administration site conditions,10018065,N,UNKNOWN,NOT RELATED,RECOVERED/RESOLVED,"
      "N,N,N,N,N,N,1,2026-09-20,2026-09-25,16,21\r\n"
      // The ALT increase: serious by hospitalisation; related (probable); the most severe action
      // over the drugs is DRUG INTERRUPTED; onset 10-02 is day 28.
      "hcc-pvtt-imrt,AE,hcc-pvtt-imrt-S01-0007,2,S01-0007-AE-003,ALT raised,Alanine aminotransferase increased,"
      "10001551,Alanine aminotransferase increased,,,,,,Investigations,10022891,Investigations,10022891,Y,"
      "DRUG INTERRUPTED,RELATED,RECOVERING/RESOLVING,N,N,N,Y,N,N,3,2026-10-02,,28,\r\n";
  CHECK(csv == expected);
  // The same records in another order give the same bytes.
  CHECK(interop::sdtm_ae_csv("hcc-pvtt-imrt", subjects, rows({b, a, gone})) == csv);
}

namespace {

interop::SdtmAe fhir_coded(std::string report_id) {
  // A FHIR report coded by MedDRA without event.text: the term the site reported is the code.
  interop::SdtmAe r;
  r.report_id = std::move(report_id);
  r.subject = "S01-0001";
  r.reported_term = "10001551";
  r.term = "Alanine aminotransferase increased";
  r.meddra_code = "10001551";
  r.soc = "Investigations";
  r.grade = 2;
  r.onset = "2026-03-01";
  return r;
}

/// The value of `name` in the first row of `d`.
const interop::xpt::Value& value(const interop::SdtmDataset& d, std::string_view name, std::size_t row = 0) {
  for (std::size_t i = 0; i < d.variables.size(); ++i)
    if (d.variables[i].name == name) return d.rows.at(row).at(i);
  FAIL("no variable " << name);
  static const interop::xpt::Value none;
  return none;
}

std::string text_of(const interop::xpt::Value& v) {
  const auto* s = std::get_if<std::string>(&v);
  return s ? *s : "<null>";
}

}  // namespace

TEST_CASE("SDTM AETERM is never a code: a coded report without text takes the CTCAE term") {
  const auto d = interop::sdtm_ae("st", {{"S01-0001", parse_date("2026-02-01").value()}}, {fhir_coded("R1")});
  CHECK(text_of(value(d, "AETERM")) == "Alanine aminotransferase increased");
  CHECK(text_of(value(d, "AEDECOD")) == "Alanine aminotransferase increased");
  CHECK(std::get<double>(value(d, "AELLTCD")) == 10001551);
  // A verbatim wins; a reported name that is not a code is kept as the site wrote it.
  auto named = fhir_coded("R2");
  named.reported_term = "ALT up";
  auto with_text = fhir_coded("R3");
  with_text.verbatim = "transaminases high";
  const auto e = interop::sdtm_ae("st", {}, {named, with_text});
  CHECK(text_of(value(e, "AETERM", 0)) == "ALT up");
  CHECK(text_of(value(e, "AETERM", 1)) == "transaminases high");
}

TEST_CASE("SDTM AE: MedDRA SOC codes for all 26 CTCAE SOCs, generated from the CTCAE table") {
  // MedDRA's SOC codes (public: the MedDRA SOC list), the ones the issue names.
  CHECK(interop::soc_code("Hepatobiliary disorders") == "10019805");
  CHECK(interop::soc_code("Gastrointestinal disorders") == "10017947");
  CHECK(interop::soc_code("Nervous system disorders") == "10029205");
  CHECK(interop::soc_code("Investigations") == "10022891");
  CHECK(interop::soc_code("Musculoskeletal and connective tissue disorders") == "10028395");
  CHECK(interop::soc_code("Not a SOC").empty());
  std::set<std::string_view> socs;
  std::set<std::string> codes;
  for (const auto& t : ctcae::terms()) {
    socs.insert(t.soc);
    const std::string c = interop::soc_code(t.soc);
    CHECK_MESSAGE(c.size() == 8, t.soc);
    codes.insert(c);
  }
  CHECK(socs.size() == 26);
  CHECK(codes.size() == 26);
}

TEST_CASE("SDTM AE: an 'Other, specify' term has no LLT (its code is the SOC's); a protocol term no MedDRA codes") {
  interop::SdtmAe other;
  other.report_id = "R1";
  other.subject = "S1";
  other.verbatim = "biloma";
  other.term = "Hepatobiliary disorders - Other, specify";
  other.meddra_code = "10019805";
  other.soc = "Hepatobiliary disorders";
  interop::SdtmAe proto = other;
  proto.report_id = "R2";
  proto.term = "Reactive cutaneous capillary endothelial proliferation";
  proto.meddra_code = "PROTO-RCCEP";
  proto.soc = "";
  const auto d = interop::sdtm_ae("st", {}, {other, proto});
  CHECK(std::holds_alternative<std::monostate>(value(d, "AELLT", 0)));
  CHECK(std::holds_alternative<std::monostate>(value(d, "AELLTCD", 0)));
  CHECK(text_of(value(d, "AEDECOD", 0)) == "Hepatobiliary disorders - Other, specify");
  CHECK(std::get<double>(value(d, "AESOCCD", 0)) == 10019805);
  CHECK(std::get<double>(value(d, "AEBDSYCD", 0)) == 10019805);
  CHECK(std::holds_alternative<std::monostate>(value(d, "AELLTCD", 1)));
  CHECK(std::holds_alternative<std::monostate>(value(d, "AESOCCD", 1)));
  CHECK(text_of(value(d, "AEDECOD", 1)) == "Reactive cutaneous capillary endothelial proliferation");
}

TEST_CASE("SDTM AEACN is never null: NOT APPLICABLE before any study treatment, UNKNOWN when not recorded") {
  const Date start = parse_date("2026-03-05").value();
  auto early = fhir_coded("R1");  // onset 2026-03-01, before treatment
  auto late = fhir_coded("R2");
  late.onset = "2026-03-10";
  auto acted = fhir_coded("R3");
  acted.onset = "2026-03-11";
  acted.action_taken = {{"apatinib", "dose_not_changed"}, {"camrelizumab", "drug_withdrawn"}};
  const auto treated = interop::sdtm_ae("st", {{"S01-0001", start, start}}, {early, late, acted});
  CHECK(text_of(value(treated, "AEACN", 0)) == "NOT APPLICABLE");
  CHECK(text_of(value(treated, "AEACN", 1)) == "UNKNOWN");
  CHECK(text_of(value(treated, "AEACN", 2)) == "DRUG WITHDRAWN");
  const auto never = interop::sdtm_ae("st", {{"S01-0001", start}}, {late});
  CHECK(text_of(value(never, "AEACN")) == "NOT APPLICABLE");
}

TEST_CASE("SDTM labels and names fit SAS transport v5, as the SDTMIG gives them") {
  for (const auto& d : {interop::sdtm_ae("st", {}, {}), interop::sdtm_dm("st", {})})
    for (const auto& v : d.variables) {
      CHECK(std::string_view(v.name).size() <= interop::xpt::kMaxName);
      CHECK(std::string_view(v.label).size() <= interop::xpt::kMaxLabel);
    }
  const auto ae = interop::sdtm_ae("st", {}, {});
  CHECK(ae.label == "Adverse Events");
  CHECK(std::string(ae.variables[23].name) == "AESDISAB");
  CHECK(std::string(ae.variables[23].label) == "Persist or Signif Disability/Incapacity");
}

// ---- SAS transport (TS-140) ------------------------------------------------------------------

namespace {

std::string hex(const std::array<std::uint8_t, 8>& b) {
  static const char* d = "0123456789ABCDEF";
  std::string s;
  for (auto x : b) {
    if (!s.empty()) s += ' ';
    s += d[x >> 4];
    s += d[x & 15];
  }
  return s;
}

/// IBM double back to a double, straight from TS-140's description (sign, 16^(e-64), 56-bit
/// fraction), to check the writer against an independent reading.
double from_ibm(const std::array<std::uint8_t, 8>& b) {
  std::uint64_t frac = 0;
  for (std::size_t i = 1; i < 8; ++i) frac = frac << 8 | b[i];
  const double v = std::ldexp(static_cast<double>(frac), -56) * std::pow(16.0, (b[0] & 0x7f) - 64);
  return b[0] & 0x80 ? -v : v;
}

}  // namespace

TEST_CASE("IBM 370 doubles: TS-140's worked values") {
  CHECK(hex(interop::xpt::ibm_double(1.0)) == "41 10 00 00 00 00 00 00");
  CHECK(hex(interop::xpt::ibm_double(-118.625)) == "C2 76 A0 00 00 00 00 00");
  CHECK(hex(interop::xpt::ibm_double(std::nullopt)) == "2E 00 00 00 00 00 00 00");
  CHECK(hex(interop::xpt::ibm_double(0.0)) == "00 00 00 00 00 00 00 00");
  CHECK(hex(interop::xpt::ibm_double(0.5)) == "40 80 00 00 00 00 00 00");
  CHECK(hex(interop::xpt::ibm_double(100.0)) == "42 64 00 00 00 00 00 00");
  CHECK(hex(interop::xpt::ibm_double(-1.0)) == "C1 10 00 00 00 00 00 00");
  CHECK(hex(interop::xpt::ibm_double(1.0 / 16)) == "40 10 00 00 00 00 00 00");
  // Exact for what SDTM stores (sequence numbers, study days, MedDRA codes) and for any double
  // of 53 bits, read back independently.
  for (double v : {1.0, 28.0, -14.0, 10019805.0, 99999999.0, 0.1, -3.75, 1e-10, 123456789.123, 1e70})
    CHECK_MESSAGE(from_ibm(interop::xpt::ibm_double(v)) == v, v);
}

TEST_CASE("SAS transport v5: 80-byte records, headers, NAMESTRs and observations as TS-140 lays them out") {
  interop::xpt::Dataset d{"AE", "Adverse Events",
                          {{"USUBJID", "Unique Subject Identifier", false, 5}, {"AESEQ", "Sequence Number", true, 8}},
                          {{std::string("st-1"), 1.0}, {std::string("st-22"), interop::xpt::Value{}}}};
  const auto out = interop::xpt::write(d, parse_timestamp("2026-02-16T10:07:55Z").value());
  REQUIRE(out);
  const std::string& x = out.value();
  CHECK(x.size() % 80 == 0);
  auto rec = [&](std::size_t i) { return x.substr(i * 80, 80); };
  CHECK(rec(0) == "HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!000000000000000000000000000000  ");
  CHECK(rec(1).substr(0, 24) == "SAS     SAS     SASLIB  ");
  CHECK(rec(1).substr(64) == "16FEB26:10:07:55");
  CHECK(rec(2).substr(0, 16) == "16FEB26:10:07:55");
  CHECK(rec(3) == "HEADER RECORD*******MEMBER  HEADER RECORD!!!!!!!000000000000000001600000000140  ");
  CHECK(rec(4) == "HEADER RECORD*******DSCRPTR HEADER RECORD!!!!!!!000000000000000000000000000000  ");
  CHECK(rec(5).substr(0, 24) == "SAS     AE      SASDATA ");
  CHECK(rec(6).substr(32, 40) == "Adverse Events                          ");
  CHECK(rec(7) == "HEADER RECORD*******NAMESTR HEADER RECORD!!!!!!!000000000200000000000000000000  ");
  // Two NAMESTRs (280 bytes) fill 3.5 records: padded to 4.
  const std::string n1 = x.substr(8 * 80, 140), n2 = x.substr(8 * 80 + 140, 140);
  CHECK(n1.substr(0, 8) == std::string("\0\2\0\0\0\5\0\1", 8));  // char, length 5, varnum 1
  CHECK(n1.substr(8, 8) == "USUBJID ");
  CHECK(n1.substr(16, 40) == "Unique Subject Identifier               ");
  CHECK(n1.substr(84, 4) == std::string("\0\0\0\0", 4));  // npos 0
  CHECK(n2.substr(0, 8) == std::string("\0\1\0\0\0\x08\0\2", 8));  // numeric, length 8, varnum 2
  CHECK(n2.substr(84, 4) == std::string("\0\0\0\5", 4));  // npos 5
  CHECK(rec(12) == "HEADER RECORD*******OBS     HEADER RECORD!!!!!!!000000000000000000000000000000  ");
  // Observations: 13 bytes each, back to back, then blanks to the record's end.
  const std::string obs = x.substr(13 * 80);
  CHECK(obs.size() == 80);
  CHECK(obs.substr(0, 5) == "st-1 ");
  CHECK(obs.substr(5, 8) == std::string("\x41\x10\0\0\0\0\0\0", 8));
  CHECK(obs.substr(13, 5) == "st-22");
  CHECK(obs.substr(18, 8) == std::string("\x2e\0\0\0\0\0\0\0", 8));
  CHECK(obs.substr(26) == std::string(54, ' '));
}

TEST_CASE("SAS transport v5 refuses what the format cannot hold, naming the variable and row") {
  interop::xpt::Dataset d{"AE", "Adverse Events", {{"AETERM", "Reported Term for the Adverse Event", false, 3}},
                          {{std::string("four")}}};
  auto r = interop::xpt::write(d, Timestamp{});
  REQUIRE_FALSE(r);
  CHECK(r.error().fields.at(0).field == "AETERM of row 1");
  d.rows = {{std::string("ok")}};
  d.variables[0].name = "AETERMLONG";
  REQUIRE_FALSE(interop::xpt::write(d, Timestamp{}));
  d.variables[0].name = "AETERM";
  d.variables[0].label = std::string(41, 'x');
  REQUIRE_FALSE(interop::xpt::write(d, Timestamp{}));
}

TEST_CASE("SDTM as SAS transport: each character variable as long as its longest value") {
  const auto d = interop::sdtm_ae("st", {{"S01-0001", parse_date("2026-02-01").value()}}, {fhir_coded("R1")});
  const auto x = interop::sdtm_xpt(d, Timestamp{});
  REQUIRE(x);
  // The AETERM NAMESTR (the 6th): length = strlen("Alanine aminotransferase increased") = 34.
  const std::string n = x.value().substr(8 * 80 + 5 * 140, 140);
  CHECK(n.substr(8, 8) == "AETERM  ");
  CHECK(static_cast<unsigned char>(n[4]) * 256 + static_cast<unsigned char>(n[5]) == 34);
  // An all-null character variable (AEHLT) still has one byte.
  const std::string hlt = x.value().substr(8 * 80 + 10 * 140, 140);
  CHECK(hlt.substr(8, 8) == "AEHLT   ");
  CHECK(static_cast<unsigned char>(hlt[5]) == 1);
}
