// pvmon::service — a subject's use cases: enrolment, baseline labs, events of its course
// (treatment, surgery, discharge, death, ...) and the subject's view. Errors are Result values
// naming the field. Any thread.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>

#include "pvmon/service/runtime.hpp"

namespace pvmon::service {

/// What a subject's use cases work with: the subjects, and the AE reports the view lists.
struct SubjectDeps {
  const Clock& clock;
  store::SubjectStore& subjects;
  store::AeStore& aes;
};

/// The subject, when the caller may see it (a site: its own); 404 otherwise, whatever else
/// the request got wrong.
Result<store::SubjectRow> own_subject(const SubjectDeps& cx, const Caller& who, const config::Study& st,
                                      const std::string& subject);
/// own_subject for a write that names the subject in its path (baseline, events, labs): an id
/// that is not intake::valid_subject_id is a 422 on `subject`, as at enrolment, unless it is the
/// caller's own subject enrolled before the rule. (Reads keep own_subject: 404.)
Result<store::SubjectRow> own_subject_to_write(const SubjectDeps& cx, const Caller& who,
                                               const config::Study& st, const std::string& subject);

/// Enrols a subject at the calling site; the same body again is a replay (`created` false).
Result<store::Stored> enrol_subject(const SubjectDeps& cx, const Caller& who, const config::Study& st,
                                    const nlohmann::json& body);

/// Adds baseline lab values to the caller's subject; a value already recorded is never
/// overwritten (the same value: no-op; another: 409).
Result<store::Stored> add_baseline(const SubjectDeps& cx, const Caller& who, const config::Study& st,
                                   const std::string& subject, const nlohmann::json& body);

/// A subject event (`kind` picks its fields), validated against the subject's course; the
/// alerts it raises (death, reoperation, ...) are recorded with it.
Result<store::Stored> add_subject_event(const SubjectDeps& cx, const Caller& who,
                                        const config::Study& st, const std::string& subject,
                                        const nlohmann::json& body);

/// The subject as the caller may see it: enrolment, events in date order, AE reports, and the
/// surgical assessment as of today.
Result<nlohmann::json> subject_view(const SubjectDeps& cx, const Caller& who, const config::Study& st,
                                    const std::string& subject);


// The same, from the edges' context (the whole store).
inline SubjectDeps subject_deps(const Context& cx) { return SubjectDeps{cx.clock, cx.store, cx.store}; }
inline Result<store::SubjectRow> own_subject(const Context& cx, const Caller& who,
                                             const config::Study& st, const std::string& subject) {
  return own_subject(subject_deps(cx), who, st, subject);
}
inline Result<store::SubjectRow> own_subject_to_write(const Context& cx, const Caller& who,
                                                      const config::Study& st, const std::string& subject) {
  return own_subject_to_write(subject_deps(cx), who, st, subject);
}
inline Result<store::Stored> enrol_subject(const Context& cx, const Caller& who,
                                           const config::Study& st, const nlohmann::json& body) {
  return enrol_subject(subject_deps(cx), who, st, body);
}
inline Result<store::Stored> add_baseline(const Context& cx, const Caller& who,
                                          const config::Study& st, const std::string& subject,
                                          const nlohmann::json& body) {
  return add_baseline(subject_deps(cx), who, st, subject, body);
}
inline Result<store::Stored> add_subject_event(const Context& cx, const Caller& who,
                                               const config::Study& st, const std::string& subject,
                                               const nlohmann::json& body) {
  return add_subject_event(subject_deps(cx), who, st, subject, body);
}
inline Result<nlohmann::json> subject_view(const Context& cx, const Caller& who,
                                           const config::Study& st, const std::string& subject) {
  return subject_view(subject_deps(cx), who, st, subject);
}

}  // namespace pvmon::service
