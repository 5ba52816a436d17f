// pvmon webhooks list|enable NAME: the endpoints of a running pvmond, through
// its admin API.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace pvmon::cli {

int cmd_webhooks(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace pvmon::cli
