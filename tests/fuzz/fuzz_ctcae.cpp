// Fuzz target: term resolution (exact, synonym, code, fuzzy suggestions) of arbitrary text,
// and lab grading of arbitrary numbers. The first byte picks numbers for the lab input.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#include "pvmon/ctcae.hpp"

using namespace pvmon;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const ctcae::Resolver resolver;
  if (size < 1 + 4 * sizeof(double)) {
    (void)resolver.resolve(std::string_view(reinterpret_cast<const char*>(data), size));
    return 0;
  }
  double v[4];
  std::memcpy(v, data + 1, sizeof v);
  const std::string text(reinterpret_cast<const char*>(data) + 1 + sizeof v, size - 1 - sizeof v);
  (void)resolver.resolve(text, 5);
  (void)resolver.suggest(text, 5);
  ctcae::LabInput in;
  const auto tests = ctcae::gradable_tests();
  in.test = data[0] < tests.size() ? std::string(tests[data[0]]) : text;
  in.value = v[0];
  in.unit = text.substr(0, 8);
  if (data[0] & 1) in.uln = v[1];
  if (data[0] & 2) in.lln = v[2];
  if (data[0] & 4) in.baseline = v[3];
  in.baseline_abnormal = data[0] & 8;
  if (data[0] & 16) {
    in.systolic = v[1];
    in.diastolic = v[2];
  }
  (void)ctcae::grade_lab(in);
  return 0;
}
