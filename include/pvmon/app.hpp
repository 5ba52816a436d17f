// pvmon::app — wiring: the io_context that owns signals and timers, start-up order, the HTTP
// server thread, graceful shutdown and config reload. Called once from main on the main thread;
// start-up failures are logged once and returned as a non-zero exit code.
#pragma once

#include <optional>
#include <ostream>
#include <string>

namespace pvmon::app {

struct Options {
  std::string config_path = "config/pvmond.json";
  std::optional<std::string> listen;    // HOST:PORT, overrides the config
  std::optional<std::string> data_dir;  // overrides the config
};

/// Runs pvmond until SIGTERM/SIGINT; returns the process exit code.
int run_daemon(const Options& opts);

/// Validates the config (and its study files); prints every problem; 0 when valid.
int check_config(const Options& opts, std::ostream& out, std::ostream& err);

}  // namespace pvmon::app
