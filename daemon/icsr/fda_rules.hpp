// pvmon::icsr internals shared by schema.cpp, fda_rules.cpp and ack.cpp (private header): the
// hardened libxml2 parse of an untrusted document, the schema validation of a parsed one, the FDA
// business rules, and HL7 v3 point-in-time (TS) values. Pure and callable from any thread, like
// the public interface.
#pragma once

#include <libxml/tree.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "pvmon/icsr.hpp"
#include "pvmon/time.hpp"

namespace pvmon::icsr::detail {

/// Larger documents are refused before parsing: an ICSR pvmon writes is some tens of kB (FDA's
/// example with three drugs is 49 kB), an acknowledgement a few kB.
inline constexpr std::size_t kMaxDocumentBytes = 4 * 1024 * 1024;

struct XmlDocFree {
  void operator()(xmlDoc* d) const noexcept { xmlFreeDoc(d); }
};
using XmlDoc = std::unique_ptr<xmlDoc, XmlDocFree>;

/// Parses untrusted XML: no network, no DTD loaded, no entity substituted, and a document that
/// declares a DTD at all (the door to XXE and entity expansion) is refused. Either `doc` is set,
/// or `findings` says why not (rule "schema": a document that is not XML is not schema-valid).
struct Parsed {
  XmlDoc doc;
  std::vector<Finding> findings;
};
Parsed parse_untrusted(std::string_view xml);

/// Validates a parsed document against one of the embedded entry-point schemas (schema.cpp).
std::vector<Finding> validate_doc(xmlDoc* doc, Schema schema);

/// The FDA premarket business rules (checked_fda_rules()) on a parsed ICSR batch (fda_rules.cpp).
std::vector<Finding> check_fda_rules(xmlDoc* doc);

/// An HL7 v3 TS value (ICH E2B(R3) IG Appendix II): CCYY[MM[DD[hh[mm[ss[.f]]]]]][+/-ZZzz].
struct Hl7Time {
  std::int64_t local_ms = 0;          // the time as written, read as if UTC; start of its period
  int digits = 0;                     // 4, 6, 8, 10, 12 or 14: the precision given
  std::optional<int> offset_minutes;  // the UTC offset, when given
  /// The instant, when the offset is given; otherwise the written time read as UTC.
  Timestamp utc() const { return Timestamp{local_ms - std::int64_t{offset_minutes.value_or(0)} * 60'000}; }
};
std::optional<Hl7Time> parse_hl7_time(std::string_view s);

}  // namespace pvmon::icsr::detail
