// pvmon::config — the "safety_rules" object of a study file, read into safety::StudyRules.
// Private to the config module (parse_study calls it); pure, any thread. Every problem is
// appended to `errs` with its dotted path (parse_study turns it into a JSON pointer).
#pragma once

#include <string>
#include <vector>

#include "pvmon/core.hpp"
#include "pvmon/fields.hpp"
#include "pvmon/safety/rules.hpp"

namespace pvmon::config {

/// Reads r[key] when present (absent = defaults, no rules). Unknown keys are errors. When
/// `known_interventions` is not empty, every intervention a rule names must be one of them.
/// Numbers are validated here; boundaries are computed later, at start-up.
void parse_safety_rules(FieldReader& r, const std::string& key, safety::StudyRules& out,
                        std::vector<FieldError>& errs,
                        const std::vector<std::string>& known_interventions = {});

}  // namespace pvmon::config
