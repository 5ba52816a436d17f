// End-to-end: DSMB reports built on request, listed, pulled in each format, pushed to the DSMB's
// webhook (signed), audited, and rebuilt offline with `pvmon report` from a backup copy of the
// database to the same bytes. The schedule itself is tested with an injected clock in
// tests/unit/http.
#include <doctest/doctest.h>
#include <openssl/sha.h>


#include "daemon.hpp"
#include "receiver.hpp"

using namespace pvmon::test;

namespace {

std::string sha256_hex(const std::string& s) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), d);
  char hex[2 * SHA256_DIGEST_LENGTH + 1];
  for (int i = 0; i < SHA256_DIGEST_LENGTH; ++i) std::snprintf(hex + 2 * i, 3, "%02x", d[i]);
  return hex;
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
  CHECK(unknown->body.find("must be a date-time with offset or a date") != std::string::npos);
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
  const json model = json::parse(body->body);
  CHECK(model["header"]["study"] == "hcc-pvtt-imrt");
  CHECK(model["header"]["number"] == 1);

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

  // The same cut-off again returns the stored report; an earlier one is refused.
  const std::string cutoff = row["data_cutoff"];
  auto again = post("/dsmb-reports", json{{"cutoff", cutoff}}.dump(), "demo-officer");
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
  CHECK(ev["data"]["url"] == "https://pvmon.example.org" + std::string(kStudy) + "/dsmb-reports/" + std::to_string(id));
  CHECK(ev["data"]["summary"]["enrolled"] == 1);
  CHECK(ev["data"]["summary"]["subjects_with_sae"] == 1);

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

  // Offline, from a backup taken while the daemon runs: the same bytes.
  const fs::path copy = tmp.path / "copy.db";
  auto [brc, bout] = run_command(std::string(PVMON_PATH) + " backup --db " + (d->data_dir() / "pvmon.db").string() +
                         " --to " + copy.string() + " 2>&1");
  REQUIRE_MESSAGE(brc == 0, bout);
  auto [rc, out] = run_command(std::string(PVMON_PATH) + " report --db " + copy.string() +
                       " --study hcc-pvtt-imrt --cutoff " + cutoff + " --format json 2>/dev/null");
  CHECK(rc == 0);
  CHECK(out == body->body);
  auto [hrc, hout] = run_command(std::string(PVMON_PATH) + " report --db " + copy.string() +
                         " --study hcc-pvtt-imrt --cutoff " + cutoff + " --format html 2>/dev/null");
  CHECK(hrc == 0);
  CHECK(hout.find("<html") != std::string::npos);
  auto [urc, uout] = run_command(std::string(PVMON_PATH) + " report --db " + copy.string() + " --study nope --cutoff 2026-01-01 2>&1");
  CHECK(urc == 1);
  CHECK(uout.find("no protocol for study 'nope'") != std::string::npos);
  // The SDTM AE domain, over HTTP and offline: the same bytes for the same cut-off.
  auto sdtm = get("/export/sdtm/ae.csv?cutoff=" + cutoff, "demo-dsmb");
  REQUIRE(sdtm);
  CHECK(sdtm->status == 200);
  CHECK(sdtm->body.rfind("STUDYID,DOMAIN,USUBJID,AESEQ,AESPID,", 0) == 0);
  CHECK(sdtm->body.find("hcc-pvtt-imrt,AE,hcc-pvtt-imrt-S01-0007,1,AE-1,ALT raised,Alanine aminotransferase increased,"
                        "10001551,Investigations,3,Y,N,N,Y,N,N,N,RELATED,DOSE REDUCED,RECOVERING/RESOLVING,2026-10-02,,32,\r\n") !=
        std::string::npos);
  auto [xrc, xout] = run_command(std::string(PVMON_PATH) + " export sdtm --db " + copy.string() +
                                 " --study hcc-pvtt-imrt --cutoff " + cutoff + " 2>/dev/null");
  CHECK(xrc == 0);
  CHECK(xout == sdtm->body);
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
  auto [arc, aout] = run_command(std::string(PVMON_PATH) + " report --db " + copy.string() + " --study hcc-pvtt-imrt 2>&1");
  CHECK(arc == 2);
  CHECK(aout.find("--cutoff is required") != std::string::npos);
}
