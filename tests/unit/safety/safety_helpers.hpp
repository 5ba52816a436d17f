#pragma once
// What several safety tests build or look up the same way.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "pvmon/safety/events.hpp"
#include "pvmon/safety/rules.hpp"
#include "pvmon/safety/surgical.hpp"
#include "when.hpp"

namespace pvmon::test {

/// The dedupe keys, of every alert or of one rule's.
inline std::vector<std::string> keys(const std::vector<safety::AlertDraft>& v, std::string_view rule = {}) {
  std::vector<std::string> k;
  for (const auto& a : v)
    if (rule.empty() || a.rule == rule) k.push_back(a.dedupe_key);
  return k;
}

/// One subject's row of the surgical figures; the test fails when it is not there.
inline const safety::SubjectSurgical& find(const safety::SurgicalSafety& s, const std::string& id) {
  auto it = std::find_if(s.subjects.begin(), s.subjects.end(),
                         [&](const safety::SubjectSurgical& x) { return x.subject == id; });
  REQUIRE(it != s.subjects.end());
  return *it;
}

/// A subject event as the store gives it back: its id, and the body it was recorded with.
inline safety::SubjectEvent recorded(std::int64_t id, nlohmann::json body) {
  return safety::SubjectEvent{id, body["kind"].get<std::string>(), d(body["date"].get<std::string>()), body};
}

/// Event 12: the index surgery on 2026-10-20.
inline safety::SubjectEvent surgery12() {
  return recorded(12, {{"kind", "surgery"}, {"date", "2026-10-20"}, {"procedure", "right hemihepatectomy"}, {"margin", "R0"}});
}

/// Whether `field` has a problem whose message contains `part`.
inline bool has(const std::vector<FieldError>& e, const std::string& field, const std::string& part) {
  return std::any_of(e.begin(), e.end(), [&](const FieldError& f) {
    return f.field == field && f.message.find(part) != std::string::npos;
  });
}

}  // namespace pvmon::test
