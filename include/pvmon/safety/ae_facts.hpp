// pvmon::safety — the facts of one AE report (its version in force at a cut-off) that
// summaries count: a compact row, so that a study of a million reports fits in memory
// (about 300 bytes a report, against some 5 KB as a parsed JSON record).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pvmon/time.hpp"

namespace pvmon::safety {

/// ICH E2A seriousness criteria, in the order of the bits of AeFact::criteria.
inline constexpr std::array<std::string_view, 6> kSeriousnessCriteria = {
    "death", "life_threatening", "hospitalization", "disability", "congenital_anomaly",
    "medically_important"};

/// A coded term, shared by every fact that uses it.
struct AeTerm {
  std::string meddra_code, term, soc;
  bool protocol = false;  // a protocol-specific term (RCCEP, RILD), not CTCAE
};

struct AeFact {
  std::int64_t id = 0;  // server id
  std::string report_id, subject, site;
  int term = -1;        // index into the term table that comes with the facts
  int grade = 0;
  std::optional<Date> onset, resolved;
  std::string outcome;  // recovered, recovering, not_recovered, ... fatal, unknown
  bool nullified = false;
  bool serious = false, susar = false, fatal_or_life_threatening = false;
  std::uint8_t criteria = 0;              // bit i = kSeriousnessCriteria[i]
  std::vector<std::string> related_to;    // interventions the event is related to
  bool drug_withdrawn = false;            // some action_taken is drug_withdrawn
  Timestamp received_at;

  bool has_criterion(std::size_t i) const { return (criteria >> i) & 1u; }
};

}  // namespace pvmon::safety
