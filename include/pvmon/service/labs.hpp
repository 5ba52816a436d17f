// pvmon::service — laboratory results as a stream (issue 25): a site's panel validated and
// graded against the subject's baseline (safety/labs.hpp), stored with the liver rules run in the
// writer's transaction; the subject's results; the officer's assessment of a potential Hy's law
// case. Errors are Result values naming the field. Any thread.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>

#include "pvmon/service/runtime.hpp"

namespace pvmon::service {

/// POST .../subjects/{subject}/labs: the caller's subject's panel; the same body under the same
/// panel id again is a replay (`created` false), another body a 409 naming panel_id.
Result<store::Stored> add_lab_panel(const Context& cx, const Caller& who, const config::Study& st,
                                    const std::string& subject, const nlohmann::json& body);

/// GET .../subjects/{subject}/labs: the subject's graded results in collection order.
Result<nlohmann::json> subject_labs(const Context& cx, const Caller& who, const config::Study& st,
                                    const std::string& subject);

/// POST .../alerts/{id}/assessment {"outcome": "confirmed_dili" | "other_cause", "comment"}:
/// the officer's assessment of a potential Hy's law case; stops its clock.
Result<nlohmann::json> assess_alert(const Context& cx, const Caller& who, const config::Study& st,
                                    std::int64_t alert, const nlohmann::json& body);

}  // namespace pvmon::service
