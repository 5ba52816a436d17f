// Fuzz target: a FHIR R4 AdverseEvent from a site's system, mapped to a report body and the
// record as FHIR again. Any JSON at all must come back as a mapping or an Error with FHIRPaths
// (never a throw or a crash), and an OperationOutcome must always be buildable from the Error.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "pvmon/interop.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using nlohmann::json;
  const json parsed = json::parse(data, data + size, nullptr, false);
  if (parsed.is_discarded()) return 0;
  static const pvmon::interop::fhir::StudyContext st{
      "hcc-pvtt-imrt",
      {{"camrelizumab", "drug"}, {"apatinib", "drug"}, {"imrt", "radiotherapy"}, {"surgery", "surgery"}}};
  auto m = pvmon::interop::fhir::from_fhir(parsed, st);
  if (!m) {
    (void)pvmon::interop::fhir::operation_outcome(m.error()).dump();
    return 0;
  }
  (void)pvmon::interop::fhir::path_of(m.value(), "causality.apatinib");
  // What a stored record built from the body looks like, out as FHIR and back in.
  json record = m->body;
  record["id"] = 1;
  record["version"] = 1;
  record["site"] = "S01";
  record["fhir"] = m->source;
  const json out = pvmon::interop::fhir::to_fhir(record, st);
  (void)pvmon::interop::fhir::from_fhir(out, st);
  return 0;
}
