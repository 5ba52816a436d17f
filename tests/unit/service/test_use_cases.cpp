// The use cases against fakes of the narrow store interfaces and a FakeClock: what each one
// decides (the write it hands the store), what it refuses before writing anything, and how it
// decides again when the store answers `stale`.
#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "when.hpp"
#include "pvmon/intake.hpp"
#include "pvmon/service/ae.hpp"
#include "pvmon/service/figures.hpp"
#include "pvmon/service/scheduler.hpp"
#include "pvmon/service/subjects.hpp"

using namespace pvmon;
using nlohmann::json;

using namespace pvmon::test;

namespace {

Error not_faked() { return Error::of(Errc::internal, "not faked"); }

/// Subjects and AE reports in memory; every write handed to it is kept for the test to read.
/// `stale_answers` writes are answered `stale` (another writer got there first) before one is
/// taken.
class FakeStore final : public store::SubjectStore, public store::AeStore {
 public:
  std::map<std::string, store::SubjectRow> subjects;
  std::vector<safety::SubjectEvent> events;
  std::map<std::int64_t, json> reports;  // current record, with server fields
  std::vector<store::ClockRow> open_clocks;
  std::map<std::string, std::string> followups;  // id -> body hash
  int stale_answers = 0;
  std::vector<store::AeWrite> ae_writes;
  std::vector<store::FollowupWrite> followup_writes;
  std::vector<store::SubmissionWrite> submission_writes;
  std::vector<store::SubmissionRow> submission_rows;
  std::vector<store::IcsrAckWrite> ack_writes;
  std::vector<store::EventWrite> event_writes;

  Result<store::Stored> enrol_subject(const std::string&, const std::string&, const json&,
                                      const std::string&, const store::Actor&) override {
    return not_faked();
  }
  Result<store::Stored> add_baseline(const std::string&, const std::string&, const json&,
                                     const store::Actor&) override {
    return not_faked();
  }
  Result<std::optional<store::SubjectRow>> find_subject(const std::string&, const std::string& subject) override {
    auto it = subjects.find(subject);
    if (it == subjects.end()) return std::optional<store::SubjectRow>{};
    return std::optional<store::SubjectRow>{it->second};
  }
  Result<store::Stored> add_event(store::EventWrite w, const store::Actor&) override {
    event_writes.push_back(w);
    if (stale_answers > 0) {
      --stale_answers;
      events.push_back({99, "last_known_alive", Date{}, json{{"kind", "last_known_alive"}}});
      return store::Stored{json(), false, true};
    }
    return store::Stored{w.event.fields, true};
  }
  Result<std::vector<safety::SubjectEvent>> subject_events(const std::string&, const std::string&) override {
    return events;
  }
  std::vector<safety::CourseAe> course_aes;
  Result<std::vector<safety::CourseAe>> subject_aes(const std::string&, const std::string&) override {
    return course_aes;
  }
  Result<store::Stored> insert_ae(const std::string&, const std::string&, const json&,
                                  const std::string&, const store::Actor&) override {
    return not_faked();
  }
  Result<store::Stored> insert_ae(store::AeWrite w, const store::Actor&) override {
    json rec = w.record;
    ae_writes.push_back(std::move(w));
    return store::Stored{rec, true};
  }
  Result<std::vector<store::VersionRow>> ae_versions(const std::string&, std::int64_t) override {
    return not_faked();
  }
  Result<store::Stored> add_followup(store::FollowupWrite w, const store::Actor&) override {
    followup_writes.push_back(w);
    if (stale_answers > 0) {
      --stale_answers;
      reports[w.report]["version"] = w.expected_version + 1;  // another follow-up got in first
      return store::Stored{json(), false, true};
    }
    return store::Stored{w.record, true};
  }
  Result<std::optional<std::string>> followup_recorded(std::int64_t, const std::string& id) override {
    auto it = followups.find(id);
    if (it == followups.end()) return std::optional<std::string>{};
    return std::optional<std::string>{it->second};
  }
  Result<store::Stored> add_submission(store::SubmissionWrite w, const store::Actor&) override {
    submission_writes.push_back(w);
    if (stale_answers > 0) {
      --stale_answers;
      return store::Stored{json(), false, true};
    }
    return store::Stored{w.record, true};
  }
  Result<std::vector<store::ClockRow>> clocks(const std::string&, bool, std::optional<std::int64_t>) override {
    return open_clocks;
  }
  Result<std::vector<store::SubmissionRow>> submissions(const std::string&, std::optional<std::int64_t>) override {
    return submission_rows;
  }
  Result<std::optional<store::SubmissionRow>> submission_by_message(const std::string&,
                                                                    const std::string& message_id) override {
    for (const auto& r : submission_rows)
      if (r.message_id == message_id) return std::optional<store::SubmissionRow>(r);
    return std::optional<store::SubmissionRow>{};
  }
  Result<store::Stored> add_icsr_ack(store::IcsrAckWrite w, const store::Actor&) override {
    ack_writes.push_back(w);
    if (stale_answers > 0) {
      --stale_answers;
      return store::Stored{json(), false, true};
    }
    return store::Stored{json{{"batch", w.ack_batch_id}}, true};
  }
  Result<std::optional<json>> get_ae(const std::string&, std::int64_t id) override {
    auto it = reports.find(id);
    if (it == reports.end()) return std::optional<json>{};
    return std::optional<json>{it->second};
  }
  Result<store::AePage> list_ae(const store::AeQuery&) override { return store::AePage{}; }
};

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// The shipped study (camrelizumab, apatinib, IMRT, surgery) and its runtime.
struct Study {
  std::shared_ptr<const service::Runtime> rt;
  const config::Study* st = nullptr;
  Study() {
    const std::string path = std::string(PVMON_SOURCE_DIR) + "/config/studies/hcc-pvtt-imrt.json";
    auto s = config::parse_study(read_file(path), path);
    REQUIRE_MESSAGE(s, (s ? "" : s.error().message));
    config::Config c;
    c.studies[s->id] = s.value();
    auto r = service::make_runtime(c);
    REQUIRE(r);
    rt = r.value();
    st = &rt->config->studies.begin()->second;
  }
};

/// The DESIGN.md AE report: grade 3 ALT increase, serious (hospitalisation), related to
/// camrelizumab.
json sae_body() {
  return json::parse(R"({"report_id": "S01-0007-AE-003", "subject": "S01-0007",
    "term": "Alanine aminotransferase increased", "verbatim": "ALT raised", "grade": 3,
    "lab": {"value": 250, "unit": "U/L", "uln": 40, "baseline": 32},
    "onset": "2026-10-02", "resolved": null, "site_aware_at": "2026-10-03T08:10:00Z",
    "serious": {"death": false, "life_threatening": false, "hospitalization": true,
      "disability": false, "congenital_anomaly": false, "medically_important": false},
    "causality": {"camrelizumab": "probable", "apatinib": "possible", "imrt": "unlikely"},
    "action_taken": {"apatinib": "dose_reduced"}, "outcome": "recovering"})");
}

store::SubjectRow subject(const std::string& id, const std::string& site) {
  store::SubjectRow r;
  r.id = 1;
  r.study = "hcc-pvtt-imrt";
  r.subject = id;
  r.site = site;
  r.enrolled = parse_date("2026-09-01").value();
  r.record = json{{"subject", id}, {"baseline", json::object()}};
  return r;
}

const service::Caller kSite{"s01-coordinator", config::Role::site, "S01"};

/// A 15-day initial report clock of `report`, open: started 2026-10-03, due 2026-10-18.
store::ClockRow open_clock(std::int64_t id, std::int64_t report) {
  store::ClockRow c;
  c.id = id;
  c.report = report;
  c.clock.id = id;
  c.clock.kind = safety::ClockKind::regulatory_initial;
  c.clock.started_at = ts("2026-10-03T09:00:00Z");
  c.clock.due_at = ts("2026-10-18T09:00:00Z");
  return c;
}

}  // namespace

TEST_CASE("accept_ae: a serious report is coded, classified and handed to the store with its closed site clock and its rules") {
  Study s;
  FakeStore fs;
  fs.subjects["S01-0007"] = subject("S01-0007", "S01");
  // Received 30 h after the site became aware: the 24-hour SAE clock (ICH E6 4.11.1) was missed.
  FakeClock clock(ts("2026-10-04T14:10:00Z"));
  const service::AeDeps deps{*s.rt, clock, fs, fs};
  auto stored = service::accept_ae(deps, kSite, *s.st, sae_body());
  REQUIRE_MESSAGE(stored, (stored ? "" : stored.error().message));
  REQUIRE(fs.ae_writes.size() == 1);
  const auto& w = fs.ae_writes[0];
  CHECK(w.site == "S01");
  CHECK(w.received_at == clock.now());
  CHECK(w.record["ctcae"]["meddra_code"] == "10001551");  // CTCAE v5.0: ALT increased
  CHECK(w.record["grade"] == 3);
  CHECK(w.record["safety"]["serious"] == true);
  CHECK(w.record["safety"]["site_report"]["late"] == true);
  REQUIRE(w.closed.size() == 1);
  CHECK(w.closed[0].late);
  CHECK(w.closed[0].clock.due_at == ts("2026-10-04T08:10:00Z"));
  REQUIRE(w.rules);
  CHECK(w.rules->rules == &s.st->rules);
  CHECK(w.rules->facts.report == 0);  // the store fills in the server id
  CHECK(w.rules->facts.grade == 3);
  CHECK(w.rules->facts.site_report_late);
  CHECK(w.body_sha256.size() == 64);
}

TEST_CASE("accept_ae: another site's subject is refused before anything is written, as one nobody enrolled") {
  Study s;
  FakeStore fs;
  fs.subjects["S01-0007"] = subject("S01-0007", "S02");
  FakeClock clock(ts("2026-10-04T00:00:00Z"));
  auto stored = service::accept_ae(service::AeDeps{*s.rt, clock, fs, fs}, kSite, *s.st, sae_body());
  REQUIRE_FALSE(stored);
  CHECK(stored.error().code == Errc::invalid);
  CHECK(stored.error().fields.at(0).field == "subject");
  CHECK(fs.ae_writes.empty());
  // Word for word the answer for a subject id no site enrolled: nothing tells the two apart.
  FakeStore empty;
  auto unknown = service::accept_ae(service::AeDeps{*s.rt, clock, empty, empty}, kSite, *s.st, sae_body());
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().code == stored.error().code);
  CHECK(unknown.error().message == stored.error().message);
  CHECK(unknown.error().fields == stored.error().fields);
}

TEST_CASE("own_subject_to_write: an id outside the rule is a 422 whoever asks; the caller's older subject keeps its id") {
  Study s;
  FakeStore fs;
  fs.subjects["S01:0007"] = subject("S01:0007", "S01");  // enrolled before the rule
  fs.subjects["S02:0001"] = subject("S02:0001", "S02");
  fs.subjects["S02-0002"] = subject("S02-0002", "S02");
  FakeClock clock(ts("2026-10-04T00:00:00Z"));
  const service::SubjectDeps deps{clock, fs, fs};
  CHECK(service::own_subject_to_write(deps, kSite, *s.st, "S01:0007"));
  // Another site's subject and an id nobody enrolled get one answer: by its form, or 404.
  auto other = service::own_subject_to_write(deps, kSite, *s.st, "S02:0001");
  auto nobody = service::own_subject_to_write(deps, kSite, *s.st, "S02:0009");
  REQUIRE_FALSE(other);
  REQUIRE_FALSE(nobody);
  CHECK(other.error().code == Errc::invalid);
  CHECK(other.error().fields == std::vector<FieldError>{{"subject", intake::kSubjectIdRule}});
  CHECK(other.error().fields == nobody.error().fields);
  CHECK(service::own_subject_to_write(deps, kSite, *s.st, "..").error().code == Errc::invalid);
  auto other_valid = service::own_subject_to_write(deps, kSite, *s.st, "S02-0002");
  REQUIRE_FALSE(other_valid);
  CHECK(other_valid.error().code == Errc::not_found);
  CHECK(other_valid.error().fields.at(0).field == "subject");
}

TEST_CASE("add_followup: decided outside the writer, decided again when the report changed under it") {
  Study s;
  FakeStore fs;
  fs.subjects["S01-0007"] = subject("S01-0007", "S01");
  FakeClock clock(ts("2026-10-04T00:00:00Z"));
  const service::AeDeps deps{*s.rt, clock, fs, fs};
  auto first = service::accept_ae(deps, kSite, *s.st, sae_body());
  REQUIRE(first);
  json current = fs.ae_writes[0].record;
  current["id"] = 7;
  current["version"] = 1;
  current["status"] = "active";
  fs.reports[7] = current;
  fs.open_clocks = {open_clock(41, 7)};
  fs.stale_answers = 1;

  const json body{{"followup_id", "FU-1"}, {"changes", {{"grade", 4}}}};
  auto stored = service::add_followup(deps, kSite, *s.st, 7, body);
  REQUIRE_MESSAGE(stored, (stored ? "" : stored.error().message));
  REQUIRE(fs.followup_writes.size() == 2);
  CHECK(fs.followup_writes[0].expected_version == 1);
  CHECK(fs.followup_writes[1].expected_version == 2);  // decided again from what was there
  const auto& w = fs.followup_writes[1];
  CHECK(w.expected_open_clocks == std::vector<std::int64_t>{41});
  CHECK(w.site == "S01");
  CHECK(w.record["grade"] == 4);
  CHECK(w.record["changes"]["grade"] == json::array({3, 4}));
  CHECK(w.rules.facts.version == 3);
  REQUIRE(w.rules.facts.previous);
  CHECK(w.rules.facts.previous->grade == 3);

  SUBCASE("a replay is answered from what was stored, without a write") {
    const std::string sha = w.body_sha256;
    fs.followup_writes.clear();
    fs.followups["FU-1"] = sha;
    auto again = service::add_followup(deps, kSite, *s.st, 7, body);
    REQUIRE(again);
    CHECK_FALSE(again->created);
    CHECK(fs.followup_writes.empty());
    fs.followups["FU-1"] = "other";
    auto other = service::add_followup(deps, kSite, *s.st, 7, body);
    REQUIRE_FALSE(other);
    CHECK(other.error().code == Errc::conflict);
    CHECK(fs.followup_writes.empty());
  }
  SUBCASE("another site's report does not exist for the caller; a nullified one takes nothing") {
    fs.followup_writes.clear();
    auto other = service::add_followup(deps, service::Caller{"s02", config::Role::site, "S02"}, *s.st, 7, body);
    REQUIRE_FALSE(other);
    CHECK(other.error().code == Errc::not_found);
    fs.reports[7]["status"] = "nullified";
    auto nullified = service::add_followup(deps, kSite, *s.st, 7, body);
    REQUIRE_FALSE(nullified);
    CHECK(nullified.error().code == Errc::conflict);
    CHECK(fs.followup_writes.empty());
  }
  SUBCASE("a report that never stops changing gives up with 503, having written nothing") {
    fs.followup_writes.clear();
    fs.stale_answers = 100;
    auto busy = service::add_followup(deps, kSite, *s.st, 7, json{{"followup_id", "FU-2"}, {"changes", {{"grade", 4}}}});
    REQUIRE_FALSE(busy);
    CHECK(busy.error().code == Errc::unavailable);
  }
}

TEST_CASE("record_submission: stops the open clock of its kind; none open is a conflict, not a write") {
  Study s;
  FakeStore fs;
  FakeClock clock(ts("2026-10-10T00:00:00Z"));
  const service::AeDeps deps{*s.rt, clock, fs, fs};
  fs.reports[7] = json{{"id", 7}, {"site", "S01"}};
  const json body{{"kind", "initial"}, {"submitted", "2026-10-09T10:00:00Z"}, {"authority", "NMPA"},
                  {"reference", "CN-2026-1"}};
  const service::Caller officer{"officer", config::Role::officer, ""};
  auto none = service::record_submission(deps, officer, *s.st, 7, body);
  REQUIRE_FALSE(none);
  CHECK(none.error().code == Errc::conflict);
  auto missing = service::record_submission(deps, officer, *s.st, 8, body);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == Errc::not_found);
  CHECK(fs.submission_writes.empty());

  fs.open_clocks = {open_clock(5, 7)};
  fs.stale_answers = 1;
  auto rec = service::record_submission(deps, officer, *s.st, 7, body);
  REQUIRE_MESSAGE(rec, (rec ? "" : rec.error().message));
  REQUIRE(fs.submission_writes.size() == 2);
  const auto& w = fs.submission_writes[1];
  CHECK(w.expected_open_clocks == std::vector<std::int64_t>{5});
  REQUIRE(w.stop.size() == 1);
  CHECK(w.stop[0].clock.id == 5);
  CHECK_FALSE(w.stop[0].late);
  CHECK(rec.value()["authority"] == "NMPA");
}

TEST_CASE("add_subject_event: validated against the events read, decided again when one arrived in between") {
  Study s;
  FakeStore fs;
  fs.subjects["S01-0007"] = subject("S01-0007", "S01");
  FakeClock clock(ts("2026-10-30T00:00:00Z"));
  const service::SubjectDeps deps{clock, fs, fs};
  auto bad = service::add_subject_event(deps, kSite, *s.st, "S01-0007",
                                        json{{"kind", "death"}, {"date", "2026-08-01"}, {"cause", "x"}});
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == Errc::invalid);  // before enrolment
  CHECK(fs.event_writes.empty());

  fs.stale_answers = 1;
  auto death = service::add_subject_event(
      deps, kSite, *s.st, "S01-0007",
      json{{"kind", "death"}, {"date", "2026-10-20"}, {"cause", "post-hepatectomy liver failure"}});
  REQUIRE_MESSAGE(death, (death ? "" : death.error().message));
  REQUIRE(fs.event_writes.size() == 2);
  CHECK(fs.event_writes[0].expected_events == 0);
  CHECK(fs.event_writes[1].expected_events == 1);
  CHECK(fs.event_writes[1].expected_last_event == 99);
  CHECK(fs.event_writes[1].facts.death == parse_date("2026-10-20"));

  auto other = service::add_subject_event(deps, service::Caller{"s02", config::Role::site, "S02"}, *s.st,
                                          "S01-0007", json{{"kind", "last_known_alive"}, {"date", "2026-10-21"}});
  REQUIRE_FALSE(other);
  CHECK(other.error().code == Errc::not_found);
}

namespace {

/// A study's snapshot as given, and the alerts raised and re-sent.
class FakeTickStore final : public store::SnapshotStore, public store::AlertStore {
 public:
  store::Snapshot snap;
  std::vector<std::pair<Timestamp, SnapshotOptions>> asked;
  std::vector<store::AlertRecord> raised;
  std::vector<std::pair<Timestamp, std::int64_t>> escalations;

  using SnapshotStore::snapshot;
  Result<store::Snapshot> snapshot(const std::string&, Timestamp as_of, const SnapshotOptions& o) override {
    asked.emplace_back(as_of, o);
    store::Snapshot out = snap;
    out.as_of = as_of;
    return out;
  }
  Result<std::vector<interop::SdtmAe>> sdtm_rows(const std::string&, Timestamp) override { return not_faked(); }
  Status raise_alerts(const std::string&, const std::vector<store::AlertRecord>& alerts) override {
    raised.insert(raised.end(), alerts.begin(), alerts.end());
    return Ok{};
  }
  Result<store::AlertPage> list_alerts(const std::string&, std::optional<std::string>, std::optional<std::string>,
                                       std::optional<std::int64_t>, int) override {
    return not_faked();
  }
  Result<store::AlertAck> ack_alert(const std::string&, std::int64_t, const std::string&, const store::Actor&) override {
    return not_faked();
  }
  Result<int> escalate(Timestamp now, std::int64_t after_ms) override {
    escalations.emplace_back(now, after_ms);
    return 0;
  }
};

}  // namespace

TEST_CASE("scheduler_tick: an overdue clock alerts, escalation runs at the injected now") {
  Study s;
  FakeTickStore fs;
  FakeClock clock(ts("2026-10-20T00:00:00Z"));
  store::ClockRow c;
  c.id = 3;
  c.report = 7;
  c.report_ref = "S01-0007-AE-003";
  c.subject = "S01-0007";
  c.clock.id = 3;
  c.clock.kind = safety::ClockKind::regulatory_initial;
  c.clock.started_at = ts("2026-10-10T00:00:00Z");
  c.clock.due_at = ts("2026-10-17T00:00:00Z");
  fs.snap.open_clocks = {c};
  auto r = service::scheduler_tick(service::TickDeps{*s.rt, clock, fs, fs});
  CHECK(r.problems.empty());
  REQUIRE(fs.asked.size() == 1);
  CHECK(fs.asked[0].first == clock.now());
  REQUIRE(fs.asked[0].second.scheduler);
  // The warning horizon: clocks due within clock_warning_hours are read, no later ones.
  CHECK(fs.asked[0].second.scheduler->clocks_due_by ==
        clock.now().plus_hours(s.st->rules.clock_warning_hours));
  bool overdue = false;
  for (const auto& a : fs.raised) overdue |= a.dedupe_key == "clock_overdue:3";
  CHECK(overdue);
  REQUIRE(fs.escalations.size() == 1);
  CHECK(fs.escalations[0].first == clock.now());
  CHECK(fs.escalations[0].second == s.rt->config->escalate_after_seconds * 1000LL);
}

TEST_CASE("study_safety: a snapshot at the as-of, clipped to the cut-off; bad pairs name the field") {
  Study s;
  FakeTickStore fs;
  FakeClock clock(ts("2026-10-20T10:00:00Z"));
  // What the store holds at any as-of (the fake does not filter by recording time): one subject
  // enrolled before the cut-off, one after; a clock started on the day after the cut-off.
  fs.snap.subjects = {store::SubjectRow{1, "s", "S01-0001", "S01", parse_date("2026-09-01").value(), {}},
                      store::SubjectRow{2, "s", "S01-0002", "S01", parse_date("2026-10-05").value(), {}}};
  store::ClockRow c;
  c.id = 1;
  c.subject = "S01-0001";
  c.clock.kind = safety::ClockKind::regulatory_initial;
  c.clock.started_at = ts("2026-10-02T00:00:00Z");
  c.clock.due_at = ts("2026-10-09T00:00:00Z");
  fs.snap.open_clocks = {c};
  auto field = [](const Result<json>& r) { return r ? std::string("(none)") : r.error().fields.at(0).field; };
  CHECK(field(service::study_safety(*s.rt, clock, fs, *s.st, parse_date("2026-10-21"))) == "cutoff");
  CHECK(field(service::study_safety(*s.rt, clock, fs, *s.st, std::nullopt, ts("2026-10-20T10:00:00.001Z"))) == "as_of");
  CHECK(field(service::study_safety(*s.rt, clock, fs, *s.st, parse_date("2026-10-01"),
                                    ts("2026-09-30T23:59:59.999Z"))) == "as_of");
  CHECK(fs.asked.empty());
  // A cut-off alone: as of now, only what happened by its end.
  auto figures = service::study_safety(*s.rt, clock, fs, *s.st, parse_date("2026-10-01"));
  REQUIRE(figures);
  REQUIRE(fs.asked.size() == 1);
  CHECK(fs.asked[0].first == clock.now());
  CHECK(figures.value()["cutoff"] == "2026-10-01");
  CHECK(figures.value()["as_of"] == "2026-10-20T10:00:00.000Z");
  CHECK(figures.value()["enrolment"]["subjects"] == 1);
  CHECK(figures.value()["open_clocks"]["count"] == 0);
  // Both: the snapshot is taken at the as-of; the same pair gives the same figures.
  auto pinned = service::study_safety(*s.rt, clock, fs, *s.st, parse_date("2026-10-01"), ts("2026-10-01T00:00:00Z"));
  REQUIRE(pinned);
  CHECK(fs.asked[1].first == ts("2026-10-01T00:00:00Z"));
  clock.advance_ms(86'400'000);
  auto again = service::study_safety(*s.rt, clock, fs, *s.st, parse_date("2026-10-01"), ts("2026-10-01T00:00:00Z"));
  REQUIRE(again);
  CHECK(again.value() == pinned.value());
  // Neither: as of now, up to today.
  auto now = service::study_safety(*s.rt, clock, fs, *s.st, std::nullopt);
  REQUIRE(now);
  CHECK(fs.asked.back().first == clock.now());
  CHECK(now.value()["cutoff"] == "2026-10-21");
  CHECK(now.value()["enrolment"]["subjects"] == 2);
  CHECK(now.value()["open_clocks"]["count"] == 1);
}

TEST_CASE("a stopping rule counts its first n_max evaluable subjects only; later events never cross it") {
  // grade3plus_related, Thall & Simon with a flat prior: 4 subjects designed for. The first
  // four (by enrolment) have no grade >= 3 related AE; the next six all have one. Counted over
  // all ten, 6 events would cross the boundary at n = 4; by the design's definition the count
  // is 0 of 4 and final.
  auto st = config::parse_study(R"({"id": "s1", "title": "t", "sites": ["S01"],
    "interventions": [{"id": "d", "kind": "drug", "investigational_product": true}],
    "safety_rules": {"stopping_rules": [{"id": "g3", "event": "grade3plus_related", "interventions": ["d"],
      "method": "bayes", "prior": [1, 1], "p0": 0.3, "cutoff": 0.9, "n_max": 4}]}})", "s1.json");
  REQUIRE_MESSAGE(st, (st ? "" : st.error().message));
  config::Config c;
  c.studies["s1"] = st.value();
  auto rt = service::make_runtime(c);
  REQUIRE(rt);
  store::Snapshot snap;
  snap.as_of = ts("2026-06-01T00:00:00Z");
  const auto related = safety::AeFactTables::intern(snap.fact_tables.related, std::vector<std::string>{"d"});
  for (int i = 0; i < 10; ++i) {
    store::SubjectRow row = subject("S01-" + std::to_string(100 + i), "S01");
    row.enrolled = parse_date("2026-01-01").value().plus_days(i);
    snap.subjects.push_back(row);
    snap.fact_tables.subjects.push_back(row.subject);
    if (i < 4) continue;
    safety::AeFact f;
    f.subject = static_cast<std::uint32_t>(i);
    f.grade = 3;
    f.related_to = static_cast<std::uint16_t>(related);
    snap.facts.push_back(f);
  }
  const auto& study = rt.value()->config->studies.at("s1");
  const auto states = service::evaluate_boundaries(*rt.value(), study, snap, safety::SurgicalSafety{});
  REQUIRE(states.size() == 1);
  CHECK(states[0].n == 4);
  CHECK(states[0].events == 0);
  CHECK(states[0].design_complete);
  CHECK_FALSE(states[0].crossed);
  CHECK(states[0].path.size() == 4);
  CHECK(service::scheduled_alerts(*rt.value(), study, snap, snap.as_of).empty());
  // The Bayesian rule has no alternative rate: its power is not applicable, not 0.
  CHECK_FALSE(states[0].boundary->power);
}

TEST_CASE("a stopping rule crossed at an earlier look stays crossed when later subjects lower the proportion") {
  // Thall & Simon with a flat prior, n_max 4: stop at 1 event of 1, 2 of 2 or 3, 3 of 4 (as
  // `pvmon boundary --bayes --prior 1,1 --p0 0.3 --cutoff 0.9 --n-max 4` prints). The first
  // subject by enrolment has a grade >= 3 related AE, the next three none: the boundary was
  // reached at the first look, and the trial stops there (the operating characteristics count
  // a crossing at any look), even though 1 of 4 is below the last look's count.
  auto st = config::parse_study(R"({"id": "s1", "title": "t", "sites": ["S01"],
    "interventions": [{"id": "d", "kind": "drug", "investigational_product": true}],
    "safety_rules": {"stopping_rules": [{"id": "g3", "event": "grade3plus_related", "interventions": ["d"],
      "method": "bayes", "prior": [1, 1], "p0": 0.3, "cutoff": 0.9, "n_max": 4}]}})", "s1.json");
  REQUIRE_MESSAGE(st, (st ? "" : st.error().message));
  config::Config c;
  c.studies["s1"] = st.value();
  auto rt = service::make_runtime(c);
  REQUIRE(rt);
  store::Snapshot snap;
  snap.as_of = ts("2026-06-01T00:00:00Z");
  const auto related = safety::AeFactTables::intern(snap.fact_tables.related, std::vector<std::string>{"d"});
  for (int i = 0; i < 4; ++i) {
    store::SubjectRow row = subject("S01-" + std::to_string(100 + i), "S01");
    row.enrolled = parse_date("2026-01-01").value().plus_days(i);
    snap.subjects.push_back(row);
    snap.fact_tables.subjects.push_back(row.subject);
  }
  safety::AeFact f;
  f.subject = 0;
  f.grade = 3;
  f.related_to = static_cast<std::uint16_t>(related);
  snap.facts.push_back(f);
  const auto& study = rt.value()->config->studies.at("s1");
  const auto states = service::evaluate_boundaries(*rt.value(), study, snap, safety::SurgicalSafety{});
  REQUIRE(states.size() == 1);
  CHECK(states[0].n == 4);
  CHECK(states[0].events == 1);
  CHECK(states[0].design_complete);
  CHECK(states[0].crossed);
  REQUIRE(states[0].crossed_at);
  CHECK(*states[0].crossed_at == std::make_pair(1, 1));
  // The scheduler alerts at the look that crossed it.
  const auto alerts = service::scheduled_alerts(*rt.value(), study, snap, snap.as_of);
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0].rule == "stopping_boundary");
  CHECK(alerts[0].title.find("1 events in 1 evaluable subjects (stop at 1)") != std::string::npos);
  // /safety says where.
  const auto figures = service::safety_figures(*rt.value(), study, snap, parse_date("2026-06-01").value());
  CHECK(figures["stopping_rules"][0]["crossed"] == true);
  CHECK(figures["stopping_rules"][0]["crossed_at"] == json{{"n", 1}, {"events", 1}});
}

TEST_CASE("accept_ae: an onset after the subject's recorded death is refused, naming the death event") {
  Study s;
  FakeStore fs;
  fs.subjects["S01-0007"] = subject("S01-0007", "S01");
  fs.events.push_back({12, "death", parse_date("2026-10-01").value(),
                       json{{"kind", "death"}, {"date", "2026-10-01"}, {"cause", "progression"}}});
  FakeClock clock(ts("2026-10-04T14:10:00Z"));
  auto after = service::accept_ae(service::AeDeps{*s.rt, clock, fs, fs}, kSite, *s.st, sae_body());  // onset 10-02
  REQUIRE_FALSE(after);
  CHECK(after.error().code == Errc::invalid);
  CHECK(after.error().fields.at(0).field == "onset");
  CHECK(after.error().message.find("event 12") != std::string::npos);
  CHECK(fs.ae_writes.empty());
  // On the day of death, or before it, the report is taken.
  json same_day = sae_body();
  same_day["onset"] = "2026-10-01";
  same_day["site_aware_at"] = "2026-10-03T08:10:00Z";
  CHECK(service::accept_ae(service::AeDeps{*s.rt, clock, fs, fs}, kSite, *s.st, same_day));
}

namespace {

/// The DESIGN.md report made fatal: Hepatic failure, grade 5 (CTCAE v5.0: death related to
/// AE), results in death (ICH E2A II.B), outcome fatal on `died`.
json fatal_body(const std::string& report_id, const std::string& onset, const std::string& died) {
  json b = sae_body();
  b.erase("lab");
  b["report_id"] = report_id;
  b["term"] = "Hepatic failure";
  b["grade"] = 5;
  b["onset"] = onset;
  b["resolved"] = died;
  b["serious"]["death"] = true;
  b["outcome"] = "fatal";
  b["action_taken"] = {{"apatinib", "drug_withdrawn"}};
  return b;
}

safety::SubjectEvent event_of(std::int64_t id, json body) {
  return {id, body["kind"].get<std::string>(), parse_date(body["date"].get<std::string>()).value(), body};
}

std::string field_of(const Error& e) { return e.fields.empty() ? "" : e.fields.at(0).field; }

}  // namespace

TEST_CASE("accept_ae: nothing begins after death, whichever record gives it, and nothing is written") {
  Study s;
  FakeStore fs;
  fs.subjects["S01-0007"] = subject("S01-0007", "S01");
  FakeClock clock(ts("2026-10-04T14:10:00Z"));
  const service::AeDeps deps{*s.rt, clock, fs, fs};
  SUBCASE("a grade 5 AE's death (its outcome date)") {
    fs.course_aes = {{"S01-0007-AE-001", parse_date("2026-09-28").value(), parse_date("2026-10-01"), 5, true, true}};
    auto r = service::accept_ae(deps, kSite, *s.st, sae_body());  // onset 10-02
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::invalid);
    CHECK(field_of(r.error()) == "onset");
    CHECK(r.error().message.find("2026-10-01 (grade 5 AE report S01-0007-AE-001)") != std::string::npos);
  }
  SUBCASE("a Clavien-Dindo V complication") {
    fs.events = {event_of(3, {{"kind", "surgery"}, {"date", "2026-09-20"}, {"procedure", "x"}, {"margin", "R0"}}),
                 event_of(4, {{"kind", "surgical_complication"}, {"date", "2026-09-30"}, {"grade", "V"}, {"term", "x"}})};
    auto r = service::accept_ae(deps, kSite, *s.st, sae_body());
    REQUIRE_FALSE(r);
    CHECK(field_of(r.error()) == "onset");
    CHECK(r.error().message.find("(event 4, Clavien–Dindo V)") != std::string::npos);
  }
  CHECK(fs.ae_writes.empty());
}

TEST_CASE("accept_ae: a grade 5 AE dates the one death; its replay still reaches the store") {
  Study s;
  FakeStore fs;
  fs.subjects["S01-0007"] = subject("S01-0007", "S01");
  fs.events = {event_of(12, {{"kind", "death"}, {"date", "2026-10-03"}, {"cause", "liver failure"}})};
  FakeClock clock(ts("2026-10-04T14:10:00Z"));
  const service::AeDeps deps{*s.rt, clock, fs, fs};
  // Died on 10-02 by the report, on 10-03 by the death event: refused, naming the event.
  auto other_day = service::accept_ae(deps, kSite, *s.st, fatal_body("S01-0007-AE-005", "2026-10-01", "2026-10-02"));
  REQUIRE_FALSE(other_day);
  CHECK(field_of(other_day.error()) == "resolved");
  CHECK(other_day.error().message.find("recorded on 2026-10-03 (event 12)") != std::string::npos);
  CHECK(fs.ae_writes.empty());
  // On the death's day: taken. Stored, it is one of the subject's AEs; the same report again is
  // answered by the store (a replay), not refused by its own death.
  const json body = fatal_body("S01-0007-AE-005", "2026-10-01", "2026-10-03");
  REQUIRE(service::accept_ae(deps, kSite, *s.st, body));
  fs.course_aes = {{"S01-0007-AE-005", parse_date("2026-10-01").value(), parse_date("2026-10-03"), 5, true, true}};
  REQUIRE(service::accept_ae(deps, kSite, *s.st, body));
  CHECK(fs.ae_writes.size() == 2);
  // A second fatal AE of the same death: the same day is fine, another day names the first.
  CHECK(service::accept_ae(deps, kSite, *s.st, fatal_body("S01-0007-AE-006", "2026-10-02", "2026-10-03")));
  fs.events.clear();
  auto second = service::accept_ae(deps, kSite, *s.st, fatal_body("S01-0007-AE-006", "2026-10-01", "2026-10-02"));
  REQUIRE_FALSE(second);
  CHECK(field_of(second.error()) == "resolved");
  CHECK(second.error().message.find("(grade 5 AE report S01-0007-AE-005)") != std::string::npos);
  // Dead before the subject was last seen alive: the later record is named.
  fs.course_aes.clear();
  fs.events = {event_of(15, {{"kind", "last_known_alive"}, {"date", "2026-10-03"}})};
  auto alive = service::accept_ae(deps, kSite, *s.st, fatal_body("S01-0007-AE-007", "2026-10-01", "2026-10-02"));
  REQUIRE_FALSE(alive);
  CHECK(field_of(alive.error()) == "resolved");
  CHECK(alive.error().message.find("the last_known_alive of 2026-10-03 (event 15)") != std::string::npos);
  CHECK(fs.ae_writes.size() == 3);
}

TEST_CASE("accept_ae: results in death (ICH E2A II.B) needs grade 5 and outcome fatal") {
  Study s;
  FakeStore fs;
  fs.subjects["S01-0007"] = subject("S01-0007", "S01");
  FakeClock clock(ts("2026-10-04T14:10:00Z"));
  json b = sae_body();
  b.erase("lab");
  b["grade"] = 2;
  b["serious"]["death"] = true;  // outcome "recovering"
  auto r = service::accept_ae(service::AeDeps{*s.rt, clock, fs, fs}, kSite, *s.st, b);
  REQUIRE_FALSE(r);
  std::set<std::string> fields;
  for (const auto& f : r.error().fields) fields.insert(f.field);
  CHECK(fields == std::set<std::string>{"serious.death", "outcome"});
  CHECK(fs.ae_writes.empty());
}

TEST_CASE("add_followup: a new onset, grade 5 or death date is checked against the subject's course") {
  Study s;
  FakeStore fs;
  fs.subjects["S01-0007"] = subject("S01-0007", "S01");
  FakeClock clock(ts("2026-10-04T00:00:00Z"));
  const service::AeDeps deps{*s.rt, clock, fs, fs};
  REQUIRE(service::accept_ae(deps, kSite, *s.st, sae_body()));  // grade 3, onset 10-02
  json current = fs.ae_writes[0].record;
  current["id"] = 7;
  current["version"] = 1;
  current["status"] = "active";
  fs.reports[7] = current;
  fs.course_aes = {{"S01-0007-AE-003", parse_date("2026-10-02").value(), std::nullopt, 3, false, true}};
  fs.events = {event_of(12, {{"kind", "death"}, {"date", "2026-10-03"}, {"cause", "liver failure"}})};
  // Hepatic failure, grade 5 (CTCAE v5.0 has no grade 5 ALT increased), its lab values dropped.
  const json fatal_changes{{"term", "Hepatic failure"}, {"lab", nullptr}, {"grade", 5}, {"outcome", "fatal"},
                           {"serious", {{"death", true}}}, {"action_taken", {{"apatinib", "drug_withdrawn"}}}};

  // Upgraded to grade 5, dead on its onset (10-02), but the death event says 10-03.
  auto upgrade = service::add_followup(deps, kSite, *s.st, 7, json{{"followup_id", "FU-1"}, {"changes", fatal_changes}});
  REQUIRE_FALSE(upgrade);
  CHECK(upgrade.error().code == Errc::invalid);
  CHECK(field_of(upgrade.error()) == "onset");
  CHECK(upgrade.error().message.find("recorded on 2026-10-03 (event 12)") != std::string::npos);
  // With its fatal outcome on the day of the death: taken.
  json on_the_day = fatal_changes;
  on_the_day["resolved"] = "2026-10-03";
  REQUIRE(service::add_followup(deps, kSite, *s.st, 7, json{{"followup_id", "FU-2"}, {"changes", on_the_day}}));
  // An onset moved after the death.
  auto moved = service::add_followup(deps, kSite, *s.st, 7, json{{"followup_id", "FU-3"}, {"changes", {{"onset", "2026-10-04"}, {"site_aware_at", "2026-10-04T00:00:00Z"}}}});
  REQUIRE_FALSE(moved);
  CHECK(field_of(moved.error()) == "onset");
  // Results in death on a grade 3 the subject is recovering from.
  auto death_flag = service::add_followup(deps, kSite, *s.st, 7,
                                          json{{"followup_id", "FU-4"}, {"changes", {{"serious", {{"death", true}}}}}});
  REQUIRE_FALSE(death_flag);
  std::set<std::string> fields;
  for (const auto& f : death_flag.error().fields) fields.insert(f.field);
  CHECK(fields == std::set<std::string>{"serious.death", "outcome"});
  CHECK(fs.followup_writes.size() == 1);  // FU-2 only
}

TEST_CASE("add_subject_event: a grade 5 AE is a death, and a death names one of the subject's reports") {
  Study s;
  FakeStore fs;
  fs.subjects["S01-0007"] = subject("S01-0007", "S01");
  FakeClock clock(ts("2026-10-30T00:00:00Z"));
  const service::SubjectDeps deps{clock, fs, fs};
  fs.course_aes = {{"S01-0007-AE-002", parse_date("2026-10-15").value(), parse_date("2026-10-20"), 5, true, true}};
  auto after = service::add_subject_event(deps, kSite, *s.st, "S01-0007",
                                          json{{"kind", "last_known_alive"}, {"date", "2026-10-22"}});
  REQUIRE_FALSE(after);
  CHECK(field_of(after.error()) == "date");
  CHECK(after.error().fields.at(0).message.find("grade 5 AE report S01-0007-AE-002") != std::string::npos);
  auto unknown = service::add_subject_event(
      deps, kSite, *s.st, "S01-0007",
      json{{"kind", "death"}, {"date", "2026-10-20"}, {"cause", "liver failure"}, {"related_ae", "S01-0007-AE-009"}});
  REQUIRE_FALSE(unknown);
  CHECK(field_of(unknown.error()) == "related_ae");
  CHECK(fs.event_writes.empty());
  // Decided again when an event arrived in between, with the reports read again.
  fs.stale_answers = 1;
  auto death = service::add_subject_event(
      deps, kSite, *s.st, "S01-0007",
      json{{"kind", "death"}, {"date", "2026-10-20"}, {"cause", "liver failure"}, {"related_ae", "S01-0007-AE-002"}});
  REQUIRE_MESSAGE(death, (death ? "" : death.error().message));
  CHECK(fs.event_writes.size() == 2);
}
