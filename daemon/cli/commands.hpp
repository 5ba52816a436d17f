// The pvmon subcommands. Each takes its arguments (without "pvmon" and the command word) and
// streams, and returns the exit code: 0 done, 1 could not do it, 2 bad usage.
#pragma once

#include <functional>
#include <istream>
#include <ostream>
#include <string>
#include <vector>

namespace pvmon::cli {

using Args = std::vector<std::string>;

struct Command {
  const char* name;
  std::function<int(const Args&, std::istream&, std::ostream&, std::ostream&)> run;
};

const std::vector<Command>& commands();

int cmd_token(const Args& args, std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace pvmon::cli
