// bench_report generate --db FILE [--subjects N] [--reports M] [--seed S]
//   Writes a synthetic study into a new database (schema by pvmon::store, rows by bulk SQL:
//   the HTTP path would take hours for a million reports and measures something else).
// bench_report build --db FILE [--runs R] [--json OUT] [--phases sql,parse,report,snapshot]
//   Times the DSMB report build (snapshot, model, canonical JSON, SHA-256) and, side by side,
//   two baselines: a plain SQL aggregate over the same fact columns (subjects per term by worst
//   grade, schema v6), and one pass reading and parsing every current AE record. Each phase
//   runs in a child process of its own so that peak RSS (ru_maxrss) is the phase's own.
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "pvmon/config.hpp"
#include "pvmon/ctcae.hpp"
#include "pvmon/service/dsmb.hpp"
#include "pvmon/service/scheduler.hpp"
#include "pvmon/safety/labs.hpp"
#include "pvmon/store.hpp"
#include "sqlite.hpp"
#include "version_facts.hpp"

using namespace pvmon;
using nlohmann::json;

namespace {

std::map<std::string, std::string> parse_args(int argc, char** argv, int first) {
  std::map<std::string, std::string> m;
  for (int i = first; i + 1 < argc; i += 2) m[argv[i]] = argv[i + 1];
  return m;
}

void exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::cerr << "sqlite: " << (err ? err : "?") << "\n";
    std::exit(1);
  }
}

std::string load_study_text() {
  std::ifstream in(std::string(PVMON_SOURCE_DIR) + "/config/studies/hcc-pvtt-imrt.json");
  return {std::istreambuf_iterator<char>(in), {}};
}

int generate(const std::map<std::string, std::string>& a) {
  const std::string path = a.at("--db");
  const int subjects = a.count("--subjects") ? std::stoi(a.at("--subjects")) : 1000;
  const long reports = a.count("--reports") ? std::stol(a.at("--reports")) : 1000000;
  std::mt19937_64 rng(a.count("--seed") ? std::stoull(a.at("--seed")) : 7);
  std::remove(path.c_str());
  FakeClock clock(parse_timestamp("2026-11-01T00:00:00Z").value());
  {
    auto s = store::Store::open(store::Options{path}, clock);
    if (!s) {
      std::cerr << s.error().message << "\n";
      return 1;
    }
    const std::string text = load_study_text();
    auto st = config::parse_study(text, "hcc-pvtt-imrt.json");
    if (!st) {
      std::cerr << st.error().message << "\n";
      return 1;
    }
    (void)s.value()->record_protocol("hcc-pvtt-imrt", st->sha256, st->text);
    s.value()->close();
  }
  // The store's connection, so that versions are written by the store's own insert (text and
  // fact columns together); everything else by plain SQL.
  store::SqliteDb sdb(path, false, false, 5000);
  sqlite3* db = sdb.raw();
  exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF; BEGIN");
  // The terms this regimen produces most (shaped, not exact), by CTCAE v5.0 name.
  const char* names[] = {"Hypertension", "Palmar-plantar erythrodysesthesia syndrome",
                         "Aspartate aminotransferase increased", "Alanine aminotransferase increased",
                         "Platelet count decreased", "Proteinuria", "Fatigue", "Diarrhea",
                         "Blood bilirubin increased", "Hypothyroidism", "Rash maculo-papular",
                         "Anorexia", "White blood cell decreased", "Pneumonitis", "Colitis"};
  std::vector<const ctcae::Term*> terms;
  for (const char* n : names)
    if (const auto* t = ctcae::find_term(n)) terms.push_back(t);
  const Date start = parse_date("2025-01-01").value();
  sqlite3_stmt *sub = nullptr, *ev = nullptr, *rep = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO subjects (id, study, subject, site, enrolled, record, body_sha256, created_at, created_by) VALUES (?,?,?,?,?,?,?,?,?)", -1, &sub, nullptr);
  sqlite3_prepare_v2(db, "INSERT INTO subject_events (subject_id, kind, date, record, recorded_at, recorded_by) VALUES (?,?,?,?,?,?)", -1, &ev, nullptr);
  sqlite3_prepare_v2(db, "INSERT INTO ae_reports (id, study, site, report_id, subject_id, subject, received_at, body_sha256, current_version, meddra_code, grade, onset, status) VALUES (?,?,?,?,?,?,?,?,1,?,?,?,'active')", -1, &rep, nullptr);
  auto text = [](sqlite3_stmt* s, int i, const std::string& v) {
    sqlite3_bind_text(s, i, v.c_str(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  };
  auto step = [&](sqlite3_stmt* s) {
    if (sqlite3_step(s) != SQLITE_DONE) {
      std::cerr << "sqlite: " << sqlite3_errmsg(db) << "\n";
      std::exit(1);
    }
    sqlite3_reset(s);
  };
  std::vector<Date> enrolled(static_cast<std::size_t>(subjects));
  for (int i = 0; i < subjects; ++i) {
    const std::string id = "S0" + std::to_string(1 + i % 2) + "-" + std::to_string(10000 + i);
    const Date e = start.plus_days(static_cast<int>(rng() % 540));
    enrolled[static_cast<std::size_t>(i)] = e;
    json rec{{"subject", id}, {"enrolled", format_date(e)}, {"sex", rng() % 2 ? "M" : "F"}, {"age", 40 + rng() % 35}};
    sqlite3_bind_int(sub, 1, i + 1);
    text(sub, 2, "hcc-pvtt-imrt");
    text(sub, 3, id);
    text(sub, 4, i % 2 ? "S02" : "S01");
    text(sub, 5, format_date(e));
    text(sub, 6, rec.dump());
    text(sub, 7, "x");
    text(sub, 8, format_date(e) + "T00:00:00.000Z");
    text(sub, 9, "bench");
    step(sub);
    auto event = [&](const char* kind, Date d, json extra) {
      extra["kind"] = kind;
      extra["date"] = format_date(d);
      sqlite3_bind_int(ev, 1, i + 1);
      text(ev, 2, kind);
      text(ev, 3, format_date(d));
      text(ev, 4, extra.dump());
      text(ev, 5, format_date(d) + "T12:00:00.000Z");
      text(ev, 6, "bench");
      step(ev);
    };
    event("drug_start", e.plus_days(3), {{"drug", "camrelizumab"}});
    event("drug_start", e.plus_days(3), {{"drug", "apatinib"}});
    if (rng() % 10 < 8) {
      const Date surgery = e.plus_days(60 + static_cast<int>(rng() % 30));
      const char* margin = rng() % 10 < 8 ? "R0" : "R1";
      event("response_assessment", surgery.plus_days(-5),
            {{"primary", rng() % 4 == 0 ? "PR" : "SD"}, {"pvtt_before", "II"}, {"pvtt_now", rng() % 3 == 0 ? "I" : "II"}});
      event("surgery", surgery, {{"procedure", "hepatectomy"}, {"margin", margin}});
      event("pathology", surgery, {{"viable_tumour_percent", static_cast<int>(rng() % 101)}, {"margin", margin}});
      event("discharge", surgery.plus_days(7 + static_cast<int>(rng() % 10)), json::object());
      if (rng() % 4 == 0) event("relapse", surgery.plus_days(90 + static_cast<int>(rng() % 200)), {{"criteria", "mRECIST"}});
      if (rng() % 50 == 0) event("death", surgery.plus_days(5 + static_cast<int>(rng() % 60)), {{"cause", "liver failure"}});
    }
  }
  for (long r = 1; r <= reports; ++r) {
    const int s = static_cast<int>(rng() % static_cast<unsigned>(subjects));
    const auto* t = terms[rng() % terms.size()];
    int grade = 1 + static_cast<int>(rng() % 100 < 60 ? 0 : rng() % 100 < 70 ? 1 : 2);
    while (!t->has_grade(grade)) --grade;
    const Date onset = enrolled[static_cast<std::size_t>(s)].plus_days(static_cast<int>(rng() % 300));
    const bool serious = rng() % 40 == 0;
    const std::string subject = "S0" + std::to_string(1 + s % 2) + "-" + std::to_string(10000 + s);
    json rec{{"report_id", "R" + std::to_string(r)}, {"subject", subject}, {"term", std::string(t->term)},
             {"verbatim", std::string(t->term)}, {"grade", grade}, {"onset", format_date(onset)},
             {"resolved", nullptr}, {"site_aware_at", format_date(onset) + "T08:00:00.000Z"},
             {"serious", {{"death", false}, {"life_threatening", false}, {"hospitalization", serious},
                          {"disability", false}, {"congenital_anomaly", false}, {"medically_important", false}}},
             {"causality", {{"camrelizumab", rng() % 2 ? "possible" : "unlikely"}, {"apatinib", "possible"}}},
             {"action_taken", {{"apatinib", "dose_not_changed"}}}, {"outcome", "recovering"}, {"narrative", ""},
             {"ctcae", {{"version", "5.0"}, {"meddra_code", std::string(t->meddra_code)}, {"term", std::string(t->term)},
                        {"soc", std::string(t->soc)}, {"grade", grade}, {"match", "exact"}}},
             {"safety", {{"serious", serious}, {"susar", false}, {"criteria", serious ? json::array({"hospitalization"}) : json::array()},
                         {"related_to", json::array({"apatinib"})}}}};
    const std::string at = format_date(onset) + "T09:00:00.000Z";
    sqlite3_bind_int64(rep, 1, r);
    text(rep, 2, "hcc-pvtt-imrt");
    text(rep, 3, s % 2 ? "S02" : "S01");
    text(rep, 4, "R" + std::to_string(r));
    sqlite3_bind_int(rep, 5, s + 1);
    text(rep, 6, subject);
    text(rep, 7, at);
    text(rep, 8, "x");
    text(rep, 9, std::string(t->meddra_code));
    sqlite3_bind_int(rep, 10, grade);
    text(rep, 11, format_date(onset));
    step(rep);
    store::insert_version(sdb, r, 1, "initial", at, "bench", rec.dump(), store::version_facts(rec));
  }
  for (auto* s : {sub, ev, rep}) sqlite3_finalize(s);
  exec(db, "COMMIT; PRAGMA wal_checkpoint(TRUNCATE)");
  std::cout << "generated " << subjects << " subjects and " << reports << " AE reports in " << path << "\n";
  return 0;
}

struct Phase {
  double seconds = 0;
  long max_rss_kb = 0;
};

/// Runs `fn` in a child process; its wall time and peak RSS come back through a pipe.
Phase in_child(const std::function<void()>& fn) {
  int fds[2];
  if (pipe(fds) != 0) std::exit(1);
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    const auto t0 = std::chrono::steady_clock::now();
    fn();
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    Phase p{secs, ru.ru_maxrss};
    if (write(fds[1], &p, sizeof p) != sizeof p) _exit(1);
    _exit(0);
  }
  close(fds[1]);
  Phase p;
  if (read(fds[0], &p, sizeof p) != sizeof p) std::cerr << "child failed\n";
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return p;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

int build(const std::map<std::string, std::string>& a) {
  const std::string path = a.at("--db");
  const int runs = a.count("--runs") ? std::stoi(a.at("--runs")) : 3;
  // --phases sql,parse,report,snapshot (default all): e.g. only the report, under perf.
  const std::string phases = a.count("--phases") ? a.at("--phases") : "sql,parse,report,snapshot";
  auto phase = [&](const char* name, const std::function<void()>& fn) {
    return phases.find(name) != std::string::npos ? in_child(fn) : Phase{};
  };
  SystemClock clock;
  std::string sha;
  std::vector<double> tb, tr, ts, tq;
  std::vector<double> mb, mr, ms, mq;
  const std::string cut = "2026-11-01T00:00:00.000Z";
  for (int i = 0; i < runs; ++i) {
    // Baseline: a plain SQL aggregate over the same fact columns the report reads: per term,
    // subjects by their worst grade, from each report's version in force at the cut-off.
    auto sql = phase("sql", [&] {
      sqlite3* db = nullptr;
      sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
      sqlite3_stmt* st = nullptr;
      if (sqlite3_prepare_v2(db,
              "WITH v AS (SELECT report, max(version) AS version, kind, grade, meddra_code "
              "FROM ae_versions WHERE recorded_at <= ?1 GROUP BY report) "
              "SELECT meddra_code, worst, count(*) FROM (SELECT v.meddra_code, r.subject_id, "
              "max(v.grade) AS worst FROM v JOIN ae_reports r ON r.id = v.report "
              "WHERE r.study = ?2 AND v.kind <> 'nullification' GROUP BY v.meddra_code, r.subject_id) "
              "GROUP BY meddra_code, worst", -1, &st, nullptr) != SQLITE_OK) {
        std::cerr << "sqlite: " << sqlite3_errmsg(db) << "\n";
        return;
      }
      sqlite3_bind_text(st, 1, cut.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(st, 2, "hcc-pvtt-imrt", -1, SQLITE_STATIC);
      long rows = 0, subjects = 0;
      while (sqlite3_step(st) == SQLITE_ROW) {
        ++rows;
        subjects += sqlite3_column_int64(st, 2);
      }
      sqlite3_finalize(st);
      sqlite3_close(db);
      std::cerr << "SQL aggregate: " << rows << " (term, worst grade) rows, " << subjects << " subject-terms\n";
    });
    // Baseline: read and parse every current record once (what any report must at least do).
    auto base = phase("parse", [&] {
      sqlite3* db = nullptr;
      sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
      sqlite3_stmt* st = nullptr;
      sqlite3_prepare_v2(db, "SELECT v.record FROM ae_reports r JOIN ae_versions v ON v.report = r.id AND v.version = r.current_version", -1, &st, nullptr);
      long n = 0;
      while (sqlite3_step(st) == SQLITE_ROW) {
        auto j = json::parse(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
        n += j.size() > 0;
      }
      sqlite3_finalize(st);
      sqlite3_close(db);
      if (n == 0) std::cerr << "no reports\n";
    });
    auto rep = phase("report", [&] {
      auto s = store::Store::open(store::Options{path}, clock);
      auto proto = s.value()->protocol_at("hcc-pvtt-imrt", clock.now());
      config::Config c;
      c.studies["hcc-pvtt-imrt"] = config::parse_study(proto.value()->text, "p").value();
      auto rt = service::make_runtime(c).value();
      auto d = service::build_dsmb_report(*rt, c.studies.at("hcc-pvtt-imrt"), *s.value(),
                                       service::DataCutoff{parse_date("2026-10-31").value(),
                                                           parse_timestamp("2026-11-01T00:00:00Z").value()},
                                       "manual");
      if (!d) std::cerr << d.error().message << "\n";
      else std::cerr << "report sha256 " << d->sha256 << ", " << d->body.size() << " bytes\n";
      s.value()->close();
    });
    auto snap = phase("snapshot", [&] {
      auto s = store::Store::open(store::Options{path}, clock);
      store::Store::SnapshotOptions o;
      o.facts = true;
      auto sn = s.value()->snapshot("hcc-pvtt-imrt", parse_timestamp("2026-11-01T00:00:00Z").value(), o);
      std::cerr << "snapshot: " << sn->facts.size() << " reports\n";
      s.value()->close();
    });
    tq.push_back(sql.seconds);
    mq.push_back(static_cast<double>(sql.max_rss_kb) / 1024);
    ts.push_back(snap.seconds);
    ms.push_back(static_cast<double>(snap.max_rss_kb) / 1024);
    tb.push_back(base.seconds);
    tr.push_back(rep.seconds);
    mb.push_back(static_cast<double>(base.max_rss_kb) / 1024);
    mr.push_back(static_cast<double>(rep.max_rss_kb) / 1024);
  }
  const double b = median(tb), r = median(tr), q = median(tq);
  std::printf("%-38s %12s %14s\n", "phase (median of runs)", "seconds", "peak RSS MiB");
  std::printf("%-38s %12.3f %14.0f\n", "baseline: SQL aggregate (term, worst)", q, median(mq));
  std::printf("%-38s %12.3f %14.0f\n", "baseline: read + parse all records", b, median(mb));
  std::printf("%-38s %12.3f %14.0f\n", "  of which: snapshot (AE facts)", median(ts), median(ms));
  std::printf("%-38s %12.3f %14.0f\n", "DSMB report build", r, median(mr));
  std::printf("%-38s %12.2f %14.2f\n", "ratio report / SQL aggregate", r / q, median(mr) / median(mq));
  std::printf("%-38s %12.2f %14.2f\n", "ratio report / read + parse", r / b, median(mr) / median(mb));
  json out{{"runs", runs}, {"baseline_seconds", b}, {"report_seconds", r}, {"ratio", r / b},
           {"sql_baseline_seconds", q}, {"sql_baseline_peak_rss_mib", median(mq)}, {"ratio_sql", r / q},
           {"baseline_peak_rss_mib", median(mb)}, {"report_peak_rss_mib", median(mr)},
           {"snapshot_seconds", median(ts)}, {"snapshot_peak_rss_mib", median(ms)}, {"report_seconds_all", tr},
           {"baseline_seconds_all", tb}, {"sql_baseline_seconds_all", tq}, {"snapshot_seconds_all", ts}};
  if (a.count("--json")) std::ofstream(a.at("--json")) << out.dump(2) << "\n";
  return 0;
}

/// The scheduler's tick over the study (issue 17): its snapshot and every alert it would raise,
/// with each subject's course; beside the same tick without the course reads (the tick as it
/// was: stopping rules and clocks). Median of --runs in one process (warm cache).
int tick(const std::map<std::string, std::string>& a) {
  const std::string path = a.at("--db");
  const int runs = a.count("--runs") ? std::stoi(a.at("--runs")) : 5;
  SystemClock clock;
  auto s = store::Store::open(store::Options{path}, clock);
  if (!s) {
    std::cerr << s.error().message << "\n";
    return 1;
  }
  auto proto = s.value()->protocol_at("hcc-pvtt-imrt", clock.now());
  config::Config c;
  c.studies["hcc-pvtt-imrt"] = config::parse_study(proto.value()->text, "p").value();
  auto rt = service::make_runtime(c).value();
  const auto& st = c.studies.at("hcc-pvtt-imrt");
  const Timestamp now = clock.now();
  std::vector<double> with, without;
  std::size_t alerts = 0;
  for (int i = 0; i < runs; ++i)
    for (bool courses : {false, true}) {
      auto opts = service::scheduler_snapshot_options(*rt, st, now);
      opts.scheduler->courses = courses;
      const auto t0 = std::chrono::steady_clock::now();
      auto snap = s.value()->snapshot(st.id, now, opts);
      auto drafts = service::scheduled_alerts(*rt, st, snap.value(), now);
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      (courses ? with : without).push_back(secs);
      if (courses) alerts = drafts.size();
    }
  s.value()->close();
  std::printf("%-44s %10s\n", "tick (median of runs)", "ms");
  std::printf("%-44s %10.1f\n", "baseline: stopping rules and clocks only", 1000 * median(without));
  std::printf("%-44s %10.1f\n", "with every subject's course", 1000 * median(with));
  std::printf("%-44s %10.2f\n", "ratio", median(with) / median(without));
  std::printf("alerts the tick would raise: %zu\n", alerts);
  return 0;
}

/// The lab stream at scale (issue 25): --panels panels of 8 results for each of the first
/// --subjects subjects, each through the writer as the daemon stores it (validated and graded,
/// Hy's law over the subject's stream in the transaction), beside the same number of subject
/// events (last_known_alive) through the same writer; then what the DSMB report and the tick
/// read of the stream (eDISH, shift tables; the findings without an AE).
int labs(const std::map<std::string, std::string>& a) {
  const std::string path = a.at("--db");
  const int subjects = a.count("--subjects") ? std::stoi(a.at("--subjects")) : 200;
  const int panels = a.count("--panels") ? std::stoi(a.at("--panels")) : 20;
  SystemClock clock;
  auto s = store::Store::open(store::Options{path}, clock);
  if (!s) {
    std::cerr << s.error().message << "\n";
    return 1;
  }
  auto& st = *s.value();
  ctcae::Resolver resolver;
  std::mt19937_64 rng(11);
  const Timestamp now = clock.now();
  const store::Actor actor{"bench", ""};
  std::vector<std::string> ids;
  for (int i = 0; i < subjects; ++i) ids.push_back("S0" + std::to_string(1 + i % 2) + "-" + std::to_string(10000 + i));
  const std::string run = std::to_string(now.ms);
  double t_labs = 0, t_events = 0;
  int stored = 0, events = 0;
  for (int k = 0; k < panels; ++k)
    for (const auto& id : ids) {
      auto row = st.find_subject("hcc-pvtt-imrt", id);
      if (!row || !row.value()) continue;
      const auto& sub = *row.value();
      const Timestamp at = Timestamp{sub.enrolled.days * 86400000LL + 8 * 3600000LL}.plus_hours(24 * (1 + 7 * k));
      if (at > now) continue;
      auto v = [&](double lo, double hi) { return std::round((lo + (hi - lo) * double(rng() % 1000) / 1000.0) * 10) / 10; };
      const json body{{"panel_id", id + "-B" + run + "-" + std::to_string(k)},
                      {"collected_at", format_timestamp(at)},
                      {"results", json::array({{{"test", "ALT"}, {"value", v(15, 200)}, {"unit", "U/L"}, {"uln", 40}},
                                               {{"test", "AST"}, {"value", v(15, 200)}, {"unit", "U/L"}, {"uln", 40}},
                                               {{"test", "ALP"}, {"value", v(50, 200)}, {"unit", "U/L"}, {"uln", 120}},
                                               {{"test", "total bilirubin"}, {"value", v(5, 50)}, {"unit", "umol/L"}, {"uln", 21}},
                                               {{"test", "platelets"}, {"value", v(40, 300)}, {"unit", "10^9/L"}, {"lln", 100}},
                                               {{"test", "neutrophils"}, {"value", v(0.8, 6)}, {"unit", "10^9/L"}, {"lln", 2}},
                                               {{"test", "haemoglobin"}, {"value", v(80, 160)}, {"unit", "g/L"}, {"lln", 130}},
                                               {{"test", "creatinine"}, {"value", v(50, 150)}, {"unit", "umol/L"}, {"uln", 110}}})}};
      safety::LabContext ctx;
      ctx.enrolled = sub.enrolled;
      ctx.now = now;
      ctx.baseline = sub.record.value("baseline", json::object());
      ctx.resolver = &resolver;
      const auto t0 = std::chrono::steady_clock::now();
      auto panel = safety::validate_panel(body, ctx);
      if (panel) {
        store::LabWrite w;
        w.study = "hcc-pvtt-imrt";
        w.subject = id;
        w.panel = std::move(panel.value());
        w.record = body;
        w.body_sha256 = std::to_string(k);
        if (st.add_lab_panel(std::move(w), actor)) ++stored;
      }
      const auto t1 = std::chrono::steady_clock::now();
      // The baseline: a subject event through the same writer (a last known alive contact).
      auto existing = st.subject_events("hcc-pvtt-imrt", id);
      store::EventWrite e;
      e.study = "hcc-pvtt-imrt";
      e.subject = id;
      e.expected_events = existing->size();
      for (const auto& x : existing.value()) e.expected_last_event = std::max(e.expected_last_event, x.id);
      e.event = safety::SubjectEvent{0, "last_known_alive", at.date(),
                                     json{{"kind", "last_known_alive"}, {"date", format_date(at.date())}}};
      e.facts = safety::facts_from_events(id, sub.enrolled, existing.value());
      if (st.add_event(std::move(e), actor)) ++events;
      const auto t2 = std::chrono::steady_clock::now();
      t_labs += std::chrono::duration<double>(t1 - t0).count();
      t_events += std::chrono::duration<double>(t2 - t1).count();
    }
  const Timestamp read_at = clock.now();  // after every write
  const auto r0 = std::chrono::steady_clock::now();
  auto by = st.study_labs("hcc-pvtt-imrt", read_at, read_at);
  const auto ed = safety::edish(by.value(), read_at);
  const auto sh = safety::shift_tables(by.value(), read_at);
  const auto r1 = std::chrono::steady_clock::now();
  auto f = st.lab_findings("hcc-pvtt-imrt", 3, 7);
  std::size_t findings = 0;
  for (const auto& [sub, res] : f->results) findings += safety::lab_without_ae(res, f->aes[sub], {}, now.date()).size();
  const auto r2 = std::chrono::steady_clock::now();
  std::size_t results = 0;
  for (const auto& [sub, res] : by.value()) results += res.size();
  st.close();
  std::printf("%-52s %12s\n", "lab stream", "value");
  std::printf("%-52s %12d\n", "panels stored (8 results each)", stored);
  std::printf("%-52s %12.3f\n", "ms per panel (validate, grade, store, Hy's law)", 1000 * t_labs / std::max(1, stored));
  std::printf("%-52s %12.3f\n", "ms per subject event (baseline, same writer)", 1000 * t_events / std::max(1, events));
  std::printf("%-52s %12.2f\n", "ratio panel / event", (t_labs / std::max(1, stored)) / (t_events / std::max(1, events)));
  std::printf("%-52s %12zu\n", "results in the study", results);
  std::printf("%-52s %12.1f\n", "DSMB: read results, eDISH, shift tables (ms)", 1000 * std::chrono::duration<double>(r1 - r0).count());
  std::printf("%-52s %12.1f\n", "tick: findings without an AE (ms)", 1000 * std::chrono::duration<double>(r2 - r1).count());
  std::printf("eDISH points %zu, shift tables %zu, findings %zu\n", ed.points.size(), sh.size(), findings);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: bench_report generate|build --db FILE [...]\n";
    return 2;
  }
  const std::string cmd = argv[1];
  auto a = parse_args(argc, argv, 2);
  if (!a.count("--db")) {
    std::cerr << "--db FILE is required\n";
    return 2;
  }
  if (cmd == "generate") return generate(a);
  if (cmd == "labs") return labs(a);
  if (cmd == "build") return build(a);
  if (cmd == "tick") return tick(a);
  std::cerr << "unknown command " << cmd << "\n";
  return 2;
}
