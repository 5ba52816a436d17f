// pvmon::safety — the facts of one AE report (its version in force at a cut-off) that
// summaries count: a compact row of numbers, so that a study of a million reports fits in
// memory (40 bytes a report, against some 5 KB as a parsed JSON record). Strings are stored
// once, in the AeFactTables that come with the facts, and a fact holds their indexes.
#pragma once

#include <array>
#include <climits>
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

/// An optional date in 4 bytes (std::optional<Date> takes 8), used as one: `if (d)`, `*d`.
/// No date sorts before every date, as with std::optional.
class OptDate {
 public:
  OptDate() = default;
  OptDate(Date d) : days_(d.days) {}
  OptDate(std::optional<Date> d) : days_(d ? d->days : kNone) {}
  explicit operator bool() const { return days_ != kNone; }
  Date operator*() const { return Date{days_}; }
  auto operator<=>(const OptDate&) const = default;

 private:
  static constexpr std::int32_t kNone = INT32_MIN;
  std::int32_t days_ = kNone;
};

/// Every index names an entry of the AeFactTables that come with the fact.
struct AeFact {
  std::int64_t id = 0;  // server id
  std::uint32_t report_id = 0;   // offset into AeFactTables::report_ids
  std::uint32_t subject = 0;     // AeFactTables::subjects
  std::int32_t term = -1;        // AeFactTables::terms
  OptDate onset, resolved;
  std::uint16_t site = 0;        // AeFactTables::sites
  std::uint16_t related_to = 0;  // AeFactTables::related: the interventions it is related to
  std::uint16_t causality = 0;   // AeFactTables::causality: "iv=possible,..." per intervention
  std::uint16_t expected = 0;    // AeFactTables::expected: "iv=1,iv2=0" per product assessed
  std::uint8_t outcome = 0;      // AeFactTables::outcomes: recovered, ... fatal, unknown
  std::uint8_t grade = 0;
  std::uint8_t criteria = 0;     // bit i = kSeriousnessCriteria[i]
  bool nullified : 1 = false;
  bool serious : 1 = false;
  bool susar : 1 = false;
  bool fatal_or_life_threatening : 1 = false;
  bool drug_withdrawn : 1 = false;  // some action_taken is drug_withdrawn

  bool has_criterion(std::size_t i) const { return (criteria >> i) & 1u; }
};
static_assert(sizeof(AeFact) <= 40, "a million facts should take 40 MB");

/// The strings facts refer to, each stored once. Entry 0 of outcomes, related, causality and
/// expected is the empty value, which a default AeFact refers to.
struct AeFactTables {
  std::vector<AeTerm> terms;
  std::vector<std::string> subjects, sites;
  std::vector<std::string> outcomes{""};
  std::vector<std::vector<std::string>> related{{}};  // in the record's order
  std::vector<std::string> causality{""}, expected{""};
  std::string report_ids;  // each NUL-terminated; AeFact::report_id is its offset

  std::string_view report_id(const AeFact& f) const { return report_ids.c_str() + f.report_id; }
  const std::string& subject(const AeFact& f) const { return subjects[f.subject]; }
  const std::string& site(const AeFact& f) const { return sites[f.site]; }
  const std::string& outcome(const AeFact& f) const { return outcomes[f.outcome]; }
  const std::vector<std::string>& related_to(const AeFact& f) const { return related[f.related_to]; }
  bool is_related(const AeFact& f, std::string_view intervention) const {
    for (const auto& iv : related[f.related_to])
      if (iv == intervention) return true;
    return false;
  }
  /// The term row, or nullptr for a fact without one.
  const AeTerm* term(const AeFact& f) const {
    return f.term >= 0 ? &terms[static_cast<std::size_t>(f.term)] : nullptr;
  }

  /// Appends a report id, returning the offset for AeFact::report_id.
  std::uint32_t add_report_id(std::string_view id) {
    const auto at = static_cast<std::uint32_t>(report_ids.size());
    report_ids.append(id);
    report_ids.push_back('\0');
    return at;
  }
  /// The index of `s` in `table`, added if absent (a linear search: for the small tables, and
  /// for building facts by hand).
  template <class T, class V>
  static std::uint32_t intern(std::vector<T>& table, const V& s) {
    for (std::size_t i = 0; i < table.size(); ++i)
      if (table[i] == s) return static_cast<std::uint32_t>(i);
    table.push_back(T(s));
    return static_cast<std::uint32_t>(table.size() - 1);
  }
};

/// What a subject's course needs of one AE report (its version in force): course.hpp builds
/// the course from these, and event validation (events.hpp) checks a new event against them.
struct CourseAe {
  std::string report_id;  // the site's report id
  Date onset;
  std::optional<Date> resolved;
  int grade = 0;
  bool fatal = false;    // CTCAE v5.0 grade 5 ("death related to AE"; outcome fatal, coding.cpp)
  bool serious = false;  // ICH E2A: classed serious
  /// The date the AE records the death on: the date of its outcome (resolution date with outcome
  /// fatal, as E2B(R3) E.i.5 dates a fatal reaction's end), else its onset.
  Date death_date() const { return resolved.value_or(onset); }
};

}  // namespace pvmon::safety
