// pvmon::cli — `pvmon term` (search the embedded CTCAE v5.0 dictionary, show an entry) and
// `pvmon grade` (grade a lab value by its CTCAE v5.0 row), both over pvmon::ctcae.
// Run on the calling thread and write only to the given streams; nothing throws.
// Exit codes: 0 done, 1 could not do it (unknown term, value not gradable), 2 bad usage.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace pvmon::cli {

/// args excludes "pvmon" and "term": `search TEXT...` or `show CODE`.
int cmd_term(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

/// args excludes "pvmon" and "grade": --term T --value V --unit U [--uln X] [--lln X]
/// [--baseline X --baseline-abnormal] [--on-anticoagulation] [--systolic S --diastolic D].
/// Prints the grade and the CTCAE text that decided it. A dipstick value may be "2+".
int cmd_grade(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace pvmon::cli
