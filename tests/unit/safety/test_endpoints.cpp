// The protocol's efficacy endpoints (response.hpp, endpoints.hpp): the response rules in every
// branch, time zero, censoring, DFS for operated subjects only, MPR at exactly 10 %, and a small
// cohort whose Kaplan–Meier figures were computed with R's survival package (commands beside
// them). Expected values are worked from CLINICAL.md "The protocol's endpoints", not taken from
// the code's own output.
#include <doctest/doctest.h>

#include <algorithm>

#include "when.hpp"
#include "pvmon/safety/endpoints.hpp"

using namespace pvmon;
using namespace pvmon::safety;
using nlohmann::json;

using namespace pvmon::test;

namespace {

SubjectEvent ev(std::int64_t id, const char* kind, const char* date, json extra = json::object()) {
  SubjectEvent e;
  e.id = id;
  e.kind = kind;
  e.date = d(date);
  e.fields = std::move(extra);
  e.fields["kind"] = kind;
  e.fields["date"] = date;
  return e;
}

using C = ChengType;
using R = Response;

}  // namespace

TEST_CASE("the PVTT's response by Cheng's type and portal flow (the protocol)") {
  // Downstaging is PR, upstaging PD, otherwise SD; a conspicuous restoration of portal flow is PR.
  CHECK(pvtt_response(C::III, C::II, std::nullopt) == R::PR);
  CHECK(pvtt_response(C::II, C::none, std::nullopt) == R::PR);  // no thrombus left
  CHECK(pvtt_response(C::I, C::I0, false) == R::PR);
  CHECK(pvtt_response(C::II, C::III, std::nullopt) == R::PD);
  CHECK(pvtt_response(C::III, C::IV, true) == R::PD);  // upstaging wins over a restored flow
  CHECK(pvtt_response(C::II, C::II, std::nullopt) == R::SD);
  CHECK(pvtt_response(C::II, C::II, false) == R::SD);
  CHECK(pvtt_response(C::II, C::II, true) == R::PR);
  CHECK(pvtt_response(std::nullopt, std::nullopt, true) == R::PR);
  CHECK(pvtt_response(std::nullopt, std::nullopt, false) == R::SD);
  CHECK(pvtt_response(std::nullopt, std::nullopt, std::nullopt) == R::NE);
}

TEST_CASE("the overall response: PD if either is PD, PR if either is PR and the other SD, RECIST 1.1 elsewhere") {
  const R all[] = {R::CR, R::PR, R::SD, R::PD, R::NE};
  // Either PD: PD, whatever the other (the protocol's first clause).
  for (R other : all) {
    CAPTURE(to_string(other));
    CHECK(overall_response(R::PD, other, C::II) == R::PD);
    CHECK(overall_response(other, R::PD, C::IV) == R::PD);
  }
  // PR with SD either way, and PR with PR: PR (the protocol's second clause).
  CHECK(overall_response(R::PR, R::SD, C::II) == R::PR);
  CHECK(overall_response(R::SD, R::PR, C::I) == R::PR);
  CHECK(overall_response(R::PR, R::PR, C::I) == R::PR);
  CHECK(overall_response(R::SD, R::SD, C::II) == R::SD);
  // RECIST 1.1 table 1 (the PVTT as the non-target lesion): CR only with no thrombus left.
  CHECK(overall_response(R::CR, R::PR, C::none) == R::CR);
  CHECK(overall_response(R::CR, R::PR, C::I0) == R::PR);
  CHECK(overall_response(R::CR, R::SD, C::II) == R::PR);
  CHECK(overall_response(R::CR, R::SD, std::nullopt) == R::PR);  // flow finding only: a thrombus remains
  // Not evaluable without both, unless the other is PD.
  CHECK(overall_response(R::NE, R::PR, C::I) == R::NE);
  CHECK(overall_response(R::SD, R::NE, std::nullopt) == R::NE);
  CHECK(overall_response(R::CR, R::NE, std::nullopt) == R::NE);
}

TEST_CASE("an assessment event gives its overall response; the best response is the best of them") {
  const auto a = assessment_of(ev(3, "response_assessment", "2026-02-01",
                                  {{"primary", "SD"}, {"pvtt_before", "III"}, {"pvtt_now", "II"}}));
  CHECK(a.event == 3);
  CHECK(a.primary == R::SD);
  CHECK(a.pvtt == R::PR);
  CHECK(a.overall == R::PR);
  const auto flow = assessment_of(ev(4, "response_assessment", "2026-02-01", {{"primary", "SD"}, {"portal_flow_restored", true}}));
  CHECK(flow.overall == R::PR);
  CHECK(best_overall_response({}) == std::nullopt);
  CHECK(best_overall_response({{1, d("2026-02-01"), R::SD, R::PR, R::PR}, {2, d("2026-03-01"), R::SD, R::SD, R::SD}}) == R::PR);
  CHECK(best_overall_response({{1, d("2026-02-01"), R::SD, R::SD, R::SD}, {2, d("2026-03-01"), R::PD, R::SD, R::PD}}) == R::SD);
  CHECK(best_overall_response({{1, d("2026-02-01"), R::NE, R::SD, R::NE}}) == R::NE);
}

TEST_CASE("major pathological response: at most 10 % viable tumour, 10 % itself included") {
  CHECK(Pathology{1, d("2026-03-01"), 10.0, "R0"}.mpr());
  CHECK(Pathology{1, d("2026-03-01"), 0.0, "R0"}.mpr());
  CHECK_FALSE(Pathology{1, d("2026-03-01"), 10.1, "R0"}.mpr());
}

TEST_CASE("time zero is the first drug or radiotherapy start, whichever is first") {
  CHECK(treatment_start({}) == std::nullopt);
  CHECK(treatment_start({ev(1, "withdrawal", "2026-01-03")}) == std::nullopt);
  CHECK(treatment_start({ev(1, "radiotherapy_start", "2026-01-05"), ev(2, "drug_start", "2026-01-04", {{"drug", "apatinib"}})}) ==
        d("2026-01-04"));
  CHECK(treatment_start({ev(1, "drug_start", "2026-01-09", {{"drug", "apatinib"}}), ev(2, "radiotherapy_start", "2026-01-05")}) ==
        d("2026-01-05"));
}

namespace {

/// Six subjects, cut-off 2027-12-31 (days computed with Python's date arithmetic):
///  A  drug 2026-01-04 (radiotherapy 01-05: time zero 01-04); assessment 02-01 PR (primary PR,
///     PVTT II->II); surgery 02-20 R0; pathology 02-20, 10 % viable (MPR), R0; relapse by
///     mRECIST 08-01; alive 2027-06-01.  EFS 209 event, OS 513 censored, DFS 162 event.
///  B  drug 2026-02-03; assessment 03-01 primary SD, PVTT III->IV (PD): overall PD, an EFS
///     event; a clinical progression 03-10 (not the protocol's criteria); death 06-01.
///     EFS 26 event, OS 118 event; not operated: no DFS.
///  C  enrolled 2026-03-01, never treated (withdrew 03-10): no time zero, in no endpoint.
///  D  drug 2026-03-02; surgery 04-15 R0, pathology 04-15 40 % viable, R1 (the pathology's
///     margin counts); death 05-01; no assessment.  EFS 60 event, OS 60 event, DFS 16 event.
///  E  radiotherapy 2026-01-02; alive 2027-03-01; a progression on 2028-01-10, after the
///     cut-off (ignored).  EFS and OS 423 censored.
///  F  drug 2026-04-02; progression by mRECIST 05-01 (before surgery: EFS, not DFS); surgery
///     05-20 R0, no pathology yet; alive 2027-05-20.  EFS 29 event, OS 413 censored, DFS 365
///     censored.
std::vector<SubjectCourse> cohort() {
  const Date cut = d("2027-12-31");
  const json camrelizumab{{"drug", "camrelizumab"}};
  const json r0{{"procedure", "hepatectomy"}, {"margin", "R0"}};
  std::vector<SubjectCourse> out;
  out.push_back(subject_course(
      "A", d("2026-01-01"),
      {ev(1, "radiotherapy_start", "2026-01-05"), ev(2, "drug_start", "2026-01-04", camrelizumab),
       ev(3, "response_assessment", "2026-02-01", {{"primary", "PR"}, {"pvtt_before", "II"}, {"pvtt_now", "II"}}),
       ev(4, "surgery", "2026-02-20", r0),
       ev(5, "pathology", "2026-02-20", {{"viable_tumour_percent", 10}, {"margin", "R0"}}),
       ev(6, "relapse", "2026-08-01", {{"criteria", "mRECIST"}}), ev(7, "last_known_alive", "2027-06-01")},
      {}, cut));
  out.push_back(subject_course(
      "B", d("2026-02-01"),
      {ev(11, "drug_start", "2026-02-03", camrelizumab),
       ev(12, "response_assessment", "2026-03-01", {{"primary", "SD"}, {"pvtt_before", "III"}, {"pvtt_now", "IV"}}),
       ev(13, "progression", "2026-03-10", {{"criteria", "clinical"}}), ev(14, "death", "2026-06-01", {{"cause", "tumour"}})},
      {}, cut));
  out.push_back(subject_course("C", d("2026-03-01"), {ev(21, "withdrawal", "2026-03-10")}, {}, cut));
  out.push_back(subject_course(
      "D", d("2026-03-01"),
      {ev(31, "drug_start", "2026-03-02", camrelizumab), ev(32, "surgery", "2026-04-15", r0),
       ev(33, "pathology", "2026-04-15", {{"viable_tumour_percent", 40}, {"margin", "R1"}}),
       ev(34, "death", "2026-05-01", {{"cause", "liver failure"}})},
      {}, cut));
  out.push_back(subject_course("E", d("2026-01-01"),
                               {ev(41, "radiotherapy_start", "2026-01-02"), ev(42, "last_known_alive", "2027-03-01"),
                                ev(43, "progression", "2028-01-10", {{"criteria", "mRECIST"}})},
                               {}, cut));
  out.push_back(subject_course("F", d("2026-04-01"),
                               {ev(51, "drug_start", "2026-04-02", camrelizumab),
                                ev(52, "progression", "2026-05-01", {{"criteria", "mRECIST"}}),
                                ev(53, "surgery", "2026-05-20", r0), ev(54, "last_known_alive", "2027-05-20")},
                               {}, cut));
  return out;
}

const SubjectEndpoints& row(const Endpoints& e, const char* subject) {
  auto it = std::find_if(e.subjects.begin(), e.subjects.end(), [&](const auto& s) { return s.subject == subject; });
  REQUIRE(it != e.subjects.end());
  return *it;
}

}  // namespace

TEST_CASE("endpoints of a cohort: times, censoring, exclusions, rates") {
  const auto courses = cohort();
  const auto e = endpoints(courses, d("2027-12-31"));
  CHECK(e.enrolled == 6);
  CHECK(e.treated == 5);
  CHECK(e.operated == 3);
  CHECK(e.not_treated == std::vector<std::string>{"C"});
  CHECK(e.os.excluded == std::vector<std::string>{"C"});
  CHECK(e.efs.excluded == std::vector<std::string>{"C"});
  CHECK(e.dfs.excluded == std::vector<std::string>{"B", "C", "E"});

  auto time = [](const std::optional<EndpointTime>& t) { return t ? std::make_pair(t->days, t->event) : std::make_pair(-1, false); };
  CHECK(row(e, "A").treatment_start == d("2026-01-04"));
  CHECK(time(row(e, "A").efs) == std::make_pair(209, true));
  CHECK(row(e, "A").efs->event_ref == "event 6 (relapse, mRECIST)");
  CHECK(time(row(e, "A").os) == std::make_pair(513, false));
  CHECK(time(row(e, "A").dfs) == std::make_pair(162, true));
  CHECK(time(row(e, "B").efs) == std::make_pair(26, true));
  CHECK(row(e, "B").efs->event_ref == "event 12 (response assessment: PD)");
  CHECK(time(row(e, "B").os) == std::make_pair(118, true));
  CHECK_FALSE(row(e, "B").dfs);
  REQUIRE(row(e, "B").other_progressions.size() == 1);
  CHECK(row(e, "B").other_progressions[0].ref == "event 13 (progression, clinical)");
  CHECK_FALSE(row(e, "C").os);
  CHECK_FALSE(row(e, "C").efs);
  CHECK(time(row(e, "D").efs) == std::make_pair(60, true));
  CHECK(time(row(e, "D").dfs) == std::make_pair(16, true));
  CHECK(row(e, "D").margin == Margin::R1);
  CHECK(time(row(e, "E").efs) == std::make_pair(423, false));  // the 2028 progression is after the cut-off
  CHECK(time(row(e, "F").efs) == std::make_pair(29, true));
  CHECK(time(row(e, "F").os) == std::make_pair(413, false));
  CHECK(time(row(e, "F").dfs) == std::make_pair(365, false));  // the pre-operative progression is not a DFS event

  // MPR: A (10 %, exactly the limit) of A and D; F's pathology is missing. Clopper–Pearson 1/2:
  // qbeta(0.025, 1, 2) = 0.01258, qbeta(0.975, 2, 1) = 0.98742.
  CHECK(e.mpr.events == 1);
  CHECK(e.mpr.n == 2);
  CHECK(e.mpr.ci.lower == doctest::Approx(0.012579).epsilon(1e-4));
  CHECK(e.mpr.ci.upper == doctest::Approx(0.987421).epsilon(1e-4));
  CHECK(e.pathology_missing == std::vector<std::string>{"F"});
  // ORR: A (PR) of A and B (PD); D, E and F treated, not assessed.
  CHECK(e.orr.events == 1);
  CHECK(e.orr.n == 2);
  CHECK(e.not_assessed == std::vector<std::string>{"D", "E", "F"});
  CHECK(e.best_response[static_cast<int>(R::PR)] == 1);
  CHECK(e.best_response[static_cast<int>(R::PD)] == 1);
  CHECK(e.best_response[static_cast<int>(R::CR)] == 0);

  // The pathology's R1 against the surgery's R0 is a query for the site, not a death query
  // (D's death without a fatal SAE report is the other, a death query).
  std::vector<CourseQuery> qd;
  for (const auto& q : courses[3].queries)
    if (q.kind != QueryKind::fatal_sae_missing) qd.push_back(q);
  REQUIRE(qd.size() == 1);
  CHECK(qd[0].kind == QueryKind::margins_differ);
  CHECK_FALSE(death_query(qd[0].kind));
  CHECK(qd[0].text.find("margin R0") != std::string::npos);
}

TEST_CASE("endpoints of a cohort: Kaplan–Meier at 12 months and medians, as R's survival computes them") {
  // R:  library(survival)
  //     efs <- data.frame(time = c(209, 26, 60, 423, 29), status = c(1, 1, 1, 0, 1))
  //     os  <- data.frame(time = c(513, 118, 60, 423, 413), status = c(0, 1, 1, 0, 0))
  //     f <- survfit(Surv(time, status) ~ 1, data = efs, conf.type = "log")
  //     summary(f, times = 365.25)  # n.risk 1, surv 0.2, std.err 0.17888544, 0.034649119-1
  //     quantile(f, 0.5)             # 60, lower 29, upper NA
  //     summary(survfit(Surv(time, status) ~ 1, data = os), times = 365.25)
  //                                  # n.risk 3, surv 0.6, std.err 0.21908902, 0.29331643-1
  //     quantile(survfit(Surv(time, status) ~ 1, data = os), 0.5)   # NA, lower 118, upper NA
  const auto e = endpoints(cohort(), d("2027-12-31"));
  REQUIRE(e.efs_12_months);
  CHECK(e.efs_12_months->survival == doctest::Approx(0.2));
  CHECK(e.efs_12_months->n_risk == 1);
  CHECK(*e.efs_12_months->std_err == doctest::Approx(0.17888544));
  CHECK(e.efs_12_months->ci_log->lower == doctest::Approx(0.034649119));
  CHECK(e.efs_12_months->ci_log->upper == doctest::Approx(1.0));
  CHECK(e.efs.events() == 4);
  REQUIRE(e.efs.median);
  CHECK(e.efs.median->time == doctest::Approx(60));
  CHECK(e.efs.median->lower == doctest::Approx(29));
  CHECK_FALSE(e.efs.median->upper);
  const auto os = e.os.at_months(12);
  REQUIRE(os);
  CHECK(os->survival == doctest::Approx(0.6));
  CHECK(os->n_risk == 3);
  CHECK(*os->std_err == doctest::Approx(0.21908902));
  CHECK(os->ci_log->lower == doctest::Approx(0.29331643));
  CHECK_FALSE(e.os.median->time);
  CHECK(e.os.median->lower == doctest::Approx(118));
  // DFS: 162 and 16 events, 365 censored: 12 months (365.25 days) is past the last observation.
  CHECK(e.dfs.times.size() == 3);
  CHECK(e.dfs.events() == 2);
  CHECK_FALSE(e.dfs.at_months(12));
}

TEST_CASE("no subject treated: no estimate, nothing counted as censored at 0") {
  const Date cut = d("2026-06-30");
  const auto e = endpoints({subject_course("X", d("2026-03-01"), {ev(1, "last_known_alive", "2026-05-01")}, {}, cut)}, cut);
  CHECK(e.treated == 0);
  CHECK(e.os.times.empty());
  CHECK_FALSE(e.os.km);
  CHECK_FALSE(e.efs_12_months);
  CHECK(e.orr.n == 0);
  CHECK(e.not_assessed.empty());  // only treated subjects are awaited
}
