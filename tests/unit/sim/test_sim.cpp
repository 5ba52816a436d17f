// The synthetic trial: deterministic, never in the future, and every request one the daemon's
// own validation accepts (the same pure functions pvmond runs).
#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "pvmon/config.hpp"
#include "pvmon/ctcae.hpp"
#include "pvmon/intake.hpp"
#include "pvmon/safety/events.hpp"
#include "pvmon/sim.hpp"

using namespace pvmon;
using nlohmann::json;

namespace {

sim::Options options(std::uint64_t seed, int subjects = 40) {
  sim::Options o;
  o.subjects = subjects;
  o.seed = seed;
  o.today = parse_date("2026-11-30").value();
  o.sites = {"S01", "S02"};
  return o;
}

const config::Study& study() {
  static const config::Study s = [] {
    std::ifstream in(std::string(PVMON_SOURCE_DIR) + "/config/studies/hcc-pvtt-imrt.json");
    std::stringstream ss;
    ss << in.rdbuf();
    auto st = config::parse_study(ss.str(), "hcc-pvtt-imrt.json");
    REQUIRE(st);
    return st.value();
  }();
  return s;
}

const ctcae::Resolver& resolver() {
  static const ctcae::Resolver r = [] {
    std::vector<ctcae::ProtocolTermDef> defs;
    for (const auto& t : study().protocol_terms) {
      ctcae::ProtocolTermDef d{t.code, t.term, t.synonyms, {}, t.definition};
      for (std::size_t g = 0; g < 5 && g < t.grades.size(); ++g) d.grades[g] = t.grades[g];
      defs.push_back(std::move(d));
    }
    auto res = ctcae::Resolver::with_protocol_terms(std::move(defs));
    REQUIRE(res);
    return std::move(res.value());
  }();
  return r;
}

std::string dump(const std::vector<sim::Step>& steps) {
  std::string out;
  for (const auto& s : steps)
    out += format_date(s.day) + " " + s.site + " " + s.body.dump() + " " + std::to_string(s.aware_delay_hours) + "\n";
  return out;
}

}  // namespace

TEST_CASE("the same seed gives the same trial; another seed another") {
  const auto a = sim::plan(options(7)), b = sim::plan(options(7)), c = sim::plan(options(8));
  CHECK(dump(a) == dump(b));
  CHECK(dump(a) != dump(c));
  CHECK(a.size() > 400);
}

TEST_CASE("every request is one pvmond accepts, in an order it accepts") {
  const json drugs = json::array({"camrelizumab", "apatinib"});
  for (std::uint64_t seed : {1, 7, 42}) {
    CAPTURE(seed);
    const auto o = options(seed);
    const auto steps = sim::plan(o);
    std::map<std::string, Date> enrolled, died;
    std::map<std::string, std::vector<safety::SubjectEvent>> events;
    std::map<std::string, std::string> site_of;
    std::set<std::string> reports;
    for (const auto& s : steps) {
      CAPTURE(s.body.dump());
      REQUIRE(s.day <= o.today);
      if (s.kind != sim::StepKind::enrol) {
        REQUIRE(enrolled.count(s.subject));
        CHECK(s.day >= enrolled[s.subject]);
        CHECK(site_of[s.subject] == s.site);
        CHECK_FALSE(died.count(s.subject));  // nothing after the day of death
      }
      switch (s.kind) {
        case sim::StepKind::enrol: {
          auto d = intake::parse_subject(s.body, o.today);
          REQUIRE(d);
          CHECK_FALSE(enrolled.count(s.subject));
          enrolled[s.subject] = s.day;
          site_of[s.subject] = s.site;
          CHECK(s.subject.rfind(s.site + "-", 0) == 0);
          break;
        }
        case sim::StepKind::event: {
          safety::EventContext ctx{enrolled[s.subject], o.today, {"camrelizumab", "apatinib"}, events[s.subject]};
          auto e = safety::validate_event(s.body, ctx);
          if (!e) FAIL_CHECK(std::string(e.error().fields.at(0).field + ": " + e.error().fields.at(0).message));
          else {
            e.value().id = static_cast<std::int64_t>(events[s.subject].size()) + 1;
            events[s.subject].push_back(e.value());
          }
          break;
        }
        case sim::StepKind::ae: {
          json body = s.body;
          body["site_aware_at"] = format_timestamp(start_of(s.day).plus_hours(12));
          auto d = intake::parse_ae(body, {study().intervention_ids()}, start_of(o.today.plus_days(1)),
                                    {true, enrolled[s.subject]});
          if (!d) {
            FAIL_CHECK(std::string(d.error().fields.at(0).field + ": " + d.error().fields.at(0).message));
            break;
          }
          auto c = intake::code_ae(d.value(), resolver(), json::object());
          if (!c) FAIL_CHECK(std::string(c.error().fields.at(0).field + ": " + c.error().fields.at(0).message));
          CHECK(reports.insert(s.report_id).second);
          break;
        }
        case sim::StepKind::followup:
          CHECK(reports.count(s.report_id));  // follows a report already posted
          break;
      }
      if (s.kind == sim::StepKind::event && s.body["kind"] == "death") died[s.subject] = s.day;
    }
  }
}

TEST_CASE("the trial has the shape it claims") {
  // Over 10 seeds of 40 subjects: the regimen's common AEs at about their incidence, a few
  // serious ones, deaths within 30 days of surgery, late reports and follow-ups.
  sim::Summary total;
  std::map<std::string, std::set<std::string>> subjects_with;
  int subjects = 0;
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    const auto steps = sim::plan(options(seed));
    const auto s = sim::summarise(steps);
    subjects += s.subjects;
    total.reports += s.reports;
    total.serious += s.serious;
    total.deaths_30d_post_surgery += s.deaths_30d_post_surgery;
    total.late += s.late;
    total.followups += s.followups;
    total.surgeries += s.surgeries;
    for (const auto& st : steps)
      if (st.kind == sim::StepKind::ae)
        subjects_with[st.body["term"]].insert(std::to_string(seed) + st.subject);
  }
  CHECK(subjects == 400);
  const double hypertension = static_cast<double>(subjects_with["Hypertension"].size()) / subjects;
  CHECK(hypertension == doctest::Approx(0.45).epsilon(0.2));
  const double hfsr = static_cast<double>(subjects_with["Palmar-plantar erythrodysesthesia syndrome"].size()) / subjects;
  CHECK(hfsr == doctest::Approx(0.30).epsilon(0.25));
  CHECK(subjects_with["Reactive cutaneous capillary endothelial proliferation"].size() > 40);
  CHECK(total.surgeries > 330);  // about 8% progress before surgery
  CHECK(total.deaths_30d_post_surgery >= 10);
  CHECK(total.deaths_30d_post_surgery <= 40);
  CHECK(total.serious > 20);
  CHECK(total.late > 0);
  CHECK(total.followups > total.reports / 3);
}

TEST_CASE("the term shapes are CTCAE v5.0 (or protocol) terms with grades that exist") {
  for (const auto& t : sim::term_shapes()) {
    CAPTURE(t.term);
    auto m = resolver().resolve_field(t.term, "term");
    REQUIRE(m);
    double sum = 0;
    for (int g = 0; g < 5; ++g) {
      sum += t.grade_p[g];
      if (t.grade_p[g] > 0) CHECK(ctcae::check_grade(*m.value().term, g + 1));
    }
    CHECK(sum == doctest::Approx(1.0));
    CHECK(t.incidence > 0);
    CHECK(t.incidence <= 1);
  }
}

TEST_CASE("scale mode: each report from (seed, index) alone, valid, within the study's time") {
  sim::ScaleOptions o;
  o.subjects = 50;
  o.reports = 5000;
  o.today = parse_date("2026-11-30").value();
  o.sites = {"S01", "S02"};
  CHECK(sim::scale_report(o, 1234).body == sim::scale_report(o, 1234).body);
  std::set<std::string> ids;
  for (std::int64_t i = 0; i < o.reports; i += 7) {
    const auto s = sim::scale_report(o, i);
    const auto who = sim::scale_enrolment(o, static_cast<int>(i % o.subjects));
    CHECK(s.subject == who.subject);
    CHECK(ids.insert(s.report_id).second);
    json body = s.body;
    body["site_aware_at"] = format_timestamp(start_of(o.today));
    auto d = intake::parse_ae(body, {study().intervention_ids()}, start_of(o.today.plus_days(1)), {true, who.day});
    REQUIRE_MESSAGE(d, body.dump());
    CHECK(intake::code_ae(d.value(), resolver(), json::object()));
  }
}
