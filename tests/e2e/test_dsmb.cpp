// End-to-end: DSMB reports built on request, listed, pulled in each format, pushed to the DSMB's
// webhook (signed), audited, and rebuilt offline with `pvmon report` from a backup copy of the
// database to the same bytes; a report's two dates (clinical cut-off and as-of) with a death
// entered after its cut-off. The schedule itself is tested with an injected clock in
// tests/unit/service.
#include <doctest/doctest.h>
#include <openssl/sha.h>

#include <ctime>
#include <set>

#include "daemon.hpp"
#include "receiver.hpp"

using namespace pvmon::test;

namespace {

/// A stored timestamp ("YYYY-MM-DDThh:mm:ss.mmmZ") moved by `ms` milliseconds.
std::string shift_ms(const std::string& ts, long long ms) {
  std::tm tm{};
  int millis = 0;
  REQUIRE(std::sscanf(ts.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                      &tm.tm_min, &tm.tm_sec, &millis) == 7);
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  long long total = static_cast<long long>(timegm(&tm)) * 1000 + millis + ms;
  const std::time_t secs = static_cast<std::time_t>(total / 1000);
  std::tm out{};
  gmtime_r(&secs, &out);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &out);
  return std::string(buf) + "." + std::to_string(1000 + total % 1000).substr(1) + "Z";
}

struct Dsmb {
  TempDir tmp;
  int port = free_port();
  Receiver rx{port};
  std::unique_ptr<Daemon> d;

  Dsmb() {
    write_text(tmp.path / "dsmb.secret", kSecret + "\n");
    auto config = write_config(tmp.path, [&](json& c) {
      c["webhooks"] = json::array({{{"name", "dsmb"},
                                    {"url", rx.url()},
                                    {"secret_file", (tmp.path / "dsmb.secret").string()},
                                    {"events", json::array({"dsmb.report"})}}});
      c["public_url"] = "https://pvmon.example.org/";
    });
    d = std::make_unique<Daemon>(config, tmp.path / "data");
  }
  httplib::Result post(const std::string& path, const std::string& body, const std::string& token) {
    return d->client().Post((std::string(kStudy) + path).c_str(), bearer(token), body, "application/json");
  }
  httplib::Result get(const std::string& path, const std::string& token) {
    return d->client().Get((std::string(kStudy) + path).c_str(), bearer(token));
  }
};

}  // namespace

TEST_CASE_FIXTURE(Dsmb, "DSMB reports: build, list, pull in every format, push, audit, rebuild offline") {
  rx.start();
  d->start();
  // A subject with an SAE.
  auto s = post("/subjects", subject_body("S01-0007").dump(), "demo-site-s01");
  REQUIRE(s);
  REQUIRE(s->status == 201);
  auto a = post("/ae", ae_body("AE-1").dump(), "demo-site-s01");
  REQUIRE(a);
  REQUIRE(a->status == 201);

  // Who may build: the officer only; the DSMB reads.
  for (const char* token : {"demo-dsmb", "demo-site-s01", "demo-admin"}) {
    auto r = post("/dsmb-reports", "{}", token);
    REQUIRE(r);
    CHECK_MESSAGE(r->status == 403, token);
  }
  // Bad requests name the field.
  auto future = post("/dsmb-reports", R"({"cutoff": "2999-01-01"})", "demo-officer");
  REQUIRE(future);
  CHECK(future->status == 422);
  CHECK(json::parse(future->body)["errors"][0] == json{{"field", "cutoff"}, {"message", "is in the future"}});
  auto unknown = post("/dsmb-reports", R"({"colour": 1, "cutoff": "yesterday"})", "demo-officer");
  REQUIRE(unknown);
  CHECK(unknown->status == 422);
  CHECK(unknown->body.find("\"colour\"") != std::string::npos);
  CHECK(unknown->body.find("must be a date YYYY-MM-DD") != std::string::npos);
  auto malformed = post("/dsmb-reports", R"({"cutoff": )", "demo-officer");
  REQUIRE(malformed);
  CHECK(malformed->status == 400);

  auto empty = get("/dsmb-reports/latest", "demo-dsmb");
  REQUIRE(empty);
  CHECK(empty->status == 404);

  // Build now.
  auto made = post("/dsmb-reports", "{}", "demo-officer");
  REQUIRE(made);
  REQUIRE(made->status == 201);
  const json row = json::parse(made->body);
  const auto id = row["id"].get<int>();
  CHECK(row["number"] == 1);
  CHECK(row["data_cutoff"] == day(0));  // today, as of now
  CHECK(row["trigger"] == "manual");
  CHECK(row["generated_by"] == "safety-officer");
  CHECK(made->get_header_value("Location") == std::string(kStudy) + "/dsmb-reports/" + std::to_string(id));
  const std::string sha = row["sha256"];

  // The JSON is the stored bytes: their SHA-256 is the one listed.
  auto body = get("/dsmb-reports/" + std::to_string(id) + "?format=json", "demo-dsmb");
  REQUIRE(body);
  REQUIRE(body->status == 200);
  CHECK(sha256_hex(body->body) == sha);
  CHECK(body->get_header_value("ETag") == "\"" + sha + "\"");
  // The HTML and the CSV zip, rendered from it, carry the report's SHA-256 and a validator of
  // their own bytes (RFC 9110 §8.8.3: a strong ETag differs between representations).
  for (const char* format : {"html", "csv"}) {
    CAPTURE(format);
    auto other = get("/dsmb-reports/" + std::to_string(id) + "?format=" + format, "demo-dsmb");
    REQUIRE(other);
    REQUIRE(other->status == 200);
    CHECK(other->get_header_value("X-Report-SHA256") == sha);
    CHECK(other->get_header_value("ETag") == "\"" + sha256_hex(other->body) + "\"");
    CHECK(other->get_header_value("ETag") != "\"" + sha + "\"");
    // Conditional: its own validator gives 304 with no content; the JSON's does not match it.
    const std::string path = std::string(kStudy) + "/dsmb-reports/" + std::to_string(id) + "?format=" + format;
    auto same = d->client().Get(path, httplib::Headers{{"Authorization", "Bearer demo-dsmb"},
                                                      {"If-None-Match", other->get_header_value("ETag")}});
    REQUIRE(same);
    CHECK(same->status == 304);
    CHECK(same->body.empty());
    CHECK(same->get_header_value("ETag") == other->get_header_value("ETag"));
    auto stale = d->client().Get(path, httplib::Headers{{"Authorization", "Bearer demo-dsmb"}, {"If-None-Match", "\"" + sha + "\""}});
    REQUIRE(stale);
    CHECK(stale->status == 200);
    CHECK(stale->body == other->body);
  }
  // The JSON: its SHA-256 (weak comparison: W/ too, in a list, or "*") gives 304.
  for (const std::string& tag : {"\"" + sha + "\"", "\"x\", W/\"" + sha + "\"", std::string("*")}) {
    CAPTURE(tag);
    auto r = d->client().Get(std::string(kStudy) + "/dsmb-reports/" + std::to_string(id),
                            httplib::Headers{{"Authorization", "Bearer demo-dsmb"}, {"If-None-Match", tag}});
    REQUIRE(r);
    CHECK(r->status == 304);
    CHECK(r->body.empty());
  }
  const json model = json::parse(body->body);
  CHECK(model["header"]["study"] == "hcc-pvtt-imrt");
  CHECK(model["header"]["number"] == 1);
  CHECK(model["header"]["data_cutoff"] == row["data_cutoff"]);
  CHECK(model["header"]["as_of"] == row["as_of"]);

  auto latest = get("/dsmb-reports/latest", "demo-dsmb");
  REQUIRE(latest);
  CHECK(latest->body == body->body);
  auto list = get("/dsmb-reports", "demo-dsmb");
  REQUIRE(list);
  const json items = json::parse(list->body)["items"];
  REQUIRE(items.size() == 1);
  CHECK(items[0]["sha256"] == sha);
  CHECK(json::parse(list->body)["schedule"] == "every 30 days at 08:00 UTC from 2026-01-05");

  auto html = get("/dsmb-reports/" + std::to_string(id) + "?format=html", "demo-dsmb");
  REQUIRE(html);
  CHECK(html->status == 200);
  CHECK(html->get_header_value("Content-Type") == "text/html; charset=utf-8");
  CHECK(html->body.find("<html") != std::string::npos);
  auto zip = get("/dsmb-reports/" + std::to_string(id) + "?format=csv", "demo-dsmb");
  REQUIRE(zip);
  CHECK(zip->status == 200);
  CHECK(zip->get_header_value("Content-Type") == "application/zip");
  CHECK(zip->body.rfind("PK\x03\x04", 0) == 0);
  auto zip2 = get("/dsmb-reports/" + std::to_string(id) + "?format=csv", "demo-dsmb");
  REQUIRE(zip2);
  CHECK(zip2->body == zip->body);  // the same report, the same archive bytes
  auto no_table = get("/dsmb-reports/" + std::to_string(id) + "?format=csv&table=nope", "demo-dsmb");
  REQUIRE(no_table);
  CHECK(no_table->status == 422);
  CHECK(no_table->body.find("\"table\"") != std::string::npos);
  auto bad_format = get("/dsmb-reports/" + std::to_string(id) + "?format=pdf", "demo-dsmb");
  REQUIRE(bad_format);
  CHECK(bad_format->status == 422);
  CHECK(bad_format->body.find("\"format\"") != std::string::npos);
  auto missing = get("/dsmb-reports/999", "demo-dsmb");
  REQUIRE(missing);
  CHECK(missing->status == 404);
  auto site = get("/dsmb-reports/" + std::to_string(id), "demo-site-s01");
  REQUIRE(site);
  CHECK(site->status == 403);

  // The same (cut-off, as-of) again returns the stored report; an earlier cut-off is refused.
  const std::string cutoff = row["data_cutoff"];
  const std::string as_of = row["as_of"];
  auto again = post("/dsmb-reports", json{{"cutoff", cutoff}, {"as_of", as_of}}.dump(), "demo-officer");
  REQUIRE(again);
  CHECK(again->status == 200);
  CHECK(json::parse(again->body)["id"] == id);
  auto earlier = post("/dsmb-reports", R"({"cutoff": "2026-01-01"})", "demo-officer");
  REQUIRE(earlier);
  CHECK(earlier->status == 409);

  // Pushed to the DSMB endpoint, signed, with the figures, the URL and the SHA-256.
  REQUIRE(rx.wait_for([](const auto& ds) { return !ds.empty(); }));
  const auto got = rx.got();
  REQUIRE(got.size() == 1);  // the SAE alert is not for this endpoint
  CHECK(got[0].signature == expected_signature(got[0].id, got[0].timestamp, got[0].body));
  const json ev = json::parse(got[0].body);
  CHECK(ev["type"] == "dsmb.report");
  CHECK(ev["data"]["sha256"] == sha);
  CHECK(ev["data"]["data_cutoff"] == cutoff);
  CHECK(ev["data"]["as_of"] == as_of);
  CHECK(ev["data"]["url"] == "https://pvmon.example.org" + std::string(kStudy) + "/dsmb-reports/" + std::to_string(id));
  CHECK(ev["data"]["summary"]["enrolled"] == 1);
  CHECK(ev["data"]["summary"]["subjects_with_sae"] == 1);
  // The primary endpoint as the report gives it: its one subject is not treated, so no one counts.
  CHECK(ev["data"]["summary"]["efs_1_year"] ==
        json{{"rate", nullptr}, {"ci95", nullptr}, {"n_risk", nullptr}, {"events", 0}, {"n", 0}});

  // Audited, and the audit head logged with it.
  auto audit = d->client().Get("/v1/audit?entity=hcc-pvtt-imrt/dsmb-report/", bearer("demo-officer"));
  REQUIRE(audit);
  const json arows = json::parse(audit->body)["items"];
  REQUIRE(arows.size() == 1);
  CHECK(arows[0]["action"] == "dsmb_report.built");
  CHECK(d->log().find("DSMB report hcc-pvtt-imrt #1 built") != std::string::npos);

  auto metrics = d->client().Get("/metrics", bearer("demo-admin"));
  REQUIRE(metrics);
  CHECK(metrics->body.find("pvmon_dsmb_last_report_timestamp_seconds{study=\"hcc-pvtt-imrt\"} ") != std::string::npos);

  // Offline, from a backup taken while the daemon runs: the same bytes (the as-of, by default,
  // the stored report's for that cut-off).
  const std::string copy = offline_db_args(*d, tmp.path / "copy.db");
  auto [rc, out] = run_command(std::string(PVMON_PATH) + " report " + copy +
                       " --study hcc-pvtt-imrt --cutoff " + cutoff + " --format json 2>/dev/null");
  CHECK(rc == 0);
  CHECK(out == body->body);
  auto [erc, eout] = run_command(std::string(PVMON_PATH) + " report " + copy + " --study hcc-pvtt-imrt --cutoff " +
                                 cutoff + " --as-of " + as_of + " --format json 2>/dev/null");
  CHECK(erc == 0);
  CHECK(eout == body->body);
  auto [frc, fout] = run_command(std::string(PVMON_PATH) + " report " + copy + " --study hcc-pvtt-imrt --cutoff " +
                                 cutoff + " --as-of 2999-01-01T00:00:00Z 2>&1");
  CHECK(frc == 2);
  CHECK(fout.find("--as-of is in the future") != std::string::npos);
  auto [hrc, hout] = run_command(std::string(PVMON_PATH) + " report " + copy +
                         " --study hcc-pvtt-imrt --cutoff " + cutoff + " --format html 2>/dev/null");
  CHECK(hrc == 0);
  CHECK(hout.find("<html") != std::string::npos);
  auto [urc, uout] = run_command(std::string(PVMON_PATH) + " report " + copy + " --study nope --cutoff 2026-01-01 2>&1");
  CHECK(urc == 1);
  CHECK(uout.find("no protocol for study 'nope'") != std::string::npos);
  // The SDTM AE domain, over HTTP and offline: the same bytes for the same cut-off.
  auto sdtm = get("/export/sdtm/ae.csv?cutoff=" + cutoff, "demo-dsmb");
  REQUIRE(sdtm);
  CHECK(sdtm->status == 200);
  CHECK(sdtm->body.rfind("STUDYID,DOMAIN,USUBJID,AESEQ,AESPID,", 0) == 0);
  CHECK(sdtm->body.find("hcc-pvtt-imrt,AE,hcc-pvtt-imrt-S01-0007,1,AE-1,ALT raised,Alanine aminotransferase increased,"
                        "10001551,Alanine aminotransferase increased,,,,,,Investigations,10022891,Investigations,10022891,"
                        "Y,DOSE REDUCED,RELATED,RECOVERING/RESOLVING,N,N,N,Y,N,N,3,2026-10-02,,32,\r\n") !=
        std::string::npos);
  auto [xrc, xout] = run_command(std::string(PVMON_PATH) + " export sdtm " + copy +
                                 " --study hcc-pvtt-imrt --cutoff " + cutoff + " 2>/dev/null");
  CHECK(xrc == 0);
  CHECK(xout == sdtm->body);
  // The DM domain: one row per subject, death and end of participation from its course.
  auto dm = get("/export/sdtm/dm.csv?cutoff=" + cutoff, "demo-dsmb");
  REQUIRE(dm);
  CHECK(dm->status == 200);
  CHECK(dm->body.rfind("STUDYID,DOMAIN,USUBJID,SUBJID,RFSTDTC,RFICDTC,RFPENDTC,DTHDTC,DTHFL,SITEID,AGE,AGEU,SEX\r\n", 0) == 0);
  CHECK(dm->body.find("hcc-pvtt-imrt,DM,hcc-pvtt-imrt-S01-0007,S01-0007,") != std::string::npos);
  auto [mrc, mout] = run_command(std::string(PVMON_PATH) + " export sdtm --domain dm " + copy +
                                 " --study hcc-pvtt-imrt --cutoff " + cutoff + " 2>/dev/null");
  CHECK(mrc == 0);
  CHECK(mout == dm->body);
  auto [lrc, lout] = run_command(std::string(PVMON_PATH) + " export sdtm --domain lb " + copy +
                                 " --study hcc-pvtt-imrt 2>&1");
  CHECK(lrc == 2);
  CHECK(lout.find("--domain must be ae or dm") != std::string::npos);
  // Two templates match /latest (latest and {id}): 405 names GET once.
  {
    auto c = d->client();
    auto wrong = c.Delete((std::string(kStudy) + "/dsmb-reports/latest").c_str(), bearer("demo-dsmb"));
    REQUIRE(wrong);
    CHECK(wrong->status == 405);
    CHECK(wrong->get_header_value("Allow") == "GET");
  }
  // A cut-off after today is refused, as for /safety and DSMB reports.
  auto future_cutoff = get("/export/sdtm/ae.csv?cutoff=2999-01-01", "demo-dsmb");
  REQUIRE(future_cutoff);
  CHECK(future_cutoff->status == 422);
  auto [arc, aout] = run_command(std::string(PVMON_PATH) + " report " + copy + " --study hcc-pvtt-imrt 2>&1");
  CHECK(arc == 2);
  CHECK(aout.find("--cutoff is required") != std::string::npos);
}

TEST_CASE_FIXTURE(Dsmb, "DSMB reports: a clinical cut-off and an as-of; a death entered after the cut-off counts from its entry on") {
  rx.start();
  d->start();
  const std::string cutoff = day(-2);
  auto event = [&](const std::string& subject, const json& ev) {
    auto r = post("/subjects/" + subject + "/events", ev.dump(), "demo-site-s01");
    REQUIRE(r);
    REQUIRE_MESSAGE(r->status == 201, r->body);
    return json::parse(r->body);
  };
  // S01-0001: enrolled 30 days ago, operated 10 days ago. S01-0002: died yesterday, after the
  // cut-off (never in a report for it).
  for (const char* subject : {"S01-0001", "S01-0002"}) {
    auto r = post("/subjects", subject_body(subject, day(-30)).dump(), "demo-site-s01");
    REQUIRE(r);
    REQUIRE(r->status == 201);
  }
  const json surgery = event("S01-0001", {{"kind", "surgery"}, {"date", day(-10)}, {"procedure", "right hemihepatectomy"}, {"margin", "R0"}});
  event("S01-0002", {{"kind", "death"}, {"date", day(-1)}, {"cause", "sepsis"}});
  // Distinct recording instants (milliseconds) for the surgery and the death.
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  // S01-0001 died three days ago, before the cut-off; the site enters it only now.
  const json death = event("S01-0001", {{"kind", "death"}, {"date", day(-3)}, {"cause", "liver failure"}});
  const std::string before = shift_ms(death["recorded_at"], -1);  // just before it was entered
  REQUIRE(surgery["recorded_at"].get<std::string>() <= before);

  auto build = [&](const json& body, int status) {
    auto r = post("/dsmb-reports", body.dump(), "demo-officer");
    REQUIRE(r);
    REQUIRE_MESSAGE(r->status == status, r->body);
    return json::parse(r->body);
  };
  auto model_of = [&](const json& row) {
    auto r = get("/dsmb-reports/" + std::to_string(row["id"].get<int>()), "demo-dsmb");
    REQUIRE(r);
    REQUIRE(r->status == 200);
    CHECK(sha256_hex(r->body) == row["sha256"]);
    return std::pair{json::parse(r->body), r->body};
  };
  auto dead = [](const json& model) {
    std::set<std::string> out;
    for (const auto& x : model["deaths"]) out.insert(x["subject"].get<std::string>());
    return out;
  };

  // As of just before the death was entered: not in the report for the cut-off.
  const json first = build({{"cutoff", cutoff}, {"as_of", before}}, 201);
  CHECK(first["number"] == 1);
  CHECK(first["data_cutoff"] == cutoff);
  CHECK(first["as_of"] == before);
  CHECK(first["period_from"].is_null());
  const auto [m1, body1] = model_of(first);
  CHECK(m1["header"]["data_cutoff"] == cutoff);
  CHECK(m1["header"]["as_of"] == before);
  CHECK(m1["header"]["period"] == json{{"from", nullptr}, {"to", cutoff}});
  CHECK(m1["enrolment"]["total"] == 2);
  CHECK(dead(m1).empty());
  CHECK(m1["surgical"]["mortality_30d"]["events"] == 0);
  CHECK(m1["surgical"]["mortality_30d_pending"] == json::array({"S01-0001"}));

  // The same pair again: the stored report, the same bytes.
  const json same = build({{"cutoff", cutoff}, {"as_of", before}}, 200);
  CHECK(same["id"] == first["id"]);
  CHECK(same["sha256"] == first["sha256"]);

  // Built now for the same cut-off: a new report, over the same period, with the death (and not
  // the death after the cut-off).
  const json now = build({{"cutoff", cutoff}}, 201);
  CHECK(now["number"] == 2);
  CHECK(now["data_cutoff"] == cutoff);
  CHECK(now["as_of"].get<std::string>() > death["recorded_at"].get<std::string>());
  CHECK(now["period_from"].is_null());
  const auto [m2, body2] = model_of(now);
  CHECK(dead(m2) == std::set<std::string>{"S01-0001"});
  CHECK(m2["deaths"][0]["date"] == day(-3));
  CHECK(m2["surgical"]["mortality_30d"]["events"] == 1);
  CHECK(m2["surgical"]["mortality_30d"]["n"] == 1);
  CHECK(body2 != body1);
  // Each pair still gives its own report.
  CHECK(build({{"cutoff", cutoff}, {"as_of", now["as_of"]}}, 200)["id"] == now["id"]);
  CHECK(build({{"cutoff", cutoff}, {"as_of", before}}, 200)["id"] == first["id"]);

  // Refused, naming the field: the same cut-off from an earlier state than the latest report's
  // (409, naming it); an as-of in the future, before the cut-off day, or not a date-time (422).
  auto refused = [&](const json& body, int status, const std::string& field) {
    auto r = post("/dsmb-reports", body.dump(), "demo-officer");
    REQUIRE(r);
    CHECK_MESSAGE(r->status == status, r->body);
    const json e = json::parse(r->body);
    CHECK_MESSAGE(e["errors"][0]["field"] == field, r->body);
    return e["errors"][0]["message"].get<std::string>();
  };
  CHECK(refused({{"cutoff", cutoff}, {"as_of", shift_ms(before, -1000)}}, 409, "as_of").find("#2") != std::string::npos);
  CHECK(refused({{"as_of", "2999-01-01T00:00:00Z"}}, 422, "as_of") == "is in the future");
  CHECK(refused({{"cutoff", cutoff}, {"as_of", shift_ms(cutoff + "T00:00:00.000Z", -1)}}, 422, "as_of")
            .find("before the cut-off day") != std::string::npos);
  CHECK(refused({{"cutoff", cutoff}, {"as_of", cutoff}}, 422, "as_of").find("date-time") != std::string::npos);

  // Listed newest first, each with its pair.
  auto list = get("/dsmb-reports", "demo-dsmb");
  REQUIRE(list);
  const json items = json::parse(list->body)["items"];
  REQUIRE(items.size() == 2);
  CHECK(items[0]["as_of"] == now["as_of"]);
  CHECK(items[1]["as_of"] == before);

  // /safety reads the same pair the same way.
  auto safety = [&](const std::string& query) {
    auto r = get("/safety?" + query, "demo-dsmb");
    REQUIRE(r);
    REQUIRE_MESSAGE(r->status == 200, r->body);
    return json::parse(r->body);
  };
  const json pinned = safety("cutoff=" + cutoff + "&as_of=" + before);
  CHECK(pinned["cutoff"] == cutoff);
  CHECK(pinned["as_of"] == before);
  CHECK(pinned["surgical_safety"]["mortality_30d"]["events"] == 0);
  CHECK(safety("cutoff=" + cutoff + "&as_of=" + before) == pinned);
  CHECK(safety("cutoff=" + cutoff)["surgical_safety"]["mortality_30d"]["events"] == 1);
  auto bad = get("/safety?cutoff=" + cutoff + "&as_of=" + shift_ms(cutoff + "T00:00:00.000Z", -1), "demo-dsmb");
  REQUIRE(bad);
  CHECK(bad->status == 422);
  CHECK(json::parse(bad->body)["errors"][0]["field"] == "as_of");

  // Offline from a backup: each pair gives its stored bytes.
  const std::string copy = offline_db_args(*d, tmp.path / "copy.db");
  const std::string report = std::string(PVMON_PATH) + " report " + copy + " --study hcc-pvtt-imrt --cutoff " + cutoff;
  auto [rc1, out1] = run_command(report + " --as-of " + before + " 2>/dev/null");
  CHECK(rc1 == 0);
  CHECK(sha256_hex(out1) == first["sha256"]);
  CHECK(out1 == body1);
  auto [rc2, out2] = run_command(report + " 2>/dev/null");  // the newest for the cut-off
  CHECK(rc2 == 0);
  CHECK(sha256_hex(out2) == now["sha256"]);
}
