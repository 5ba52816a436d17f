// End-to-end: from SUSAR to regulator. The real daemon serves an AE report's ICH E2B(R3) ICSR
// (checked here with xmllint against the ICH schema, independently of pvmond's own
// validation), a submission names the message, and the gateway's acknowledgement (FDA's
// example files, re-addressed to that message) closes the clock, or raises a critical alert.
#include <doctest/doctest.h>

#include <regex>

#include "daemon.hpp"

using namespace pvmon::test;

namespace {

const fs::path kSchema = fs::path(PVMON_SOURCE_DIR) / "daemon/icsr/schemas/multicacheschemas/MCCI_IN200100UV01.xsd";
const fs::path kAckSchema = fs::path(PVMON_SOURCE_DIR) / "daemon/icsr/schemas/multicacheschemas/MCCI_IN200101UV01.xsd";
const fs::path kFixtures = fs::path(PVMON_SOURCE_DIR) / "tests/data/icsr";

/// xmllint's verdict on `xml` against `schema`: exit status and messages.
std::pair<int, std::string> xmllint(const TempDir& tmp, const std::string& xml, const fs::path& schema) {
  static int n = 0;
  const fs::path f = tmp.path / ("doc" + std::to_string(++n) + ".xml");
  write_text(f, xml);
  return run_command("xmllint --noout --nonet --schema " + schema.string() + " " + f.string() + " 2>&1");
}

/// FDA's example acknowledgement re-addressed: batch id, time, and the message it acknowledges.
std::string ack_for(const std::string& fixture, const std::string& batch, const std::string& created,
                    const std::string& message_id) {
  std::string x = read_text(kFixtures / fixture);
  x = std::regex_replace(x, std::regex(R"(<id extension="[^"]*" root="2\.16\.840\.1\.113883\.3\.989\.2\.1\.3\.20"/>)"),
                         "<id extension=\"" + batch + "\" root=\"2.16.840.1.113883.3.989.2.1.3.20\"/>");
  // ACK.M.4, the batch's transmission time: the first creationTime of the document.
  x = std::regex_replace(x, std::regex(R"(<creationTime value="[0-9+\-]*"/>)"), "<creationTime value=\"" + created + "\"/>",
                         std::regex_constants::format_first_only);
  x = std::regex_replace(x, std::regex(R"re((<targetMessage>\s*<id extension=")[^"]*("))re"), "$1" + message_id + "$2");
  return x;
}

json post_json(httplib::Client& c, const std::string& path, const json& body, const std::string& token, int want) {
  auto r = c.Post(path.c_str(), bearer(token), body.dump(), "application/json");
  REQUIRE(r);
  INFO(r->body);
  REQUIRE(r->status == want);
  return json::parse(r->body);
}

json get_json(httplib::Client& c, const std::string& path, const std::string& token) {
  auto r = c.Get(path.c_str(), bearer(token));
  REQUIRE(r);
  INFO(r->body);
  REQUIRE(r->status == 200);
  return json::parse(r->body);
}

/// A life-threatening pneumonitis, possibly related to camrelizumab and not in its reference
/// safety information: a SUSAR with a 7-day initial clock (ICH E2A III.A.1).
json susar(const std::string& report_id) {
  return json::parse(R"({"report_id": ")" + report_id + R"(", "subject": "S01-0007",
    "term": "Pneumonitis", "verbatim": "immune pneumonitis, oxygen needed", "grade": 4,
    "onset": ")" + day(-3) + R"(", "resolved": null, "site_aware_at": ")" + hours_ago(30) + R"(",
    "serious": {"death": false, "life_threatening": true, "hospitalization": true, "disability": false,
                "congenital_anomaly": false, "medically_important": false},
    "causality": {"camrelizumab": "possible", "apatinib": "unlikely", "imrt": "unrelated", "surgery": "unrelated"},
    "action_taken": {"camrelizumab": "drug_withdrawn", "apatinib": "drug_interrupted"},
    "outcome": "not_recovered", "narrative": "Dyspnoea and hypoxia on day 40; CT ground glass."})");
}

/// `seconds` from now, RFC 3339 UTC (a submission just after the report's receipt).
std::string in_seconds(int seconds) {
  const std::time_t t = std::time(nullptr) + seconds;
  std::tm utc{};
  gmtime_r(&t, &utc);
  char iso[40];
  std::strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return iso;
}

/// `seconds` from now as the gateway writes ACK.M.4 (HL7 TS at UTC+02:00), and as pvmon
/// stores it (UTC, milliseconds).
std::pair<std::string, std::string> gateway_time(int seconds) {
  const std::time_t t = std::time(nullptr) + seconds;
  std::tm utc{}, local{};
  gmtime_r(&t, &utc);
  const std::time_t shifted = t + 2 * 3600;
  gmtime_r(&shifted, &local);
  char hl7[32], iso[40];
  std::strftime(hl7, sizeof hl7, "%Y%m%d%H%M%S+0200", &local);
  std::strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%S.000Z", &utc);
  return {hl7, iso};
}

std::optional<json> clock_of(httplib::Client& c, std::int64_t report, const std::string& kind) {
  auto clocks = get_json(c, std::string(kStudy) + "/clocks?state=all", "demo-officer");
  for (const auto& cl : clocks["items"])
    if (cl["report"] == report && cl["kind"] == kind) return cl;
  return std::nullopt;
}

}  // namespace

TEST_CASE("a SUSAR's ICSR validates against the ICH schema; a positive acknowledgement closes its clock") {
  TempDir tmp;
  Daemon d(write_config(tmp.path), tmp.path / "data");
  d.start();
  auto c = d.client();
  post_json(c, std::string(kStudy) + "/subjects",
            {{"subject", "S01-0007"}, {"enrolled", day(-60)}, {"sex", "M"}, {"age", 58}}, "demo-site-s01", 201);
  const json rec = post_json(c, std::string(kStudy) + "/ae", susar("S01-0007-AE-ICSR"), "demo-site-s01", 201);
  REQUIRE(rec["safety"]["susar"] == true);
  const std::int64_t id = rec["id"];
  const std::string base = std::string(kStudy) + "/ae/" + std::to_string(id);

  // The ICSR, as an officer downloads it.
  auto r = c.Get((base + "/icsr").c_str(), bearer("demo-officer"));
  REQUIRE(r);
  INFO(r->body.substr(0, 500));
  REQUIRE(r->status == 200);
  CHECK(r->get_header_value("Content-Type").rfind("application/xml", 0) == 0);
  const std::string message_id = r->get_header_value("X-ICSR-Message-Id");
  const std::string case_id = r->get_header_value("X-ICSR-Safety-Report-Id");
  CHECK(case_id == "CN-PVMONDEMO-" + std::to_string(id));
  CHECK(message_id == case_id + "-V1");
  {
    auto [rc, out] = xmllint(tmp, r->body, kSchema);
    INFO(out);
    CHECK(rc == 0);
  }
  // What the case says, read back from the document.
  CHECK(r->body.find("<id extension=\"" + message_id + "\"") != std::string::npos);
  CHECK(r->body.find("S01-0007") != std::string::npos);
  CHECK(r->body.find("10035742") != std::string::npos);  // Pneumonitis, MedDRA LLT (CTCAE v5.0)
  CHECK(r->body.find("Camrelizumab") != std::string::npos);
  // Only officers; a site, the DSMB and no token are refused.
  CHECK(c.Get((base + "/icsr").c_str(), bearer("demo-site-s01"))->status == 403);
  CHECK(c.Get((base + "/icsr").c_str(), bearer("demo-dsmb"))->status == 403);
  CHECK(c.Get((base + "/icsr").c_str())->status == 401);
  CHECK(c.Get((base + "/icsr?version=2").c_str(), bearer("demo-officer"))->status == 404);
  CHECK(c.Get((base + "/icsr?version=0").c_str(), bearer("demo-officer"))->status == 422);
  // The CIOMS I form of the same case.
  auto cioms = c.Get((base + "/cioms?format=html").c_str(), bearer("demo-officer"));
  REQUIRE(cioms);
  CHECK(cioms->status == 200);
  CHECK(cioms->get_header_value("Content-Type").rfind("text/html", 0) == 0);
  CHECK(cioms->body.find("S01-0007") != std::string::npos);
  CHECK(cioms->body.find("Pneumonitis") != std::string::npos);

  // The submission names the message: the 7-day clock stays open until the gateway answers.
  auto sub = post_json(c, base + "/submissions",
                       {{"kind", "initial"}, {"submitted", in_seconds(2)}, {"authority", "NMPA"},
                        {"reference", "gateway upload"}, {"message_id", message_id}},
                       "demo-officer", 201);
  CHECK(sub["message_id"] == message_id);
  CHECK(sub["clocks_stopped"].empty());
  auto initial = clock_of(c, id, "regulatory_initial");
  REQUIRE(initial);
  CHECK_FALSE(initial->contains("stopped_at"));
  // A second submission cannot name the same message.
  post_json(c, base + "/submissions",
            {{"kind", "initial"}, {"submitted", in_seconds(2)}, {"authority", "NMPA"},
             {"reference", "again"}, {"message_id", message_id}},
            "demo-officer", 409);

  // An acknowledgement of a message nobody sent records nothing.
  const auto post_ack = [&](const std::string& xml, const std::string& token = "demo-officer") {
    auto res = c.Post((std::string(kStudy) + "/icsr-acks").c_str(), bearer(token), xml, "application/xml");
    REQUIRE(res);
    return std::make_pair(res->status, res->body);
  };
  {
    auto [status, body] = post_ack(ack_for("R3ack-positive.ack", "ACK-0", gateway_time(30).first, "NO-SUCH-MESSAGE"));
    CHECK(status == 422);
    CHECK(body.find("NO-SUCH-MESSAGE") != std::string::npos);
  }
  CHECK(post_ack(ack_for("R3ack-positive.ack", "ACK-1", gateway_time(30).first, message_id), "demo-site-s01").first == 403);
  CHECK(post_ack("<not-an-ack/>").first == 422);
  {
    auto res = c.Post((std::string(kStudy) + "/icsr-acks").c_str(), bearer("demo-officer"), "{}", "application/json");
    REQUIRE(res);
    CHECK(res->status == 415);
  }

  // FDA's positive acknowledgement, re-addressed to our message: the clock stops at the
  // gateway's receipt time, on time (due 7 days after the sponsor's receipt).
  const auto [receipt_hl7, receipt_iso] = gateway_time(60);
  const std::string positive = ack_for("R3ack-positive.ack", "ACK-1", receipt_hl7, message_id);
  {
    auto [rc, out] = xmllint(tmp, positive, kAckSchema);
    INFO(out);
    REQUIRE(rc == 0);
  }
  {
    auto [status, body] = post_ack(positive);
    INFO(body);
    REQUIRE(status == 201);
    const json j = json::parse(body);
    CHECK(j["receipt_at"] == receipt_iso);
    REQUIRE(j["messages"].size() == 1);
    CHECK(j["messages"][0]["accepted"] == true);
    CHECK(j["messages"][0]["code"] == "CA");
  }
  initial = clock_of(c, id, "regulatory_initial");
  REQUIRE(initial);
  REQUIRE(initial->contains("stopped_at"));
  CHECK((*initial)["stopped_at"] == receipt_iso);
  CHECK((*initial)["late"] == false);
  // The same document again is a replay; another under the same batch id a conflict.
  CHECK(post_ack(positive).first == 200);
  CHECK(post_ack(ack_for("R3ack-negative.ack", "ACK-1", receipt_hl7, message_id)).first == 409);
  // The case shows its submission and the gateway's verdict.
  auto subs = get_json(c, base + "/submissions", "demo-officer");
  REQUIRE(subs["items"].size() == 1);
  CHECK(subs["items"][0]["accepted"] == true);
  CHECK(subs["items"][0]["acks"][0]["text"] == "Report Loaded Successfully");

  // The acknowledgement is part of the submission's audited content: the trail verifies, and
  // a verdict changed behind pvmond's back is named.
  d.stop();
  auto [vrc, vout] = run_command(std::string(PVMON_PATH) + " audit verify --all " + d.db_args() + " 2>&1");
  INFO(vout);
  CHECK(vrc == 0);
  auto [src, sout] = d.sql(on_postgres() ? "ALTER TABLE icsr_acks DISABLE TRIGGER icsr_acks_append_only; "
                                           "UPDATE icsr_acks SET accepted = 0"
                                         : "DROP TRIGGER icsr_acks_no_update; UPDATE icsr_acks SET accepted = 0");
  REQUIRE(src == 0);
  auto [trc, tout] = run_command(std::string(PVMON_PATH) + " audit verify --all " + d.db_args() + " 2>&1");
  INFO(tout);
  CHECK(trc != 0);
  CHECK(tout.find("submission") != std::string::npos);
}

TEST_CASE("a negative acknowledgement keeps the clock open and raises a critical alert with the gateway's text") {
  TempDir tmp;
  Daemon d(write_config(tmp.path), tmp.path / "data");
  d.start();
  auto c = d.client();
  post_json(c, std::string(kStudy) + "/subjects",
            {{"subject", "S01-0007"}, {"enrolled", day(-60)}, {"sex", "M"}, {"age", 58}}, "demo-site-s01", 201);
  const json rec = post_json(c, std::string(kStudy) + "/ae", susar("S01-0007-AE-NEG"), "demo-site-s01", 201);
  const std::int64_t id = rec["id"];
  const std::string base = std::string(kStudy) + "/ae/" + std::to_string(id);
  auto r = c.Get((base + "/icsr").c_str(), bearer("demo-officer"));
  REQUIRE(r);
  REQUIRE(r->status == 200);
  const std::string message_id = r->get_header_value("X-ICSR-Message-Id");
  post_json(c, base + "/submissions",
            {{"kind", "initial"}, {"submitted", in_seconds(2)}, {"authority", "FDA"},
             {"reference", "ESG"}, {"message_id", message_id}},
            "demo-officer", 201);
  auto res = c.Post((std::string(kStudy) + "/icsr-acks").c_str(), bearer("demo-officer"),
                    ack_for("R3ack-negative.ack", "ACK-NEG", gateway_time(30).first, message_id), "application/xml");
  REQUIRE(res);
  INFO(res->body);
  REQUIRE(res->status == 201);
  CHECK(json::parse(res->body)["messages"][0]["accepted"] == false);
  auto initial = clock_of(c, id, "regulatory_initial");
  REQUIRE(initial);
  CHECK_FALSE(initial->contains("stopped_at"));
  auto alerts = get_json(c, std::string(kStudy) + "/alerts", "demo-officer");
  bool found = false;
  for (const auto& a : alerts["items"])
    if (a["rule"] == "icsr.rejected") {
      found = true;
      CHECK(a["severity"] == "critical");
      CHECK(a["title"].get<std::string>().find(message_id) != std::string::npos);
    }
  CHECK(found);
  auto subs = get_json(c, base + "/submissions", "demo-officer");
  CHECK(subs["items"][0]["accepted"] == false);

  // A resend of the same version after the rejection is a new message.
  auto again = c.Get((base + "/icsr?attempt=2").c_str(), bearer("demo-officer"));
  REQUIRE(again);
  CHECK(again->get_header_value("X-ICSR-Message-Id") == message_id + "-A2");
}

TEST_CASE("pvmon simulate --seed 7: the ICSR of its SUSAR validates with xmllint, from the daemon and offline") {
  TempDir tmp;
  const fs::path tokens = tmp.path / "tokens";
  write_text(tokens, "S01 demo-site-s01\nS02 demo-site-s02\nofficer demo-officer\n");
  Daemon d(write_config(tmp.path), tmp.path / "data");
  d.start();
  auto [rc, out] = run_command(std::string(PVMON_PATH) + " simulate --url http://" + d.host() + ":" +
                               std::to_string(d.port()) + " --token-file " + tokens.string() +
                               " --subjects 12 --seed 7 --quiet 2>&1");
  INFO(out);
  REQUIRE(rc == 0);
  auto c = d.client();
  std::optional<std::int64_t> susar_id;
  for (const auto& item : all_items(d, std::string(kStudy) + "/ae"))
    if (!susar_id && item["safety"].value("susar", false)) susar_id = item["id"].get<std::int64_t>();
  REQUIRE_MESSAGE(susar_id, "the seed-7 trial has a SUSAR");
  auto r = c.Get((std::string(kStudy) + "/ae/" + std::to_string(*susar_id) + "/icsr").c_str(), bearer("demo-officer"));
  REQUIRE(r);
  REQUIRE(r->status == 200);
  auto [lint_rc, lint_out] = xmllint(tmp, r->body, kSchema);
  INFO(lint_out);
  CHECK(lint_rc == 0);

  // Offline, from a copy of the database: the same case.
  d.stop();
  auto [cli_rc, cli_out] = run_command(std::string(PVMON_PATH) + " icsr " + d.db_args() +
                                       " --study hcc-pvtt-imrt --report " + std::to_string(*susar_id) + " 2>/dev/null");
  REQUIRE(cli_rc == 0);
  auto [rc2, out2] = xmllint(tmp, cli_out, kSchema);
  INFO(out2);
  CHECK(rc2 == 0);
  CHECK(cli_out.find("CN-PVMONDEMO-" + std::to_string(*susar_id) + "-V") != std::string::npos);
  auto [bad_rc, bad_out] = run_command(std::string(PVMON_PATH) + " icsr " + d.db_args() +
                                       " --study hcc-pvtt-imrt --report 999999 2>&1");
  CHECK(bad_rc != 0);
  CHECK(bad_out.find("no AE report 999999") != std::string::npos);
}
