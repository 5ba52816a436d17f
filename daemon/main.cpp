// pvmond: argv in, exit code out. Everything else lives in pvmon::app.
#include <cstring>
#include <iostream>
#include <string>

#include "pvmon/app.hpp"

namespace {

constexpr const char* kUsage =
    "usage: pvmond [--config FILE] [--listen HOST:PORT] [--data-dir DIR]\n"
    "       pvmond --check-config FILE [--listen HOST:PORT] [--data-dir DIR]\n"
    "  --config FILE        daemon config (default config/pvmond.json)\n"
    "  --check-config FILE  validate FILE and the study files it names, print problems, exit\n"
    "  --listen HOST:PORT   override the listen address (port 0 picks a free port and writes\n"
    "                       the bound address to DATA_DIR/pvmond.addr)\n"
    "  --data-dir DIR       override the state folder (database, pvmond.addr)\n";

}  // namespace

int main(int argc, char** argv) {
  pvmon::app::Options opts;
  bool check = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](const char* name) -> const char* {
      if (i + 1 >= argc) {
        std::cerr << "pvmond: " << name << " needs a value\n" << kUsage;
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--config") {
      opts.config_path = value("--config");
    } else if (a == "--check-config") {
      opts.config_path = value("--check-config");
      check = true;
    } else if (a == "--listen") {
      opts.listen = value("--listen");
    } else if (a == "--data-dir") {
      opts.data_dir = value("--data-dir");
    } else if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      return 0;
    } else {
      std::cerr << "pvmond: unknown argument '" << a << "'\n" << kUsage;
      return 2;
    }
  }
  if (check) return pvmon::app::check_config(opts, std::cout, std::cerr);
  return pvmon::app::run_daemon(opts);
}
