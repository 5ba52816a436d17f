// Use case: a regulatory submission recorded by a safety officer. It stops the open clock of
// its kind (ICH E2A III.A: 7 or 15 days from the sponsor's receipt); the time it names must
// fall within that clock.
#include <algorithm>
#include <cstdint>

#include "pvmon/fields.hpp"
#include "pvmon/service/ae.hpp"
#include "records.hpp"

namespace pvmon::service {

using nlohmann::json;

namespace {

struct Submission {
  safety::SubmissionKind kind;
  Timestamp submitted;
  json record;
  std::string message_id;  // the ICSR message sent (N.2.r.1); empty: none
};

Result<Submission> parse_submission(const json& body, Timestamp now) {
  if (!body.is_object()) return Error::invalid({{"", "the body must be a JSON object"}});
  std::vector<FieldError> errs;
  FieldReader r(body, "", errs);
  Submission sub{};
  auto kind = r.one_of("kind", true, std::vector<std::string>{"initial", "complete", "followup"});
  auto at = r.timestamp("submitted", true);
  auto authority = r.string("authority", true, 100);
  auto reference = r.string("reference", true, 100);
  // The ICSR message it sent (GET .../icsr answers its N.2.r.1 in X-ICSR-Message-Id): the
  // clock then stops when the gateway acknowledges receipt (POST .../icsr-acks), not now.
  auto message_id = r.id("message_id", false, 100);
  r.finish();
  if (at && *at > now.plus_ms(5 * 60'000)) r.error("submitted", "is in the future");
  if (!errs.empty()) return Error::invalid(std::move(errs));
  sub.kind = *safety::parse_submission_kind(*kind);
  sub.submitted = *at;
  sub.record = {{"kind", *kind},
                {"submitted", format_timestamp(*at)},
                {"authority", *authority},
                {"reference", *reference}};
  if (message_id) sub.message_id = *message_id;
  return sub;
}


}  // namespace

Result<json> record_submission(const AeDeps& cx, const Caller& who, const config::Study& st,
                               std::int64_t report, const json& body) {
  auto sub = parse_submission(body, cx.clock.now());
  if (!sub) return sub.error();
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto rows = cx.aes.clocks(st.id, true, report);
    if (!rows) return rows.error();
    store::SubmissionWrite w;
    w.study = st.id;
    w.report = report;
    std::vector<safety::Clock> open;
    for (const auto& r : rows.value()) {
      open.push_back(r.clock);
      w.expected_open_clocks.push_back(r.id);
    }
    std::sort(w.expected_open_clocks.begin(), w.expected_open_clocks.end());
    auto plan = safety::plan_submission(open, sub->kind, sub->submitted);
    if (plan.stop.empty() && !safety::plan_submission(open, sub->kind, Timestamp{INT64_MAX}).stop.empty())
      return Error::field(Errc::invalid, "submitted",
                          "is before the open clock started (the sponsor's receipt of the report): "
                          "this submission cannot be the report it asks for");
    if (plan.stop.empty()) {
      // No open clock of its kind: 404 for a report that does not exist, 409 otherwise.
      auto rep = cx.aes.get_ae(st.id, report);
      if (!rep) return rep.error();
      if (!rep.value()) return Error::field(Errc::not_found, "id", "no AE report " + std::to_string(report));
      return Error::field(Errc::conflict, "kind",
                          "no open " + sub->record["kind"].get<std::string>() + " clock for this report");
    }
    // A message awaiting its acknowledgement stops nothing yet (the plan only proves the
    // report has the open clock this submission answers).
    if (sub->message_id.empty()) w.stop = std::move(plan.stop);
    w.message_id = sub->message_id;
    w.record = sub->record;
    auto stored = cx.aes.add_submission(std::move(w), who.actor());
    if (!stored) return stored.error();
    if (!stored->stale) return std::move(stored->record);
  }
  return Error::of(Errc::unavailable, "the report's clocks kept changing while this submission was recorded; retry");
}

}  // namespace pvmon::service
