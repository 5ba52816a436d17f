// pvmon::app — wiring: the io_context that owns signals and timers, start-up order, the HTTP
// server thread, graceful shutdown and config reload. Called once from main on the main thread;
// start-up failures are logged once and returned as a non-zero exit code.
#pragma once

#include <optional>
#include <ostream>
#include <string>

#include "pvmon/config.hpp"
#include "pvmon/core.hpp"
#include "pvmon/store.hpp"

namespace pvmon::app {

struct Options {
  std::string config_path = "config/pvmond.json";
  std::optional<std::string> listen;    // HOST:PORT, overrides the config
  std::optional<std::string> data_dir;  // overrides the config
};

/// Runs pvmond until SIGTERM/SIGINT; returns the process exit code.
int run_daemon(const Options& opts);

/// The store's options from the config: for PostgreSQL the DSNs with the password file's
/// secret (errors name the file, never the secret).
Result<store::Options> store_options(const config::Config& cfg);

/// Validates the config (and its study files); prints every problem; 0 when valid.
int check_config(const Options& opts, std::ostream& out, std::ostream& err);

}  // namespace pvmon::app
