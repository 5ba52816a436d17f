// The facts of one AE version as typed columns of ae_versions (schema v6), computed from the
// record being inserted, and the one INSERT that writes them with the version text (private to
// store; bench_report's generator writes its rows through it too).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sqlite.hpp"

namespace pvmon::store {

/// Each field is the column of the same name. Text columns are NULL (nullopt) when the record
/// has no string there; the flags are 0 when absent. Lists are compact text in record order:
/// related_to "a,b"; causality "a=possible,b=unlikely" (from the causality object, string
/// values only); expected "a=1,b=0" (from safety.products). An empty list is NULL.
struct VersionFacts {
  std::optional<std::int64_t> grade;
  std::optional<std::string> meddra_code, term, soc, onset, resolved, outcome;
  bool protocol_term = false, serious = false, susar = false, fatal_or_life_threatening = false;
  int criteria = 0;  // bit i = safety::kSeriousnessCriteria[i]
  std::optional<std::string> related_to, causality, expected;
  bool drug_withdrawn = false;  // some action_taken value is drug_withdrawn
  // What the SDTM AE export needs beyond the figures: the site's text and term, and the action
  // taken per intervention ("a=dose_reduced,b=drug_withdrawn").
  std::optional<std::string> verbatim, reported_term, action_taken;

  bool operator==(const VersionFacts&) const = default;
};

/// What schema v6's backfill computes with json_extract, from the parsed record.
VersionFacts version_facts(const nlohmann::json& record);

/// Inserts one version: its text and, in the same row, its facts.
void insert_version(Db& db, std::int64_t report, int version, std::string_view kind,
                    std::string_view recorded_at, std::string_view recorded_by,
                    std::string_view text, const VersionFacts& facts);

}  // namespace pvmon::store
