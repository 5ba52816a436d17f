// pvmon simulate: a synthetic trial played against a running pvmond over HTTP.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace pvmon::cli {

int cmd_simulate(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace pvmon::cli
