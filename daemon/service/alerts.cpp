// Use case: a safety officer acknowledges an alert, with a comment (audited). An acknowledged
// critical alert is no longer re-sent by the scheduler's escalation.
#include "pvmon/fields.hpp"
#include "pvmon/service/alerts.hpp"

namespace pvmon::service {

using nlohmann::json;

Result<store::AlertAck> acknowledge_alert(store::AlertStore& alerts, const Caller& who, const config::Study& st,
                               std::int64_t alert, const json& body) {
  if (!body.is_object()) return Error::invalid({{"", "the body must be a JSON object"}});
  std::vector<FieldError> errs;
  FieldReader r(body, "", errs);
  auto comment = r.string("comment", true, 2000);
  r.finish();
  if (!errs.empty()) return Error::invalid(std::move(errs));
  return alerts.ack_alert(st.id, alert, *comment, who.actor());
}

}  // namespace pvmon::service
