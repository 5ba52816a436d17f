// Acknowledgements (MCCI_IN200101UV01) read back: every field of FDA's two examples, with the
// values the files hold; anything that is not a valid acknowledgement is refused.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "e2br3_files.hpp"
#include "pvmon/icsr.hpp"
#include "pvmon/time.hpp"

using namespace pvmon;
using namespace pvmon::icsr;

using namespace pvmon::test;

namespace {

std::string fields_of(const Error& e) {
  std::string s = e.message + "\n";
  for (const auto& f : e.fields) s += f.field + ": " + f.message + "\n";
  return s;
}

bool names(const Error& e, const std::string& field) {
  for (const auto& f : e.fields)
    if (f.field == field) return true;
  return false;
}

}  // namespace

TEST_CASE("FDA's positive acknowledgement: every field") {
  const auto r = parse_ack(load_e2br3("R3ack-positive.ack"));
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : fields_of(r.error())));
  const Ack& a = r.value();
  CHECK(a.batch_id == "33439257");                                               // ACK.M.1
  CHECK(format_timestamp(a.created) == "2022-08-11T17:50:30.000Z");              // ACK.M.4 20220811135030-0400
  CHECK(a.batch_code == "AA");                                                   // ACK.A.4
  CHECK(a.batch_text == "message successfully processed, no further action");    // ACK.A.5
  CHECK(a.acked_batch_id == "FAERS2022Scenario1-4069-a2dd-08002b30309d");        // ACK.A.1
  REQUIRE(a.messages.size() == 1);
  const MessageAck& m = a.messages.front();
  CHECK(m.target_message_id == "21ec1492-3aea-4069-a2ab-08002b30309d");          // ACK.B.r.1, N.2.r.1 part
  CHECK(m.safety_report_id == "US-APHARMA-8744554B");                            // ACK.B.r.1, C.1.1 part
  CHECK(m.local_report_number == "19426648");                                    // ACK.B.r.2
  CHECK(m.code == "CA");                                                         // ACK.B.r.6
  CHECK(m.accepted);
  CHECK(m.text == "Report Loaded Successfully");                                 // ACK.B.r.7
}

TEST_CASE("FDA's negative acknowledgement: every field") {
  const auto r = parse_ack(load_e2br3("R3ack-negative.ack"));
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : fields_of(r.error())));
  const Ack& a = r.value();
  CHECK(a.batch_id == "34137236");
  CHECK(format_timestamp(a.created) == "2022-08-15T14:12:46.000Z");  // 20220815101246-0400
  CHECK(a.batch_code == "AE");
  CHECK(a.batch_text == "some ICSR message(s) need further action");
  CHECK(a.acked_batch_id == "FAERS2022Scenario2-4069-a2dd-08002b30309d");
  REQUIRE(a.messages.size() == 1);
  const MessageAck& m = a.messages.front();
  // One token only: the message id FDA acknowledges, no C.1.1 appended.
  CHECK(m.target_message_id == "US-APHARMA-7644554");
  CHECK(m.safety_report_id.empty());
  CHECK(m.local_report_number == "19426650");
  CHECK(m.code == "CR");
  CHECK_FALSE(m.accepted);
  CHECK(m.text ==
        "Element value for SafetyCasePriority With Tag Id FDA.C.1.7.1 is Mandatory.;Element value for "
        "CombinationProductReport With Tag Id FDA.C.1.12 is Mandatory.;Patient Ethnicity Code (FDA.D.12) must be "
        "provided;Element value for EthenicOrgin With Tag I...");
}

TEST_CASE("an acknowledgement time without an offset is read as UTC") {
  const auto r = parse_ack(replaced(load_e2br3("R3ack-positive.ack"), "<creationTime value=\"20220811135030-0400\"/>",
                                    "<creationTime value=\"20220811135030\"/>"));
  REQUIRE(r.ok());
  CHECK(format_timestamp(r->created) == "2022-08-11T13:50:30.000Z");
}

TEST_CASE("what is not a valid acknowledgement is refused, naming the element") {
  SUBCASE("an ICSR posted as an acknowledgement") {
    const auto r = parse_ack(load_e2br3("FAERS2022Scenario3.xml"));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Errc::invalid);
    CHECK_FALSE(r.error().fields.empty());
  }
  SUBCASE("not XML") {
    for (const std::string& doc : {std::string("not xml"), std::string(), std::string("<MCCI_IN200101UV01")}) {
      const auto r = parse_ack(doc);
      REQUIRE_FALSE(r.ok());
      CHECK(r.error().code == Errc::invalid);
      CHECK(names(r.error(), "document"));
    }
  }
  SUBCASE("a message acknowledgement code outside CA/CR") {
    const auto r = parse_ack(replaced(load_e2br3("R3ack-positive.ack"), "<acknowledgement typeCode=\"CA\">",
                                      "<acknowledgement typeCode=\"XX\">"));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Errc::invalid);
  }
  SUBCASE("a message acknowledgement code of the batch's vocabulary (AA), not the message's") {
    const auto r = parse_ack(replaced(load_e2br3("R3ack-positive.ack"), "<acknowledgement typeCode=\"CA\">",
                                      "<acknowledgement typeCode=\"AA\">"));
    REQUIRE_FALSE(r.ok());
    CHECK_MESSAGE(names(r.error(), "ACK.B.r.6"), fields_of(r.error()));
  }
  SUBCASE("no batch number") {
    const auto r = parse_ack(replaced(load_e2br3("R3ack-positive.ack"), "<id extension=\"33439257\" root=\"2.16.840.1.113883.3.989.2.1.3.20\"/>",
                                      "<id root=\"2.16.840.1.113883.3.989.2.1.3.20\"/>"));
    REQUIRE_FALSE(r.ok());
    CHECK_MESSAGE(names(r.error(), "ACK.M.1"), fields_of(r.error()));
  }
  SUBCASE("a transmission time that is not one") {
    const auto r = parse_ack(replaced(load_e2br3("R3ack-positive.ack"), "<creationTime value=\"20220811135030-0400\"/>",
                                      "<creationTime value=\"20220811\"/>"));
    REQUIRE_FALSE(r.ok());
    CHECK_MESSAGE(names(r.error(), "ACK.M.4"), fields_of(r.error()));
  }
  SUBCASE("a DTD") {
    const auto r = parse_ack(replaced(load_e2br3("R3ack-positive.ack"), "<MCCI_IN200101UV01 ",
                                      "<!DOCTYPE MCCI_IN200101UV01 [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n<MCCI_IN200101UV01 "));
    REQUIRE_FALSE(r.ok());
    CHECK(names(r.error(), "document"));
  }
}
