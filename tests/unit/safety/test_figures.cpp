// AE counts: each subject once per row, at its worst grade; nullified reports never.
#include <doctest/doctest.h>

#include "pvmon/safety/figures.hpp"

using namespace pvmon;
using namespace pvmon::safety;

TEST_CASE("count_aes: subjects once per row at their worst grade, nullified reports never") {
  AeFactTables t;
  t.subjects = {"S01-0001", "S01-0002", "S02-0001", "S02-0002"};
  const auto fatal = AeFactTables::intern(t.outcomes, std::string("fatal"));
  auto fact = [](std::uint32_t subject, int grade) {
    AeFact f;
    f.subject = subject;
    f.grade = static_cast<std::uint8_t>(grade);
    return f;
  };
  std::vector<AeFact> facts;
  facts.push_back(fact(0, 1));
  facts.push_back(fact(0, 3));  // S01-0001 worst 3
  AeFact sae = fact(1, 2);
  sae.serious = true;
  sae.susar = true;
  facts.push_back(sae);
  AeFact died = fact(1, 5);
  died.serious = true;
  died.outcome = static_cast<std::uint8_t>(fatal);
  facts.push_back(died);  // S01-0002 worst 5, fatal, serious twice but one subject
  AeFact withdrawn = fact(2, 2);
  withdrawn.drug_withdrawn = true;
  facts.push_back(withdrawn);
  AeFact gone = fact(3, 4);
  gone.nullified = true;
  gone.serious = true;
  facts.push_back(gone);  // S02-0002: only a nullified report, counts nowhere

  const AeCounts c = count_aes(facts, t);
  CHECK(c.reports == 5);
  CHECK(c.serious_reports == 2);
  CHECK(c.nullified_reports == 1);
  CHECK(c.subjects_with_ae == 3);
  CHECK(c.subjects_grade3plus == 2);
  CHECK(c.subjects_with_sae == 1);
  CHECK(c.subjects_with_susar == 1);
  CHECK(c.subjects_with_fatal_ae == 1);
  CHECK(c.subjects_drug_withdrawn == 1);
  CHECK(c.subjects_by_worst_grade == std::array<int, 5>{0, 1, 1, 0, 1});
}
