// pvmon icsr: an AE report's ICH E2B(R3) ICSR (or CIOMS I form) from a database copy.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace pvmon::cli {

int cmd_icsr(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace pvmon::cli
