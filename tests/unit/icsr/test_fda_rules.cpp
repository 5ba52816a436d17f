// FDA's premarket business rules: FDA's own IND safety report (Scenario 3) passes them all, and
// each checked rule, broken by one edit of that report, gives exactly its finding.
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "e2br3_files.hpp"
#include "pvmon/icsr.hpp"

using namespace pvmon::icsr;

using namespace pvmon::test;

namespace {

const std::string& scenario3() {
  static const std::string doc = load_e2br3("FAERS2022Scenario3.xml");
  return doc;
}

// The FDA rule findings (schema findings apart: an edit may well break the schema too).
std::vector<Finding> fda_findings(const std::string& doc) {
  auto all = validate(doc, Profile::fda);
  all.erase(std::remove_if(all.begin(), all.end(), [](const Finding& f) { return f.rule == "schema"; }), all.end());
  return all;
}

std::set<std::string> rules_of(const std::vector<Finding>& findings) {
  std::set<std::string> ids;
  for (const auto& f : findings) ids.insert(f.rule);
  return ids;
}

// One edit of the document: `from` replaced by `to`, at its `nth` occurrence after `anchor`
// (after the start when the anchor is empty); nth 0 replaces every occurrence after the anchor.
struct Edit {
  std::string anchor, from, to;
  int nth = 1;
};

std::string apply(std::string doc, const Edit& e) {
  std::size_t at = 0;
  if (!e.anchor.empty()) {
    at = doc.find(e.anchor);
    REQUIRE_MESSAGE(at != std::string::npos, "anchor not found: " << e.anchor);
  }
  int count = 0;
  for (std::size_t pos = doc.find(e.from, at); pos != std::string::npos; pos = doc.find(e.from, pos)) {
    ++count;
    if (e.nth == 0 || count == e.nth) {
      doc.replace(pos, e.from.size(), e.to);
      if (e.nth != 0) return doc;
      pos += e.to.size();
    } else {
      pos += e.from.size();
    }
  }
  REQUIRE_MESSAGE((e.nth == 0 && count > 0), "not found: " << e.from << " (occurrence " << e.nth << ")");
  return doc;
}

std::string edited(std::initializer_list<Edit> edits) {
  std::string doc = scenario3();
  for (const auto& e : edits) doc = apply(std::move(doc), e);
  return doc;
}

// The first <value .../> after an anchor, replaced whole.
Edit value_after(const std::string& anchor, const std::string& from, const std::string& to) {
  return Edit{anchor, from, to, 1};
}

const std::string kBlTrue = "<value xsi:type=\"BL\" value=\"true\"/>";
const std::string kBlNi = "<value xsi:type=\"BL\" nullFlavor=\"NI\"/>";
const std::string kBlNone = "<value xsi:type=\"BL\"/>";
const std::string kBlFalse = "<value xsi:type=\"BL\" value=\"false\"/>";

// C.1.11.1 nullification (code 1) and C.1.11.2 its reason, added to the case.
std::string nullification(const std::string& code, const std::string& reason) {
  std::string block =
      "<subjectOf2 typeCode=\"SUBJ\"><investigationCharacteristic classCode=\"OBS\" moodCode=\"EVN\">"
      "<code code=\"3\" codeSystem=\"2.16.840.1.113883.3.989.2.1.1.23\" displayName=\"nullificationAmendmentCode\"/>"
      "<value xsi:type=\"CE\" code=\"" +
      code + "\" codeSystem=\"2.16.840.1.113883.3.989.2.1.1.5\"/></investigationCharacteristic></subjectOf2>";
  if (!reason.empty())
    block +=
        "<subjectOf2 typeCode=\"SUBJ\"><investigationCharacteristic classCode=\"OBS\" moodCode=\"EVN\">"
        "<code code=\"4\" codeSystem=\"2.16.840.1.113883.3.989.2.1.1.23\" displayName=\"nullificationAmendmentReason\"/>"
        "<value xsi:type=\"CE\"><originalText>" +
        reason + "</originalText></value></investigationCharacteristic></subjectOf2>";
  return block + "</investigationEvent>";
}

// F.r: one test result, added to the patient (beside the age group, D.2.3).
const std::string kTestsAnchor = "<!--D.2.3: Patient Age Group (as per reporter)  -->";
std::string test_result(const std::string& name, const std::string& date, const std::string& center) {
  return "<subjectOf2 typeCode=\"SBJ\"><organizer classCode=\"CATEGORY\" moodCode=\"EVN\">"
         "<code code=\"3\" codeSystem=\"2.16.840.1.113883.3.989.2.1.1.20\"/><component typeCode=\"COMP\">"
         "<observation classCode=\"OBS\" moodCode=\"EVN\"><code codeSystem=\"2.16.840.1.113883.6.163\">" +
         (name.empty() ? std::string() : "<originalText>" + name + "</originalText>") + "</code>" +
         (date.empty() ? std::string() : "<effectiveTime value=\"" + date + "\"/>") +
         "<value xsi:type=\"IVL_PQ\">" + center + "</value></observation></component></organizer></subjectOf2>";
}
const std::string kAlt = "Alanine aminotransferase";
const std::string kAltResult = "<center value=\"125\" unit=\"U/L\"/>";

struct BrokenDoc {
  const char* name;
  std::string doc;
  std::set<std::string> expected;  // exactly these rules
};

std::vector<BrokenDoc> broken_documents() {
  const std::string c13 = "displayName=\"Report from study\"";
  const std::string meddra1 =
      "<value xsi:type=\"CE\" code=\"10027940\" codeSystem=\"2.16.840.1.113883.6.163\" codeSystemVersion=\"25.0\"/>";
  std::vector<BrokenDoc> cases = {
      // N: batch and message wrapper
      {"N.1.4 postmarket route", edited({{"", "extension=\"ZZFDA_PREMKT\"", "extension=\"ZZFDA\""}}), {"R0005"}},
      {"N.1.5 missing", edited({{"", "<creationTime value=\"20220614101010-0500\"/>", "<creationTime value=\"\"/>"}}),
       {"REQ-N.1.5"}},
      {"N.2.r.2 not N.1.3",
       edited({{"", "<id extension=\"4567AB89012\" root=\"2.16.840.1.113883.3.989.2.1.3.11\"/>",
                "<id extension=\"OTHER\" root=\"2.16.840.1.113883.3.989.2.1.3.11\"/>"}}),
       {"R0100"}},
      {"N.2.r.3 postmarket centre", edited({{"", "extension=\"CDER_IND\"", "extension=\"CDER\""}}), {"R0007"}},
      // C.1
      {"C.1.1 missing",
       edited({{"", "<id extension=\"US-APHARMA-8744554B\" root=\"2.16.840.1.113883.3.989.2.1.3.1\"/>",
                "<id root=\"2.16.840.1.113883.3.989.2.1.3.1\"/>"}}),
       {"REQ-C.1.1"}},
      {"C.1.2 missing", edited({{"", "<effectiveTime value=\"20140714151617-0500\"/>", "<effectiveTime value=\"\"/>"}}),
       {"REQ-C.1.2"}},
      {"C.1.2 a date only",
       edited({{"", "<effectiveTime value=\"20140714151617-0500\"/>", "<effectiveTime value=\"20140714\"/>"}}),
       {"PREC-C.1.2"}},
      {"C.1.2 after N.1.5",
       edited({{"", "<effectiveTime value=\"20140714151617-0500\"/>", "<effectiveTime value=\"20220615101010-0500\"/>"}}),
       {"FUT-C.1.2"}},
      {"C.1.3 missing", edited({{"<value xsi:type=\"CE\" code=\"2\" " + c13, "code=\"2\" ", ""}}), {"REQ-C.1.3"}},
      {"C.1.3 not a code", edited({{"<value xsi:type=\"CE\" code=\"2\" " + c13, "code=\"2\"", "code=\"7\""}}),
       {"VAL-C.1.3", "R0008"}},
      {"C.1.3 spontaneous with a study type", edited({{"<value xsi:type=\"CE\" code=\"2\" " + c13, "code=\"2\"", "code=\"1\""}}),
       {"R0008"}},
      {"C.1.3 other", edited({{"<value xsi:type=\"CE\" code=\"2\" " + c13, "code=\"2\"", "code=\"3\""}}),
       {"R0008", "R0112"}},
      {"C.1.4 missing", edited({{"", "<low value=\"20220615\"/>", "<low value=\"\"/>"}}), {"REQ-C.1.4"}},
      {"C.1.4 a month only", edited({{"", "<low value=\"20220615\"/>", "<low value=\"202206\"/>"}}), {"PREC-C.1.4"}},
      // A first receipt after N.1.5 is also after C.1.5 (or C.1.5 is in the future too).
      {"C.1.4 in the future", edited({{"", "<low value=\"20220615\"/>", "<low value=\"20220617\"/>"}}),
       {"FUT-C.1.4", "ORD-C.1.5"}},
      {"C.1.5 missing", edited({{"", "<availabilityTime value=\"20220615\"/>", "<availabilityTime value=\"\"/>"}}),
       {"REQ-C.1.5"}},
      {"C.1.5 a year only", edited({{"", "<availabilityTime value=\"20220615\"/>", "<availabilityTime value=\"2022\"/>"}}),
       {"PREC-C.1.5"}},
      {"C.1.5 in the future",
       edited({{"", "<availabilityTime value=\"20220615\"/>", "<availabilityTime value=\"20220617\"/>"}}),
       {"FUT-C.1.5"}},
      {"C.1.5 before C.1.4",
       edited({{"", "<availabilityTime value=\"20220615\"/>", "<availabilityTime value=\"20220614\"/>"}}),
       {"ORD-C.1.5"}},
      {"C.1.7 not a boolean", edited({value_after("localCriteriaForExpedited", kBlTrue, "<value xsi:type=\"BL\" value=\"yes\"/>")}),
       {"REQ-C.1.7"}},
      {"C.1.7 NI", edited({value_after("localCriteriaForExpedited", kBlTrue, kBlNi)}), {"R0011"}},
      {"FDA.C.1.7.1 missing", edited({{"", "code=\"C54588\"", "code=\"C99999\""}}), {"REQ-FDA.C.1.7.1"}},
      {"FDA.C.1.7.1 not a code", edited({{"displayName=\"localCriteriaReportType\"", "code=\"1\"", "code=\"3\""}}),
       {"VAL-FDA.C.1.7.1"}},
      {"FDA.C.1.7.1 non-expedited on an expedited report",
       edited({{"displayName=\"localCriteriaReportType\"", "code=\"1\"", "code=\"2\""}}), {"R0016"}},
      {"FDA.C.1.12 missing", edited({{"", "code=\"C156384\"", "code=\"C000000\""}}), {"REQ-FDA.C.1.12"}},
      {"C.1.11.1 not a code",
       edited({{"", "</investigationEvent>", nullification("3", "Entered in error")}}), {"VAL-C.1.11.1"}},
      {"C.1.11.2 missing", edited({{"", "</investigationEvent>", nullification("1", "")}}), {"REQ-C.1.11.2"}},
      // C.2.r: the first asLocatedEntity and asQualifiedEntity are the primary reporter's.
      {"C.2.r.3 missing",
       edited({{"<asLocatedEntity classCode=\"LOCE\">", "<code code=\"US\" codeSystem=\"1.0.3166.1.2.2\"/>",
                "<code codeSystem=\"1.0.3166.1.2.2\"/>"}}),
       {"R0019"}},
      {"C.2.r.4 missing", edited({{"", "code=\"1\" displayName=\"Physician\"", "displayName=\"Physician\""}}),
       {"R0020"}},
      {"C.2.r.4 not a code", edited({{"", "code=\"1\" displayName=\"Physician\"", "code=\"9\" displayName=\"Physician\""}}),
       {"VAL-C.2.r.4"}},
      {"C.2.r.5 no primary source", edited({{"", "<priorityNumber value=\"1\"/>", "<priorityNumber value=\"2\"/>"}}),
       {"R0021"}},
      // C.3
      {"C.3.1 missing",
       edited({{"", "<code code=\"1\" codeSystem=\"2.16.840.1.113883.3.989.2.1.1.7\"/>",
                "<code codeSystem=\"2.16.840.1.113883.3.989.2.1.1.7\"/>"}}),
       {"REQ-C.3.1"}},
      {"C.3.1 not a code",
       edited({{"", "<code code=\"1\" codeSystem=\"2.16.840.1.113883.3.989.2.1.1.7\"/>",
                "<code code=\"8\" codeSystem=\"2.16.840.1.113883.3.989.2.1.1.7\"/>"}}),
       {"VAL-C.3.1"}},
      {"C.3.2 missing", edited({{"", "<name>Big Pharma Drug</name>", "<name></name>"}}), {"R0022"}},
      // C.5
      {"C.5.4 missing", edited({{"", "<code code=\"1\" displayName=\"Clinical trials\"", "<code displayName=\"Clinical trials\""}}),
       {"R0023"}},
      {"C.5.4 not 1, 2 or 3",
       edited({{"", "<code code=\"1\" displayName=\"Clinical trials\"", "<code code=\"4\" displayName=\"Clinical trials\""}}),
       {"R0102"}},
      {"FDA.C.5.5a missing",
       edited({{"", "<id extension=\"123456\" root=\"2.16.840.1.113883.3.989.5.1.2.2.1.2.1\"/>",
                "<id root=\"2.16.840.1.113883.3.989.5.1.2.2.1.2.1\"/>"}}),
       {"R0024"}},
      {"FDA.C.5.5a with a prefix", edited({{"", "<id extension=\"123456\"", "<id extension=\"IND123456\""}}),
       {"VAL-FDA.C.5.5a"}},
      {"FDA.C.5.6.r missing",
       edited({{"", "root=\"2.16.840.1.113883.3.989.5.1.2.2.1.2.3\"", "root=\"2.16.840.1.113883.3.989.5.1.2.2.1.2.9\"", 0}}),
       {"R0026"}},
      // D
      {"D.1 missing", edited({{"", "<name>JD</name>", "<name></name>"}}), {"REQ-D.1"}},
      {"D.2.2a missing", edited({{"", "<value value=\"48\" unit=\"a\" xsi:type=\"PQ\"/>", "<value unit=\"a\" xsi:type=\"PQ\"/>"}}),
       {"R0029"}},
      {"D.2.2b missing", edited({{"", "<value value=\"48\" unit=\"a\" xsi:type=\"PQ\"/>", "<value value=\"48\" xsi:type=\"PQ\"/>"}}),
       {"R0030"}},
      {"D.5 not coded", edited({{"", "<administrativeGenderCode code=\"1\"", "<administrativeGenderCode code=\"M\""}}),
       {"VAL-D.5"}},
      {"D.9.1 missing on a death", edited({value_after("displayName=\"resultsInDeath\"", kBlNi, kBlTrue)}), {"R0041"}},
      {"D.9.1 in the future",
       edited({value_after("displayName=\"resultsInDeath\"", kBlNi, kBlTrue),
               {"", "<birthTime value=\"20010615\"/>", "<birthTime value=\"20010615\"/><deceasedTime value=\"20220620\"/>"}}),
       {"FUT-D.9.1"}},
      {"FDA.D.12 missing", edited({{"", "code=\"C16564\"", "code=\"C00000\""}}), {"REQ-FDA.D.12"}},
      // E.i (the first reaction)
      {"E.i.1.1b missing",
       edited({{"", meddra1,
                "<value xsi:type=\"CE\" code=\"10027940\" codeSystem=\"2.16.840.1.113883.6.163\" "
                "codeSystemVersion=\"25.0\"><originalText>thrombose veineuse</originalText></value>"}}),
       {"R0058"}},
      {"E.i.2.1a missing", edited({{"", meddra1, replaced(meddra1, " codeSystemVersion=\"25.0\"", "")}}),
       {"REQ-E.i.2.1a"}},
      {"E.i.2.1a not N.N", edited({{"", meddra1, replaced(meddra1, "\"25.0\"", "\"25\"")}}), {"VAL-E.i.2.1a"}},
      {"E.i.2.1b missing", edited({{"", meddra1, replaced(meddra1, " code=\"10027940\"", "")}}), {"REQ-E.i.2.1b"}},
      {"E.i.2.1b not 8 digits", edited({{"", meddra1, replaced(meddra1, "10027940", "1002794")}}),
       {"VAL-E.i.2.1b"}},
      {"FDA.E.i.3.2h missing", edited({value_after("displayName=\"requiredIntervention\"", kBlNi, kBlNone)}),
       {"REQ-FDA.E.i.3.2h"}},
      {"FDA.E.i.3.2h not NI on a premarket report",
       edited({value_after("displayName=\"requiredIntervention\"", kBlNi, kBlTrue)}), {"VAL-FDA.E.i.3.2h"}},
      {"E.i.4 in the future", edited({{"", "<low value=\"20141010\"/>", "<low value=\"20220620\"/>"}}), {"FUT-E.i.4"}},
      {"E.i.5 in the future",
       edited({{"", "<low value=\"20141010\"/>", "<low value=\"20141010\"/><high value=\"20220620\"/>"}}),
       {"FUT-E.i.5"}},
      {"E.i.7 missing",
       edited({{"displayName=\"outcome\"", "code=\"3\" displayName=\"not recovered/not resolved/ongoing\" ",
                "displayName=\"not recovered/not resolved/ongoing\" "}}),
       {"REQ-E.i.7"}},
      {"E.i.7 not a code",
       edited({{"displayName=\"outcome\"", "code=\"3\" displayName=\"not recovered", "code=\"6\" displayName=\"not recovered"}}),
       {"VAL-E.i.7"}},
      // F.r
      {"F.r.1 missing", edited({{"", kTestsAnchor, test_result(kAlt, "", kAltResult)}}), {"R0061"}},
      {"F.r.1 in the future", edited({{"", kTestsAnchor, test_result(kAlt, "20220620", kAltResult)}}), {"FUT-F.r.1"}},
      {"F.r.2 missing", edited({{"", kTestsAnchor, test_result("", "20141011", kAltResult)}}), {"R0062"}},
      {"F.r.3.3 missing", edited({{"", kTestsAnchor, test_result(kAlt, "20141011", "<center value=\"125\"/>")}}),
       {"R0067"}},
      // G.k
      {"G.k.1 missing for drug C",
       edited({{"<!--  Product #3  -->", "<id root=\"40d6f5ce-3b3b-45c7-92dd-69e06730c2b6\"/>",
                "<id root=\"00000000-3b3b-45c7-92dd-69e06730c2b6\"/>"}}),
       {"REQ-G.k.1"}},
      {"G.k.1 no suspect", edited({{"", "code=\"1\" displayName=\"Suspect\"", "code=\"2\" displayName=\"Concomitant\"", 0}}),
       {"R0070"}},
      {"G.k.1 drug not administered on an IND report",
       edited({{"", "code=\"2\" displayName=\"Concomitant\"", "code=\"4\" displayName=\"Drug Not Administered\""}}),
       {"R0070"}},
      {"G.k.2.2 missing", edited({{"", "<name>Drug C</name>", "<name></name>"}}), {"REQ-G.k.2.2"}},
      {"G.k.4.r.1b missing",
       edited({{"", "<effectiveTime nullFlavor=\"ASKU\"/>", "<effectiveTime nullFlavor=\"ASKU\"/><doseQuantity value=\"5\"/>"}}),
       {"R0075"}},
      {"G.k.9.i.2.r.1 missing", edited({{"", "<originalText>Sponsor</originalText>", "<originalText></originalText>"}}),
       {"R0085"}},
      {"G.k.9.i.2.r.2 missing", edited({{"", "<originalText>FDA</originalText>", "<originalText></originalText>"}}),
       {"R0086"}},
      {"G.k.9.i.2.r.3 missing",
       edited({{"", "<value xsi:type=\"ST\">Suspected</value>", "<value xsi:type=\"ST\"></value>"}}), {"R0087"}},
      {"G.k.9.i.2.r.3 not FDA's wording",
       edited({{"", "<value xsi:type=\"ST\">Suspected</value>", "<value xsi:type=\"ST\">possibly related</value>"}}),
       {"VAL-G.k.9.i.2.r.3"}},
      {"G.k.9.i.2.r no assessment of a suspect drug", edited({{"", "code=\"39\"", "code=\"38\"", 0}}),
       {"R0085", "R0086", "R0087"}},
      // H
      {"H.1 missing",
       edited({{"", "<text>Case Narrative Including Clinical Course, Therapeutic Measures, Outcome and Additional "
                    "Relevant Information </text>",
                "<text></text>"}}),
       {"REQ-H.1"}},
  };
  // E.i.3.2a-f: required (true or NI), and "false" is not one of their values.
  for (const char* seriousness : {"resultsInDeath", "isLifeThreatening", "requiresInpatientHospitalization",
                                  "resultsInPersistentOrSignificantDisability", "congenitalAnomalyBirthDefect",
                                  "otherMedicallyImportantCondition"}) {
    const std::string name = seriousness;
    const std::string anchor = "displayName=\"" + name + "\"";
    const std::string current = name == "resultsInPersistentOrSignificantDisability" || name == "otherMedicallyImportantCondition"
                                    ? kBlTrue
                                    : kBlNi;
    const char letter = name == "resultsInDeath"                               ? 'a'
                        : name == "isLifeThreatening"                          ? 'b'
                        : name == "requiresInpatientHospitalization"           ? 'c'
                        : name == "resultsInPersistentOrSignificantDisability" ? 'd'
                        : name == "congenitalAnomalyBirthDefect"               ? 'e'
                                                                               : 'f';
    const std::string elem = std::string("E.i.3.2") + letter;
    cases.push_back({seriousness, edited({value_after(anchor, current, kBlNone)}), {"REQ-" + elem}});
    cases.push_back({seriousness, edited({value_after(anchor, current, kBlFalse)}), {"VAL-" + elem}});
  }
  return cases;
}

}  // namespace

TEST_CASE("FDA's premarket IND safety report (Scenario 3) passes every checked FDA rule") {
  const auto findings = validate(scenario3(), Profile::fda);
  CHECK_MESSAGE(findings.empty(), describe(findings));
}

TEST_CASE("Scenario 8 (a product marketed outside the US only) passes them too") {
  const auto findings = validate(load_e2br3("FAERS2022Scenario8.xml"), Profile::fda);
  CHECK_MESSAGE(findings.empty(), describe(findings));
}

TEST_CASE("each checked FDA rule, broken by one edit of Scenario 3, gives exactly its finding") {
  std::set<std::string> covered;
  for (const auto& c : broken_documents()) {
    CAPTURE(c.name);
    const auto findings = fda_findings(c.doc);
    CHECK_MESSAGE(rules_of(findings) == c.expected, describe(findings));
    for (const auto& f : findings) {
      CHECK_FALSE(f.element.empty());
      CHECK_FALSE(f.message.empty());
      CHECK(f.message.find("<value>") == std::string::npos);
      CHECK(f.rejection == (f.rule != "VAL-G.k.9.i.2.r.3"));
    }
    covered.insert(c.expected.begin(), c.expected.end());
  }
  // Every rule checked_fda_rules() lists is broken by some edit above.
  for (const auto& r : checked_fda_rules()) {
    CAPTURE(r.id);
    CHECK(covered.count(r.id) == 1);
  }
}

TEST_CASE("the allowed alternatives pass") {
  SUBCASE("a nullification with its reason") {
    const auto findings = fda_findings(edited({{"", "</investigationEvent>", nullification("1", "Duplicate of US-APHARMA-1")}}));
    CHECK_MESSAGE(findings.empty(), describe(findings));
  }
  SUBCASE("no cross-reported IND: nullFlavor NA") {
    const auto findings =
        fda_findings(edited({{"", "<id extension=\"222222\" root=\"2.16.840.1.113883.3.989.5.1.2.2.1.2.3\"/>",
                              "<id nullFlavor=\"NA\" root=\"2.16.840.1.113883.3.989.5.1.2.2.1.2.3\"/>"},
                             {"", "<id extension=\"333333\" root=\"2.16.840.1.113883.3.989.5.1.2.2.1.2.3\"/>",
                              "<id nullFlavor=\"NA\" root=\"2.16.840.1.113883.3.989.5.1.2.2.1.2.3\"/>"}}));
    CHECK_MESSAGE(findings.empty(), describe(findings));
  }
  SUBCASE("sex unknown") {
    const auto findings = fda_findings(edited(
        {{"", "<administrativeGenderCode code=\"1\" displayName=\"Male\" codeSystem=\"1.0.5218\"/>",
          "<administrativeGenderCode nullFlavor=\"UNK\"/>"}}));
    CHECK_MESSAGE(findings.empty(), describe(findings));
  }
  SUBCASE("a death with its date") {
    const auto findings = fda_findings(edited({value_after("displayName=\"resultsInDeath\"", kBlNi, kBlTrue),
                                               {"", "<birthTime value=\"20010615\"/>",
                                                "<birthTime value=\"20010615\"/><deceasedTime value=\"20141012\"/>"}}));
    CHECK_MESSAGE(findings.empty(), describe(findings));
  }
  SUBCASE("a dose with its unit, a verbatim term with its language") {
    const auto findings = fda_findings(edited(
        {{"", "<effectiveTime nullFlavor=\"ASKU\"/>", "<effectiveTime nullFlavor=\"ASKU\"/><doseQuantity value=\"5\" unit=\"mg\"/>"},
         {"", "codeSystemVersion=\"25.0\"/>", "codeSystemVersion=\"25.0\"><originalText language=\"fra\">thrombose</originalText></value>"}}));
    CHECK_MESSAGE(findings.empty(), describe(findings));
  }
  SUBCASE("a test result with its date, name and unit (schema-valid too)") {
    const auto findings = validate(edited({{"", kTestsAnchor, test_result(kAlt, "20141011", kAltResult)}}), Profile::fda);
    CHECK_MESSAGE(findings.empty(), describe(findings));
  }
  SUBCASE("a 7-day report") {
    const auto findings = fda_findings(edited({{"displayName=\"localCriteriaReportType\"", "code=\"1\"", "code=\"6\""}}));
    CHECK_MESSAGE(findings.empty(), describe(findings));
  }
  SUBCASE("a date without a zone is in the future only if it is so in every zone") {
    // N.1.5 at 2022-06-14T15:10:10Z: in UTC+14 it is already the 15th, Scenario 3's C.1.4 and C.1.5.
    const auto findings = fda_findings(
        edited({{"", "<creationTime value=\"20220614101010-0500\"/>", "<creationTime value=\"20220614151010+0000\"/>"}}));
    CHECK_MESSAGE(findings.empty(), describe(findings));
    // The 16th starts at 2022-06-15T10:00Z in UTC+14: after N.1.5 everywhere.
    const auto future = fda_findings(edited({{"", "<availabilityTime value=\"20220615\"/>", "<availabilityTime value=\"20220616\"/>"}}));
    CHECK(rules_of(future) == std::set<std::string>{"FUT-C.1.5"});
  }
}

TEST_CASE("the rule catalogue: unique ids, texts as FDA words them") {
  const auto& rules = checked_fda_rules();
  std::set<std::string> ids;
  for (const auto& r : rules) {
    CHECK(ids.insert(r.id).second);
    CHECK_FALSE(r.text.empty());
  }
  const auto text = [&](const std::string& id) {
    for (const auto& r : rules)
      if (r.id == id) return r.text;
    return std::string();
  };
  // rejection_warning_rules.csv, ERROR DESCRIPTION column.
  CHECK(text("R0005") == "ICSR sent to the premaket route does not have the value \"ZZFDA_PREMKT\" for N.1.4");
  CHECK(text("R0024") == "FDA.C.5.5a must be provided when C.1.3 = (1 or 2) and N.2.r.3 = \"CDER_IND\" or \"CBER_IND\"");
  CHECK(text("R0087") == "G.k.9.i.2.r.3 must be provided when C.1.3 = 2 and FDA.C.5.5a is provided");
  CHECK(text("REQ-C.1.1") == "Data value required for tag C.1.1");
  CHECK(text("FUT-C.1.4") == "C.1.4 contains Future date");
}
