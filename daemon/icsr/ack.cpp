// A gateway's acknowledgement (HL7 v3 MCCI_IN200101UV01, ICH E2B(R3) IG section 3.4 and its
// ACK.* elements) read back: schema-validated against the embedded ICH schema, then the batch
// acknowledgement (ACK.M, ACK.A) and one acknowledgement per ICSR message (ACK.B.r). Every
// problem is an Error::invalid naming the element, never an exception.
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include <string>
#include <string_view>
#include <vector>

#include "fda_rules.hpp"
#include "pvmon/icsr.hpp"
#include "pvmon/text.hpp"

namespace pvmon::icsr {
namespace {

class AckReader {
 public:
  explicit AckReader(xmlDoc* doc) : ctx_(xmlXPathNewContext(doc)) {
    if (ctx_ != nullptr) xmlXPathRegisterNs(ctx_, BAD_CAST "h", BAD_CAST "urn:hl7-org:v3");
  }
  ~AckReader() {
    if (ctx_ != nullptr) xmlXPathFreeContext(ctx_);
  }
  AckReader(const AckReader&) = delete;
  AckReader& operator=(const AckReader&) = delete;
  bool ok() const { return ctx_ != nullptr; }

  std::vector<xmlNode*> nodes(const char* expr, xmlNode* at) const {
    std::vector<xmlNode*> out;
    xmlXPathObjectPtr r = xmlXPathNodeEval(at, BAD_CAST expr, ctx_);
    if (r == nullptr) return out;
    if (r->type == XPATH_NODESET && r->nodesetval != nullptr)
      for (int i = 0; i < r->nodesetval->nodeNr; ++i) out.push_back(r->nodesetval->nodeTab[i]);
    xmlXPathFreeObject(r);
    return out;
  }
  /// The trimmed text of every node selected, joined by a line feed ("" if none).
  std::string text(const char* expr, xmlNode* at) const {
    std::string out;
    for (xmlNode* n : nodes(expr, at)) {
      xmlChar* c = xmlNodeGetContent(n);
      if (c == nullptr) continue;
      std::string s(trim(reinterpret_cast<const char*>(c)));
      xmlFree(c);
      if (s.empty()) continue;
      if (!out.empty()) out += '\n';
      out += s;
    }
    return out;
  }

 private:
  xmlXPathContextPtr ctx_;
};

}  // namespace

Result<Ack> parse_ack(std::string_view xml) {
  detail::Parsed parsed = detail::parse_untrusted(xml);
  const auto refuse = [](const std::vector<Finding>& findings, const char* what) {
    std::vector<FieldError> fields;
    for (const Finding& f : findings)
      fields.push_back(FieldError{f.element.empty() ? "document" : f.element, f.message});
    return Error::invalid(std::move(fields), what);
  };
  if (!parsed.doc) return refuse(parsed.findings, "the acknowledgement is not well-formed XML");
  // MCCI_IN200101UV01.xsd: an ICSR (MCCI_IN200100UV01) or anything else posted here stops here.
  const std::vector<Finding> invalid = detail::validate_doc(parsed.doc.get(), Schema::ack);
  if (!invalid.empty())
    return refuse(invalid, "not a valid E2B(R3) acknowledgement (MCCI_IN200101UV01)");

  AckReader r(parsed.doc.get());
  if (!r.ok()) return Error::of(Errc::internal, "no XPath context");
  xmlNode* root = xmlDocGetRootElement(parsed.doc.get());
  std::vector<FieldError> errors;
  Ack ack;

  // ACK.M.1 acknowledgement batch number
  ack.batch_id = r.text("h:id[@root='2.16.840.1.113883.3.989.2.1.3.20']/@extension", root);
  if (ack.batch_id.empty()) errors.push_back({"ACK.M.1", "the acknowledgement batch number is missing"});
  // ACK.M.4 date of batch transmission: CCYYMMDDhhmmss[+/-ZZzz]. Without an offset the time is
  // taken as UTC (the IG asks for the offset; FDA's gateway writes it).
  const std::string created = r.text("h:creationTime/@value", root);
  const auto t = detail::parse_hl7_time(created);
  if (!t || t->digits < 14)
    errors.push_back({"ACK.M.4", "the date of batch transmission is missing or not CCYYMMDDhhmmss[+/-ZZzz]: \"" +
                                     created + "\""});
  else
    ack.created = t->utc();
  // ACK.A: the batch acknowledgement
  ack.batch_code = r.text("h:acknowledgement/@typeCode", root);
  if (ack.batch_code != "AA" && ack.batch_code != "AE" && ack.batch_code != "AR")
    errors.push_back({"ACK.A.4", "the transmission acknowledgement code is \"" + ack.batch_code +
                                     "\", not AA, AE or AR"});
  ack.batch_text = r.text("h:acknowledgement/h:acknowledgementDetail/h:text", root);           // ACK.A.5
  ack.acked_batch_id = r.text("h:acknowledgement/h:targetBatch/h:id/@extension", root);        // ACK.A.1

  // ACK.B.r: one per ICSR message of the batch acknowledged
  const auto messages = r.nodes("h:MCCI_IN000002UV01", root);
  for (std::size_t i = 0; i < messages.size(); ++i) {
    xmlNode* m = messages[i];
    const std::string which = "message " + std::to_string(i + 1) + ": ";
    MessageAck a;
    // ACK.B.r.1: FDA writes "<N.2.r.1 message id> <C.1.1 safety report id>".
    const std::string target = r.text("h:acknowledgement/h:targetMessage/h:id/@extension", m);
    if (target.empty()) errors.push_back({"ACK.B.r.1", which + "the ICSR message number is missing"});
    if (const auto space = target.find(' '); space != std::string::npos) {
      a.target_message_id = trim(std::string_view(target).substr(0, space));
      a.safety_report_id = trim(std::string_view(target).substr(space + 1));
    } else {
      a.target_message_id = target;
    }
    a.local_report_number = r.text("h:id[@root='2.16.840.1.113883.3.989.2.1.3.19']/@extension", m);  // ACK.B.r.2
    a.code = r.text("h:acknowledgement/@typeCode", m);                                            // ACK.B.r.6
    if (a.code != "CA" && a.code != "CR")
      errors.push_back({"ACK.B.r.6", which + "the acknowledgement code is \"" + a.code + "\", not CA or CR"});
    a.accepted = a.code == "CA";
    a.text = r.text("h:acknowledgement/h:acknowledgementDetail/h:text", m);  // ACK.B.r.7
    ack.messages.push_back(std::move(a));
  }
  if (!errors.empty()) return Error::invalid(std::move(errors), "the acknowledgement lacks required elements");
  return ack;
}

}  // namespace pvmon::icsr
