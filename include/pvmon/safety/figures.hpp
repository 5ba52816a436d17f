// pvmon::safety — the study's AE and SAE counts at a cut-off, computed once from the facts of
// the reports in force and used by every view (GET /safety, the DSMB report and its webhook
// summary). Pure; any thread.
#pragma once

#include <array>
#include <vector>

#include "pvmon/safety/ae_facts.hpp"

namespace pvmon::safety {

/// Reports and subjects: a subject counts once per row, at its worst grade; nullified reports
/// never count (ICH E2A: a nullified case is withdrawn). Fatal: CTCAE v5.0 grade 5 or outcome
/// fatal. Serious: the six ICH E2A criteria (or grade 5).
struct AeCounts {
  int reports = 0;  // in force (not nullified)
  int serious_reports = 0;
  int nullified_reports = 0;
  int subjects_with_ae = 0;
  int subjects_grade3plus = 0;
  int subjects_with_sae = 0;
  int subjects_with_susar = 0;
  int subjects_with_fatal_ae = 0;
  int subjects_drug_withdrawn = 0;  // an AE that led to withdrawal of a study drug
  std::array<int, 5> subjects_by_worst_grade{};  // [g - 1]: subjects whose worst grade is g
  bool operator==(const AeCounts&) const = default;
};

AeCounts count_aes(const std::vector<AeFact>& facts, const AeFactTables& tables);

}  // namespace pvmon::safety
