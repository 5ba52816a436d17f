#include <doctest/doctest.h>

#include <filesystem>
#include <algorithm>
#include <random>

#include "when.hpp"
#include "pvmon/service/dsmb.hpp"
#include "pvmon/service/figures.hpp"
#include "pvmon/service/scheduler.hpp"

using namespace pvmon;
namespace fs = std::filesystem;

using namespace pvmon::test;

namespace {

/// A study due every day at 08:00 UTC from 2026-03-01, and a database folder of its own.
struct Fixture {
  fs::path dir;
  std::shared_ptr<const service::Runtime> rt;
  FakeClock clock{ts("2026-03-01T06:00:00Z")};

  Fixture() {
    dir = fs::temp_directory_path() / ("pvmon-dsmb-" + std::to_string(std::random_device{}()));
    fs::create_directories(dir);
    auto st = config::parse_study(R"({"id": "s1", "title": "Study one", "sites": ["S01"],
      "interventions": [{"id": "d", "kind": "drug", "investigational_product": true}],
      "dsmb_schedule": {"every_days": 1, "at": "08:00", "starting": "2026-03-01"}})", "s1.json");
    REQUIRE_MESSAGE(st, (st ? "" : st.error().message));
    config::Config c;
    c.studies["s1"] = st.value();
    auto r = service::make_runtime(c);
    REQUIRE(r);
    rt = r.value();
  }
  ~Fixture() { fs::remove_all(dir); }

  /// A daemon start: open the database, record the protocol, run one scheduler pass, stop.
  std::vector<store::DsmbReportRow> start_and_tick() {
    auto s = store::Store::open(store::Options{(dir / "pvmon.db").string()}, clock);
    REQUIRE(s);
    const auto& st = rt->config->studies.at("s1");
    REQUIRE(s.value()->record_protocol("s1", st.sha256, st.text));
    auto built = service::run_dsmb_schedule({*rt, *s.value(), clock});
    s.value()->close();
    return built;
  }

  std::vector<store::DsmbReportRow> stored() {
    auto s = store::Store::open(store::Options{(dir / "pvmon.db").string()}, clock);
    REQUIRE(s);
    auto rows = s.value()->list_dsmb_reports("s1");
    REQUIRE(rows);
    return rows.value();
  }
};

}  // namespace

TEST_CASE("DSMB schedule: restarts before, at and after a due time neither skip nor repeat") {
  Fixture f;
  // Before the first due time (08:00): nothing.
  CHECK(f.start_and_tick().empty());
  f.clock.set(ts("2026-03-01T07:59:59.999Z"));
  CHECK(f.start_and_tick().empty());

  // At the due time exactly: one report, cut-off = the due date (its end), as-of = the build.
  f.clock.set(ts("2026-03-01T08:00:00Z"));
  auto built = f.start_and_tick();
  REQUIRE(built.size() == 1);
  CHECK(built[0].number == 1);
  CHECK(format_timestamp(built[0].cutoff) == "2026-03-01T23:59:59.999Z");
  CHECK(format_timestamp(built[0].as_of) == "2026-03-01T08:00:00.000Z");
  CHECK_FALSE(built[0].previous_cutoff);
  CHECK(built[0].trigger == "scheduled");
  CHECK(built[0].generated_by == "pvmond");

  // Restarting at once, and later the same day: nothing new.
  CHECK(f.start_and_tick().empty());
  f.clock.set(ts("2026-03-01T23:00:00Z"));
  CHECK(f.start_and_tick().empty());

  // Down from before the 2nd until after the 4th due time: one report, for the latest (the 4th),
  // covering the whole period since the last one.
  f.clock.set(ts("2026-03-04T09:30:00Z"));
  built = f.start_and_tick();
  REQUIRE(built.size() == 1);
  CHECK(built[0].number == 2);
  CHECK(format_timestamp(built[0].cutoff) == "2026-03-04T23:59:59.999Z");
  CHECK(format_timestamp(built[0].as_of) == "2026-03-04T09:30:00.000Z");
  REQUIRE(built[0].previous_cutoff);
  CHECK(format_timestamp(*built[0].previous_cutoff) == "2026-03-01T23:59:59.999Z");
  CHECK(f.start_and_tick().empty());

  // Just after the next due time.
  f.clock.set(ts("2026-03-05T08:00:00.001Z"));
  built = f.start_and_tick();
  REQUIRE(built.size() == 1);
  CHECK(format_timestamp(built[0].cutoff) == "2026-03-05T23:59:59.999Z");
  CHECK(format_timestamp(built[0].as_of) == "2026-03-05T08:00:00.001Z");

  const auto rows = f.stored();
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].number == 3);  // newest first
  CHECK(rows[2].number == 1);
}

TEST_CASE("DSMB schedule: a study first seen after a due time waits for the next one") {
  Fixture f;
  // First seen at 09:00, after that day's 08:00: the 08:00 report predates the study here.
  f.clock.set(ts("2026-03-01T09:00:00Z"));
  CHECK(f.start_and_tick().empty());
  f.clock.set(ts("2026-03-02T07:00:00Z"));
  CHECK(f.start_and_tick().empty());
  f.clock.set(ts("2026-03-02T08:00:00Z"));
  auto built = f.start_and_tick();
  REQUIRE(built.size() == 1);
  CHECK(format_timestamp(built[0].cutoff) == "2026-03-02T23:59:59.999Z");
}

TEST_CASE("DSMB reports: same (cut-off, as-of), same bytes; a later as-of is a new report; a manual report moves the schedule on") {
  Fixture f;
  f.clock.set(ts("2026-03-01T12:00:00Z"));
  auto s = store::Store::open(store::Options{(f.dir / "pvmon.db").string()}, f.clock);
  REQUIRE(s);
  const auto& st = f.rt->config->studies.at("s1");
  REQUIRE(s.value()->record_protocol("s1", st.sha256, st.text));
  auto pair = [](const char* cutoff, const char* as_of) {
    return service::DataCutoff{parse_date(cutoff).value(), ts(as_of)};
  };
  const auto p1 = pair("2026-02-28", "2026-03-01T10:00:00Z");
  auto a = service::build_dsmb_report(*f.rt, st, *s.value(), p1, "manual");
  auto b = service::build_dsmb_report(*f.rt, st, *s.value(), p1, "manual");
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->body == b->body);
  CHECK(a->sha256 == b->sha256);
  const auto header = nlohmann::json::parse(a->body)["header"];
  CHECK(header["schema"] == "pvmon.dsmb-report/4");
  CHECK(header["data_cutoff"] == "2026-02-28");
  CHECK(header["as_of"] == "2026-03-01T10:00:00.000Z");
  CHECK(header["period"] == nlohmann::json{{"from", nullptr}, {"to", "2026-02-28"}});
  auto made = service::make_dsmb_report(*f.rt, st, *s.value(), p1, "manual", {"officer", ""});
  REQUIRE(made);
  CHECK(made->created);
  CHECK(made->row.sha256 == a->sha256);
  CHECK(format_timestamp(made->row.cutoff) == "2026-02-28T23:59:59.999Z");
  CHECK(made->row.as_of == p1.as_of);
  // Asking again for the same pair returns the stored one.
  auto again = service::make_dsmb_report(*f.rt, st, *s.value(), p1, "manual", {"officer", ""});
  REQUIRE(again);
  CHECK_FALSE(again->created);
  CHECK(again->row.id == made->row.id);
  // An earlier cut-off than the latest report's is refused; so is the same cut-off from an
  // earlier database state. Each names the field and the latest report.
  auto earlier = service::make_dsmb_report(*f.rt, st, *s.value(), pair("2026-02-27", "2026-03-01T11:00:00Z"),
                                           "manual", {"officer", ""});
  REQUIRE_FALSE(earlier);
  CHECK(earlier.error().code == Errc::conflict);
  CHECK(earlier.error().fields.at(0).field == "cutoff");
  CHECK(earlier.error().message.find("#1") != std::string::npos);
  auto older = service::make_dsmb_report(*f.rt, st, *s.value(), pair("2026-02-28", "2026-03-01T09:00:00Z"),
                                         "manual", {"officer", ""});
  REQUIRE_FALSE(older);
  CHECK(older.error().code == Errc::conflict);
  CHECK(older.error().fields.at(0).field == "as_of");
  // The same cut-off from a later as-of: a new number, over the same period.
  const auto p2 = pair("2026-02-28", "2026-03-01T11:00:00Z");
  auto reissued = service::make_dsmb_report(*f.rt, st, *s.value(), p2, "manual", {"officer", ""});
  REQUIRE(reissued);
  CHECK(reissued->created);
  CHECK(reissued->row.number == 2);
  CHECK_FALSE(reissued->row.previous_cutoff);
  CHECK(reissued->row.sha256 != made->row.sha256);  // another as-of in its header
  // A later cut-off: its period starts at the previous cut-off.
  auto next = service::make_dsmb_report(*f.rt, st, *s.value(), pair("2026-03-01", "2026-03-01T11:30:00Z"),
                                        "manual", {"officer", ""});
  REQUIRE(next);
  CHECK(next->row.number == 3);
  REQUIRE(next->row.previous_cutoff);
  CHECK(format_timestamp(*next->row.previous_cutoff) == "2026-02-28T23:59:59.999Z");
  // Rebuilding a stored one after others exist still gives its bytes and number.
  auto rebuilt = service::build_dsmb_report(*f.rt, st, *s.value(), p1, "manual");
  REQUIRE(rebuilt);
  CHECK(rebuilt->sha256 == made->row.sha256);
  CHECK(rebuilt->number == 1);
  auto rebuilt2 = service::build_dsmb_report(*f.rt, st, *s.value(), p2, "manual");
  REQUIRE(rebuilt2);
  CHECK(rebuilt2->sha256 == reissued->row.sha256);
  CHECK(rebuilt2->number == 2);
  // The schedule's next due time (08:00 on 03-02) is after the latest cut-off: built then, for
  // that date, as of the build.
  f.clock.set(ts("2026-03-02T08:00:00Z"));
  auto built = service::run_dsmb_schedule({*f.rt, *s.value(), f.clock});
  REQUIRE(built.size() == 1);
  CHECK(built[0].number == 4);
  CHECK(format_timestamp(built[0].cutoff) == "2026-03-02T23:59:59.999Z");
  CHECK(format_timestamp(built[0].as_of) == "2026-03-02T08:00:00.000Z");
  CHECK(format_timestamp(*built[0].previous_cutoff) == "2026-03-01T23:59:59.999Z");
  s.value()->close();
}

TEST_CASE("the scheduler's slim snapshot counts the grade >= 3 stopping rule as the full one does") {
  auto cfg = config::load(std::string(PVMON_SOURCE_DIR) + "/config/pvmond.json");
  REQUIRE(cfg);
  auto rt = service::make_runtime(cfg.value());
  REQUIRE(rt);
  const auto& st = rt.value()->config->studies.at("hcc-pvtt-imrt");
  const fs::path dir = fs::temp_directory_path() / ("pvmon-slim-" + std::to_string(std::random_device{}()));
  fs::create_directories(dir);
  FakeClock clock(ts("2026-10-01T00:00:00Z"));
  {
    auto s = store::Store::open(store::Options{(dir / "pvmon.db").string()}, clock);
    REQUIRE(s);
    store::Actor a{"site", "S01"};
    auto ae = [&](const std::string& id, const std::string& subj, int grade, nlohmann::json related) {
      nlohmann::json r{{"report_id", id}, {"subject", subj}, {"term", "Fatigue"}, {"grade", grade},
                       {"narrative", "long text"},
                       {"safety", {{"serious", grade >= 3}, {"susar", false}, {"related_to", related}}}};
      REQUIRE(s.value()->insert_ae("hcc-pvtt-imrt", "S01", r, id, a));
    };
    for (const char* subj : {"S01-0001", "S01-0002", "S01-0003", "S01-0004"})
      REQUIRE(s.value()->enrol_subject("hcc-pvtt-imrt", "S01",
                                       {{"subject", subj}, {"enrolled", "2026-09-01"}, {"sex", "F"}, {"age", 60}},
                                       subj, a));
    ae("A", "S01-0001", 3, {"apatinib"});       // counts
    ae("B", "S01-0001", 4, {"camrelizumab"});   // same subject: counted once
    ae("C", "S01-0002", 2, {"apatinib"});       // grade 2: no
    ae("D", "S01-0003", 3, {"imrt"});           // not one of the rule's interventions
    ae("E", "S01-0004", 5, {"camrelizumab", "surgery"});  // counts
    clock.set(ts("2026-10-02T00:00:00Z"));
    const Timestamp now = clock.now();
    auto full = s.value()->snapshot("hcc-pvtt-imrt", now);
    auto slim = s.value()->snapshot("hcc-pvtt-imrt", now, store::Store::SnapshotOptions{.min_grade = 3, .slim = true});
    REQUIRE(full);
    REQUIRE(slim);
    CHECK(full->reports.size() == 5);
    CHECK(slim->reports.size() == 4);  // grade >= 3 only
    CHECK_FALSE(slim->reports[0].contains("narrative"));
    CHECK_FALSE(full->reports[0].contains("narrative"));  // no summary reads it
    CHECK(slim->reports[0]["safety"]["related_to"] == nlohmann::json::array({"apatinib"}));
    auto count = [&](const store::Snapshot& sn) {
      const auto surg = service::surgical_of(sn, now.date());
      for (const auto& b : service::evaluate_boundaries(*rt.value(), st, sn, surg))
        if (b.boundary->rule.id == "grade3plus-related-ip") return std::pair{b.n, b.events};
      return std::pair{-1, -1};
    };
    CHECK(count(full.value()) == std::pair{4, 2});
    CHECK(count(slim.value()) == std::pair{4, 2});
    // The scheduler's snapshot leaves the alerts out (they grow with the study); it counts the same.
    store::AlertRecord alert{"death", "critical", "test-death", "Death: subject S01-0004", "S01-0004", std::nullopt, {}};
    REQUIRE(s.value()->raise_alerts("hcc-pvtt-imrt", {alert}));
    auto with_alerts = s.value()->snapshot("hcc-pvtt-imrt", now, store::Store::SnapshotOptions{.min_grade = 3, .slim = true});
    auto tick = s.value()->snapshot("hcc-pvtt-imrt", now, store::Store::SnapshotOptions{.min_grade = 3, .slim = true, .facts = false, .alerts = false});
    REQUIRE(with_alerts);
    REQUIRE(tick);
    CHECK_FALSE(with_alerts->alerts.empty());
    CHECK(tick->alerts.empty());
    CHECK(count(tick.value()) == std::pair{4, 2});

    // The scheduler's own view (the tick): per subject and intervention of the rule only the
    // first report related to it, and only the clocks due within the warning hours.
    const auto opts = service::scheduler_snapshot_options(*rt.value(), st, now);
    REQUIRE(opts.scheduler);
    CHECK(opts.scheduler->related_to == std::vector<std::string>{"camrelizumab", "apatinib"});
    CHECK(opts.scheduler->clocks_due_by == now.plus_hours(48));  // clock_warning_hours
    ae("F", "S01-0001", 3, {"apatinib"});  // a second one for the same subject and drug
    store::AeWrite w;
    w.study = "hcc-pvtt-imrt";
    w.site = "S01";
    w.record = {{"report_id", "G"}, {"subject", "S01-0002"}, {"term", "Fatigue"}, {"grade", 2},
                {"safety", {{"serious", false}, {"susar", false}, {"related_to", nlohmann::json::array()}}}};
    w.body_sha256 = "G";
    w.received_at = now;
    w.clocks = {safety::Clock{safety::ClockKind::regulatory_initial, now, now.plus_hours(24), "soon", 0},
                safety::Clock{safety::ClockKind::regulatory_initial, now, now.plus_hours(240), "later", 0}};
    REQUIRE(s.value()->insert_ae(std::move(w), a));
    auto sched = s.value()->snapshot("hcc-pvtt-imrt", now, opts);
    auto whole = s.value()->snapshot("hcc-pvtt-imrt", now);
    REQUIRE(sched);
    REQUIRE(whole);
    std::vector<std::string> ids;
    for (const auto& r : sched->reports) ids.push_back(r["report_id"].get<std::string>());
    std::sort(ids.begin(), ids.end());
    CHECK(ids == std::vector<std::string>{"A", "B", "E"});  // not C (grade 2), D (imrt), F, G
    CHECK(whole->reports.size() == 7);
    CHECK(sched->all_clocks.empty());
    REQUIRE(sched->open_clocks.size() == 1);
    CHECK(sched->open_clocks[0].clock.reason == "soon");
    CHECK(whole->open_clocks.size() == 2);
    CHECK(count(sched.value()) == std::pair{4, 2});
    CHECK(count(whole.value()) == std::pair{4, 2});
    // Hence the same alerts as from the whole study: the boundary and the clock due soon.
    auto keys = [&](const store::Snapshot& sn) {
      std::vector<std::string> k;
      for (const auto& x : service::scheduled_alerts(*rt.value(), st, sn, now)) k.push_back(x.dedupe_key);
      std::sort(k.begin(), k.end());
      return k;
    };
    CHECK_FALSE(keys(sched.value()).empty());
    CHECK(keys(sched.value()) == keys(whole.value()));
    s.value()->close();
  }
  fs::remove_all(dir);
}
