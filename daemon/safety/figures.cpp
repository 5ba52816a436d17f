#include "pvmon/safety/figures.hpp"

#include <algorithm>

namespace pvmon::safety {

AeCounts count_aes(const std::vector<AeFact>& facts, const AeFactTables& tables) {
  enum : std::uint8_t { kAny = 1, kG3 = 2, kSae = 4, kSusar = 8, kFatal = 16, kWithdrawn = 32 };
  // Per subject index: which rows it counts in, and its worst grade.
  std::vector<std::uint8_t> flags(tables.subjects.size(), 0), worst(tables.subjects.size(), 0);
  AeCounts c;
  for (const auto& f : facts) {
    if (f.nullified) {
      ++c.nullified_reports;
      continue;
    }
    ++c.reports;
    if (f.serious) ++c.serious_reports;
    if (f.subject >= flags.size()) continue;  // a fact without its tables: nothing to count by
    std::uint8_t& fl = flags[f.subject];
    fl |= kAny;
    if (f.grade >= 3) fl |= kG3;
    if (f.serious) fl |= kSae;
    if (f.susar) fl |= kSusar;
    if (f.grade == 5 || tables.outcome(f) == "fatal") fl |= kFatal;
    if (f.drug_withdrawn) fl |= kWithdrawn;
    worst[f.subject] = std::max(worst[f.subject], f.grade);
  }
  for (std::size_t i = 0; i < flags.size(); ++i) {
    const auto fl = flags[i];
    c.subjects_with_ae += (fl & kAny) ? 1 : 0;
    c.subjects_grade3plus += (fl & kG3) ? 1 : 0;
    c.subjects_with_sae += (fl & kSae) ? 1 : 0;
    c.subjects_with_susar += (fl & kSusar) ? 1 : 0;
    c.subjects_with_fatal_ae += (fl & kFatal) ? 1 : 0;
    c.subjects_drug_withdrawn += (fl & kWithdrawn) ? 1 : 0;
    if (worst[i] >= 1 && worst[i] <= 5) ++c.subjects_by_worst_grade[worst[i] - 1];
  }
  return c;
}

}  // namespace pvmon::safety
