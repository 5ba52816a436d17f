// The protocol's Kaplan–Meier endpoints (endpoints.hpp) against R survival, end to end from raw
// dates: tests/fixtures/endpoints/subjects.csv holds 25 subjects' dates (treatment starts,
// surgery, progressions and relapses with their criteria, deaths, last contacts, a few records
// dated after the cut-off); endpoints.R derives each subject's OS, EFS and DFS time and status
// from those dates by the definitions (CLINICAL.md "The protocol's endpoints") on its own, fits
// survfit(Surv(time, status) ~ 1, conf.type = "log") and writes expected.csv. Here the same dates
// become subject events, go through subject_course and endpoints(), and every figure is compared
// with R's to 1e-6. Regenerate expected.csv with `Rscript tests/fixtures/endpoints/endpoints.R`.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "when.hpp"
#include "pvmon/safety/course.hpp"
#include "pvmon/safety/endpoints.hpp"
#include "pvmon/survival.hpp"

using namespace pvmon;
using namespace pvmon::safety;
using nlohmann::json;

using pvmon::test::d;

namespace {

const std::string kDir = std::string(PVMON_SOURCE_DIR) + "/tests/fixtures/endpoints/";
// The cut-off endpoints.R uses (its `cutoff` row is checked against this).
constexpr const char* kCutoff = "2026-06-30";
constexpr double kTol = 1e-6;

/// A comma-separated file without quoting (neither fixture quotes): header, then rows by name.
std::vector<std::map<std::string, std::string>> read_csv(const std::string& path) {
  std::ifstream in(path);
  REQUIRE_MESSAGE(in, "cannot open " << path);
  auto split = [](const std::string& line) {
    std::vector<std::string> out;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) out.push_back(cell);
    if (!line.empty() && line.back() == ',') out.emplace_back();
    return out;
  };
  std::string line;
  REQUIRE(std::getline(in, line));
  const auto header = split(line);
  std::vector<std::map<std::string, std::string>> rows;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const auto cells = split(line);
    REQUIRE_MESSAGE(cells.size() == header.size(), path << ": " << line);
    std::map<std::string, std::string> row;
    for (std::size_t i = 0; i < header.size(); ++i) row[header[i]] = cells[i];
    rows.push_back(std::move(row));
  }
  return rows;
}

// ---- the subjects, as pvmon receives them --------------------------------------------------

struct Subject {
  std::string id;
  Date enrolled;
  std::vector<SubjectEvent> events;
};

std::vector<Subject> subjects() {
  std::vector<Subject> out;
  std::int64_t next_id = 1;
  for (const auto& r : read_csv(kDir + "subjects.csv")) {
    Subject s{r.at("subject"), d(r.at("enrolled")), {}};
    auto add = [&](const char* kind, const std::string& column, json fields) {
      const std::string& date = r.at(column);
      if (date.empty()) return;
      SubjectEvent e;
      e.id = next_id++;
      e.kind = kind;
      e.date = d(date);
      fields["kind"] = kind;
      fields["date"] = date;
      e.fields = std::move(fields);
      s.events.push_back(std::move(e));
    };
    add("drug_start", "drug_start", {{"drug", "camrelizumab"}});
    add("radiotherapy_start", "radiotherapy_start", json::object());
    add("surgery", "surgery", {{"procedure", "hepatectomy"}, {"margin", "R0"}});
    add("progression", "progression", {{"criteria", r.at("progression_criteria")}});
    add("relapse", "relapse", {{"criteria", r.at("relapse_criteria")}});
    add("death", "death", {{"cause", "x"}});
    add("last_known_alive", "last_known_alive", json::object());
    out.push_back(std::move(s));
  }
  return out;
}

/// Courses at `cutoff`; with `drop_after_cutoff` the records dated after it are not passed at all.
std::vector<SubjectCourse> courses(const std::vector<Subject>& subs, Date cutoff, bool drop_after_cutoff = false) {
  std::vector<SubjectCourse> out;
  for (const auto& s : subs) {
    std::vector<SubjectEvent> events;
    for (const auto& e : s.events)
      if (!drop_after_cutoff || e.date <= cutoff) events.push_back(e);
    out.push_back(subject_course(s.id, s.enrolled, events, {}, cutoff));
  }
  return out;
}

// ---- R's figures ----------------------------------------------------------------------------

std::optional<double> num(const std::string& s) {
  if (s == "NA" || s.empty()) return std::nullopt;
  return std::strtod(s.c_str(), nullptr);
}

struct Expected {
  std::string cutoff;
  struct Row {
    std::string subject;
    std::optional<double> time, status, n_risk, n_event, n_censor, surv, std_err, lower, upper;
  };
  // section -> endpoint -> rows in file order
  std::map<std::string, std::map<std::string, std::vector<Row>>> rows;
  const std::vector<Row>& of(const std::string& section, const std::string& endpoint) const {
    static const std::vector<Row> none;
    const auto s = rows.find(section);
    if (s == rows.end()) return none;
    const auto e = s->second.find(endpoint);
    return e == s->second.end() ? none : e->second;
  }
};

const Expected& expected() {
  static const Expected x = [] {
    Expected e;
    for (const auto& r : read_csv(kDir + "expected.csv")) {
      if (r.at("section") == "cutoff") {
        e.cutoff = r.at("subject");
        continue;
      }
      e.rows[r.at("section")][r.at("endpoint")].push_back(
          {r.at("subject"), num(r.at("time")), num(r.at("status")), num(r.at("n_risk")), num(r.at("n_event")),
           num(r.at("n_censor")), num(r.at("surv")), num(r.at("std_err")), num(r.at("lower")), num(r.at("upper"))});
    }
    return e;
  }();
  return x;
}

const Endpoints& computed() {
  static const Endpoints e = endpoints(courses(subjects(), d(kCutoff)), d(kCutoff));
  return e;
}

const SurvivalEndpoint& endpoint_of(const Endpoints& e, const std::string& name) {
  return name == "OS" ? e.os : name == "EFS" ? e.efs : e.dfs;
}

std::string show(std::optional<double> v, const char* missing) {
  if (!v) return missing;
  std::ostringstream os;
  os.precision(15);
  os << *v;
  return os.str();
}

void check_near(const char* what, std::optional<double> pvmon, std::optional<double> r) {
  const std::string message = std::string(what) + ": pvmon " + show(pvmon, "none") + ", R " + show(r, "NA");
  INFO(message);
  REQUIRE(pvmon.has_value() == r.has_value());
  if (pvmon) CHECK(std::abs(*pvmon - *r) <= kTol);
}

const char* const kEndpoints[] = {"OS", "EFS", "DFS"};

}  // namespace

TEST_CASE("endpoints vs R: the fixture's cut-off and counts") {
  REQUIRE(expected().cutoff == kCutoff);
  const auto& e = computed();
  CHECK(e.enrolled == 25);
  CHECK(e.treated == static_cast<int>(expected().of("subject", "OS").size()));
  CHECK(e.operated == static_cast<int>(expected().of("subject", "DFS").size()));
  CHECK(e.treated == 24);
  CHECK(e.operated == 9);
}

TEST_CASE("endpoints vs R: each subject's time and status, and who is left out") {
  const auto& e = computed();
  for (const std::string ep : kEndpoints) {
    CAPTURE(ep);
    const auto& mine = endpoint_of(e, ep);
    const auto& r = expected().of("subject", ep);
    REQUIRE(mine.times.size() == r.size());
    for (std::size_t i = 0; i < r.size(); ++i) {
      CAPTURE(r[i].subject);
      CHECK(mine.times[i].subject == r[i].subject);
      CHECK(mine.times[i].days == static_cast<int>(*r[i].time));
      CHECK(mine.times[i].event == (*r[i].status == 1));
      CHECK(mine.times[i].event_ref.empty() == !mine.times[i].event);
    }
    std::vector<std::string> r_excluded;
    for (const auto& x : expected().of("excluded", ep)) r_excluded.push_back(x.subject);
    CHECK(mine.excluded == r_excluded);
  }
  // The never-treated subject is out of OS and EFS (never censored at 0); the non-operated out
  // of DFS.
  CHECK(e.not_treated == std::vector<std::string>{"S06"});
  CHECK(e.os.excluded == std::vector<std::string>{"S06"});
  CHECK(e.efs.excluded == std::vector<std::string>{"S06"});
  CHECK(e.dfs.excluded.size() == 16);
}

TEST_CASE("endpoints vs R: every Kaplan–Meier step (summary(fit, censored = TRUE))") {
  const auto& e = computed();
  for (const std::string ep : kEndpoints) {
    CAPTURE(ep);
    const auto& mine = endpoint_of(e, ep);
    REQUIRE(mine.km.has_value());
    const auto& r = expected().of("step", ep);
    REQUIRE(mine.km->steps.size() == r.size());
    CHECK(mine.km->n == static_cast<int>(mine.times.size()));
    for (std::size_t i = 0; i < r.size(); ++i) {
      const auto& s = mine.km->steps[i];
      CAPTURE(s.time);
      check_near("time", s.time, r[i].time);
      CHECK(s.n_risk == static_cast<int>(*r[i].n_risk));
      CHECK(s.n_event == static_cast<int>(*r[i].n_event));
      CHECK(s.n_censor == static_cast<int>(*r[i].n_censor));
      check_near("survival", s.survival, r[i].surv);
      check_near("std_err", s.std_err, r[i].std_err);
      check_near("ci_log.lower", s.ci_log ? std::optional(s.ci_log->lower) : std::nullopt, r[i].lower);
      check_near("ci_log.upper", s.ci_log ? std::optional(s.ci_log->upper) : std::nullopt, r[i].upper);
    }
  }
}

TEST_CASE("endpoints vs R: the 12-month estimates (summary(fit, times = 365.25))") {
  const auto& e = computed();
  for (const std::string ep : kEndpoints) {
    CAPTURE(ep);
    const auto& mine = endpoint_of(e, ep);
    const auto& r = expected().of("at12", ep);
    REQUIRE(r.size() == 1);
    const auto at = mine.at_months(kPrimaryEndpointMonths);
    REQUIRE(at.has_value());
    check_near("time", at->time, r[0].time);
    CHECK(at->n_risk == static_cast<int>(*r[0].n_risk));
    check_near("survival", at->survival, r[0].surv);
    check_near("std_err", at->std_err, r[0].std_err);
    check_near("ci_log.lower", at->ci_log ? std::optional(at->ci_log->lower) : std::nullopt, r[0].lower);
    check_near("ci_log.upper", at->ci_log ? std::optional(at->ci_log->upper) : std::nullopt, r[0].upper);
    // R's n.event there: the events up to 12 months.
    int events = 0;
    for (const auto& t : mine.times) events += (t.event && t.days <= 365.25) ? 1 : 0;
    CHECK(events == static_cast<int>(*r[0].n_event));
  }
  // The primary endpoint is the EFS estimate at 12 months.
  const auto& r = expected().of("at12", "EFS");
  REQUIRE(e.efs_12_months.has_value());
  CHECK(e.efs_12_months->n_risk == static_cast<int>(*r[0].n_risk));
  check_near("efs_12_months.survival", e.efs_12_months->survival, r[0].surv);
  check_near("efs_12_months.std_err", e.efs_12_months->std_err, r[0].std_err);
  REQUIRE(e.efs_12_months->ci_log.has_value());
  check_near("efs_12_months.ci_log.lower", e.efs_12_months->ci_log->lower, r[0].lower);
  check_near("efs_12_months.ci_log.upper", e.efs_12_months->ci_log->upper, r[0].upper);
  CHECK(e.efs_12_months->n_risk >= 5);  // several at risk at the landmark
}

TEST_CASE("endpoints vs R: the medians and their CI (quantile(fit, 0.5))") {
  const auto& e = computed();
  for (const std::string ep : kEndpoints) {
    CAPTURE(ep);
    const auto& mine = endpoint_of(e, ep);
    REQUIRE(mine.km.has_value());
    const auto& r = expected().of("median", ep);
    REQUIRE(r.size() == 1);
    const auto m = stats::km_median(*mine.km);
    check_near("median", m.time, r[0].time);
    check_near("median lower", m.lower, r[0].lower);
    check_near("median upper", m.upper, r[0].upper);
  }
}

TEST_CASE("endpoints vs R: records dated after the cut-off change nothing") {
  const auto subs = subjects();
  const Date cutoff = d(kCutoff);
  int after = 0;
  for (const auto& s : subs)
    for (const auto& e : s.events) after += e.date > cutoff ? 1 : 0;
  REQUIRE(after >= 2);  // the fixture has some (a death, a relapse, a last contact)

  const auto& with = computed();
  const auto without = endpoints(courses(subs, cutoff, /*drop_after_cutoff=*/true), cutoff);
  for (const std::string ep : kEndpoints) {
    CAPTURE(ep);
    const auto& a = endpoint_of(with, ep);
    const auto& b = endpoint_of(without, ep);
    REQUIRE(a.times.size() == b.times.size());
    for (std::size_t i = 0; i < a.times.size(); ++i) {
      CAPTURE(a.times[i].subject);
      CHECK(a.times[i].subject == b.times[i].subject);
      CHECK(a.times[i].days == b.times[i].days);
      CHECK(a.times[i].event == b.times[i].event);
    }
    CHECK(a.excluded == b.excluded);
    REQUIRE(a.km.has_value());
    REQUIRE(b.km.has_value());
    REQUIRE(a.km->steps.size() == b.km->steps.size());
    for (std::size_t i = 0; i < a.km->steps.size(); ++i) {
      CHECK(a.km->steps[i].time == b.km->steps[i].time);
      CHECK(a.km->steps[i].survival == b.km->steps[i].survival);
    }
  }

  // And those records are live ones: at a later cut-off they count (S15's death, S16's mRECIST
  // relapse, S17's last contact), so the comparison above is not vacuous.
  const Date later = d("2026-12-31");
  const auto late = endpoints(courses(subs, later), later);
  auto time_of = [](const SurvivalEndpoint& ep, const std::string& subject) {
    for (const auto& t : ep.times)
      if (t.subject == subject) return t;
    FAIL("no time for " << subject);
    return EndpointTime{};
  };
  CHECK(time_of(late.os, "S15").event);
  CHECK_FALSE(time_of(with.os, "S15").event);
  CHECK(time_of(late.dfs, "S16").event);
  CHECK_FALSE(time_of(with.dfs, "S16").event);
  CHECK(time_of(late.os, "S17").days > time_of(with.os, "S17").days);
}
