// E2B(R3) code values in the Implementation Guide's words, shared by the ICSR (displayName)
// and the CIOMS I form (private to pvmon::icsr).
#pragma once

#include <string_view>

#include "pvmon/icsr.hpp"

namespace pvmon::icsr {

/// E.i.7 outcome of reaction at the time of last observation.
inline std::string_view outcome_text(Outcome o) {
  switch (o) {
    case Outcome::recovered: return "recovered/resolved";
    case Outcome::recovering: return "recovering/resolving";
    case Outcome::not_recovered: return "not recovered/not resolved/ongoing";
    case Outcome::recovered_with_sequelae: return "recovered/resolved with sequelae";
    case Outcome::fatal: return "fatal";
    case Outcome::unknown: return "unknown";
  }
  return "unknown";
}

}  // namespace pvmon::icsr
