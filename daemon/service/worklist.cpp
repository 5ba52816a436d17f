// The safety officer's worklist: priority and order of alerts and clocks, and
// the field-by-field difference of two versions of a report (worklist.hpp).
#include "pvmon/service/worklist.hpp"

#include <algorithm>
#include <map>
#include <tuple>

#include "pvmon/safety/rules.hpp"

namespace pvmon::service::worklist {

using nlohmann::json;

std::string_view to_string(Priority p) {
  switch (p) {
    case Priority::p1:
      return "P1";
    case Priority::p2:
      return "P2";
    case Priority::p3:
      return "P3";
  }
  return "P3";
}

CaseFacts case_facts(const json &record) {
  CaseFacts f;
  if (!record.is_object() || !record.contains("safety") || !record["safety"].is_object()) return f;
  const json &s = record["safety"];
  auto flag = [&](const char *k) { return s.contains(k) && s[k].is_boolean() && s[k].get<bool>(); };
  f.fatal_or_life_threatening = flag("fatal_or_life_threatening");
  f.serious = flag("serious");
  f.susar = flag("susar");
  return f;
}

Priority priority(const ItemFacts &f, Timestamp now, int warning_hours) {
  namespace rule = safety::rule;
  const bool case_p1 = f.case_facts && (f.case_facts->fatal_or_life_threatening || f.case_facts->susar);
  // The rules that name a death or a SUSAR themselves (a death event has no
  // report behind it).
  // A crossed stopping boundary is the whole study's signal (CLINICAL.md "Stopping rules": the
  // protocol pauses enrolment and the DSMB meets): beyond the minimum, P1 too.
  const bool rule_p1 = f.rule == rule::kDeath || f.rule == rule::kDeath30d || f.rule == rule::kSusar ||
                       f.rule == rule::kClockOverdue || f.rule == rule::kStoppingBoundary;
  const bool overdue = f.due && now > *f.due;
  if (case_p1 || rule_p1 || overdue || f.death_awaiting_report) return Priority::p1;
  const bool case_p2 = f.case_facts && f.case_facts->serious;
  // A potential Hy's law case is a medically important event, serious by ICH E2A II.B (FDA DILI
  // guidance 2009, section VI): P2 even before a report names it.
  const bool rule_p2 = f.rule == rule::kSae || f.rule == rule::kSaeUpdate || f.rule == rule::kPotentialHysLaw;
  const bool due_soon = f.due && now >= f.due->plus_hours(-warning_hours);
  if (case_p2 || rule_p2 || due_soon) return Priority::p2;
  return Priority::p3;
}

bool comes_before(const OrderKey &a, const OrderKey &b) {
  return std::tie(a.priority, a.due, b.alert, a.severity, a.study, a.id) <
         std::tie(b.priority, b.due, a.alert, b.severity, b.study, b.id);
}

int severity_rank(std::string_view severity) {
  if (severity == "critical") return 0;
  if (severity == "high") return 1;
  if (severity == "info") return 2;
  return 3;
}

namespace {

bool ignored(const std::string &path, const std::vector<std::string> &ignore) {
  for (const auto &i : ignore)
    if (path == i || (path.size() > i.size() && path.compare(0, i.size(), i) == 0 && path[i.size()] == '.'))
      return true;
  return false;
}

/// Every leaf of `j` by path: an object's members (recursively), any other
/// value as a whole.
void flatten(const json &j, const std::string &prefix, std::map<std::string, json> &out) {
  if (j.is_object() && !j.empty()) {
    for (auto it = j.begin(); it != j.end(); ++it)
      flatten(it.value(), prefix.empty() ? it.key() : prefix + "." + it.key(), out);
    return;
  }
  if (!prefix.empty()) out[prefix] = j;
}

}  // namespace

std::vector<FieldChange> version_diff(const json &before, const json &after, const std::vector<std::string> &ignore) {
  std::map<std::string, json> a, b;
  flatten(before, "", a);
  flatten(after, "", b);
  std::vector<FieldChange> out;
  auto ia = a.begin();
  auto ib = b.begin();
  while (ia != a.end() || ib != b.end()) {
    FieldChange c;
    if (ib == b.end() || (ia != a.end() && ia->first < ib->first)) {
      c = {ia->first, ia->second, std::nullopt};
      ++ia;
    } else if (ia == a.end() || ib->first < ia->first) {
      c = {ib->first, std::nullopt, ib->second};
      ++ib;
    } else {
      const bool same = ia->second == ib->second;
      c = {ia->first, ia->second, ib->second};
      ++ia;
      ++ib;
      if (same) continue;
    }
    if (!ignored(c.field, ignore)) out.push_back(std::move(c));
  }
  return out;
}

}  // namespace pvmon::service::worklist
