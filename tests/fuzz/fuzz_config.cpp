// Fuzz target: the config loader on arbitrary text, as pvmond.json (with comments) and as a
// study protocol file. Every problem must come back as an Error naming the file and path.
#include <cstdint>
#include <string>

#include "pvmon/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  // Study paths resolve against a folder that does not exist: no file is ever read.
  (void)pvmon::config::parse(text, "fuzz.json", "/nonexistent-pvmon-fuzz");
  (void)pvmon::config::parse_study(text, "fuzz-study.json");
  return 0;
}
