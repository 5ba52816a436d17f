// End-to-end: the CTCAE v5.0 routes of the real pvmond. Expected values are written by hand from
// ctcae/data/ctcae_v5.0.csv.
#include <doctest/doctest.h>

#include <set>

#include "daemon.hpp"

using namespace pvmon::test;

namespace {

struct CtcaeFixture {
  TempDir tmp;
  Daemon d{write_config(tmp.path), tmp.path / "data"};
  CtcaeFixture() { d.start(); }

  json get_ok(const std::string& path, const std::string& token = "demo-site-s01") {
    auto c = d.client();
    auto r = c.Get(path.c_str(), bearer(token));
    REQUIRE(r);
    REQUIRE_MESSAGE(r->status == 200, r->body);
    return json::parse(r->body);
  }
  httplib::Result grade(const json& body, const std::string& token = "demo-site-s01") {
    auto c = d.client();
    return c.Post("/v1/ctcae/grade", bearer(token), body.dump(), "application/json");
  }
  json grade_ok(const json& body) {
    auto r = grade(body);
    REQUIRE(r);
    REQUIRE_MESSAGE(r->status == 200, r->body);
    return json::parse(r->body);
  }
};

std::set<std::string> problem_fields(const httplib::Result& r) {
  std::set<std::string> out;
  const json problem = json::parse(r->body);  // named: a temporary would die before the loop
  for (const auto& e : problem["errors"]) out.insert(e["field"].get<std::string>());
  return out;
}

bool contains(const json& s, const std::string& part) {
  return s.get<std::string>().find(part) != std::string::npos;
}

}  // namespace

TEST_CASE_FIXTURE(CtcaeFixture, "term search: synonym, exact, code and misspelling") {
  SUBCASE("a British spelling resolves through the synonym table, first") {
    auto j = get_ok("/v1/ctcae/terms?q=anaemia");
    CHECK(j["query"] == "anaemia");
    CHECK(j["version"] == "5.0");
    REQUIRE(!j["items"].empty());
    const auto& first = j["items"][0];
    CHECK(first["meddra_code"] == "10002272");
    CHECK(first["term"] == "Anemia");
    CHECK(first["soc"] == "Blood and lymphatic system disorders");
    CHECK(first["match"] == "synonym");
    CHECK(first["synonym"] == "anaemia");
    CHECK(j["items"].size() <= 5);
  }
  SUBCASE("the published name resolves exactly, ignoring case") {
    auto j = get_ok("/v1/ctcae/terms?q=ALOPECIA", "demo-dsmb");
    REQUIRE(!j["items"].empty());
    CHECK(j["items"][0]["meddra_code"] == "10001760");
    CHECK(j["items"][0]["term"] == "Alopecia");
    CHECK(j["items"][0]["match"] == "exact");
    CHECK_FALSE(j["items"][0].contains("synonym"));
  }
  SUBCASE("a MedDRA code resolves to its term") {
    auto j = get_ok("/v1/ctcae/terms?q=10020772&limit=1", "demo-admin");
    REQUIRE(j["items"].size() == 1);
    CHECK(j["items"][0]["term"] == "Hypertension");
    CHECK(j["items"][0]["match"] == "code");
  }
  SUBCASE("a misspelling resolves to nothing but suggests Hypertension") {
    auto j = get_ok("/v1/ctcae/terms?q=hypertenshun", "demo-officer");
    REQUIRE(!j["items"].empty());
    CHECK(j["items"].size() <= 5);
    bool found = false;
    for (const auto& it : j["items"]) {
      CHECK_FALSE(it.contains("match"));
      CHECK(it["score"].get<double>() > 0.0);
      CHECK(it["score"].get<double>() <= 1.0);
      if (it["meddra_code"] == "10020772") found = it["term"] == "Hypertension";
    }
    CHECK(found);
  }
  SUBCASE("limit widens the list up to 20") {
    auto j = get_ok("/v1/ctcae/terms?q=pain&limit=20");
    CHECK(j["items"].size() > 5);
    CHECK(j["items"].size() <= 20);
  }
}

TEST_CASE_FIXTURE(CtcaeFixture, "term search: bad parameters are 422 naming each one") {
  auto c = d.client();
  auto none = c.Get("/v1/ctcae/terms", bearer("demo-site-s01"));
  REQUIRE(none);
  CHECK(none->status == 422);
  CHECK(none->get_header_value("Content-Type") == "application/problem+json");
  CHECK(problem_fields(none) == std::set<std::string>{"q"});
  auto empty = c.Get("/v1/ctcae/terms?q=&limit=21", bearer("demo-site-s01"));
  REQUIRE(empty);
  CHECK(empty->status == 422);
  CHECK(problem_fields(empty) == std::set<std::string>{"q", "limit"});
  auto blank = c.Get("/v1/ctcae/terms?q=%20-%20", bearer("demo-site-s01"));
  REQUIRE(blank);
  CHECK(blank->status == 422);
  CHECK(problem_fields(blank) == std::set<std::string>{"q"});
  auto bad_limit = c.Get("/v1/ctcae/terms?q=fatigue&limit=five", bearer("demo-site-s01"));
  REQUIRE(bad_limit);
  CHECK(bad_limit->status == 422);
  CHECK(problem_fields(bad_limit) == std::set<std::string>{"limit"});
}

TEST_CASE_FIXTURE(CtcaeFixture, "a whole entry by MedDRA code; an unknown code is 404") {
  auto j = get_ok("/v1/ctcae/terms/10001760");
  CHECK(j["meddra_code"] == "10001760");
  CHECK(j["term"] == "Alopecia");
  CHECK(j["soc"] == "Skin and subcutaneous tissue disorders");
  CHECK(j["allowed_grades"] == json::array({1, 2}));
  REQUIRE(j["grades"].size() == 2);
  CHECK(contains(j["grades"]["1"], "Hair loss of <50% of normal for that individual"));
  CHECK(contains(j["grades"]["2"], "Hair loss of >=50% normal for that individual"));
  CHECK(contains(j["definition"], "decrease in density of hair"));
  CHECK(j["navigational_note"].is_null());
  CHECK(j["other_specify"] == false);
  CHECK(j["version"] == "5.0");

  auto alt = get_ok("/v1/ctcae/terms/10001551", "demo-officer");
  CHECK(alt["term"] == "Alanine aminotransferase increased");
  CHECK(alt["allowed_grades"] == json::array({1, 2, 3, 4}));
  CHECK(
      alt["grades"]["3"] ==
      ">5.0 - 20.0 x ULN if baseline was normal; >5.0 - 20.0 x baseline if baseline was abnormal");
  CHECK(alt["navigational_note"] == "Also consider Hepatobiliary disorders: Hepatic failure");

  auto c = d.client();
  auto r = c.Get("/v1/ctcae/terms/99999999", bearer("demo-site-s01"));
  REQUIRE(r);
  CHECK(r->status == 404);
  CHECK(problem_fields(r) == std::set<std::string>{"meddra_code"});
}

TEST_CASE_FIXTURE(CtcaeFixture,
                  "lab grading returns the grade and the CTCAE text that decided it") {
  SUBCASE("ALT 250 U/L, ULN 40: 6.25 x ULN is grade 3") {
    auto j = grade_ok(json::parse(R"({"test": "ALT", "value": 250, "unit": "U/L", "uln": 40,
        "lln": null, "baseline": 32, "baseline_abnormal": false, "on_anticoagulation": false,
        "systolic": null, "diastolic": null})"));
    CHECK(j["meddra_code"] == "10001551");
    CHECK(j["term"] == "Alanine aminotransferase increased");
    CHECK(j["grade"] == 3);
    CHECK(contains(j["criterion"], ">5.0 - 20.0 x ULN"));
    CHECK(j["basis"] == "ULN");
    CHECK(j["version"] == "5.0");
    CHECK(j["is_ae"] == true);
  }
  SUBCASE("ALT exactly 5.0 x ULN is still grade 2: the upper bound is inclusive") {
    auto j = grade_ok({{"test", "ALT"}, {"value", 200}, {"unit", "U/L"}, {"uln", 40}});
    CHECK(j["grade"] == 2);
    CHECK(contains(j["criterion"], ">3.0 - 5.0 x ULN"));
  }
  SUBCASE("platelets 40 x 10e9/L is grade 3 (<50.0 - 25.0 x 10e9 /L)") {
    auto j = grade_ok({{"test", "platelets"}, {"value", 40}, {"unit", "x 10e9/L"}, {"lln", 150}});
    CHECK(j["meddra_code"] == "10035528");
    CHECK(j["grade"] == 3);
    CHECK(contains(j["criterion"], "<50.0 - 25.0 x 10e9 /L"));
    // The same count in cells/mm3 (40,000/mm3) grades the same.
    auto mm3 =
        grade_ok({{"test", "platelets"}, {"value", 40000}, {"unit", "/mm3"}, {"lln", 150000}});
    CHECK(mm3["grade"] == 3);
  }
  SUBCASE("a value within normal is grade 0 and not an AE") {
    auto j = grade_ok({{"test", "ALT"}, {"value", 30}, {"unit", "U/L"}, {"uln", 40}});
    CHECK(j["grade"] == 0);
    CHECK(j["is_ae"] == false);
  }
  SUBCASE("hypertension from the pressures alone, and a dipstick reading as written") {
    auto bp = grade_ok({{"test", "blood pressure"}, {"systolic", 165}, {"diastolic", 85}});
    CHECK(bp["meddra_code"] == "10020772");
    CHECK(bp["grade"] == 3);  // G3: systolic >=160 mm Hg
    auto dip = grade_ok({{"test", "urine protein"}, {"value", "2+"}, {"unit", "dipstick"}});
    CHECK(dip["grade"] == 2);  // G2: 2+ and 3+ proteinuria
  }
}

TEST_CASE_FIXTURE(CtcaeFixture, "lab grading: invalid input is 422 with every field named") {
  SUBCASE("missing unit") {
    auto r = grade({{"test", "ALT"}, {"value", 250}, {"uln", 40}});
    REQUIRE(r);
    CHECK(r->status == 422);
    CHECK(problem_fields(r) == std::set<std::string>{"unit"});
    CHECK(contains(json::parse(r->body)["errors"][0]["message"], "is required; use one of: U/L"));
  }
  SUBCASE("the library's lab.* fields are reported as body fields") {
    auto r = grade({{"test", "ALT"}, {"value", 250}, {"unit", "U/L"}});
    REQUIRE(r);
    CHECK(r->status == 422);
    CHECK(problem_fields(r) == std::set<std::string>{"uln"});
    auto unknown = grade({{"test", "Fatigue"}, {"value", 1}, {"unit", "U/L"}});
    REQUIRE(unknown);
    CHECK(unknown->status == 422);
    CHECK(problem_fields(unknown) == std::set<std::string>{"test"});
  }
  SUBCASE("type errors, a missing value and unknown fields are all reported at once") {
    auto r = grade({{"test", 7},
                    {"unit", "U/L"},
                    {"uln", "forty"},
                    {"baseline_abnormal", "no"},
                    {"patient", "John Doe"}});
    REQUIRE(r);
    CHECK(r->status == 422);
    CHECK(problem_fields(r) ==
          std::set<std::string>{"test", "value", "uln", "baseline_abnormal", "patient"});
  }
  SUBCASE("415 and 400 come from the shared JSON body reader") {
    auto c = d.client();
    auto text = c.Post("/v1/ctcae/grade", bearer("demo-site-s01"), "{}", "text/plain");
    REQUIRE(text);
    CHECK(text->status == 415);
    auto broken =
        c.Post("/v1/ctcae/grade", bearer("demo-site-s01"), "{\"test\":", "application/json");
    REQUIRE(broken);
    CHECK(broken->status == 400);
  }
}

TEST_CASE_FIXTURE(CtcaeFixture, "every CTCAE route needs a token") {
  auto c = d.client();
  auto search = c.Get("/v1/ctcae/terms?q=anaemia");
  REQUIRE(search);
  CHECK(search->status == 401);
  auto term = c.Get("/v1/ctcae/terms/10001760");
  REQUIRE(term);
  CHECK(term->status == 401);
  auto g = c.Post("/v1/ctcae/grade",
                  json{{"test", "ALT"}, {"value", 250}, {"unit", "U/L"}, {"uln", 40}}.dump(),
                  "application/json");
  REQUIRE(g);
  CHECK(g->status == 401);
  auto wrong = c.Get("/v1/ctcae/terms?q=anaemia", bearer("not-a-token"));
  REQUIRE(wrong);
  CHECK(wrong->status == 401);
}
