// pvmon::service — an alert's use case: its acknowledgement by a safety officer. Errors are
// Result values naming the field. Any thread.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>

#include "pvmon/service/runtime.hpp"

namespace pvmon::service {

/// An officer acknowledges an alert with a comment (audited).
Result<store::AlertAck> acknowledge_alert(store::AlertStore& alerts, const Caller& who,
                                         const config::Study& st, std::int64_t alert,
                                         const nlohmann::json& body);

inline Result<store::AlertAck> acknowledge_alert(const Context& cx, const Caller& who,
                                                const config::Study& st, std::int64_t alert,
                                                const nlohmann::json& body) {
  return acknowledge_alert(cx.store, who, st, alert, body);
}

}  // namespace pvmon::service
