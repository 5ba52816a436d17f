#include "commands.hpp"

namespace pvmon::cli {

const std::vector<Command>& commands() {
  static const std::vector<Command> kAll = {
      {"token", cmd_token},
  };
  return kAll;
}

}  // namespace pvmon::cli
