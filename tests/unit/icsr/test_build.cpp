// ICSR builder (E2B(R3) message of one case): worked cases from the study (open-label
// camrelizumab + apatinib with IMRT before hepatectomy) built under both profiles, valid against
// the ICH schema and FDA's rules, and their key elements read back by XPath and compared with
// the Case: a fatal SUSAR, its follow-up, a lab-graded AE (F.r), a nullification; then escaping,
// null flavours for what a case lacks, and reproducibility.
#include <doctest/doctest.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include <memory>
#include <string>
#include <vector>

#include "e2br3_files.hpp"
#include "pvmon/icsr.hpp"

using namespace pvmon;
using namespace pvmon::icsr;
using pvmon::test::describe;

namespace {

/// One parsed message and XPath 1.0 over it; the HL7 namespace is "h".
class Doc {
 public:
  explicit Doc(const std::string& xml)
      : doc_(xmlReadMemory(xml.data(), static_cast<int>(xml.size()), "icsr.xml", nullptr,
                           XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING),
             xmlFreeDoc) {
    REQUIRE_MESSAGE(doc_ != nullptr, "not well-formed XML");
    ctx_.reset(xmlXPathNewContext(doc_.get()));
    REQUIRE(ctx_ != nullptr);
    xmlXPathRegisterNs(ctx_.get(), BAD_CAST "h", BAD_CAST "urn:hl7-org:v3");
    xmlXPathRegisterNs(ctx_.get(), BAD_CAST "xsi",
                       BAD_CAST "http://www.w3.org/2001/XMLSchema-instance");
  }
  /// The string value of `expr` ("" when it selects nothing).
  std::string str(const std::string& expr) const {
    const auto r = eval("string(" + expr + ")");
    return r && r->stringval ? reinterpret_cast<const char*>(r->stringval) : "";
  }
  int count(const std::string& expr) const {
    const auto r = eval("count(" + expr + ")");
    return r ? static_cast<int>(r->floatval) : -1;
  }

 private:
  std::unique_ptr<xmlXPathObject, void (*)(xmlXPathObjectPtr)> eval(const std::string& e) const {
    std::unique_ptr<xmlXPathObject, void (*)(xmlXPathObjectPtr)> r(
        xmlXPathEvalExpression(BAD_CAST e.c_str(), ctx_.get()), xmlXPathFreeObject);
    REQUIRE_MESSAGE(r != nullptr, "bad XPath: " << e);
    return r;
  }
  std::unique_ptr<xmlDoc, void (*)(xmlDocPtr)> doc_;
  std::unique_ptr<xmlXPathContext, void (*)(xmlXPathContextPtr)> ctx_{nullptr,
                                                                      xmlXPathFreeContext};
};

// XPath to the parts of the message.
const std::string kMsg = "/h:MCCI_IN200100UV01/h:PORR_IN049016UV";
const std::string kInv = kMsg + "/h:controlActProcess/h:subject/h:investigationEvent";
const std::string kAssessment = kInv + "/h:component/h:adverseEventAssessment";
const std::string kRole = kAssessment + "/h:subject1/h:primaryRole";
const std::string kPatient = kRole + "/h:player1";
const std::string kStudy = kRole + "/h:subjectOf1/h:researchStudy";
const std::string kReaction = kRole + "/h:subjectOf2/h:observation[h:code/@code='29']";
const std::string kTests =
    kRole + "/h:subjectOf2/h:organizer[h:code/@code='3']/h:component/h:observation";
const std::string kDrugs =
    kRole + "/h:subjectOf2/h:organizer[h:code/@code='4']/h:component/h:substanceAdministration";
const std::string kRoles = kAssessment + "/h:component/h:causalityAssessment[h:code/@code='20']";
const std::string kCausality =
    kAssessment + "/h:component/h:causalityAssessment[h:code/@code='39']";
const std::string kIndRoot = "2.16.840.1.113883.3.989.5.1.2.2.1.2.1";

std::string characteristic(const std::string& code) {
  return kInv + "/h:subjectOf2/h:investigationCharacteristic[h:code/@code='" + code + "']";
}
std::string criterion(const std::string& code) {  // E.i.3.2x value
  return kReaction + "/h:outboundRelationship2/h:observation[h:code/@code='" + code + "']/h:value";
}
std::string drug(const std::string& name) {
  return kDrugs + "[h:consumable/h:instanceOfKind/h:kindOfProduct/h:name='" + name + "']";
}
std::string role_of(const std::string& name) {
  return kRoles + "[h:subject2/h:productUseReference/h:id/@root=" + drug(name) +
         "/h:id/@root]/h:value/@code";
}
/// The result of the `source` assessment of drug `name`.
std::string causality_of(const std::string& name, const std::string& source) {
  return kCausality + "[h:subject2/h:productUseReference/h:id/@root=" + drug(name) +
         "/h:id/@root][h:author/h:assignedEntity/h:code/h:originalText='" + source + "']";
}

Date date(const char* s) { return *parse_date(s); }

Drug camrelizumab(const char* site_causality, const char* sponsor_causality) {
  Drug d;
  d.role = DrugRole::suspect;
  d.name = "camrelizumab";
  d.dose = 200;
  d.dose_unit = "mg";
  d.start = date("2026-01-12");
  d.end = date("2026-02-23");
  d.route = "intravenous";
  d.action = DrugAction::withdrawn;
  d.causality = {{"r1", "Investigator", "Global Introspection", site_causality},
                 {"r1", "Sponsor", "Global Introspection", sponsor_causality}};
  d.ind_number = "IND123456";
  return d;
}

Drug apatinib(const char* site_causality) {
  Drug d;
  d.role = DrugRole::suspect;
  d.name = "apatinib";
  d.dose = 250;
  d.dose_unit = "mg";
  d.start = date("2026-01-12");
  d.route = "oral";
  d.action = DrugAction::withdrawn;
  d.causality = {{"r1", "Investigator", "Global Introspection", site_causality}};
  return d;
}

/// The parts every case of the study shares: wrapper, sender, site, study, subject S01-0007.
Case study_case() {
  Case c;
  c.batch_id = "PVMON-B-20260314-0001";
  c.message_id = "PVMON-M-20260314-0001";
  c.batch_sender = c.message_sender = "PVMONSPONSOR01";
  c.batch_receiver = "ZZFDA_PREMKT";
  c.message_receiver = "CDER_IND";
  c.created = *parse_timestamp("2026-03-14T10:10:10Z");
  c.primary_source_country = "CN";
  c.reporter_organisation = "Site S01";
  c.reporter_country = "CN";
  c.sender_organisation = "Example Oncology Sponsor Ltd";
  c.sender_country = "CN";
  c.sender_department = "Pharmacovigilance";
  c.sender_email = "safety@sponsor.example";
  c.registration_number = "NCT99999999";
  c.registration_country = "CN";
  c.study_name = "HCC-PVTT-IMRT$Neoadjuvant IMRT with camrelizumab and apatinib before hepatectomy";
  c.sponsor_study_number = "HCC-PVTT-IMRT";
  c.ind_number = "123456";
  c.subject = "S01-0007";
  c.age_years = 58;
  c.sex = "M";
  c.medical_history = "Hepatocellular carcinoma with portal vein tumour thrombus; hepatitis B";
  return c;
}

/// A fatal SUSAR: grade 5 hepatic failure after two cycles, the patient died on 2026-03-08.
Case fatal_susar() {
  Case c = study_case();
  c.safety_report_id = c.worldwide_case_id = "CN-PVMON-S01-0007-AE0003";
  c.first_received = date("2026-03-09");
  c.most_recent = date("2026-03-09");
  c.expedited = true;
  c.fda_report_type = "6";  // 7-day: fatal, unexpected, suspected (21 CFR 312.32(c)(2))
  c.death_date = date("2026-03-08");
  c.death_causes = {"Hepatic failure"};
  c.death_cause_codes = {"10019663"};
  c.reaction.id = "r1";
  c.reaction.verbatim = "Acute liver failure";
  c.reaction.term = "Hepatic failure";
  c.reaction.meddra_code = "10019663";
  c.reaction.grade = 5;
  c.reaction.death = true;
  c.reaction.hospitalization = true;
  c.reaction.start = date("2026-03-02");
  c.reaction.end = date("2026-03-08");
  c.reaction.outcome = Outcome::fatal;
  c.reaction.country = "CN";
  c.drugs = {camrelizumab("possibly related", "probably related"), apatinib("unlikely related")};
  c.narrative = "58-year-old man (S01-0007) treated with camrelizumab 200 mg IV every 3 weeks and "
                "apatinib 250 mg daily after IMRT; hepatic failure on day 50, died on 2026-03-08.";
  c.sender_comment = "Unexpected fatal hepatic failure; a causal role of camrelizumab cannot be "
                     "ruled out.";
  return c;
}

/// A lab-graded AE: ALT 250 U/L with ULN 40 U/L, 6.25 x ULN, CTCAE v5.0 grade 3 (>5.0-20.0 x ULN).
Case lab_graded() {
  Case c = study_case();
  c.safety_report_id = c.worldwide_case_id = "CN-PVMON-S01-0007-AE0002";
  c.first_received = date("2026-02-18");
  c.most_recent = date("2026-02-18");
  c.expedited = false;
  c.fda_report_type = "2";
  c.reaction.id = "r1";
  c.reaction.verbatim = "ALT increased";
  c.reaction.term = "Alanine aminotransferase increased";
  c.reaction.meddra_code = "10001551";
  c.reaction.grade = 3;
  c.reaction.start = date("2026-02-17");
  c.reaction.outcome = Outcome::recovering;
  c.reaction.country = "CN";
  LabTest alt;
  alt.name = "Alanine aminotransferase";
  alt.date = date("2026-02-17");
  alt.value = 250;
  alt.unit = "U/L";
  alt.high = 40;
  alt.comment = "6.25 x ULN: CTCAE v5.0 grade 3 (>5.0 - 20.0 x ULN, baseline normal)";
  c.labs = {alt};
  Drug cam = camrelizumab("possibly related", "possibly related");
  cam.end.reset();
  cam.action = DrugAction::dose_not_changed;
  Drug apa = apatinib("possibly related");
  apa.action = DrugAction::dose_reduced;
  c.drugs = {cam, apa};
  c.narrative = "ALT 250 U/L (ULN 40) on 2026-02-17, grade 3; apatinib reduced, recovering.";
  return c;
}

const char* name_of(Profile p) { return p == Profile::fda ? "fda" : "ich"; }

}  // namespace

TEST_CASE("build: a fatal SUSAR is valid under both profiles and says what the Case says") {
  const Case c = fatal_susar();
  for (const Profile p : {Profile::ich, Profile::fda}) {
    CAPTURE(name_of(p));
    const std::string xml = build(c, p);
    const auto findings = validate(xml, p);
    CHECK_MESSAGE(findings.empty(), describe(findings));
    const Doc d(xml);

    // N and C.1
    CHECK(d.str("/h:MCCI_IN200100UV01/h:id/@extension") == c.batch_id);               // N.1.2
    CHECK(d.str("/h:MCCI_IN200100UV01/h:creationTime/@value") == "20260314101010+0000");
    CHECK(d.str("/h:MCCI_IN200100UV01/h:receiver/h:device/h:id/@extension") == "ZZFDA_PREMKT");
    CHECK(d.str(kMsg + "/h:id/@extension") == c.message_id);                            // N.2.r.1
    CHECK(d.str(kMsg + "/h:receiver/h:device/h:id/@extension") == "CDER_IND");          // N.2.r.3
    CHECK(d.str(kMsg + "/h:controlActProcess/h:effectiveTime/@value") == "20260314101010+0000");
    CHECK(d.str(kInv + "/h:id[@root='2.16.840.1.113883.3.989.2.1.3.1']/@extension") ==
          c.safety_report_id);                                                           // C.1.1
    CHECK(d.str(kInv + "/h:id[@root='2.16.840.1.113883.3.989.2.1.3.2']/@extension") ==
          c.worldwide_case_id);                                                          // C.1.8.1
    CHECK(d.str(kInv + "/h:effectiveTime/h:low/@value") == "20260309");                  // C.1.4
    CHECK(d.str(kInv + "/h:availabilityTime/@value") == "20260309");                     // C.1.5
    CHECK(d.str(kInv + "/h:text") == c.narrative);                                       // H.1
    CHECK(d.str(characteristic("1") + "/h:value/@code") == "2");                         // C.1.3
    CHECK(d.str(characteristic("2") + "/h:value/@nullFlavor") == "NI");                  // C.1.9.1
    CHECK(d.count(characteristic("3")) == 0);                                            // C.1.11
    CHECK(d.str(kInv + "/h:component/h:observationEvent[h:code/@code='1']/h:value/@value") ==
          "false");                                                                      // C.1.6.1
    CHECK(d.str(kInv + "/h:component/h:observationEvent[h:code/@code='23']/h:value/@value") ==
          "true");                                                                       // C.1.7
    const std::string source = kInv + "/h:outboundRelationship[h:priorityNumber/@value='1']" +
                               "/h:relatedInvestigation/h:subjectOf2/h:controlActEvent/h:author" +
                               "/h:assignedEntity";
    CHECK(d.str(source + "/h:assignedPerson/h:asQualifiedEntity/h:code/@code") == "1");  // C.2.r.4
    CHECK(d.str(source + "/h:assignedPerson/h:asLocatedEntity/h:location/h:code/@code") == "CN");
    // C.2.r.2.1
    CHECK(d.str(source + "/h:representedOrganization/h:assignedEntity/h:representedOrganization"
                         "/h:name") == "Site S01");
    const std::string sender = kInv + "/h:subjectOf1/h:controlActEvent/h:author/h:assignedEntity";
    CHECK(d.str(sender + "/h:code/@code") == "1");                                       // C.3.1
    CHECK(d.str(sender + "/h:representedOrganization/h:assignedEntity/h:representedOrganization"
                         "/h:name") == c.sender_organisation);                           // C.3.2
    CHECK(d.str(sender + "/h:telecom/@value") == "mailto:safety@sponsor.example");       // C.3.4.8

    // C.5
    CHECK(d.str(kStudy + "/h:id/@extension") == "HCC-PVTT-IMRT");                       // C.5.3
    CHECK(d.str(kStudy + "/h:code/@code") == "1");                                       // C.5.4
    CHECK(d.str(kStudy + "/h:title") == c.study_name);                                   // C.5.2
    CHECK(d.str(kStudy + "/h:authorization/h:studyRegistration/h:id"
                         "[@root='2.16.840.1.113883.3.989.2.1.3.6']/@extension") == "NCT99999999");

    // D
    CHECK(d.str(kPatient + "/h:name") == "S01-0007");                                    // D.1
    CHECK(d.str(kPatient + "/h:administrativeGenderCode/@code") == "1");                 // D.5
    CHECK(d.str(kRole + "/h:subjectOf2/h:observation[h:code/@code='3']/h:value/@value") == "58");
    CHECK(d.str(kRole + "/h:subjectOf2/h:observation[h:code/@code='3']/h:value/@unit") == "a");
    CHECK(d.str(kPatient + "/h:deceasedTime/@value") == "20260308");                     // D.9.1
    const std::string cause = kRole + "/h:subjectOf2/h:observation[h:code/@code='32']/h:value";
    // D.9.2.r.1b
    CHECK(d.str(cause + "/@code") == "10019663");
    // D.9.2.r.1a
    CHECK(d.str(cause + "/@codeSystemVersion") == "20.1");
    // D.9.2.r.2
    CHECK(d.str(cause + "/h:originalText") == "Hepatic failure");
    CHECK(d.str(kRole + "/h:subjectOf2/h:observation[h:code/@code='5']/h:value/@nullFlavor") ==
          "UNK");                                                                        // D.9.3

    // E.i
    CHECK(d.str(kReaction + "/h:value/@code") == "10019663");                            // E.i.2.1b
    CHECK(d.str(kReaction + "/h:value/@codeSystemVersion") == "20.1");                   // E.i.2.1a
    CHECK(d.str(kReaction + "/h:value/h:originalText") == "Acute liver failure");        // E.i.1.1a
    CHECK(d.str(kReaction + "/h:value/h:originalText/@language") == "eng");              // E.i.1.1b
    CHECK(d.str(kReaction + "/h:effectiveTime/h:low/@value") == "20260302");             // E.i.4
    CHECK(d.str(kReaction + "/h:effectiveTime/h:high/@value") == "20260308");            // E.i.5
    CHECK(d.str(criterion("34") + "/@value") == "true");                                 // E.i.3.2a
    CHECK(d.str(criterion("21") + "/@nullFlavor") == "NI");                              // E.i.3.2b
    CHECK(d.str(criterion("33") + "/@value") == "true");                                 // E.i.3.2c
    CHECK(d.str(criterion("35") + "/@nullFlavor") == "NI");                              // E.i.3.2d
    CHECK(d.str(criterion("12") + "/@nullFlavor") == "NI");                              // E.i.3.2e
    CHECK(d.str(criterion("26") + "/@nullFlavor") == "NI");                              // E.i.3.2f
    CHECK(d.str(criterion("27") + "/@code") == "5");                                     // E.i.7
    CHECK(d.str(kReaction + "/h:location/h:locatedEntity/h:locatedPlace/h:code/@code") == "CN");

    // G.k
    CHECK(d.count(kDrugs) == 2);
    CHECK(d.str(role_of("camrelizumab")) == "1");                                        // G.k.1
    CHECK(d.str(role_of("apatinib")) == "1");
    const std::string dose = drug("camrelizumab") + "/h:outboundRelationship2[@typeCode='COMP']" +
                             "/h:substanceAdministration";
    // G.k.4.r.1a
    CHECK(d.str(dose + "/h:doseQuantity/@value") == "200");
    // G.k.4.r.1b
    CHECK(d.str(dose + "/h:doseQuantity/@unit") == "mg");
    // G.k.4.r.4
    CHECK(d.str(dose + "/h:effectiveTime/h:low/@value") == "20260112");
    // G.k.4.r.5
    CHECK(d.str(dose + "/h:effectiveTime/h:high/@value") == "20260223");
    // G.k.4.r.10.1
    CHECK(d.str(dose + "/h:routeCode/h:originalText") == "intravenous");
    CHECK(d.str(drug("apatinib") + "/h:inboundRelationship/h:act/h:code/@code") == "1");  // G.k.8
    // Every assessment refers to the reaction and to a drug of the message (G.k.9.i.1).
    CHECK(d.count(kCausality) == 3);
    CHECK(d.count(kCausality + "[h:subject1/h:adverseEffectReference/h:id/@root=" + kReaction +
                  "/h:id/@root]") == 3);
    CHECK(d.str(kAssessment + "/h:component1/h:observationEvent/h:value") == c.sender_comment);

    if (p == Profile::ich) {  // G.k.9.i.2.r as the Case has it, no FDA element
      CHECK(d.str(causality_of("camrelizumab", "Investigator") + "/h:value") == "possibly related");
      CHECK(d.str(causality_of("camrelizumab", "Sponsor") + "/h:value") == "probably related");
      CHECK(d.str(causality_of("apatinib", "Investigator") + "/h:value") == "unlikely related");
      CHECK(d.str(causality_of("apatinib", "Investigator") + "/h:methodCode/h:originalText") ==
            "Global Introspection");
      CHECK(d.count(kStudy + "/h:authorization/h:studyRegistration/h:id[@root='" + kIndRoot +
                    "']") == 0);
      CHECK(d.count(kInv + "/h:component/h:observationEvent[h:code/@code='C54588']") == 0);
      CHECK(d.count(drug("camrelizumab") + "//h:approval") == 0);
    } else {  // FDA: "Suspected" / "Not Suspected" by method "FDA" (R0085-R0087), IND numbers
      CHECK(d.str(causality_of("camrelizumab", "Investigator") + "/h:value") == "Suspected");
      CHECK(d.str(causality_of("camrelizumab", "Sponsor") + "/h:value") == "Suspected");
      CHECK(d.str(causality_of("apatinib", "Investigator") + "/h:value") == "Not Suspected");
      CHECK(d.str(causality_of("apatinib", "Investigator") + "/h:methodCode/h:originalText") ==
            "FDA");
      // FDA.C.5.5a, FDA.C.5.6.r
      CHECK(d.str(kStudy + "/h:authorization/h:studyRegistration/h:id[@root='" + kIndRoot +
                  "']/@extension") == "123456");
      CHECK(d.str(kStudy + "/h:authorization/h:studyRegistration/h:id"
                           "[@root='2.16.840.1.113883.3.989.5.1.2.2.1.2.3']/@nullFlavor") == "NA");
      // FDA.C.1.7.1
      CHECK(d.str(kInv + "/h:component/h:observationEvent[h:code/@code='C54588']/h:value/@code") ==
            "6");
      // FDA.C.1.12
      CHECK(d.str(kInv + "/h:component/h:observationEvent[h:code/@code='C156384']"
                         "/h:value/@value") == "false");
      // G.k.3.1
      CHECK(d.str(drug("camrelizumab") + "//h:approval/h:id/@extension") == "IND123456");
      // FDA.E.i.3.2h
      CHECK(d.str(criterion("7") + "/@nullFlavor") == "NI");
    }
  }
}

TEST_CASE("build: a follow-up keeps C.1.1 and C.1.4 and moves C.1.5") {
  const Case first = fatal_susar();
  Case c = first;
  c.version = 2;
  c.followup = true;
  c.batch_id = "PVMON-B-20260320-0004";
  c.message_id = "PVMON-M-20260320-0004";
  c.created = *parse_timestamp("2026-03-20T08:30:00Z");
  c.most_recent = date("2026-03-19");
  c.narrative += " Follow-up: liver biopsy showed immune-mediated hepatitis.";
  for (const Profile p : {Profile::ich, Profile::fda}) {
    CAPTURE(name_of(p));
    const std::string xml = build(c, p);
    CHECK_MESSAGE(validate(xml, p).empty(), describe(validate(xml, p)));
    const Doc d(xml), d1(build(first, p));
    const std::string c11 = kInv + "/h:id[@root='2.16.840.1.113883.3.989.2.1.3.1']/@extension";
    CHECK(d.str(c11) == d1.str(c11));
    CHECK(d.str(c11) == "CN-PVMON-S01-0007-AE0003");
    CHECK(d.str(kInv + "/h:effectiveTime/h:low/@value") == "20260309");                  // C.1.4
    CHECK(d.str(kInv + "/h:availabilityTime/@value") == "20260319");                     // C.1.5
    CHECK(d.str(kMsg + "/h:creationTime/@value") == "20260320083000+0000");              // N.2.r.4
    CHECK(d.str(kMsg + "/h:id/@extension") == "PVMON-M-20260320-0004");
    CHECK(d.count(characteristic("3")) == 0);
  }
}

TEST_CASE("build: a lab-graded AE carries its test (F.r) and non-serious criteria as NI") {
  const Case c = lab_graded();
  for (const Profile p : {Profile::ich, Profile::fda}) {
    CAPTURE(name_of(p));
    const std::string xml = build(c, p);
    const auto findings = validate(xml, p);
    CHECK_MESSAGE(findings.empty(), describe(findings));
    const Doc d(xml);
    CHECK(d.count(kTests) == 1);
    CHECK(d.str(kTests + "/h:code/h:originalText") == "Alanine aminotransferase");       // F.r.2.1
    CHECK(d.str(kTests + "/h:effectiveTime/@value") == "20260217");                      // F.r.1
    CHECK(d.str(kTests + "/h:value/h:center/@value") == "250");                          // F.r.3.2
    CHECK(d.str(kTests + "/h:value/h:center/@unit") == "U/L");                           // F.r.3.3
    CHECK(d.str(kTests + "/h:referenceRange/h:observationRange[h:interpretationCode/@code='H']"
                         "/h:value/@value") == "40");                                    // F.r.5
    CHECK(d.count(kTests + "/h:referenceRange"
                           "/h:observationRange[h:interpretationCode/@code='L']") ==
          0);                                                                            // no F.r.4
    CHECK(d.str(kTests + "/h:outboundRelationship2/h:observation/h:value") == c.labs[0].comment);
    CHECK(d.str(kReaction + "/h:value/@code") == "10001551");
    for (const char* code : {"34", "21", "33", "35", "12", "26"})
      CHECK(d.str(criterion(code) + "/@nullFlavor") == "NI");
    CHECK(d.str(criterion("27") + "/@code") == "2");                                     // E.i.7
    CHECK(d.count(kReaction + "/h:effectiveTime/h:high") == 0);                          // ongoing
    CHECK(d.count(kPatient + "/h:deceasedTime") == 0);
    CHECK(d.count(kRole + "/h:subjectOf2/h:observation[h:code/@code='32']") == 0);
    CHECK(d.str(drug("apatinib") + "/h:inboundRelationship/h:act/h:code/@code") == "2");
    CHECK(d.str(drug("camrelizumab") + "/h:inboundRelationship/h:act/h:code/@code") == "4");
    CHECK(d.str(kInv + "/h:component/h:observationEvent[h:code/@code='23']/h:value/@value") ==
          "false");
  }
}

TEST_CASE("build: a result whose unit is not a code goes to F.r.3.4 as text") {
  Case c = lab_graded();
  c.labs[0].value = 6.25;
  c.labs[0].unit = "x ULN";
  c.labs[0].high = 1;
  const std::string xml = build(c, Profile::ich);
  CHECK_MESSAGE(validate(xml, Profile::ich).empty(), describe(validate(xml, Profile::ich)));
  const Doc d(xml);
  CHECK(d.str(kTests + "/h:value[@xsi:type='ED']") == "6.25 x ULN (normal range - to 1)");
  CHECK(d.count(kTests + "/h:referenceRange") == 0);
}

TEST_CASE("build: a nullification carries C.1.11.1 = 1 and its reason") {
  Case c = lab_graded();
  c.nullified = true;
  c.nullification_reason = "Duplicate of CN-PVMON-S01-0007-AE0001: the site entered the AE twice";
  c.most_recent = date("2026-02-20");
  for (const Profile p : {Profile::ich, Profile::fda}) {
    CAPTURE(name_of(p));
    const std::string xml = build(c, p);
    const auto findings = validate(xml, p);
    CHECK_MESSAGE(findings.empty(), describe(findings));
    const Doc d(xml);
    CHECK(d.str(characteristic("3") + "/h:value/@code") == "1");                         // C.1.11.1
    CHECK(d.str(characteristic("3") + "/h:value/@codeSystem") == "2.16.840.1.113883.3.989.2.1.1.5");
    CHECK(d.str(characteristic("4") + "/h:value/h:originalText") == c.nullification_reason);
    CHECK(d.str(kInv + "/h:id[@root='2.16.840.1.113883.3.989.2.1.3.1']/@extension") ==
          "CN-PVMON-S01-0007-AE0002");
  }
}

TEST_CASE("build: text with & < > \" and control characters stays well-formed") {
  Case c = fatal_susar();
  c.narrative = "ALT > 5 x ULN & bilirubin < 2 x ULN; \"Hy's law\"\x01\x1f end\x7f.";
  c.reaction.verbatim = "liver <failure> & \"death\"";
  c.subject = "S01-0007\x0b";
  c.sender_comment = std::string("bad byte \xff here; CR\r kept");
  c.reporter_organisation = "Site S01 \"A&B\" <Ward 3>\tHepatobiliary";
  const std::string xml = build(c, Profile::ich);
  CHECK_MESSAGE(validate(xml, Profile::ich).empty(), describe(validate(xml, Profile::ich)));
  const Doc d(xml);
  CHECK(d.str(kInv + "/h:text") == "ALT > 5 x ULN & bilirubin < 2 x ULN; \"Hy's law\" end\x7f.");
  CHECK(d.str(kReaction + "/h:value/h:originalText") == "liver <failure> & \"death\"");
  CHECK(d.str(kPatient + "/h:name") == "S01-0007");
  CHECK(d.str(kAssessment + "/h:component1/h:observationEvent/h:value") ==
        "bad byte \xEF\xBF\xBD here; CR\r kept");
  CHECK(xml.find('\x01') == std::string::npos);
  CHECK(xml.find('\x0b') == std::string::npos);
}

TEST_CASE("build: what a Case lacks is written with the null flavour the IG allows") {
  Case c = lab_graded();
  c.sex = "";
  c.reporter_country = "";
  c.primary_source_country = "";
  c.reporter_organisation = "";
  c.study_name = "";
  c.registration_number = "";
  c.medical_history = "";
  c.reaction.start.reset();
  c.drugs[0].start.reset();
  c.drugs[0].route = "";
  c.labs[0].date.reset();
  c.reaction.outcome = Outcome::fatal;  // dead without a date of death
  const std::string xml = build(c, Profile::ich);
  CHECK_MESSAGE(validate(xml, Profile::ich).empty(), describe(validate(xml, Profile::ich)));
  const Doc d(xml);
  CHECK(d.str(kPatient + "/h:administrativeGenderCode/@nullFlavor") == "UNK");          // D.5
  const std::string source = kInv +
                             "/h:outboundRelationship[h:priorityNumber]/h:relatedInvestigation"
                                    "/h:subjectOf2/h:controlActEvent/h:author/h:assignedEntity";
  CHECK(d.str(source + "/h:assignedPerson/h:asLocatedEntity/h:location/h:code/@nullFlavor") ==
        "UNK");                                                                          // C.2.r.3
  // C.2.r.2.1
  CHECK(d.str(source + "//h:representedOrganization/h:name/@nullFlavor") == "NASK");
  CHECK(d.str(kStudy + "/h:title/@nullFlavor") == "NASK");                               // C.5.2
  CHECK(d.str(kStudy + "/h:authorization/h:studyRegistration/h:id/@nullFlavor") == "NASK");
  CHECK(d.str(kRole + "/h:subjectOf2/h:organizer[h:code/@code='1']/h:component/h:observation"
                      "/h:value/@nullFlavor") == "UNK");                                 // D.7.2
  CHECK(d.str(kReaction + "/h:effectiveTime/h:low/@nullFlavor") == "ASKU");              // E.i.4
  const std::string dose =
      drug("camrelizumab") + "/h:outboundRelationship2[@typeCode='COMP']/h:substanceAdministration";
  // G.k.4.r.4
  CHECK(d.str(dose + "/h:effectiveTime/h:low/@nullFlavor") == "ASKU");
  // G.k.4.r.10.1
  CHECK(d.str(dose + "/h:routeCode/h:originalText/@nullFlavor") == "UNK");
  CHECK(d.str(kTests + "/h:effectiveTime/@nullFlavor") == "UNK");                        // F.r.1
  CHECK(d.str(kPatient + "/h:deceasedTime/@nullFlavor") == "ASKU");                      // D.9.1
  CHECK(d.count(kRole + "//h:*[@value='']") == 0);
  CHECK(d.count(kMsg + "//@*[.='']") == 0);  // never an empty attribute
}

TEST_CASE("build: the same Case gives the same message; ids inside are distinct") {
  const Case c = fatal_susar();
  const std::string xml = build(c, Profile::fda);
  CHECK(xml == build(c, Profile::fda));
  const Doc d(xml);
  const std::string r = d.str(kReaction + "/h:id/@root");
  const std::string k1 = d.str(drug("camrelizumab") + "/h:id/@root");
  const std::string k2 = d.str(drug("apatinib") + "/h:id/@root");
  CHECK(r.size() == 36);
  CHECK(r[14] == '8');  // UUID version 8
  CHECK(r != k1);
  CHECK(r != k2);
  CHECK(k1 != k2);
}

TEST_CASE("build: FDA causality wording; anything else stays as given") {
  Case c = lab_graded();
  c.drugs.resize(1);
  c.drugs[0].causality = {{"r1", "Investigator", "WHO-UMC", "definite"},
                          {"r1", "Sponsor", "WHO-UMC", "not_related"},
                          {"r1", "", "WHO-UMC", "unassessable"},
                          {"r1", "Sponsor", "WHO-UMC", "conditional"}};
  const Doc d(build(c, Profile::fda));
  CHECK(d.str("(" + kCausality + ")[1]/h:value") == "Suspected");
  CHECK(d.str("(" + kCausality + ")[2]/h:value") == "Not Suspected");
  CHECK(d.str("(" + kCausality + ")[3]/h:value") == "Suspected");
  CHECK(d.str("(" + kCausality + ")[3]/h:author/h:assignedEntity/h:code/h:originalText") ==
        "Sponsor");
  CHECK(d.str("(" + kCausality + ")[4]/h:value") == "conditional");
  const Doc i(build(c, Profile::ich));
  CHECK(i.str("(" + kCausality + ")[2]/h:value") == "not_related");
  CHECK(i.str("(" + kCausality + ")[2]/h:methodCode/h:originalText") == "WHO-UMC");
  CHECK(i.count("(" + kCausality + ")[3]/h:author") == 0);
}

TEST_CASE("build: numbers are plain decimals, as E2B's numeric fields want them") {
  Case c = lab_graded();
  c.labs[0].value = 12.5;
  c.labs[0].low = -0.0;
  c.labs[0].high = 1.5e-7;
  c.drugs[0].dose = 3;
  const std::string xml = build(c, Profile::ich);
  CHECK_MESSAGE(validate(xml, Profile::ich).empty(), describe(validate(xml, Profile::ich)));
  const Doc d(xml);
  CHECK(d.str(kTests + "/h:value/h:center/@value") == "12.5");
  CHECK(d.str(kTests + "/h:referenceRange/h:observationRange[h:interpretationCode/@code='L']"
                       "/h:value/@value") == "0");
  CHECK(d.str(kTests + "/h:referenceRange/h:observationRange[h:interpretationCode/@code='H']"
                       "/h:value/@value") == "0.00000015");
  CHECK(d.str(drug("camrelizumab") + "/h:outboundRelationship2/h:substanceAdministration"
                                     "/h:doseQuantity/@value") == "3");
}
