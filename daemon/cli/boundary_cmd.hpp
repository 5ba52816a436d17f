// pvmon::cli — `pvmon boundary`: prints a stopping boundary table and its operating
// characteristics (pvmon::stats). Runs on the calling thread, writes only to the given streams.
// Bad arguments print a message on `err` and return a non-zero exit code; nothing throws.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace pvmon::cli {

/// args excludes the program name and the word "boundary". Two forms:
///   --n-max N --p-lo P --p-hi P --alpha A [--shape D]            (Ivanova-Qaqish-Schell)
///   --bayes --prior A,B --p0 P --cutoff C --n-max N [--p-hi P]    (Thall-Simon)
/// Returns 0 on success, 2 on bad arguments.
int cmd_boundary(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace pvmon::cli
