// The fact columns of ae_versions (schema v6): written with each version, backfilled by the
// migration to the same values, and read by Store::snapshot(facts=true) instead of the JSON.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <random>

#include "temp_dir.hpp"
#include "pvmon/store.hpp"
#include "schema.hpp"
#include "test_db.hpp"
#include "version_facts.hpp"

using namespace pvmon;
using namespace pvmon::store;
using nlohmann::json;
namespace fs = std::filesystem;

using namespace pvmon::test;

namespace {

using test::TempDir;

/// A record as intake and the safety glue make it (the fields the columns take).
json full_ae(const std::string& report_id, const std::string& subj) {
  return {{"report_id", report_id},
          {"subject", subj},
          {"term", "Hypertension"},
          {"grade", 2},
          {"onset", "2026-10-01"},
          {"resolved", nullptr},
          {"outcome", "recovering"},
          {"causality", {{"camrelizumab", "unlikely"}, {"apatinib", "probable"}}},
          {"action_taken", {{"apatinib", "dose_reduced"}}},
          {"ctcae", {{"version", "5.0"}, {"meddra_code", "10020772"}, {"term", "Hypertension"},
                     {"soc", "Vascular disorders"}, {"grade", 2}, {"protocol_term", false}}},
          {"safety", {{"serious", false},
                      {"fatal_or_life_threatening", false},
                      {"susar", false},
                      {"criteria", json::array()},
                      {"related_to", {"apatinib"}},
                      {"products", {{{"intervention", "camrelizumab"}, {"related", false}, {"expected", false}},
                                    {{"intervention", "apatinib"}, {"related", true}, {"expected", true}}}}}}};
}

/// The follow-up that makes full_ae serious, related to both drugs and resolved.
json worse(json r) {
  r["grade"] = 3;
  r["ctcae"]["grade"] = 3;
  r["outcome"] = "recovered";
  r["resolved"] = "2026-10-20";
  r["causality"]["camrelizumab"] = "possible";
  r["action_taken"]["apatinib"] = "drug_withdrawn";
  r["safety"]["serious"] = true;
  r["safety"]["susar"] = true;
  r["safety"]["criteria"] = {"hospitalization", "medically_important"};
  r["safety"]["related_to"] = {"camrelizumab", "apatinib"};
  r["safety"]["products"][0]["related"] = true;
  return r;
}

/// A follow-up of report `id` decided from version `expected_version` (no clocks are open).
FollowupWrite followup(std::int64_t id, const std::string& fid, const std::string& sha, json record,
                       int expected_version, bool nullification = false) {
  FollowupWrite w;
  w.study = "st";
  w.report = id;
  w.site = "S01";
  w.followup_id = fid;
  w.body_sha256 = sha;
  w.expected_version = expected_version;
  w.record = std::move(record);
  w.nullification = nullification;
  return w;
}

/// Every fact column of ae_versions, in (report, version) order, as JSON (null for NULL).
const char* kColumns =
    "kind, grade, meddra_code, term, soc, protocol_term, onset, resolved, outcome, serious, susar, "
    "fatal_or_life_threatening, criteria, related_to, causality, expected, drug_withdrawn, "
    "verbatim, reported_term, action_taken";

std::vector<json> fact_rows(Db& db) {
  auto st = db.prepare(std::string("SELECT ") + kColumns + " FROM ae_versions ORDER BY report, version");
  std::vector<json> out;
  while (st.step()) {
    json row = json::array();
    for (int i = 0; i < 20; ++i) {
      if (st.is_null(i)) row.push_back(nullptr);
      else if (i == 0 || (i >= 2 && i <= 4) || i == 6 || i == 7 || i == 8 || (i >= 13 && i <= 15) || i >= 17) row.push_back(st.text(i));
      else row.push_back(st.i64(i));
    }
    out.push_back(row);
  }
  return out;
}

}  // namespace

TEST_CASE("fact columns: each inserted version carries its record's facts" * doctest::test_suite("engines")) {
  test::TestDb t;
  FakeClock clock(*parse_timestamp("2026-10-02T09:00:00Z"));
  auto s = std::move(Store::open(t.options(), clock).value());
  REQUIRE(s->enrol_subject("st", "S01", subject("S01-0001"), "h", kActor));
  auto r = s->insert_ae("st", "S01", full_ae("R1", "S01-0001"), "b1", kActor);
  REQUIRE(r);
  const auto id = r->record["id"].get<std::int64_t>();
  clock.advance_ms(86'400'000);
  REQUIRE(s->add_followup(followup(id, "F1", "f1", worse(full_ae("R1", "S01-0001")), 1), kActor));
  clock.advance_ms(86'400'000);
  json gone = worse(full_ae("R1", "S01-0001"));
  gone["nullified"] = {{"reason", "duplicate"}, {"notices", json::array()}};
  REQUIRE(s->add_followup(followup(id, "F2", "f2", gone, 2, true), kActor));
  s->close();

  const auto rows = fact_rows(*t.open(false, true));
  REQUIRE(rows.size() == 3);
  CHECK(rows[0] == json{"initial", 2, "10020772", "Hypertension", "Vascular disorders", 0, "2026-10-01", nullptr,
                        "recovering", 0, 0, 0, 0, "apatinib", "apatinib=probable,camrelizumab=unlikely",
                        "camrelizumab=0,apatinib=1", 0, nullptr, "Hypertension", "apatinib=dose_reduced"});
  // hospitalization = bit 2, medically_important = bit 5
  const json followup{"followup", 3, "10020772", "Hypertension", "Vascular disorders", 0, "2026-10-01",
                      "2026-10-20", "recovered", 1, 1, 0, 4 + 32, "camrelizumab,apatinib",
                      "apatinib=probable,camrelizumab=possible", "camrelizumab=0,apatinib=1", 1,
                      nullptr, "Hypertension", "apatinib=drug_withdrawn"};
  CHECK(rows[1] == followup);
  json nullified = followup;
  nullified[0] = "nullification";
  CHECK(rows[2] == nullified);
}

TEST_CASE("fact columns: version_facts of sparse and odd records") {
  const VersionFacts none = version_facts(json{{"report_id", "R"}, {"subject", "S"}});
  CHECK(none == VersionFacts{});
  json odd{{"grade", "3"},
           {"ctcae", {{"meddra_code", 10020772}, {"protocol_term", true}}},
           {"causality", {{"a", "possible"}, {"b", nullptr}}},
           {"action_taken", "drug_withdrawn"},
           {"safety", {{"criteria", {"death", "death", "unknown", 3}}, {"related_to", json::array()},
                       {"products", {{{"related", true}}, {{"intervention", "a"}}}}}}};
  const VersionFacts f = version_facts(odd);
  CHECK_FALSE(f.grade);
  CHECK_FALSE(f.meddra_code);
  CHECK(f.protocol_term);
  CHECK(f.causality == "a=possible");
  CHECK_FALSE(f.drug_withdrawn);  // action_taken is an object (or array) of actions
  CHECK(f.criteria == 1);
  CHECK_FALSE(f.related_to);  // an empty list is NULL
  CHECK(f.expected == "a=0");
}

TEST_CASE("fact columns: a v5 database migrates with the columns a fresh insert gives") {
  TempDir t;
  // A: current schema, written through the store, with varied records.
  {
    FakeClock clock(*parse_timestamp("2026-10-02T09:00:00Z"));
    auto s = std::move(Store::open({t.path("a.db")}, clock).value());
    REQUIRE(s->enrol_subject("st", "S01", subject("S01-0001"), "h", kActor));
    REQUIRE(s->enrol_subject("st", "S01", subject("S01-0002"), "h", kActor));
    auto r1 = s->insert_ae("st", "S01", full_ae("R1", "S01-0001"), "b1", kActor);
    REQUIRE(r1);
    json sparse{{"report_id", "R2"}, {"subject", "S01-0002"}, {"term", "Fatigue"}, {"grade", 1}};
    REQUIRE(s->insert_ae("st", "S01", sparse, "b2", kActor));
    json odd = full_ae("R3", "S01-0002");
    odd["ctcae"]["protocol_term"] = true;
    odd["ctcae"]["meddra_code"] = "PROTO-RILD";
    odd["causality"]["imrt"] = nullptr;
    odd["action_taken"] = {{"camrelizumab", "drug_withdrawn"}, {"apatinib", "drug_interrupted"}};
    odd["safety"]["criteria"] = {"death", "life_threatening", "death"};
    odd["safety"]["fatal_or_life_threatening"] = true;
    odd["safety"]["related_to"] = json::array();
    odd["safety"].erase("products");
    odd["outcome"] = "fatal";
    odd["grade"] = 5;
    REQUIRE(s->insert_ae("st", "S01", odd, "b3", kActor));
    const auto id = r1->record["id"].get<std::int64_t>();
    clock.advance_ms(3'600'000);
    REQUIRE(s->add_followup(followup(id, "F1", "f1", worse(full_ae("R1", "S01-0001")), 1), kActor));
    clock.advance_ms(3'600'000);
    json gone = worse(full_ae("R1", "S01-0001"));
    gone["nullified"] = {{"reason", "duplicate"}};
    REQUIRE(s->add_followup(followup(id, "F2", "f2", gone, 2, true), kActor));
    s->close();
  }
  // B: schema v5 with the same rows (the version text only), then migrated.
  {
    SqliteDb db(t.path("b.db"), true, false, 1000);
    migrate(db, 5);
    db.exec("ATTACH '" + t.path("a.db") + "' AS a");
    db.exec("INSERT INTO subjects SELECT * FROM a.subjects");
    db.exec("INSERT INTO ae_reports SELECT id, study, site, report_id, subject_id, subject, received_at, "
            "body_sha256, current_version, meddra_code, grade, onset, status FROM a.ae_reports");
    db.exec("INSERT INTO ae_versions (report, version, kind, recorded_at, recorded_by, record) "
            "SELECT report, version, kind, recorded_at, recorded_by, record FROM a.ae_versions");
    db.exec("DETACH a");
    migrate(db);
    CHECK(read_schema_version(db) == current_schema_version());
    // Still append-only, and one row per (report, version).
    CHECK_THROWS_AS(db.exec("UPDATE ae_versions SET grade = 1"), SqliteError);
    CHECK_THROWS_AS(db.exec("DELETE FROM ae_versions"), SqliteError);
    CHECK_THROWS_AS(db.exec("INSERT INTO ae_versions (report, version, kind, recorded_at, recorded_by, record) "
                            "SELECT report, version, kind, recorded_at, recorded_by, record FROM ae_versions "
                            "WHERE version = 2"),
                    SqliteError);
    db.exec("INSERT INTO ae_versions (report, version, kind, recorded_at, recorded_by, record) "
            "SELECT report, 4, kind, recorded_at, recorded_by, record FROM ae_versions WHERE version = 3");
  }
  SqliteDb a(t.path("a.db"), false, true, 1000), b(t.path("b.db"), false, true, 1000);
  const auto fresh = fact_rows(a);
  auto migrated = fact_rows(b);
  REQUIRE(migrated.size() == 6);
  migrated.erase(migrated.begin() + 3);  // the version 4 inserted above, without facts
  REQUIRE(fresh.size() == 5);
  CHECK(migrated == fresh);
  // The odd record's columns, as both give them.
  CHECK(fresh[4] == json{"initial", 5, "PROTO-RILD", "Hypertension", "Vascular disorders", 1, "2026-10-01",
                         nullptr, "fatal", 0, 0, 1, 3, nullptr, "apatinib=probable,camrelizumab=unlikely",
                         nullptr, 1, nullptr, "Hypertension", "apatinib=drug_interrupted,camrelizumab=drug_withdrawn"});
  // The sparse one: NULLs and zeros.
  CHECK(fresh[3] == json{"initial", 1, nullptr, nullptr, nullptr, 0, nullptr, nullptr, nullptr, 0, 0, 0, 0,
                         nullptr, nullptr, nullptr, 0, nullptr, "Fatigue", nullptr});
}

namespace {

/// The facts as Store::snapshot read them before schema v6 (json_extract over the version in
/// force, found by a correlated subquery), flattened to JSON for comparison.
std::vector<json> facts_from_json(const std::string& path, const std::string& study, const std::string& cut) {
  SqliteDb db(path, false, true, 1000);
  auto st = db.prepare(
      "SELECT r.id, r.report_id, r.subject, r.site, v.kind, "
      "json_extract(v.record, '$.ctcae.meddra_code'), json_extract(v.record, '$.ctcae.term'), "
      "json_extract(v.record, '$.ctcae.soc'), json_extract(v.record, '$.ctcae.protocol_term'), "
      "json_extract(v.record, '$.grade'), json_extract(v.record, '$.onset'), "
      "json_extract(v.record, '$.resolved'), json_extract(v.record, '$.outcome'), "
      "json_extract(v.record, '$.safety.serious'), json_extract(v.record, '$.safety.susar'), "
      "json_extract(v.record, '$.safety.fatal_or_life_threatening'), "
      "json(json_extract(v.record, '$.safety.criteria')), "
      "json(json_extract(v.record, '$.safety.related_to')), "
      "EXISTS (SELECT 1 FROM json_each(v.record, '$.action_taken') WHERE value = 'drug_withdrawn') "
      "FROM ae_reports r JOIN ae_versions v ON v.report = r.id "
      "WHERE r.study = ?1 AND v.version = (SELECT max(version) FROM ae_versions "
      "WHERE report = r.id AND recorded_at <= ?2) ORDER BY r.id");
  st.bind(1, study).bind(2, cut);
  std::vector<json> out;
  while (st.step()) {
    std::uint8_t criteria = 0;
    if (auto c = st.opt_text(16))
      for (const auto& x : json::parse(*c))
        for (std::size_t i = 0; i < safety::kSeriousnessCriteria.size(); ++i)
          if (x == safety::kSeriousnessCriteria[i]) criteria |= static_cast<std::uint8_t>(1u << i);
    json related = json::array();
    if (auto r = st.opt_text(17)) related = json::parse(*r);
    out.push_back({st.i64(0), st.text(1), st.text(2), st.text(3), st.text(4) == "nullification",
                   st.opt_text(5).value_or(""), st.opt_text(6).value_or(""), st.opt_text(7).value_or(""),
                   st.opt_i64(8).value_or(0) != 0, st.opt_i64(9).value_or(0),
                   st.opt_text(10) ? json(*st.opt_text(10)) : json(nullptr),
                   st.opt_text(11) ? json(*st.opt_text(11)) : json(nullptr), st.opt_text(12).value_or(""),
                   st.opt_i64(13).value_or(0) != 0, st.opt_i64(14).value_or(0) != 0,
                   st.opt_i64(15).value_or(0) != 0, criteria, related, st.i64(18) != 0});
  }
  return out;
}

std::vector<json> flatten(const Snapshot& s) {
  std::vector<json> out;
  const auto& t = s.fact_tables;
  for (const auto& f : s.facts) {
    const auto* term = t.term(f);
    REQUIRE(term);
    out.push_back({f.id, std::string(t.report_id(f)), t.subject(f), t.site(f), f.nullified, term->meddra_code,
                   term->term, term->soc, term->protocol, f.grade,
                   f.onset ? json(format_date(*f.onset)) : json(nullptr),
                   f.resolved ? json(format_date(*f.resolved)) : json(nullptr), t.outcome(f), f.serious, f.susar,
                   f.fatal_or_life_threatening, f.criteria, t.related_to(f), f.drug_withdrawn});
  }
  return out;
}

}  // namespace

TEST_CASE("fact columns: snapshot facts equal what the JSON gave, at every cut-off") {
  TempDir t;
  FakeClock clock(*parse_timestamp("2026-10-02T09:00:00Z"));
  auto s = std::move(Store::open({t.path("a.db")}, clock).value());
  for (const char* subj : {"S01-0001", "S01-0002", "S02-0001"}) {
    const std::string site = std::string(subj).substr(0, 3);
    REQUIRE(s->enrol_subject("st", site, subject(subj), "h", Actor{"c", site}));
  }
  REQUIRE(s->enrol_subject("other", "S01", subject("S01-0001"), "h", kActor));
  std::vector<std::int64_t> ids;
  const char* subjects[] = {"S01-0001", "S01-0002", "S02-0001", "S01-0001", "S02-0001"};
  for (int i = 0; i < 5; ++i) {
    const std::string site = std::string(subjects[i]).substr(0, 3);
    json rec = full_ae("R" + std::to_string(i + 1), subjects[i]);
    if (i == 2) {  // another term
      rec["ctcae"] = {{"meddra_code", "10016256"}, {"term", "Fatigue"}, {"soc", "General disorders"}};
      rec["safety"]["related_to"] = {"camrelizumab"};
    }
    if (i == 4) rec["safety"].erase("related_to");
    auto r = s->insert_ae("st", site, rec, "b" + std::to_string(i), Actor{"c", site});
    REQUIRE(r);
    ids.push_back(r->record["id"].get<std::int64_t>());
    clock.advance_ms(60'000);
  }
  REQUIRE(s->insert_ae("other", "S01", full_ae("R1", "S01-0001"), "o", kActor));
  const Timestamp before_followups = clock.now();
  clock.advance_ms(60'000);
  REQUIRE(s->add_followup(followup(ids[0], "F1", "f1", worse(full_ae("R1", "S01-0001")), 1), kActor));
  const Timestamp after_followup = clock.now();
  clock.advance_ms(60'000);
  json gone = full_ae("R2", "S01-0002");
  gone["nullified"] = {{"reason", "entered in error"}};
  REQUIRE(s->add_followup(followup(ids[1], "F2", "f2", gone, 1, true), kActor));
  clock.advance_ms(60'000);
  REQUIRE(s->insert_ae("st", "S01", full_ae("R6", "S01-0002"), "b6", kActor));  // after every cut below
  const Timestamp all = clock.now().plus_ms(-1);

  Store::SnapshotOptions o;
  o.facts = true;
  for (Timestamp cut : {*parse_timestamp("2026-10-02T09:01:30Z"), before_followups, after_followup, all}) {
    CAPTURE(format_timestamp(cut));
    auto snap = s->snapshot("st", cut, o);
    REQUIRE(snap);
    const auto expected = facts_from_json(t.path("a.db"), "st", format_timestamp(cut));
    CHECK(flatten(snap.value()) == expected);
    CHECK_FALSE(expected.empty());
  }
  auto last = s->snapshot("st", all, o);
  REQUIRE(last);
  REQUIRE(last->facts.size() == 5);
  const auto& tables = last->fact_tables;
  CHECK(bool(last->facts[0].serious));
  CHECK(tables.causality[last->facts[0].causality] == "apatinib=probable,camrelizumab=possible");
  CHECK(tables.expected[last->facts[0].expected] == "camrelizumab=0,apatinib=1");
  CHECK(bool(last->facts[1].nullified));
  CHECK(tables.related_to(last->facts[4]).empty());
  CHECK(tables.terms.size() == 2);
  CHECK(tables.subjects.size() == 3);
}

TEST_CASE("sdtm_rows: the SDTM export's rows from the columns equal those from the version texts" *
          doctest::test_suite("engines")) {
  test::TestDb t;
  FakeClock clock(*parse_timestamp("2026-10-02T09:00:00Z"));
  auto s = std::move(Store::open(t.options(), clock).value());
  REQUIRE(s->enrol_subject("st", "S01", subject("S01-0001"), "h", kActor));
  json a = full_ae("R1", "S01-0001");
  a["verbatim"] = "BP high, \"very\"";
  auto r1 = s->insert_ae("st", "S01", a, "b1", kActor);
  REQUIRE(r1);
  REQUIRE(s->insert_ae("st", "S01", full_ae("R2", "S01-0001"), "b2", kActor));
  clock.advance_ms(60'000);
  const auto id = r1->record["id"].get<std::int64_t>();
  REQUIRE_FALSE(s->add_followup(followup(id, "F1", "f1", worse(a), 1), kActor)->stale);
  auto rows = s->sdtm_rows("st", clock.now());
  REQUIRE(rows);
  REQUIRE(rows->size() == 2);
  for (const auto& row : rows.value()) {
    auto page = s->list_ae(AeQuery{"st", std::nullopt, std::nullopt, std::nullopt, std::nullopt, 50});
    REQUIRE(page);
    bool found = false;
    for (const auto& rec : page->items) {
      if (rec["report_id"] != row.report_id) continue;
      found = true;
      const auto from_text = interop::sdtm_row(rec);
      CHECK(row.verbatim == from_text.verbatim);
      CHECK(row.reported_term == from_text.reported_term);
      CHECK(row.term == from_text.term);
      CHECK(row.meddra_code == from_text.meddra_code);
      CHECK(row.grade == from_text.grade);
      CHECK(row.serious == from_text.serious);
      CHECK(row.causality == from_text.causality);
      CHECK(row.action_taken == from_text.action_taken);
      CHECK(row.outcome == from_text.outcome);
      CHECK(row.onset == from_text.onset);
      CHECK(row.resolved == from_text.resolved);
    }
    CHECK(found);
  }
  // Before the follow-up, R1 is as it was first reported.
  auto before = s->sdtm_rows("st", clock.now().plus_ms(-30'000));
  REQUIRE(before);
  CHECK(before->at(0).grade == 2);
  CHECK(rows->at(0).grade == 3);
  s->close();
}
