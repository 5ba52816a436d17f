// Use cases of the lab stream: a panel in, the subject's results out, the officer's assessment
// of a potential Hy's law case. The grading and the liver rules are pvmon::safety's (labs.hpp).
#include "pvmon/service/labs.hpp"

#include "pvmon/safety/course.hpp"
#include "pvmon/safety/labs.hpp"
#include "pvmon/service/subjects.hpp"
#include "records.hpp"

namespace pvmon::service {

using nlohmann::json;

Result<store::Stored> add_lab_panel(const Context& cx, const Caller& who, const config::Study& st,
                                    const std::string& subject, const json& body) {
  auto row = own_subject_to_write(cx, who, st, subject);
  if (!row) return row.error();
  // Nothing is collected after the subject's death, from any source (course.hpp).
  auto events = cx.store.subject_events(st.id, subject);
  if (!events) return events.error();
  auto aes = cx.store.subject_aes(st.id, subject);
  if (!aes) return aes.error();
  const Timestamp now = cx.clock.now();
  const auto course = safety::subject_course(subject, row->enrolled, events.value(), aes.value(), now.date());
  safety::LabContext ctx;
  ctx.enrolled = row->enrolled;
  ctx.now = now;
  ctx.death = course.death;
  ctx.baseline = row->record.value("baseline", json::object());
  ctx.resolver = cx.rt.resolvers.at(st.id).get();
  auto panel = safety::validate_panel(body, ctx);
  if (!panel) return panel.error();
  store::LabWrite w;
  w.study = st.id;
  w.subject = subject;
  w.panel = std::move(panel.value());
  w.record = body;
  w.body_sha256 = canonical_hash(body);
  w.hys_law = st.rules.hys_law;
  return cx.store.add_lab_panel(std::move(w), who.actor());
}

Result<json> subject_labs(const Context& cx, const Caller& who, const config::Study& st, const std::string& subject) {
  auto row = own_subject(cx, who, st, subject);
  if (!row) return row.error();
  auto labs = cx.store.subject_labs(st.id, subject);
  if (!labs) return labs.error();
  json items = json::array();
  for (const auto& r : labs.value()) items.push_back(safety::result_json(r));
  return json{{"subject", subject}, {"results", items}};
}

Result<json> assess_alert(const Context& cx, const Caller& who, const config::Study& st, std::int64_t alert,
                          const json& body) {
  std::vector<FieldError> errs;
  if (!body.is_object()) return Error::invalid({{"", "must be a JSON object"}});
  const std::string outcome = body.value("outcome", "");
  if (outcome != "confirmed_dili" && outcome != "other_cause")
    errs.push_back({"outcome", "must be confirmed_dili or other_cause"});
  if (!body.contains("comment") || !body["comment"].is_string() || body["comment"].get<std::string>().empty())
    errs.push_back({"comment", "is required: what the assessment rests on"});
  else if (body["comment"].get<std::string>().size() > 4000)
    errs.push_back({"comment", "is longer than 4000 characters"});
  for (const auto& item : body.items())
    if (item.key() != "outcome" && item.key() != "comment") errs.push_back({item.key(), "is not a field of an assessment"});
  if (!errs.empty()) return Error::invalid(std::move(errs));
  return cx.store.assess_alert({st.id, alert, outcome, body["comment"].get<std::string>()}, who.actor());
}

}  // namespace pvmon::service
