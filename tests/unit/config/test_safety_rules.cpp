#include <doctest/doctest.h>

#include <algorithm>

#include "pvmon/boundary.hpp"
#include "pvmon/config.hpp"
#include "safety_rules.hpp"

using namespace pvmon;
using namespace pvmon::config;
using nlohmann::json;

namespace {

const std::vector<std::string> kInterventions = {"camrelizumab", "apatinib", "imrt", "surgery"};

struct Parsed {
  safety::StudyRules rules;
  std::vector<FieldError> errs;
  bool has(const std::string& field, const std::string& fragment) const {
    return std::any_of(errs.begin(), errs.end(), [&](const FieldError& e) {
      return e.field == field && e.message.find(fragment) != std::string::npos;
    });
  }
  std::string dump() const {
    std::string s;
    for (const auto& e : errs) s += e.field + ": " + e.message + "\n";
    return s;
  }
};

Parsed parse_rules(const std::string& text) {
  const json study = json::parse(text, nullptr, true, true);
  Parsed p;
  FieldReader r(study, "", p.errs);
  parse_safety_rules(r, "safety_rules", p.rules, p.errs, kInterventions);
  return p;
}

}  // namespace

TEST_CASE("safety_rules: absent means defaults and no rules") {
  auto p = parse_rules("{}");
  CHECK(p.errs.empty());
  CHECK(p.rules.clock_warning_hours == 48);
  CHECK(p.rules.aesi.empty());
  CHECK(p.rules.stopping.empty());
}

TEST_CASE("safety_rules: a valid configuration") {
  auto p = parse_rules(R"({"safety_rules": {
    "clock_warning_hours": 24,
    "aesi": [
      {"id": "pneumonitis", "terms": ["Pneumonitis"], "min_grade": 2,
       "interventions": ["camrelizumab"]},
      {"id": "rild", "terms": ["PROTO-RILD"], "interventions": ["imrt"]},
      {"id": "hepatobiliary", "socs": ["Hepatobiliary disorders"], "min_grade": 3}],
    "clusters": [{"id": "alt", "term": "Alanine aminotransferase increased", "min_grade": 3,
                  "count": 3, "days": 14}],
    "stopping_rules": [
      {"id": "death30", "event": "death_30d_post_surgery", "method": "pocock", "n_max": 30,
       "p_lo": 0.05, "p_hi": 0.20, "alpha": 0.10, "shape": 0},
      {"id": "g3", "event": "grade3plus_related", "interventions": ["camrelizumab", "apatinib"],
       "method": "bayes", "prior": [1, 9], "p0": 0.30, "cutoff": 0.9, "n_max": 30},
      {"id": "cd", "event": "clavien_dindo_3b_plus", "method": "pocock", "n_max": 20,
       "p_lo": 0.1, "p_hi": 0.3, "alpha": 0.1}]
  }})");
  REQUIRE_MESSAGE(p.errs.empty(), p.dump());
  const auto& r = p.rules;
  CHECK(r.clock_warning_hours == 24);
  REQUIRE(r.aesi.size() == 3);
  CHECK(r.aesi[0].min_grade == 2);
  CHECK(r.aesi[1].min_grade == 1);
  CHECK(r.aesi[1].terms == std::vector<std::string>{"PROTO-RILD"});
  CHECK(r.aesi[2].socs == std::vector<std::string>{"Hepatobiliary disorders"});
  CHECK(r.aesi[2].interventions.empty());
  REQUIRE(r.clusters.size() == 1);
  CHECK(r.clusters[0].count == 3);
  CHECK(r.clusters[0].days == 14);
  REQUIRE(r.stopping.size() == 3);
  CHECK(r.stopping[0].event == safety::StoppingEvent::death_30d_post_surgery);
  CHECK(r.stopping[0].method == safety::StoppingMethod::pocock);
  CHECK(r.stopping[0].p_lo == 0.05);
  CHECK(r.stopping[0].p_hi == 0.20);
  CHECK(r.stopping[0].alpha == 0.10);
  CHECK(r.stopping[0].shape == 0);
  CHECK(r.stopping[1].method == safety::StoppingMethod::bayes);
  CHECK(r.stopping[1].prior_a == 1);
  CHECK(r.stopping[1].prior_b == 9);
  CHECK(r.stopping[1].p0 == 0.30);
  CHECK(r.stopping[1].cutoff == 0.9);
  CHECK(r.stopping[1].interventions == std::vector<std::string>{"camrelizumab", "apatinib"});
  CHECK(r.stopping[2].event == safety::StoppingEvent::clavien_dindo_3b_plus);
}

TEST_CASE("safety_rules: every error with its path") {
  auto p = parse_rules(R"({"safety_rules": {
    "clock_warning_hours": 0,
    "colour": "red",
    "aesi": [
      {"id": "a", "terms": ["Pneumonitis", ""], "min_grade": 6, "interventions": ["aspirin"]},
      {"id": "a"},
      {"id": "b", "terms": []},
      "not an object",
      {"id": "c", "terms": ["X"], "extra": 1}],
    "clusters": [{"id": "k", "term": "ALT", "count": 1, "days": 0, "min_grade": 0},
                 {"id": "k2"}],
    "stopping_rules": [
      {"id": "p", "event": "death_30d_post_surgery", "method": "pocock", "n_max": 0,
       "p_lo": 0.3, "p_hi": 0.2, "alpha": 1, "shape": 2, "prior": [1, 1]},
      {"id": "b", "event": "grade3plus_related", "method": "bayes", "n_max": 30,
       "prior": [1, -1], "p0": 0, "cutoff": 1.5, "alpha": 0.1},
      {"id": "b2", "event": "death_30d_post_surgery", "interventions": ["apatinib"],
       "method": "bayes", "n_max": 30, "prior": [1], "p0": 0.2, "cutoff": 0.9},
      {"id": "p", "event": "sometimes", "method": "magic", "n_max": 10, "p_lo": 0.1}]
  }})");
  INFO(p.dump());
  CHECK(p.has("safety_rules.clock_warning_hours", "integer from 1 to 360"));
  CHECK(p.has("safety_rules.colour", "unknown field"));
  CHECK(p.has("safety_rules.aesi.0.terms.1", "non-empty string"));
  CHECK(p.has("safety_rules.aesi.0.min_grade", "from 1 to 5"));
  CHECK(p.has("safety_rules.aesi.0.interventions.0", "'aspirin' is not an intervention"));
  CHECK(p.has("safety_rules.aesi.1.id", "duplicate"));
  CHECK(p.has("safety_rules.aesi.1.terms", "required unless socs"));
  CHECK(p.has("safety_rules.aesi.2.terms", "at least one term or SOC"));
  CHECK(p.has("safety_rules.aesi.3", "must be an object"));
  CHECK(p.has("safety_rules.aesi.4.extra", "unknown field"));
  CHECK(p.has("safety_rules.clusters.0.count", "from 2 to"));
  CHECK(p.has("safety_rules.clusters.0.days", "from 1 to"));
  CHECK(p.has("safety_rules.clusters.0.min_grade", "from 1 to 5"));
  CHECK(p.has("safety_rules.clusters.1.term", "required"));
  CHECK(p.has("safety_rules.clusters.1.count", "required"));
  CHECK(p.has("safety_rules.clusters.1.days", "required"));
  CHECK(p.has("safety_rules.stopping_rules.0.n_max", "from 1 to"));
  CHECK(p.has("safety_rules.stopping_rules.0.p_hi", "greater than p_lo"));
  CHECK(p.has("safety_rules.stopping_rules.0.alpha", "strictly between 0 and 1"));
  CHECK(p.has("safety_rules.stopping_rules.0.shape", "out of range"));
  CHECK(p.has("safety_rules.stopping_rules.0.prior", "only used with method bayes"));
  CHECK(p.has("safety_rules.stopping_rules.1.interventions", "at least one intervention"));
  CHECK(p.has("safety_rules.stopping_rules.1.prior", "two positive numbers"));
  CHECK(p.has("safety_rules.stopping_rules.1.p0", "strictly between 0 and 1"));
  CHECK(p.has("safety_rules.stopping_rules.1.cutoff", "out of range"));
  CHECK(p.has("safety_rules.stopping_rules.1.alpha", "only used with method pocock"));
  CHECK(p.has("safety_rules.stopping_rules.2.interventions", "only used by the event"));
  CHECK(p.has("safety_rules.stopping_rules.2.prior", "two positive numbers"));
  CHECK(p.has("safety_rules.stopping_rules.3.id", "duplicate"));
  CHECK(p.has("safety_rules.stopping_rules.3.event", "must be one of"));
  CHECK(p.has("safety_rules.stopping_rules.3.method", "must be one of: pocock, bayes"));
  // Nothing else: a bad method does not also report its keys as unknown.
  CHECK_FALSE(p.has("safety_rules.stopping_rules.3.p_lo", "unknown"));
  CHECK(p.errs.size() == 31);

  auto q = parse_rules(R"({"safety_rules": []})");
  CHECK(q.has("safety_rules", "must be an object"));
  auto s = parse_rules(R"({"safety_rules": {"aesi": {}, "stopping_rules": [{"id": "x",
    "event": "death_30d_post_surgery", "method": "pocock", "n_max": 5, "p_lo": 0.1,
    "p_hi": 0.2}]}})");
  CHECK(s.has("safety_rules.aesi", "must be an array"));
  CHECK(s.has("safety_rules.stopping_rules.0.alpha", "is required"));
}

TEST_CASE("safety_rules inside a study file: JSON pointers and interventions checked") {
  auto st = parse_study(R"({"id": "s1", "title": "t", "sites": ["S01"],
    "interventions": [{"id": "drug-a", "kind": "drug", "investigational_product": true}],
    "safety_rules": {"aesi": [{"id": "x", "terms": ["Colitis"], "interventions": ["drug-b"]}]}})",
                        "s1.json");
  REQUIRE_FALSE(st);
  CHECK(st.error().message.find(
            "s1.json: /safety_rules/aesi/0/interventions/0: 'drug-b' is not an intervention") !=
        std::string::npos);
  auto ok = parse_study(R"({"id": "s1", "title": "t", "sites": ["S01"],
    "interventions": [{"id": "drug-a", "kind": "drug", "investigational_product": true}],
    "safety_rules": {"clock_warning_hours": 12,
                     "aesi": [{"id": "x", "terms": ["Colitis"], "interventions": ["drug-a"]}]}})",
                        "s1.json");
  REQUIRE_MESSAGE(ok, (ok ? "" : ok.error().message));
  CHECK(ok->rules.clock_warning_hours == 12);
  CHECK(ok->rules.aesi.at(0).id == "x");
}

TEST_CASE("the shipped study's safety rules load, and their boundaries build") {
  auto c = load(std::string(PVMON_SOURCE_DIR) + "/config/pvmond.json");
  REQUIRE_MESSAGE(c, (c ? "" : c.error().message));
  const Study* s = c->study("hcc-pvtt-imrt");
  REQUIRE(s);
  const auto& r = s->rules;
  CHECK(r.clock_warning_hours == 48);
  CHECK(r.aesi.size() == 11);
  REQUIRE(r.clusters.size() == 1);
  CHECK(r.clusters[0].term == "Alanine aminotransferase increased");
  REQUIRE(r.stopping.size() == 2);
  const auto& death = r.stopping[0];
  CHECK(death.method == safety::StoppingMethod::pocock);
  stats::ToxicityDesign td;
  td.n_max = death.n_max;
  td.p_lo = death.p_lo;
  td.p_hi = death.p_hi;
  td.alpha = death.alpha;
  td.shape = death.shape;
  auto tox = stats::toxicity_boundary(td);
  REQUIRE(tox);
  CHECK(tox->rows.size() == 30);
  CHECK(tox->type1_error <= 0.10);
  const auto& g3 = r.stopping[1];
  CHECK(g3.method == safety::StoppingMethod::bayes);
  stats::BayesDesign bd;
  bd.prior_a = g3.prior_a;
  bd.prior_b = g3.prior_b;
  bd.p0 = g3.p0;
  bd.cutoff = g3.cutoff;
  bd.n_max = g3.n_max;
  auto bayes = stats::bayes_boundary(bd);
  REQUIRE(bayes);
  CHECK(bayes->rows.size() == 30);
}

TEST_CASE("safety_rules: the liver rules' settings, FDA's multiples by default, every error with its path") {
  const auto defaults = parse_rules(R"({})");
  CHECK(defaults.rules.hys_law.transaminase_x == 3.0);  // FDA DILI guidance 2009
  CHECK(defaults.rules.hys_law.bilirubin_x == 2.0);
  CHECK(defaults.rules.hys_law.alp_x == 2.0);
  CHECK(defaults.rules.hys_law.window_days == 0);
  CHECK(defaults.rules.lab_without_ae.min_grade == 3);
  CHECK(defaults.rules.lab_without_ae.window_days == 7);
  const auto set = parse_rules(R"({"safety_rules": {
      "hys_law": {"transaminase_x": 5, "bilirubin_x": 2, "alp_x": 3, "window_days": 2},
      "lab_without_ae": {"min_grade": 2, "window_days": 10, "min_grade_by_term": {"Platelet count decreased": 4}}}})");
  CHECK_MESSAGE(set.errs.empty(), set.dump());
  CHECK(set.rules.hys_law.transaminase_x == 5.0);
  CHECK(set.rules.hys_law.alp_x == 3.0);
  CHECK(set.rules.hys_law.window_days == 2);
  CHECK(set.rules.lab_without_ae.min_grade == 2);
  CHECK(set.rules.lab_without_ae.window_days == 10);
  CHECK(set.rules.lab_without_ae.min_grade_by_term.at("Platelet count decreased") == 4);
  const auto bad = parse_rules(R"({"safety_rules": {
      "hys_law": {"transaminase_x": 0.5, "window_days": 99, "alt": 3},
      "lab_without_ae": {"min_grade": 5, "min_grade_by_term": {"Platelets low": 3, "Anemia": 7}}}})");
  CHECK_MESSAGE(bad.has("safety_rules.hys_law.transaminase_x", ""), bad.dump());
  CHECK(bad.has("safety_rules.hys_law.window_days", ""));
  CHECK(bad.has("safety_rules.hys_law.alt", "unknown field"));
  CHECK(bad.has("safety_rules.lab_without_ae.min_grade", ""));
  CHECK(bad.has("safety_rules.lab_without_ae.min_grade_by_term.Platelets low", "not a CTCAE v5.0 term name"));
  CHECK(bad.has("safety_rules.lab_without_ae.min_grade_by_term.Anemia", "grade from 1 to 4"));
}
