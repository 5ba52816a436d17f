#include <doctest/doctest.h>

#include "pvmon/safety/classification.hpp"

using namespace pvmon::safety;

namespace {

// The seed study: two investigational products and two non-IP interventions. The RSI lists
// come from the investigator brochures as the study config would hold them (CLINICAL.md).
std::vector<Intervention> study() {
  return {
      {"camrelizumab", "drug", true,
       {"Reactive cutaneous capillary endothelial proliferation", "10019670" /* Hepatitis */}},
      {"apatinib", "drug", true, {"Hypertension", "Palmar-plantar erythrodysesthesia syndrome"}},
      {"imrt", "radiotherapy", false, {}},
      {"surgery", "surgery", false, {}},
  };
}

AeFacts ae(std::string term, Seriousness s, std::map<std::string, Causality> site) {
  AeFacts a;
  a.grade = 3;
  a.term = std::move(term);
  a.seriousness = s;
  a.site_causality = std::move(site);
  for (const char* iv : {"camrelizumab", "apatinib", "imrt", "surgery"})
    a.site_causality.emplace(iv, Causality::unrelated);
  return a;
}

Seriousness hospitalised() {
  Seriousness s;
  s.hospitalization = true;
  return s;
}

}  // namespace

TEST_CASE("seriousness: any of the six ICH E2A criteria, and grade 5 carries death") {
  CHECK_FALSE(Seriousness{}.serious());
  for (int i = 0; i < 6; ++i) {
    Seriousness s;
    bool* flags[] = {&s.death, &s.life_threatening, &s.hospitalization, &s.disability,
                     &s.congenital_anomaly, &s.medically_important};
    *flags[i] = true;
    CHECK(s.serious());
  }
  // CTCAE v5.0 grade 3 is "severe", not serious by itself (CLINICAL.md).
  CHECK(check_seriousness(3, Seriousness{}).empty());
  auto e = check_seriousness(5, Seriousness{});
  REQUIRE(e.size() == 1);
  CHECK(e[0].field == "serious.death");
  Seriousness dead;
  dead.death = true;
  CHECK(check_seriousness(5, dead).empty());
  CHECK(check_seriousness(6, dead).at(0).field == "grade");
  CHECK(check_seriousness(0, dead).at(0).field == "grade");
}

TEST_CASE("causality scale and relatedness") {
  CHECK(parse_causality("unrelated") == Causality::unrelated);
  CHECK(parse_causality("not_related") == Causality::unrelated);
  CHECK(parse_causality("certain") == Causality::definite);  // WHO-UMC
  CHECK(parse_causality("unclassifiable") == Causality::unassessable);
  CHECK_FALSE(parse_causality("Possible"));
  CHECK_FALSE(parse_causality("maybe"));
  CHECK_FALSE(is_related(Causality::unrelated));
  CHECK_FALSE(is_related(Causality::unlikely));
  CHECK(is_related(Causality::possible));
  CHECK(is_related(Causality::probable));
  CHECK(is_related(Causality::definite));
  CHECK(is_related(Causality::unassessable));  // cannot be ruled out
  for (auto c : {Causality::unrelated, Causality::unlikely, Causality::possible,
                 Causality::probable, Causality::definite, Causality::unassessable})
    CHECK(parse_causality(to_string(c)) == c);
}

TEST_CASE("SUSAR: serious + possible + unexpected") {
  auto c = classify(ae("Pneumonitis", hospitalised(), {{"camrelizumab", Causality::possible}}),
                    study());
  CHECK(c.serious);
  CHECK(c.susar);
  CHECK_FALSE(c.fatal_or_life_threatening);
  CHECK(c.related_to == std::vector<std::string>{"camrelizumab"});
  REQUIRE(c.products.size() == 2);
  CHECK(c.products[0] == ProductAssessment{"camrelizumab", true, false});
  CHECK(c.products[1] == ProductAssessment{"apatinib", false, false});
  CHECK_FALSE(c.reasons.empty());
}

TEST_CASE("not a SUSAR: expected, unrelated, non-serious") {
  // Hypertension is in apatinib's RSI: a serious related expected reaction is not a SUSAR.
  auto expected = classify(ae("hypertension", hospitalised(), {{"apatinib", Causality::probable}}),
                           study());
  CHECK(expected.serious);
  CHECK_FALSE(expected.susar);
  CHECK(expected.products[1] == ProductAssessment{"apatinib", true, true});

  // Expected by MedDRA code as well as by name.
  AeFacts hep = ae("Hepatitis", hospitalised(), {{"camrelizumab", Causality::definite}});
  hep.term = "Immune-mediated hepatitis";
  hep.meddra_code = "10019670";
  CHECK_FALSE(classify(hep, study()).susar);

  auto unrelated = classify(ae("Pneumonitis", hospitalised(), {}), study());
  CHECK_FALSE(unrelated.susar);
  CHECK(unrelated.related_to.empty());

  // Related to radiotherapy only (not an investigational product): serious, not a SUSAR.
  auto rt = classify(ae("Pneumonitis", hospitalised(), {{"imrt", Causality::probable}}), study());
  CHECK(rt.related_to == std::vector<std::string>{"imrt"});
  CHECK_FALSE(rt.susar);

  auto mild = classify(ae("Pneumonitis", Seriousness{}, {{"camrelizumab", Causality::definite}}),
                       study());
  CHECK_FALSE(mild.serious);
  CHECK_FALSE(mild.susar);
}

TEST_CASE("unassessable counts as related; either party not ruling out suffices") {
  auto c = classify(ae("Pneumonitis", hospitalised(), {{"apatinib", Causality::unassessable}}),
                    study());
  CHECK(c.susar);
  CHECK(c.related_to == std::vector<std::string>{"apatinib"});

  AeFacts a = ae("Pneumonitis", hospitalised(), {});
  a.sponsor_causality["camrelizumab"] = Causality::possible;
  CHECK(classify(a, study()).susar);

  // No assessment at all for an IP: conservative, cannot be ruled out.
  AeFacts none;
  none.term = "Pneumonitis";
  none.seriousness = hospitalised();
  auto n = classify(none, study());
  CHECK(n.susar);
  CHECK(n.related_to.size() == 4);
}

TEST_CASE("fatal or life-threatening") {
  Seriousness lt;
  lt.life_threatening = true;
  auto c = classify(ae("Pneumonitis", lt, {{"camrelizumab", Causality::probable}}), study());
  CHECK(c.susar);
  CHECK(c.fatal_or_life_threatening);
  // Grade 5 implies death even when the form forgot the criterion.
  AeFacts g5 = ae("Pneumonitis", Seriousness{}, {{"camrelizumab", Causality::possible}});
  g5.grade = 5;
  auto d = classify(g5, study());
  CHECK(d.serious);
  CHECK(d.fatal_or_life_threatening);
  CHECK(d.susar);
}

TEST_CASE("expectedness looks at severity and outcome (ICH E2A II.C; EU CT-3 7.2.3)") {
  Intervention apatinib{"apatinib", "drug", true,
                        {"Hypertension", ExpectedTerm{"Platelet count decreased", 4, false, true},
                         ExpectedTerm{"Hemorrhage", 5, true, true}}};
  auto facts = [](std::string term, int grade, Seriousness s = {}) {
    AeFacts a;
    a.term = std::move(term);
    a.grade = grade;
    a.seriousness = s;
    return a;
  };
  Seriousness lt;
  lt.life_threatening = true;
  Seriousness dead;
  dead.death = true;
  // A bare term lists grades 1 to 3, no fatal or life-threatening outcome.
  CHECK_FALSE(unexpected_because(apatinib, facts("Hypertension", 3)));
  CHECK(unexpected_because(apatinib, facts("hypertension", 4)).value().find("life-threatening") != std::string::npos);
  CHECK(unexpected_because(apatinib, facts("Hypertension", 2, lt)));
  CHECK(unexpected_because(apatinib, facts("Hypertension", 5, dead)).value().find("fatal") != std::string::npos);
  // Listed to grade 4 with life-threatening outcomes: grade 4 is expected, a fatal one is not.
  CHECK_FALSE(unexpected_because(apatinib, facts("Platelet count decreased", 4, lt)));
  CHECK(unexpected_because(apatinib, facts("Platelet count decreased", 5, dead)));
  // Fatal outcomes listed: a fatal haemorrhage is expected.
  CHECK_FALSE(unexpected_because(apatinib, facts("Hemorrhage", 5, dead)));
  CHECK(unexpected_because(apatinib, facts("Diarrhea", 1)).value().find("not in") != std::string::npos);

  // The classification: a serious related grade 4 hypertension on a bare RSI term is a SUSAR,
  // fatal or life-threatening (7 days); grade 3 is not.
  auto g4 = ae("Hypertension", lt, {{"apatinib", Causality::probable}});
  g4.grade = 4;
  const std::vector<Intervention> ivs{apatinib};
  auto c = classify(g4, ivs);
  CHECK(c.susar);
  CHECK(c.fatal_or_life_threatening);
  CHECK_FALSE(c.products.at(0).expected);
  auto g3 = ae("Hypertension", hospitalised(), {{"apatinib", Causality::probable}});
  CHECK_FALSE(classify(g3, ivs).susar);
}
