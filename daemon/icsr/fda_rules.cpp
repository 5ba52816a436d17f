// FDA's business rules for premarket (IND) ICSRs that pvmon checks before a message leaves, by
// XPath on the parsed batch (namespace urn:hl7-org:v3). Sources (../shared/e2br3): FDA's
// "Rejection and warning rules" (rejection_warning_rules.csv: the Rxxxx/Wxxxx rules and the
// generic messages for required elements, invalid codes, future and imprecise dates) and FDA's
// "E2B(R3) Data Elements" table (icsr_data_elements.csv: conformance, allowed values, XPaths).
// Chosen: the rules that apply to a sponsor's IND safety report from a clinical trial and to
// the elements pvmon writes; rules about postmarket, devices, vaccines, parents, aggregate or
// BA/BE reports are not checked. Ids without an FDA number (REQ-, VAL-, FUT-, PREC-, ORD-) are
// pvmon's, each a generic FDA message applied to one element.
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include <algorithm>
#include <cassert>
#include <charconv>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fda_rules.hpp"
#include "pvmon/icsr.hpp"
#include "pvmon/text.hpp"

namespace pvmon::icsr {
namespace {

struct RuleDef {
  std::string_view id, element, text;
  bool rejection = true;
};

// The rules, in E2B element order. Texts of numbered rules are the CSV's ERROR DESCRIPTION
// verbatim (spelling and spacing included, trailing spaces dropped); "<value>" is replaced by
// the value found.
constexpr RuleDef kRules[] = {
    // N: batch and message wrapper
    {"R0005", "N.1.4", "ICSR sent to the premaket route does not have the value \"ZZFDA_PREMKT\" for N.1.4"},
    {"REQ-N.1.5", "N.1.5", "Data value required for tag N.1.5"},
    {"R0100", "N.2.r.2", "N.2.r.2 provided is not same for all reports and does not match with N.1.3"},
    {"R0007", "N.2.r.3",
     "N.1.4 = \"ZZFDA_PREMKT\" but N.2.r.3 is not \"CDER_IND\" or \"CBER_IND\" or \"CDER_IND_EXEMPT_BA_BE\""},
    // C.1 identification of the case safety report
    {"REQ-C.1.1", "C.1.1", "Data value required for tag C.1.1"},
    {"REQ-C.1.2", "C.1.2", "Data value required for tag C.1.2"},
    {"PREC-C.1.2", "C.1.2", "C.1.2 does not contain full precision date"},
    {"FUT-C.1.2", "C.1.2", "C.1.2 contains Future date"},
    {"REQ-C.1.3", "C.1.3", "Data value required for tag C.1.3"},
    {"VAL-C.1.3", "C.1.3", "C.1.3 contains invalid value <value>"},
    {"R0008", "C.1.3",
     "C.1.3 must be 2 when N.1.4 = \"ZZFDA_PREMKT\" and N.2.r.3 = 'CDER_IND' or 'CBER_IND' or "
     "'CDER_IND_EXEMPT_BA_BE' and (FDA.C.5.5a or FDA.C.5.5b) is provided and C.5.4 = (1, 2 or 3)"},
    {"R0112", "C.1.3",
     "C.1.3 must not be 3 or 4 when N.1.4 = \"ZZFDA_PREMKT\" and N.2.r.3 = 'CDER_IND' or 'CBER_IND'"},
    {"REQ-C.1.4", "C.1.4", "Data value required for tag C.1.4"},
    {"PREC-C.1.4", "C.1.4", "C.1.4 does not contain minimum precision of \u201cCCYYMMDD\u201d"},
    {"FUT-C.1.4", "C.1.4", "C.1.4 contains Future date"},
    {"REQ-C.1.5", "C.1.5", "Data value required for tag C.1.5"},
    {"PREC-C.1.5", "C.1.5", "C.1.5 does not contain minimum precision of \u201cCCYYMMDD\u201d"},
    {"FUT-C.1.5", "C.1.5", "C.1.5 contains Future date"},
    // pvmon's: the most recent information cannot predate the first receipt of the report.
    {"ORD-C.1.5", "C.1.5", "C.1.5 is before C.1.4"},
    {"REQ-C.1.7", "C.1.7", "Data value required for tag C.1.7"},
    {"R0011", "C.1.7", "nullFlavor 'NI' used for initial report submission"},
    {"REQ-FDA.C.1.7.1", "FDA.C.1.7.1", "Data value required for tag FDA.C.1.7.1"},
    {"VAL-FDA.C.1.7.1", "FDA.C.1.7.1", "FDA.C.1.7.1 contains invalid value <value>"},
    {"R0016", "FDA.C.1.7.1", "FDA.C.1.7.1 must have Observation Code Value of 1 or 6 when C.1.7 = true and C.1.3 = 1 or 2"},
    {"VAL-C.1.11.1", "C.1.11.1", "C.1.11.1 contains invalid value <value>"},
    // The CSV gives this rule no ERROR ID; its text is the CSV's.
    {"REQ-C.1.11.2", "C.1.11.2", "C.1.11.2 must be  provided when C.1.11.1 is provided"},
    {"REQ-FDA.C.1.12", "FDA.C.1.12", "Data value required for tag FDA.C.1.12"},
    // C.2 primary source
    {"R0019", "C.2.r.3", "C.2.r.3 must be provided when C.2.r.5 = 1"},
    {"R0020", "C.2.r.4", "C.2.r.4 must be provided when C.2.r.5 = 1"},
    {"VAL-C.2.r.4", "C.2.r.4", "C.2.r.4 contains invalid value <value>"},
    {"R0021", "C.2.r.5", "At least one reporter must be provided with C.2.r.5 = 1"},
    // C.3 sender
    {"REQ-C.3.1", "C.3.1", "Data value required for tag C.3.1"},
    {"VAL-C.3.1", "C.3.1", "C.3.1 contains invalid value <value>"},
    {"R0022", "C.3.2", "C.3.2 must be provided when C.3.1 = 1, 2, 3, 4, 5 or 6"},
    // C.5 study
    {"R0023", "C.5.4", "C.5.4 must be provided when C.1.3 =2"},
    {"R0102", "C.5.4",
     "C.5.4 must be 1, 2 or 3 when C.1.3 = 2 and N.2.r.3 = \"CDER_IND\" or \"CBER_IND\" or "
     "\"CDER_IND_EXEMPT_BA_BE\" and N.1.4 = \"ZZFDA_PREMKT\""},
    {"R0024", "FDA.C.5.5a", "FDA.C.5.5a must be provided when C.1.3 = (1 or 2) and N.2.r.3 = \"CDER_IND\" or \"CBER_IND\""},
    // The CSV's rule R0024: 'The format must be "123456"' (six digits, no "IND" prefix).
    {"VAL-FDA.C.5.5a", "FDA.C.5.5a", "FDA.C.5.5a contains invalid value <value>"},
    {"R0026", "FDA.C.5.6.r", "FDA.C.5.6.r is not provided or nullFlavor is not 'NA' when FDA.C.5.5a is provided"},
    // D patient
    {"REQ-D.1", "D.1", "Data value required for tag D.1"},
    {"R0029", "D.2.2a", "D.2.2a must be provided when D.2.2b is provided"},
    {"R0030", "D.2.2b", "D.2.2b  must be provided when D.2.2a is provided"},
    {"VAL-D.5", "D.5", "D.5 contains invalid value <value>"},
    {"R0041", "D.9.1", "D.9.1 must be provided when C.1.3 = 2 and N.2.r.3 = \"CDER_IND\" or \"CBER_IND\" and E.i.3.2a = ture"},
    {"FUT-D.9.1", "D.9.1", "D.9.1 contains Future date"},
    {"REQ-FDA.D.12", "FDA.D.12", "Data value required for tag FDA.D.12"},
    // E reaction
    {"R0058", "E.i.1.1b", "E.i.1.1b must be provided when E.i.1.1a is provided"},
    {"REQ-E.i.2.1a", "E.i.2.1a", "Data value required for tag E.i.2.1a"},
    {"VAL-E.i.2.1a", "E.i.2.1a", "E.i.2.1a contains invalid value <value>"},
    {"REQ-E.i.2.1b", "E.i.2.1b", "Data value required for tag E.i.2.1b"},
    {"VAL-E.i.2.1b", "E.i.2.1b", "E.i.2.1b contains invalid value <value>"},
    {"REQ-E.i.3.2a", "E.i.3.2a", "Data value required for tag E.i.3.2a"},
    {"VAL-E.i.3.2a", "E.i.3.2a", "E.i.3.2a contains invalid value <value>"},
    {"REQ-E.i.3.2b", "E.i.3.2b", "Data value required for tag E.i.3.2b"},
    {"VAL-E.i.3.2b", "E.i.3.2b", "E.i.3.2b contains invalid value <value>"},
    {"REQ-E.i.3.2c", "E.i.3.2c", "Data value required for tag E.i.3.2c"},
    {"VAL-E.i.3.2c", "E.i.3.2c", "E.i.3.2c contains invalid value <value>"},
    {"REQ-E.i.3.2d", "E.i.3.2d", "Data value required for tag E.i.3.2d"},
    {"VAL-E.i.3.2d", "E.i.3.2d", "E.i.3.2d contains invalid value <value>"},
    {"REQ-E.i.3.2e", "E.i.3.2e", "Data value required for tag E.i.3.2e"},
    {"VAL-E.i.3.2e", "E.i.3.2e", "E.i.3.2e contains invalid value <value>"},
    {"REQ-E.i.3.2f", "E.i.3.2f", "Data value required for tag E.i.3.2f"},
    {"VAL-E.i.3.2f", "E.i.3.2f", "E.i.3.2f contains invalid value <value>"},
    {"REQ-FDA.E.i.3.2h", "FDA.E.i.3.2h", "Data value required for tag FDA.E.i.3.2h"},
    {"VAL-FDA.E.i.3.2h", "FDA.E.i.3.2h", "FDA.E.i.3.2h contains invalid value <value>"},
    {"FUT-E.i.4", "E.i.4", "E.i.4 contains Future date"},
    {"FUT-E.i.5", "E.i.5", "E.i.5 contains Future date"},
    {"REQ-E.i.7", "E.i.7", "Data value required for tag E.i.7"},
    {"VAL-E.i.7", "E.i.7", "E.i.7 contains invalid value <value>"},
    // F.r tests and procedures
    {"R0061", "F.r.1", "F.r.1 must be provided when any of the data element in F.r.2 is provided"},
    {"FUT-F.r.1", "F.r.1", "F.r.1 contains Future date"},
    {"R0062", "F.r.2.1", "F.r.2.1 must be provided when F.r.1 is provided and F.r.2.2b is not provided"},
    {"R0067", "F.r.3.3", "F.r.3.3 must be provided when F.r.3.2 is provided"},
    // G drugs
    {"REQ-G.k.1", "G.k.1", "Data value required for tag G.k.1"},
    {"R0070", "G.k.1",
     "G.k.1 must be provided with Observation Code Value of 1 or 3 when C.1.3 = 2 and N.2.r.3 = \"CDER_IND\" or \"CBER_IND\""},
    {"REQ-G.k.2.2", "G.k.2.2", "Data value required for tag G.k.2.2"},
    {"R0075", "G.k.4.r.1b", "G.k.4.r.1b must be provided when G.k.4.r.1a is provided"},
    {"R0085", "G.k.9.i.2.r.1", "G.k.9.i.2.r.1 must be provided when C.1.3 = 2 and FDA.C.5.5a is provided"},
    {"R0086", "G.k.9.i.2.r.2", "G.k.9.i.2.r.2 must be provided when C.1.3 = 2 and FDA.C.5.5a is provided"},
    {"R0087", "G.k.9.i.2.r.3", "G.k.9.i.2.r.3 must be provided when C.1.3 = 2 and FDA.C.5.5a is provided"},
    // R0087's business rule: 'use the value "Suspected" or "Not Suspected"'. A warning: the CSV
    // rejects only a missing result.
    {"VAL-G.k.9.i.2.r.3", "G.k.9.i.2.r.3", "G.k.9.i.2.r.3 contains invalid value <value>", false},
    // H narrative
    {"REQ-H.1", "H.1", "Data value required for tag H.1"},
};

const RuleDef* rule(std::string_view id) {
  const auto it = std::find_if(std::begin(kRules), std::end(kRules), [&](const RuleDef& r) { return r.id == id; });
  return it == std::end(kRules) ? nullptr : &*it;
}

// OIDs (ICH E2B(R3) IG section 3 and FDA's data element table).
constexpr const char* kObs = "2.16.840.1.113883.3.989.2.1.1.19";  // E2B observation codes
// Where the case sits inside one PORR_IN049016UV (the XPaths of icsr_data_elements.csv).
constexpr const char* kIe = "h:controlActProcess/h:subject/h:investigationEvent";
constexpr const char* kAea = "h:controlActProcess/h:subject/h:investigationEvent/h:component/h:adverseEventAssessment";
constexpr const char* kPr =
    "h:controlActProcess/h:subject/h:investigationEvent/h:component/h:adverseEventAssessment/h:subject1/h:primaryRole";

bool one_of(const std::string& v, std::initializer_list<std::string_view> set) {
  return std::find(set.begin(), set.end(), v) != set.end();
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// MedDRA version as E2B(R3) writes it: "N.N" ("25.0", "20.1").
bool meddra_version(std::string_view s) {
  const auto dot = s.find('.');
  return dot != std::string_view::npos && all_digits(s.substr(0, dot)) && all_digits(s.substr(dot + 1));
}

// XPath over one parsed document, prefix h: for urn:hl7-org:v3.
class XPath {
 public:
  explicit XPath(xmlDoc* doc) : ctx_(xmlXPathNewContext(doc)) {
    if (ctx_ != nullptr) xmlXPathRegisterNs(ctx_, BAD_CAST "h", BAD_CAST "urn:hl7-org:v3");
  }
  ~XPath() {
    if (ctx_ != nullptr) xmlXPathFreeContext(ctx_);
  }
  XPath(const XPath&) = delete;
  XPath& operator=(const XPath&) = delete;
  bool ok() const { return ctx_ != nullptr; }

  std::vector<xmlNode*> nodes(const std::string& expr, xmlNode* at) const {
    std::vector<xmlNode*> out;
    xmlXPathObjectPtr r = xmlXPathNodeEval(at, BAD_CAST expr.c_str(), ctx_);
    if (r == nullptr) return out;
    if (r->type == XPATH_NODESET && r->nodesetval != nullptr) {
      for (int i = 0; i < r->nodesetval->nodeNr; ++i) out.push_back(r->nodesetval->nodeTab[i]);
    }
    xmlXPathFreeObject(r);
    return out;
  }
  xmlNode* first(const std::string& expr, xmlNode* at) const {
    auto n = nodes(expr, at);
    return n.empty() ? nullptr : n.front();
  }
  /// The trimmed text of the first node the expression selects ("" if none).
  std::string text(const std::string& expr, xmlNode* at) const { return content(first(expr, at)); }

  static std::string content(xmlNode* n) {
    if (n == nullptr) return {};
    xmlChar* c = xmlNodeGetContent(n);
    if (c == nullptr) return {};
    std::string s(reinterpret_cast<const char*>(c));
    xmlFree(c);
    return std::string(trim(s));
  }
  static std::string attr(xmlNode* n, const char* name) {
    if (n == nullptr) return {};
    xmlChar* c = xmlGetNoNsProp(n, BAD_CAST name);
    if (c == nullptr) return {};
    std::string s(reinterpret_cast<const char*>(c));
    xmlFree(c);
    return std::string(trim(s));
  }

 private:
  xmlXPathContextPtr ctx_;
};

// "Now" for the future-date rules is the batch's transmission time (N.1.5): the library reads no
// clock. A value without a UTC offset is a local time of an unknown zone (IG Appendix II): it is
// in the future only if it is so in every zone, i.e. read at UTC+14, the earliest zone; a "now"
// without an offset is likewise read at UTC-12, the latest. Strict readings would refuse true
// dates: a case first received on the 15th in Tokyo while it is still the 14th in UTC.
constexpr std::int64_t kEarliestZoneMs = 14 * 3'600'000LL, kLatestZoneMs = 12 * 3'600'000LL;

std::int64_t latest_now(const detail::Hl7Time& now) {
  return now.offset_minutes ? now.utc().ms : now.local_ms + kLatestZoneMs;
}
bool in_future(const detail::Hl7Time& t, std::int64_t now_ms) {
  const std::int64_t earliest = t.offset_minutes ? t.utc().ms : t.local_ms - kEarliestZoneMs;
  return earliest > now_ms;
}

class Checker {
 public:
  Checker(xmlDoc* doc, std::vector<Finding>& out) : xp_(doc), out_(out) {}

  void run(xmlNode* root) {
    if (!xp_.ok()) {
      out_.push_back(Finding{"internal", "", "internal error: no XPath context", true});
      return;
    }
    // N.1: the batch
    n14_ = xp_.text("h:receiver/h:device/h:id[@root='2.16.840.1.113883.3.989.2.1.3.14']/@extension", root);
    const std::string n13 = xp_.text("h:sender/h:device/h:id[@root='2.16.840.1.113883.3.989.2.1.3.13']/@extension", root);
    if (n14_ != "ZZFDA_PREMKT") fire("R0005", n14_);
    now_ = detail::parse_hl7_time(xp_.text("h:creationTime/@value", root));
    if (!now_) fire("REQ-N.1.5");

    const auto messages = xp_.nodes("h:PORR_IN049016UV", root);
    for (std::size_t i = 0; i < messages.size(); ++i) {
      message_ = messages.size() > 1 ? " (message " + std::to_string(i + 1) + ")" : "";
      check_message(messages[i], n13);
    }
  }

 private:
  void fire(std::string_view id, std::string_view value = {}) {
    const RuleDef* def = rule(id);
    assert(def != nullptr && "a rule fired that kRules does not list");
    if (def == nullptr) {  // never silent, even with NDEBUG
      out_.push_back(Finding{"internal", "", "internal error: unknown rule " + std::string(id), true});
      return;
    }
    const RuleDef& r = *def;
    std::string message(r.text);
    if (const auto at = message.find("<value>"); at != std::string::npos)
      message.replace(at, 7, value.empty() ? std::string("\"\"") : std::string(value));
    message += message_;
    Finding f{std::string(r.id), std::string(r.element), std::move(message), r.rejection};
    const bool seen = std::any_of(out_.begin(), out_.end(), [&](const Finding& g) {
      return g.rule == f.rule && g.element == f.element && g.message == f.message;
    });
    if (!seen) out_.push_back(std::move(f));
  }

  // A date or date-time element: required or not, at least `min_digits` of precision, never in
  // the future.
  void check_time(const std::string& value, bool required, int min_digits, std::string_view elem) {
    const std::string e(elem);
    if (value.empty()) {
      if (required) fire("REQ-" + e);
      return;
    }
    const auto t = detail::parse_hl7_time(value);
    if (min_digits > 0 && (!t || t->digits < min_digits)) {
      fire("PREC-" + e);
      return;
    }
    if (t && now_ && in_future(*t, latest_now(*now_))) fire("FUT-" + e);
  }

  void check_message(xmlNode* m, const std::string& n13) {
    const std::string ie = kIe, aea = kAea, pr = kPr;
    // N.2.r
    const std::string n2r2 = xp_.text("h:sender/h:device/h:id[@root='2.16.840.1.113883.3.989.2.1.3.11']/@extension", m);
    const std::string n2r3 = xp_.text("h:receiver/h:device/h:id[@root='2.16.840.1.113883.3.989.2.1.3.12']/@extension", m);
    if (n2r2 != n13) fire("R0100");
    const bool premarket = n14_ == "ZZFDA_PREMKT";
    const bool premarket_receiver = one_of(n2r3, {"CDER_IND", "CBER_IND", "CDER_IND_EXEMPT_BA_BE"});
    const bool ind_receiver = one_of(n2r3, {"CDER_IND", "CBER_IND"});
    if (premarket && !premarket_receiver) fire("R0007", n2r3);

    // C.1
    if (xp_.text(ie + "/h:id[@root='2.16.840.1.113883.3.989.2.1.3.1']/@extension", m).empty()) fire("REQ-C.1.1");
    check_time(xp_.text("h:controlActProcess/h:effectiveTime/@value", m), true, 14, "C.1.2");
    const std::string c13 = xp_.text(
        ie + "/h:subjectOf2/h:investigationCharacteristic[h:code[@code='1' and "
             "@codeSystem='2.16.840.1.113883.3.989.2.1.1.23']]/h:value/@code",
        m);
    if (c13.empty()) fire("REQ-C.1.3");
    else if (!one_of(c13, {"1", "2", "3", "4"})) fire("VAL-C.1.3", c13);
    const std::string c14 = xp_.text(ie + "/h:effectiveTime/h:low/@value", m);
    const std::string c15 = xp_.text(ie + "/h:availabilityTime/@value", m);
    check_time(c14, true, 8, "C.1.4");
    check_time(c15, true, 8, "C.1.5");
    {
      const auto t14 = detail::parse_hl7_time(c14), t15 = detail::parse_hl7_time(c15);
      // Calendar dates as written (both local to the sender).
      if (t14 && t15 && t14->digits >= 8 && t15->digits >= 8 && c15.substr(0, 8) < c14.substr(0, 8))
        fire("ORD-C.1.5");
    }
    // C.1.7: true or false; nullFlavor NI only for a case first sent in E2B(R2) format (IG), which
    // pvmon never retransmits, so FDA's "initial submission" rule R0011 applies to every report.
    std::string c17;
    {
      xmlNode* v = xp_.first(ie + "/h:component/h:observationEvent[h:code[@code='23' and @codeSystem='" + kObs + "']]/h:value", m);
      c17 = XPath::attr(v, "value");
      if (XPath::attr(v, "nullFlavor") == "NI") fire("R0011");
      else if (!one_of(c17, {"true", "false"})) fire("REQ-C.1.7");
    }
    // FDA.C.1.7.1 and FDA.C.1.12: FDA's example writes them as component/observationEvent with an
    // NCI code; the data element table as subjectOf2/investigationCharacteristic. Either is read.
    const std::string fda_c171 = xp_.text(
        "(" + ie + "/h:component/h:observationEvent | " + ie +
            "/h:subjectOf2/h:investigationCharacteristic)[h:code[@code='C54588']]/h:value/@code",
        m);
    if (fda_c171.empty()) fire("REQ-FDA.C.1.7.1");
    else if (!one_of(fda_c171, {"1", "2", "4", "5", "6"})) fire("VAL-FDA.C.1.7.1", fda_c171);
    else if (c17 == "true" && one_of(c13, {"1", "2"}) && !one_of(fda_c171, {"1", "6"})) fire("R0016");
    {
      xmlNode* v = xp_.first("(" + ie + "/h:component/h:observationEvent | " + ie +
                                 "/h:subjectOf2/h:investigationCharacteristic)[h:code[@code='C156384' or "
                                 "(@code='1' and @codeSystem='2.16.840.1.113883.3.989.5.1.2.2.1.3')]]/h:value",
                             m);
      if (!one_of(XPath::attr(v, "value"), {"true", "false"}) && XPath::attr(v, "nullFlavor") != "NI")
        fire("REQ-FDA.C.1.12");
    }
    const std::string c1111 = xp_.text(
        ie + "/h:subjectOf2/h:investigationCharacteristic[h:code[@code='3' and "
             "@codeSystem='2.16.840.1.113883.3.989.2.1.1.23']]/h:value/@code",
        m);
    if (!c1111.empty()) {
      if (!one_of(c1111, {"1", "2"})) fire("VAL-C.1.11.1", c1111);
      if (xp_.text(ie + "/h:subjectOf2/h:investigationCharacteristic[h:code[@code='4' and "
                        "@codeSystem='2.16.840.1.113883.3.989.2.1.1.23']]/h:value/h:originalText",
                   m)
              .empty())
        fire("REQ-C.1.11.2");
    }

    // C.2.r: the reporters; exactly the one with C.2.r.5 = 1 carries country and qualification.
    const auto reporters = xp_.nodes(
        ie + "/h:outboundRelationship[h:relatedInvestigation/h:code[@code='2' and "
             "@codeSystem='2.16.840.1.113883.3.989.2.1.1.22']]",
        m);
    bool primary_seen = false;
    for (xmlNode* r : reporters) {
      const std::string person =
          "h:relatedInvestigation/h:subjectOf2/h:controlActEvent/h:author/h:assignedEntity/h:assignedPerson";
      xmlNode* qual = xp_.first(person + "/h:asQualifiedEntity/h:code", r);
      const std::string q = XPath::attr(qual, "code");
      if (!q.empty() && !one_of(q, {"1", "2", "3", "4", "5"})) fire("VAL-C.2.r.4", q);
      if (XPath::attr(xp_.first("h:priorityNumber", r), "value") != "1") continue;
      primary_seen = true;
      xmlNode* country = xp_.first(person + "/h:asLocatedEntity/h:location/h:code", r);
      if (XPath::attr(country, "code").empty() && XPath::attr(country, "nullFlavor").empty()) fire("R0019");
      if (q.empty() && XPath::attr(qual, "nullFlavor") != "UNK") fire("R0020");
    }
    if (!primary_seen) fire("R0021");

    // C.3
    {
      xmlNode* sender = xp_.first(
          ie + "/h:subjectOf1/h:controlActEvent/h:author/h:assignedEntity[h:code[@codeSystem='2.16.840.1.113883.3.989.2.1.1.7']]",
          m);
      const std::string c31 = xp_.text("h:code[@codeSystem='2.16.840.1.113883.3.989.2.1.1.7']/@code", sender ? sender : m);
      if (sender == nullptr || c31.empty()) fire("REQ-C.3.1");
      else if (!one_of(c31, {"1", "2", "3", "4", "5", "6", "7"})) fire("VAL-C.3.1", c31);
      else if (c31 != "7" &&
               xp_.text("h:representedOrganization/h:assignedEntity/h:representedOrganization/h:name", sender).empty())
        fire("R0022");
    }

    // C.5: the study, FDA.C.5.5a/b the IND or pre-ANDA, FDA.C.5.6.r the cross-reported INDs
    const std::string study = pr + "/h:subjectOf1/h:researchStudy";
    const std::string c54 = xp_.text(study + "/h:code[@codeSystem='2.16.840.1.113883.3.989.2.1.1.8']/@code", m);
    const std::string reg = study + "/h:authorization/h:studyRegistration/h:id";
    const std::string ind = xp_.text(reg + "[@root='2.16.840.1.113883.3.989.5.1.2.2.1.2.1']/@extension", m);
    const std::string panda = xp_.text(reg + "[@root='2.16.840.1.113883.3.989.5.1.2.2.1.2.2']/@extension", m);
    if (premarket && premarket_receiver && (!ind.empty() || !panda.empty()) && one_of(c54, {"1", "2", "3"}) &&
        !c13.empty() && c13 != "2")
      fire("R0008");
    if (premarket && ind_receiver && one_of(c13, {"3", "4"})) fire("R0112");
    if (c13 == "2" && c54.empty()) fire("R0023");
    if (c13 == "2" && premarket && premarket_receiver && !c54.empty() && !one_of(c54, {"1", "2", "3"}))
      fire("R0102");
    if (one_of(c13, {"1", "2"}) && ind_receiver && ind.empty()) fire("R0024");
    if (!ind.empty() && !(ind.size() == 6 && all_digits(ind))) fire("VAL-FDA.C.5.5a", ind);
    if (!ind.empty() &&
        xp_.nodes(reg + "[@root='2.16.840.1.113883.3.989.5.1.2.2.1.2.3'][normalize-space(@extension) != '' or "
                        "@nullFlavor='NA']",
                  m)
            .empty())
      fire("R0026");

    // D: the patient
    {
      xmlNode* name = xp_.first(pr + "/h:player1/h:name", m);
      if (XPath::content(name).empty() && XPath::attr(name, "nullFlavor").empty()) fire("REQ-D.1");
      if (xmlNode* sex = xp_.first(pr + "/h:player1/h:administrativeGenderCode", m)) {
        const std::string nf = XPath::attr(sex, "nullFlavor"), code = XPath::attr(sex, "code");
        if (!nf.empty()) {
          if (!one_of(nf, {"MSK", "UNK", "ASKU", "NASK"})) fire("VAL-D.5", nf);
        } else if (!one_of(code, {"1", "2"}) || XPath::attr(sex, "codeSystem") != "1.0.5218") {
          fire("VAL-D.5", code);
        }
      }
      if (xmlNode* age = xp_.first(pr + "/h:subjectOf2/h:observation[h:code[@code='3' and @codeSystem='" + kObs +
                                       "']]/h:value",
                                   m)) {
        const bool number = !XPath::attr(age, "value").empty(), unit = !XPath::attr(age, "unit").empty();
        if (unit && !number) fire("R0029");
        if (number && !unit) fire("R0030");
      }
      xmlNode* ethnicity = xp_.first(pr + "/h:subjectOf2/h:observation[h:code[@code='C16564']]/h:value", m);
      if (XPath::attr(ethnicity, "code").empty() && XPath::attr(ethnicity, "nullFlavor").empty())
        fire("REQ-FDA.D.12");
    }

    // E.i: the reactions
    const auto reactions =
        xp_.nodes(pr + "/h:subjectOf2/h:observation[h:code[@code='29' and @codeSystem='" + kObs + "']]", m);
    if (reactions.empty()) {
      fire("REQ-E.i.2.1a");
      fire("REQ-E.i.2.1b");
    }
    bool death = false;
    for (xmlNode* r : reactions) {
      xmlNode* meddra = xp_.first("h:value[@codeSystem='2.16.840.1.113883.6.163']", r);
      const std::string ver = XPath::attr(meddra, "codeSystemVersion"), code = XPath::attr(meddra, "code");
      if (ver.empty()) fire("REQ-E.i.2.1a");
      else if (!meddra_version(ver)) fire("VAL-E.i.2.1a", ver);
      // E.i.2.1b: a MedDRA code is 8 digits (LLT or PT).
      if (code.empty()) fire("REQ-E.i.2.1b");
      else if (!(code.size() == 8 && all_digits(code))) fire("VAL-E.i.2.1b", code);
      xmlNode* native = xp_.first("h:originalText", meddra ? meddra : r);
      if (meddra != nullptr && !XPath::content(native).empty() && XPath::attr(native, "language").empty())
        fire("R0058");
      // E.i.3.2a-f: true, or nullFlavor NI (IG: "false" is not a value of these elements).
      static constexpr std::pair<char, std::string_view> kSeriousness[] = {
          {'a', "34"}, {'b', "21"}, {'c', "33"}, {'d', "35"}, {'e', "12"}, {'f', "26"}};
      for (const auto& [letter, obs] : kSeriousness) {
        const std::string elem = std::string("E.i.3.2") + letter;
        xmlNode* v = xp_.first("h:outboundRelationship2/h:observation[h:code[@code='" + std::string(obs) +
                                   "' and @codeSystem='" + kObs + "']]/h:value",
                               r);
        const std::string value = XPath::attr(v, "value"), nf = XPath::attr(v, "nullFlavor");
        if (v == nullptr || (value.empty() && nf.empty())) fire("REQ-" + elem);
        else if (!(value == "true" || (value.empty() && nf == "NI"))) fire("VAL-" + elem, value.empty() ? nf : value);
        if (letter == 'a' && value == "true") death = true;
      }
      // FDA.E.i.3.2h required intervention: "For Pre-Market safety reports the value of the data
      // element must always be 'NI'" (data element table).
      {
        xmlNode* v = xp_.first(
            "h:outboundRelationship2/h:observation[h:code[@code='7' and "
            "@codeSystem='2.16.840.1.113883.3.989.5.1.2.2.1.3']]/h:value",
            r);
        const std::string value = XPath::attr(v, "value"), nf = XPath::attr(v, "nullFlavor");
        if (v == nullptr || (value.empty() && nf.empty())) fire("REQ-FDA.E.i.3.2h");
        else if (!(value.empty() && nf == "NI")) fire("VAL-FDA.E.i.3.2h", value.empty() ? nf : value);
      }
      check_time(xp_.text("h:effectiveTime/h:low/@value", r), false, 0, "E.i.4");
      check_time(xp_.text("h:effectiveTime/h:high/@value", r), false, 0, "E.i.5");
      const std::string outcome =
          xp_.text("h:outboundRelationship2/h:observation[h:code[@code='27' and @codeSystem='" + std::string(kObs) +
                       "']]/h:value/@code",
                   r);
      if (outcome.empty()) fire("REQ-E.i.7");
      else if (!one_of(outcome, {"0", "1", "2", "3", "4", "5"})) fire("VAL-E.i.7", outcome);
    }
    {
      xmlNode* deceased = xp_.first(pr + "/h:player1/h:deceasedTime", m);
      if (death && c13 == "2" && ind_receiver && XPath::attr(deceased, "value").empty() &&
          XPath::attr(deceased, "nullFlavor").empty())
        fire("R0041");
      check_time(XPath::attr(deceased, "value"), false, 0, "D.9.1");
    }

    // F.r: the tests (a nullFlavor counts as provided: F.r.1 allows UNK)
    for (xmlNode* t : xp_.nodes(pr + "/h:subjectOf2/h:organizer[h:code[@code='3' and "
                                     "@codeSystem='2.16.840.1.113883.3.989.2.1.1.20']]/h:component/h:observation",
                                m)) {
      xmlNode* date = xp_.first("h:effectiveTime", t);
      const bool f1 = !XPath::attr(date, "value").empty() || !XPath::attr(date, "nullFlavor").empty();
      const bool f21 = !xp_.text("h:code/h:originalText", t).empty();
      const bool f22b = !XPath::attr(xp_.first("h:code", t), "code").empty();
      if ((f21 || f22b) && !f1) fire("R0061");
      if (f1 && !f21 && !f22b) fire("R0062");
      check_time(XPath::attr(date, "value"), false, 0, "F.r.1");
      // F.r.3.2 as PQ, or as IVL_PQ with a center or bounds; F.r.3.3 is its unit.
      for (xmlNode* q : xp_.nodes("h:value | h:value/h:center | h:value/h:low | h:value/h:high", t)) {
        if (!XPath::attr(q, "value").empty() && XPath::attr(q, "unit").empty()) fire("R0067");
      }
    }

    // G.k: the drugs, their roles (G.k.1) and the causality assessments (G.k.9.i.2.r)
    const auto drugs = xp_.nodes(pr + "/h:subjectOf2/h:organizer[h:code[@code='4' and "
                                      "@codeSystem='2.16.840.1.113883.3.989.2.1.1.20']]/h:component/h:substanceAdministration",
                                 m);
    std::map<std::string, std::string> role_of;  // drug id -> G.k.1 code
    for (xmlNode* a : xp_.nodes(aea + "/h:component/h:causalityAssessment[h:code[@code='20' and @codeSystem='" +
                                    kObs + "']]",
                                m)) {
      const std::string id = xp_.text("h:subject2/h:productUseReference/h:id/@root", a);
      const std::string code = xp_.text("h:value/@code", a);
      if (!id.empty() && !code.empty()) role_of.emplace(id, code);
    }
    if (drugs.empty()) fire("REQ-G.k.1");
    std::set<std::string> suspects;
    bool only_123 = true, suspect_or_interacting = false;
    for (xmlNode* d : drugs) {
      const std::string id = xp_.text("h:id/@root", d);
      const auto role = role_of.find(id);
      if (id.empty() || role == role_of.end()) {
        fire("REQ-G.k.1");
      } else {
        if (!one_of(role->second, {"1", "2", "3"})) only_123 = false;
        if (one_of(role->second, {"1", "3"})) {
          suspect_or_interacting = true;
          suspects.insert(id);
        }
      }
      if (xp_.text("h:consumable/h:instanceOfKind/h:kindOfProduct/h:name", d).empty()) fire("REQ-G.k.2.2");
      for (xmlNode* dose : xp_.nodes("h:outboundRelationship2/h:substanceAdministration/h:doseQuantity", d)) {
        if (!XPath::attr(dose, "value").empty() && XPath::attr(dose, "unit").empty()) fire("R0075");
      }
    }
    // R0070: for IND ICSRs only roles 1, 2, 3, and at least one 1 or 3.
    if (c13 == "2" && ind_receiver && !drugs.empty() && (!only_123 || !suspect_or_interacting)) fire("R0070");
    if (c13 == "2" && !ind.empty()) {
      bool suspect_assessed = false;
      for (xmlNode* a : xp_.nodes(aea + "/h:component/h:causalityAssessment[h:code[@code='39' and @codeSystem='" +
                                      kObs + "']]",
                                  m)) {
        if (suspects.count(xp_.text("h:subject2/h:productUseReference/h:id/@root", a)) > 0) suspect_assessed = true;
        if (xp_.text("h:author/h:assignedEntity/h:code/h:originalText", a).empty()) fire("R0085");
        if (xp_.text("h:methodCode/h:originalText", a).empty()) fire("R0086");
        const std::string result = xp_.text("h:value", a);
        if (result.empty()) fire("R0087");
        else if (!one_of(result, {"Suspected", "Not Suspected"})) fire("VAL-G.k.9.i.2.r.3", result);
      }
      // "For IND Safety Reports, at least one suspect product should have relatedness of drug to
      // reaction/event": no assessment of a suspect product leaves all three elements missing.
      if (!suspects.empty() && !suspect_assessed) {
        fire("R0085");
        fire("R0086");
        fire("R0087");
      }
    }

    // H.1
    if (xp_.text(ie + "/h:text", m).empty()) fire("REQ-H.1");
  }

  XPath xp_;
  std::vector<Finding>& out_;
  std::string n14_;
  std::optional<detail::Hl7Time> now_;
  std::string message_;  // " (message r)" when the batch holds more than one
};

// Fixed-width decimal field of `s` at `pos`; -1 when not all digits.
int field(std::string_view s, std::size_t pos, std::size_t len) {
  int v = 0;
  const auto r = std::from_chars(s.data() + pos, s.data() + pos + len, v);
  return r.ec == std::errc{} && r.ptr == s.data() + pos + len && all_digits(s.substr(pos, len)) ? v : -1;
}

}  // namespace

namespace detail {

std::optional<Hl7Time> parse_hl7_time(std::string_view s) {
  std::size_t n = 0;
  while (n < s.size() && s[n] >= '0' && s[n] <= '9') ++n;
  if (n != 4 && n != 6 && n != 8 && n != 10 && n != 12 && n != 14) return std::nullopt;
  const int year = field(s, 0, 4);
  const int month = n >= 6 ? field(s, 4, 2) : 1, day = n >= 8 ? field(s, 6, 2) : 1;
  const int hour = n >= 10 ? field(s, 8, 2) : 0, minute = n >= 12 ? field(s, 10, 2) : 0;
  const int second = n >= 14 ? field(s, 12, 2) : 0;
  if (month < 1 || day < 1 || hour > 23 || minute > 59 || second > 59) return std::nullopt;
  const auto date = make_date(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  if (!date) return std::nullopt;
  Hl7Time t;
  t.digits = static_cast<int>(n);
  t.local_ms = start_of(*date).ms + hour * 3'600'000LL + minute * 60'000LL + second * 1'000LL;
  std::string_view rest = s.substr(n);
  if (!rest.empty() && rest.front() == '.') {  // fraction of a second, after seconds only
    std::size_t f = 1;
    while (f < rest.size() && rest[f] >= '0' && rest[f] <= '9') ++f;
    if (n != 14 || f == 1 || f > 5) return std::nullopt;
    int ms = 0;
    for (std::size_t i = 1; i < 4; ++i) ms = ms * 10 + (i < f ? rest[i] - '0' : 0);
    t.local_ms += ms;
    rest.remove_prefix(f);
  }
  if (!rest.empty()) {
    if (rest.size() != 5 || (rest[0] != '+' && rest[0] != '-')) return std::nullopt;
    const int hh = field(rest, 1, 2), mm = field(rest, 3, 2);
    if (hh < 0 || hh > 14 || mm < 0 || mm > 59) return std::nullopt;
    t.offset_minutes = (rest[0] == '-' ? -1 : 1) * (hh * 60 + mm);
  }
  return t;
}

std::vector<Finding> check_fda_rules(xmlDoc* doc) {
  std::vector<Finding> findings;
  xmlNode* root = xmlDocGetRootElement(doc);
  // Not a batch of ICSRs: the schema says so; there is nothing here to check.
  if (root == nullptr || root->ns == nullptr || std::string_view(reinterpret_cast<const char*>(root->name)) != "MCCI_IN200100UV01" ||
      std::string_view(reinterpret_cast<const char*>(root->ns->href)) != "urn:hl7-org:v3")
    return findings;
  Checker(doc, findings).run(root);
  return findings;
}

}  // namespace detail

const std::vector<RuleInfo>& checked_fda_rules() {
  static const std::vector<RuleInfo> rules = [] {
    std::vector<RuleInfo> out;
    for (const RuleDef& r : kRules) out.push_back(RuleInfo{std::string(r.id), std::string(r.text)});
    return out;
  }();
  return rules;
}

}  // namespace pvmon::icsr
