#include <doctest/doctest.h>

#include "pvmon/config.hpp"
#include "pvmon/crypto.hpp"

using namespace pvmon;
using namespace pvmon::config;

namespace {

const std::string kStudyJson = R"({
  // comments are allowed
  "id": "s1", "title": "t", "sites": ["S01"],
  "interventions": [{"id": "drug-a", "kind": "drug", "investigational_product": true}]
})";

}  // namespace

TEST_CASE("the shipped config loads, with its study") {
  auto c = load(std::string(PVMON_SOURCE_DIR) + "/config/pvmond.json");
  REQUIRE_MESSAGE(c, (c ? "" : c.error().message));
  CHECK(c->listen_host == "127.0.0.1");
  CHECK(c->principals.size() == 5);
  const Study* s = c->study("hcc-pvtt-imrt");
  REQUIRE(s);
  CHECK(s->sites == std::vector<std::string>{"S01", "S02"});
  CHECK(s->intervention_ids() ==
        std::vector<std::string>{"camrelizumab", "apatinib", "imrt", "surgery"});
  CHECK(s->site_report_hours == 24);
  CHECK(has_demo_token(c.value()));
  CHECK(check_exposure(c.value()));
  Config exposed = c.value();
  REQUIRE(apply_listen(exposed, "0.0.0.0:8750"));
  CHECK_FALSE(check_exposure(exposed));
}

TEST_CASE("study files: every problem named by JSON pointer") {
  auto ok = parse_study(kStudyJson, "s1.json");
  REQUIRE(ok);
  CHECK(ok->interventions.at(0).investigational_product);
  auto bad = parse_study(R"({"id": "s 1", "sites": [], "interventions": [{"id": "a", "kind": "pill",
                              "investigational_product": "yes"}, {"id": "a", "kind": "drug",
                              "investigational_product": false}], "colour": "blue"})",
                         "bad.json");
  REQUIRE_FALSE(bad);
  const std::string& m = bad.error().message;
  CHECK(m.find("bad.json: /id: must be printable ASCII without spaces") != std::string::npos);
  CHECK(m.find("bad.json: /title: is required") != std::string::npos);
  CHECK(m.find("bad.json: /sites: must name at least one site") != std::string::npos);
  CHECK(m.find("bad.json: /interventions/0/kind: must be one of") != std::string::npos);
  CHECK(m.find("bad.json: /interventions/0/investigational_product: must be true or false") != std::string::npos);
  CHECK(m.find("bad.json: /interventions/1/id: is a duplicate") != std::string::npos);
  CHECK(m.find("bad.json: /colour: unknown field") != std::string::npos);
  auto not_json = parse_study("{", "x.json");
  REQUIRE_FALSE(not_json);
  CHECK(not_json.error().message.find("x.json: not valid JSON at byte") != std::string::npos);
}

TEST_CASE("principals: hashed tokens, roles and sites") {
  const std::string h = crypto::sha256_hex("a-long-enough-token");
  auto cfg = [&](const std::string& principals) {
    return R"({"listen": "127.0.0.1:0", "data_dir": "d", "studies": [],
               "principals": )" + principals + "}";
  };
  auto ok = parse(cfg(R"([{"name": "o", "role": "officer", "token_sha256": ")" + h + R"("}])"), "c.json", ".");
  REQUIRE(ok);
  CHECK(ok->principals[0].role == Role::officer);
  auto bad = parse(cfg(R"([{"name": "o", "role": "officer", "token_sha256": "plaintext-token"},
                           {"name": "o", "role": "site", "token_sha256": ")" + h + R"("},
                           {"name": "p", "role": "dsmb", "site": "S01", "token_sha256": ")" + h + R"("}])"),
                   "c.json", ".");
  REQUIRE_FALSE(bad);
  const std::string& m = bad.error().message;
  CHECK(m.find("/principals/0/token_sha256: must be 64 lower-case hex digits") != std::string::npos);
  CHECK(m.find("/principals/1/name: is a duplicate") != std::string::npos);
  CHECK(m.find("/principals/1/site: is required for role site") != std::string::npos);
  CHECK(m.find("/principals/2/site: is only allowed for role site") != std::string::npos);
  CHECK(m.find("/principals/2/token_sha256: is used by another principal") != std::string::npos);
  // The plaintext is never echoed back in an error.
  CHECK(m.find("plaintext-token") == std::string::npos);
}

TEST_CASE("listen addresses") {
  Config c;
  CHECK(apply_listen(c, "127.0.0.1:0"));
  CHECK(c.listen_port == 0);
  CHECK(apply_listen(c, "[::1]:8080"));
  CHECK(c.listen_host == "::1");
  CHECK(c.listen_port == 8080);
  CHECK_FALSE(apply_listen(c, "127.0.0.1"));
  CHECK_FALSE(apply_listen(c, "127.0.0.1:99999"));
  CHECK_FALSE(apply_listen(c, ":80"));
  CHECK(is_loopback("127.0.0.2"));
  CHECK(is_loopback("::1"));
  CHECK_FALSE(is_loopback("0.0.0.0"));
  CHECK_FALSE(is_loopback("10.0.0.1"));
}

TEST_CASE("loopback is decided by parsing the address, not by how its text begins") {
  for (const char* yes : {"127.0.0.1", "127.255.255.254", "127.1.2.3", "::1", "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1"})
    CHECK_MESSAGE(is_loopback(yes), yes);
  for (const char* no : {"127.attacker.example", "127.0.0.1.nip.io", "127.example", "localhost", "LOCALHOST",
                         "localhost.", "0.0.0.0", "::", "128.0.0.1", "126.255.255.255", "::2",
                         "::ffff:10.0.0.1", "127.1", "127.0.0.1 ", "", "[::1]", "::1%lo"})
    CHECK_FALSE_MESSAGE(is_loopback(no), no);
}

TEST_CASE("demo tokens on a name that merely starts with 127. are refused") {
  auto c = load(std::string(PVMON_SOURCE_DIR) + "/config/pvmond.json");
  REQUIRE(c);
  REQUIRE(apply_listen(c.value(), "127.attacker.example:8750"));
  auto st = check_exposure(c.value());
  REQUIRE_FALSE(st);
  CHECK(st.error().message.find("refusing to listen on 127.attacker.example while a demo token") != std::string::npos);
}

TEST_CASE("a reload is judged on the socket the daemon listens on, by the start-up rules") {
  auto shipped = load(std::string(PVMON_SOURCE_DIR) + "/config/pvmond.json");
  REQUIRE(shipped);
  // Running on every address, behind a proxy, with real principals only.
  Config running = shipped.value();
  REQUIRE(apply_listen(running, "0.0.0.0:8750"));
  running.plain_http = true;
  running.principals = {{"officer", Role::officer, "", crypto::sha256_hex("a-real-officer-token")}};
  REQUIRE(check_exposure(running));

  // The new file moves `listen` to loopback (passes on its own) and brings the demo tokens.
  Config next = shipped.value();
  REQUIRE(check_exposure(next));
  auto r = as_reloaded(running, next);
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("refusing to listen on 0.0.0.0 while a demo token") != std::string::npos);
  CHECK(r.error().message.find("listen changes need a restart") != std::string::npos);

  // Without plain_http, plain HTTP on the running socket is refused too.
  Config no_proxy = running;
  no_proxy.plain_http = false;
  CHECK_FALSE(as_reloaded(running, no_proxy));

  // The same principals change is fine on a loopback daemon; what needs a restart is kept.
  Config local = shipped.value();
  REQUIRE(apply_listen(local, "127.0.0.1:0"));
  next.http.threads = local.http.threads + 7;
  REQUIRE(apply_listen(next, "10.1.2.3:9000"));
  next.plain_http = true;
  auto ok = as_reloaded(local, next);
  REQUIRE(ok);
  CHECK(ok->listen_host == "127.0.0.1");
  CHECK(ok->listen_port == 0);
  CHECK(ok->http.threads == local.http.threads);
  CHECK(ok->principals.size() == 5);
}

TEST_CASE("study files: the DSMB schedule, by interval or cron, and its errors") {
  auto with = [](const std::string& sched) {
    return parse_study(R"({"id": "s1", "title": "t", "sites": ["S01"],
      "interventions": [{"id": "d", "kind": "drug", "investigational_product": true}],
      "dsmb_schedule": )" + sched + "}", "s.json");
  };
  auto every = with(R"({"every_days": 30, "at": "08:00", "starting": "2026-01-05"})");
  REQUIRE_MESSAGE(every, (every ? "" : every.error().message));
  REQUIRE(every->dsmb_schedule);
  CHECK(every->dsmb_schedule->every_days == 30);
  CHECK(every->dsmb_schedule->at_minute == 480);
  CHECK(format_date(every->dsmb_schedule->starting) == "2026-01-05");
  CHECK(every->dsmb_schedule->text == "every 30 days at 08:00 UTC from 2026-01-05");
  auto cron = with(R"({"cron": "0 8 1 * *"})");
  REQUIRE(cron);
  REQUIRE(cron->dsmb_schedule->cron);
  CHECK(cron->sha256 == crypto::sha256_hex(cron->text));
  CHECK_FALSE(parse_study(kStudyJson, "s1.json")->dsmb_schedule);

  auto bad = with(R"({"every_days": 0, "at": "25:00", "starting": "2026-02-30", "colour": 1})");
  REQUIRE_FALSE(bad);
  const std::string& m = bad.error().message;
  CHECK(m.find("s.json: /dsmb_schedule/every_days:") != std::string::npos);
  CHECK(m.find("s.json: /dsmb_schedule/at: must be a UTC time of day") != std::string::npos);
  CHECK(m.find("s.json: /dsmb_schedule/starting: must be a date") != std::string::npos);
  CHECK(m.find("s.json: /dsmb_schedule/colour: unknown field") != std::string::npos);
  auto badcron = with(R"({"cron": "0 8 32 * *"})");
  REQUIRE_FALSE(badcron);
  CHECK(badcron.error().message.find("s.json: /dsmb_schedule/cron: cron field 3 \"32\" is not a valid day of month") !=
        std::string::npos);
}

TEST_CASE("a number beyond double is a config error, not an exception (found by fuzzing)") {
  auto c = parse(R"({"listen": "127.0.0.1:0", "data_dir": 231e386})", "big.json", ".");
  REQUIRE_FALSE(c);
  CHECK(c.error().message.find("big.json: not valid JSON") != std::string::npos);
  auto s = parse_study(R"({"id": 1e999})", "big-study.json");
  REQUIRE_FALSE(s);
  CHECK(s.error().message.find("big-study.json: not valid JSON") != std::string::npos);
}

TEST_CASE("study files: the reference safety information, bare terms or with the severity they list") {
  auto ok = parse_study(R"({"id": "s1", "title": "t", "sites": ["S01"],
    "interventions": [{"id": "d", "kind": "drug", "investigational_product": true,
      "expected_terms": ["Fatigue", {"term": "Hemorrhage", "max_grade": 5, "fatal": true, "life_threatening": true},
                         {"term": "Platelet count decreased", "max_grade": 4}]}]})", "s1.json");
  REQUIRE_MESSAGE(ok, (ok ? "" : ok.error().message));
  const auto& rsi = ok->interventions.at(0).expected_terms;
  REQUIRE(rsi.size() == 3);
  CHECK(rsi[0] == safety::ExpectedTerm{"Fatigue", 3, false, false});
  CHECK(rsi[1] == safety::ExpectedTerm{"Hemorrhage", 5, true, true});
  CHECK(rsi[2] == safety::ExpectedTerm{"Platelet count decreased", 4, false, false});
  auto bad = parse_study(R"({"id": "s1", "title": "t", "sites": ["S01"],
    "interventions": [{"id": "d", "kind": "drug", "investigational_product": true,
      "expected_terms": ["", {"max_grade": 7}, {"term": "Sepsis", "fatal": true, "max_grade": 4}, 3,
                         {"term": "Fever", "severity": "mild"}]}]})", "bad.json");
  REQUIRE_FALSE(bad);
  const std::string& m = bad.error().message;
  CHECK(m.find("/interventions/0/expected_terms/0: must be a non-empty string or an object") != std::string::npos);
  CHECK(m.find("/interventions/0/expected_terms/1/term: is required") != std::string::npos);
  CHECK(m.find("/interventions/0/expected_terms/1/max_grade: must be") != std::string::npos);
  CHECK(m.find("/interventions/0/expected_terms/2/max_grade: must be 5 when fatal outcomes are listed") != std::string::npos);
  CHECK(m.find("/interventions/0/expected_terms/3: must be") != std::string::npos);
  CHECK(m.find("/interventions/0/expected_terms/4/severity: unknown field") != std::string::npos);
}

TEST_CASE("a study's icsr settings and drug names: each problem named; the shipped study has them") {
  auto shipped = load(std::string(PVMON_SOURCE_DIR) + "/config/pvmond.json");
  REQUIRE(shipped);
  const Study* hcc = shipped->study("hcc-pvtt-imrt");
  REQUIRE(hcc);
  REQUIRE(hcc->icsr);
  CHECK(hcc->icsr->profile == "ich");
  CHECK(hcc->icsr->batch_receiver_id == hcc->icsr->receiver_id);
  CHECK(hcc->icsr->country_of("S02") == "CN");
  CHECK(hcc->interventions.at(0).name == "Camrelizumab");
  CHECK(hcc->interventions.at(0).dose == 200);
  CHECK(hcc->interventions.at(2).name == "imrt");  // no name: its id

  auto fda = parse_study(R"({"id": "s1", "title": "t", "sites": ["S01"],
    "interventions": [{"id": "a", "kind": "drug", "investigational_product": true}],
    "icsr": {"regional_profile": "fda", "sender_id": "SP", "receiver_id": "CDER_IND", "sender_organisation": "Sponsor",
             "sender_country": "US", "case_prefix": "US-SP", "registration_number": "NCT1", "registration_country": "US",
             "sponsor_study_number": "S-1", "ind_number": "123456", "site_country": "US"}})",
                         "fda.json");
  REQUIRE_MESSAGE(fda, (fda ? "" : fda.error().message));
  CHECK(fda->icsr->batch_receiver_id == "ZZFDA_PREMKT");  // FDA rule R0005

  auto bad = parse_study(R"({"id": "s1", "title": "t", "sites": ["S01"],
    "interventions": [{"id": "a", "kind": "drug", "investigational_product": true, "dose": 5}],
    "icsr": {"regional_profile": "ema", "sender_id": "S P", "receiver_id": "R", "sender_organisation": "Sponsor",
             "sender_country": "usa", "case_prefix": "X", "registration_number": "NCT1", "registration_country": "US",
             "sponsor_study_number": "S-1", "site_country": "US", "site_countries": {"S09": "FR"},
             "sender_contact": {"email": 5, "pager": "x"}}})",
                         "bad.json");
  REQUIRE_FALSE(bad);
  const std::string& m = bad.error().message;
  CHECK(m.find("/interventions/0/dose_unit: dose and dose_unit go together") != std::string::npos);
  CHECK(m.find("/icsr/regional_profile: must be one of") != std::string::npos);
  CHECK(m.find("/icsr/sender_id: must be printable ASCII without spaces") != std::string::npos);
  CHECK(m.find("/icsr/sender_country: ") != std::string::npos);
  CHECK(m.find("/icsr/site_countries/S09: is not one of the study's sites") != std::string::npos);
  CHECK(m.find("/icsr/sender_contact/email: must be a string") != std::string::npos);
  CHECK(m.find("/icsr/sender_contact/pager: unknown field") != std::string::npos);

  auto no_ind = parse_study(R"({"id": "s1", "title": "t", "sites": ["S01"],
    "interventions": [{"id": "a", "kind": "drug", "investigational_product": true}],
    "icsr": {"regional_profile": "fda", "sender_id": "SP", "receiver_id": "CDER_IND", "sender_organisation": "Sponsor",
             "sender_country": "US", "case_prefix": "US-SP", "registration_number": "NCT1", "registration_country": "US",
             "sponsor_study_number": "S-1", "site_country": "US"}})",
                            "noind.json");
  REQUIRE_FALSE(no_ind);
  CHECK(no_ind.error().message.find("/icsr/ind_number: is required") != std::string::npos);
}

TEST_CASE("desk: session timeouts, their defaults and their bounds") {
  const std::string h = crypto::sha256_hex("a-long-enough-token");
  auto cfg = [&](const std::string& desk) {
    return R"({"listen": "127.0.0.1:0", "data_dir": "d", "studies": [],
               "principals": [{"name": "o", "role": "officer", "token_sha256": ")" + h + R"("}])" +
           (desk.empty() ? "" : ", \"desk\": " + desk) + "}";
  };
  auto def = parse(cfg(""), "c.json", ".");
  REQUIRE_MESSAGE(def, (def ? "" : def.error().message));
  CHECK(def->desk.session_idle_minutes == 30);
  CHECK(def->desk.session_hours == 12);
  auto set = parse(cfg(R"({"session_idle_minutes": 15, "session_hours": 8})"), "c.json", ".");
  REQUIRE_MESSAGE(set, (set ? "" : set.error().message));
  CHECK(set->desk.session_idle_minutes == 15);
  CHECK(set->desk.session_hours == 8);
  for (const char* bad : {R"({"session_idle_minutes": 0})", R"({"session_hours": 0})", R"({"session_hours": 169})",
                          R"({"session_idle_minutes": "30"})", R"({"idle": 5})", R"([30, 12])",
                          R"({"session_idle_minutes": 120, "session_hours": 1})"}) {
    CAPTURE(bad);
    auto r = parse(cfg(bad), "c.json", ".");
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("/desk") != std::string::npos);
  }
  auto shipped = load(std::string(PVMON_SOURCE_DIR) + "/config/pvmond.json");
  REQUIRE(shipped);
  CHECK(shipped->desk.session_idle_minutes == 30);
  CHECK(shipped->desk.session_hours == 12);
}

TEST_CASE("links to the daemon: the port bound, and the machine's name for a wildcard listen") {
  Config c;
  c.listen_host = "127.0.0.1";
  c.listen_port = 41234;
  CHECK(link_base_of(c, "pv-host-1") == "http://127.0.0.1:41234");
  c.tls = TlsSettings{};
  c.listen_port = 443;
  CHECK(link_base_of(c, "pv-host-1") == "https://127.0.0.1:443");
  c.listen_port = 8750;
  c.tls.reset();
  // 0.0.0.0 and :: name no host a receiver can reach: the machine's name instead.
  for (const char* any : {"0.0.0.0", "::", "[::]"}) {
    CAPTURE(any);
    c.listen_host = any;
    CHECK(is_wildcard(c.listen_host));
    CHECK(link_base_of(c, "pv-host-1") == "http://pv-host-1:8750");
  }
  // Without a name (unknown), the address as it is, IPv6 in brackets (RFC 3986 §3.2.2).
  c.listen_host = "::";
  CHECK(link_base_of(c, "") == "http://[::]:8750");
  c.listen_host = "::1";
  CHECK_FALSE(is_wildcard(c.listen_host));
  CHECK(link_base_of(c, "pv-host-1") == "http://[::1]:8750");
  c.listen_host = "10.1.2.3";
  CHECK(link_base_of(c, "pv-host-1") == "http://10.1.2.3:8750");
}
