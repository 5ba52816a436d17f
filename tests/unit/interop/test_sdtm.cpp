#include <doctest/doctest.h>

#include "pvmon/interop.hpp"

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
  const std::string csv = interop::sdtm_ae_csv("hcc-pvtt-imrt", {{"S01-0007", parse_date("2026-09-05").value()}}, rows({a, gone, b}));
  const std::string expected =
      "STUDYID,DOMAIN,USUBJID,AESEQ,AESPID,AETERM,AEDECOD,AEPTCD,AEBODSYS,AETOXGR,AESER,AESDTH,AESLIFE,AESHOSP,"
      "AESDISAB,AESCONG,AESMIE,AEREL,AEACN,AEOUT,AESTDTC,AEENDTC,AESTDY,AEENDY\r\n"
      // Fatigue first (onset 09-20): day 16 from 09-05; resolved 09-25: day 21.
      "hcc-pvtt-imrt,AE,hcc-pvtt-imrt-S01-0007,1,S01-0007-AE-001,\"tired, very\",Fatigue,10016256,"
      "General disorders and administration site conditions,1,N,N,N,N,N,N,N,NOT RELATED,,RECOVERED/RESOLVED,"
      "2026-09-20,2026-09-25,16,21\r\n"
      // The ALT increase: serious by hospitalisation; related (probable); the most severe action
      // over the drugs is DRUG INTERRUPTED; onset 10-02 is day 28.
      "hcc-pvtt-imrt,AE,hcc-pvtt-imrt-S01-0007,2,S01-0007-AE-003,ALT raised,Alanine aminotransferase increased,"
      "10001551,Investigations,3,Y,N,N,Y,N,N,N,RELATED,DRUG INTERRUPTED,RECOVERING/RESOLVING,2026-10-02,,28,\r\n";
  CHECK(csv == expected);
  // The same records in another order give the same bytes.
  CHECK(interop::sdtm_ae_csv("hcc-pvtt-imrt", {{"S01-0007", parse_date("2026-09-05").value()}}, rows({b, a, gone})) == csv);
}
