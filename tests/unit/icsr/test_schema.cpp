// Schema validation with the embedded ICH E2B(R3) schemas: FDA's examples pass, broken and
// hostile documents give findings, and nothing is ever read from disk or network.
#include <doctest/doctest.h>
#include <libxml/xmlIO.h>

#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "e2br3_files.hpp"
#include "pvmon/icsr.hpp"

using namespace pvmon::icsr;

using namespace pvmon::test;

namespace {

// Records every URI libxml2 is asked to open, other than the embedded schemas. It only watches:
// opening is left to the handlers below it, so a leak would show here, not be hidden.
std::mutex g_seen_mutex;
std::vector<std::string> g_seen;
int spy_match(const char* uri) {
  const std::string u = uri != nullptr ? uri : "";
  if (u.rfind("pvmon-schema:", 0) == 0) return 0;
  std::lock_guard lock(g_seen_mutex);
  g_seen.push_back(u);
  return 0;
}
void* spy_open(const char*) { return nullptr; }
int spy_read(void*, char*, int) { return -1; }
int spy_close(void*) { return 0; }

struct IoSpy {
  IoSpy() {
    // The library registers its own handler on first use; the spy goes on top of it.
    (void)validate_schema(load_e2br3("R3ack-positive.ack"), Schema::ack);
    (void)validate_schema(load_e2br3("FAERS2022Scenario3.xml"), Schema::icsr);
    std::lock_guard lock(g_seen_mutex);
    g_seen.clear();
    REQUIRE(xmlRegisterInputCallbacks(spy_match, spy_open, spy_read, spy_close) >= 0);
  }
  ~IoSpy() { xmlPopInputCallbacks(); }
  IoSpy(const IoSpy&) = delete;
  IoSpy& operator=(const IoSpy&) = delete;
  std::vector<std::string> seen() const {
    std::lock_guard lock(g_seen_mutex);
    return g_seen;
  }
};

}  // namespace

TEST_CASE("FDA's example ICSRs and acknowledgements are valid against the embedded schemas") {
  for (const char* name : {"FAERS2022Scenario3.xml", "FAERS2022Scenario8.xml"}) {
    CAPTURE(name);
    const auto findings = validate_schema(load_e2br3(name), Schema::icsr);
    CHECK_MESSAGE(findings.empty(), describe(findings));
    CHECK(validate(load_e2br3(name), Profile::ich).empty());
  }
  for (const char* name : {"R3ack-positive.ack", "R3ack-negative.ack"}) {
    CAPTURE(name);
    const auto findings = validate_schema(load_e2br3(name), Schema::ack);
    CHECK_MESSAGE(findings.empty(), describe(findings));
  }
}

TEST_CASE("each entry point refuses the other's documents") {
  const auto icsr_as_ack = validate_schema(load_e2br3("FAERS2022Scenario3.xml"), Schema::ack);
  REQUIRE_FALSE(icsr_as_ack.empty());
  CHECK(icsr_as_ack.front().rule == "schema");
  CHECK(icsr_as_ack.front().rejection);
  CHECK_FALSE(validate_schema(load_e2br3("R3ack-positive.ack"), Schema::icsr).empty());
  CHECK_FALSE(validate(load_e2br3("R3ack-positive.ack"), Profile::fda).empty());
}

TEST_CASE("a broken ICSR gives schema findings with the line and the element's path") {
  const std::string good = load_e2br3("FAERS2022Scenario3.xml");
  SUBCASE("a required element removed") {
    // N.2.r: the message's interaction id is required by MCCI_MT000100UV01.
    const auto findings = validate_schema(
        replaced(good, "<interactionId extension=\"PORR_IN049016UV\" root=\"2.16.840.1.113883.1.6\"/>", ""),
        Schema::icsr);
    REQUIRE_FALSE(findings.empty());
    CHECK(findings.front().rule == "schema");
    CHECK(findings.front().message.rfind("line 23: ", 0) == 0);  // processingCode, found where it was expected
    CHECK(findings.front().element.find("PORR_IN049016UV") != std::string::npos);
  }
  SUBCASE("a code outside its vocabulary") {
    // Most HL7 codes are open in the ICH schema (CS); structural codes are enumerated.
    const auto findings = validate_schema(
        replaced(good, "<investigationEvent classCode=\"INVSTG\"", "<investigationEvent classCode=\"BOGUS\""),
        Schema::icsr);
    REQUIRE(findings.size() == 1);
    CHECK(findings.front().rule == "schema");
    CHECK(findings.front().message.rfind("line 44: ", 0) == 0);
    CHECK(findings.front().message.find("BOGUS") != std::string::npos);
    CHECK(findings.front().element ==
          "/MCCI_IN200100UV01/PORR_IN049016UV/controlActProcess/subject/investigationEvent");
  }
  SUBCASE("a value of the wrong type") {
    const auto findings = validate_schema(
        replaced(good, "<value xsi:type=\"BL\" value=\"true\"/>", "<value xsi:type=\"BL\" value=\"yes\"/>"),
        Schema::icsr);
    REQUIRE_FALSE(findings.empty());
    CHECK(findings.front().message.find("yes") != std::string::npos);
  }
  SUBCASE("an element of no schema") {
    const auto findings = validate_schema(replaced(good, "<statusCode code=\"active\"/>", "<status/>"), Schema::icsr);
    CHECK_FALSE(findings.empty());
  }
  SUBCASE("not XML at all") {
    const std::vector<std::string> docs = {"this is not XML", "<MCCI_IN200100UV01 xmlns=\"urn:hl7-org:v3\">",
                                           "<a><b></a>", "{\"json\": true}", std::string("\0\x01\x02", 3),
                                           std::string(good, 0, good.size() / 2)};
    for (const std::string& doc : docs) {
      const auto findings = validate_schema(doc, Schema::icsr);
      REQUIRE_FALSE(findings.empty());
      CHECK(findings.front().rule == "schema");
      CHECK(findings.front().rejection);
      CHECK(validate(doc, Profile::fda).size() == findings.size());  // no FDA rule on a non-document
    }
  }
  SUBCASE("empty") { CHECK_FALSE(validate_schema("", Schema::icsr).empty()); }
  SUBCASE("too large: refused unread") {
    const std::string huge = good + std::string(5 * 1024 * 1024, ' ');
    const auto findings = validate_schema(huge, Schema::icsr);
    REQUIRE(findings.size() == 1);
    CHECK(findings.front().message.find("larger than") != std::string::npos);
  }
}

TEST_CASE("hostile documents (XXE, DTDs, schema hints) give findings and read nothing") {
  IoSpy spy;
  const std::string good = load_e2br3("FAERS2022Scenario3.xml");
  const std::string root = "<MCCI_IN200100UV01 xmlns=\"urn:hl7-org:v3\"";
  const std::vector<std::string> hostile = {
      // An external general entity (classic XXE), used in content.
      replaced(replaced(good, root, "<!DOCTYPE MCCI_IN200100UV01 [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n" + root),
               "<name>JD</name>", "<name>&xxe;</name>"),
      // An external parameter entity, expanded in the internal subset.
      replaced(good, root, "<!DOCTYPE MCCI_IN200100UV01 [<!ENTITY % p SYSTEM \"file:///etc/passwd\"> %p;]>\n" + root),
      // An external DTD.
      replaced(good, root, "<!DOCTYPE MCCI_IN200100UV01 SYSTEM \"file:///etc/passwd\">\n" + root),
      // An internal entity, expanded a billion times if it were substituted.
      replaced(replaced(good, root,
                        "<!DOCTYPE MCCI_IN200100UV01 [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">"
                        "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\"><!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">]>\n" +
                            root),
               "<name>JD</name>", "<name>&d;</name>"),
      // An entity never declared.
      replaced(good, "<name>JD</name>", "<name>&undeclared;</name>"),
      // An XInclude (libxml2 processes none unless asked).
      replaced(good, "<name>JD</name>",
               "<name><xi:include xmlns:xi=\"http://www.w3.org/2001/XInclude\" href=\"file:///etc/passwd\" parse=\"text\"/></name>"),
  };
  for (std::size_t i = 0; i < hostile.size(); ++i) {
    CAPTURE(i);
    const auto findings = validate(hostile[i], Profile::fda);
    CHECK_FALSE(findings.empty());
    for (const auto& f : findings) CHECK(f.message.find("root:") == std::string::npos);  // no /etc/passwd content
  }
  // A schema location hint to a local file and to the network: ignored, the embedded schema rules.
  const std::string hinted = replaced(good, "https://www.accessdata.fda.gov/icsr/schema/cvm/schemas/vich/multicacheschemas/MCCI_IN200100UV01.xsd",
                                      "file:///etc/passwd");
  CHECK(validate_schema(hinted, Schema::icsr).empty());
  CHECK(validate_schema(good, Schema::icsr).empty());
  const auto seen = spy.seen();
  std::string all;
  for (const auto& s : seen) all += s + "\n";
  CHECK_MESSAGE(seen.empty(), all);
}

TEST_CASE("validations run concurrently, each with its own context") {
  const std::string good = load_e2br3("FAERS2022Scenario3.xml");
  const std::string bad = replaced(good, "<investigationEvent classCode=\"INVSTG\"", "<investigationEvent classCode=\"BOGUS\"");
  const std::string ack = load_e2br3("R3ack-negative.ack");
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 3; ++i) {
        const bool good_ok = validate(good, Profile::fda).empty();
        const bool bad_found = !validate_schema(bad, Schema::icsr).empty();
        const bool ack_ok = validate_schema(ack, Schema::ack).empty();
        if (good_ok && bad_found && ack_ok) ++ok[static_cast<std::size_t>(t)];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int n : ok) CHECK(n == 3);
}

TEST_CASE("profiles parse and print") {
  CHECK(parse_profile("ich") == Profile::ich);
  CHECK(parse_profile("fda") == Profile::fda);
  CHECK_FALSE(parse_profile("FDA"));
  CHECK_FALSE(parse_profile(""));
  CHECK_FALSE(parse_profile("ema"));
  CHECK(to_string(Profile::ich) == "ich");
  CHECK(to_string(Profile::fda) == "fda");
}
