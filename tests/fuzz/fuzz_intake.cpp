// Fuzz target: an AE report or subject body as a site posts it, through JSON parsing, the
// intake validators and CTCAE coding (with a baseline). Any input must give a value or an
// Error, never a crash, an exception or undefined behaviour.
#include <cstdint>
#include <string>

#include "pvmon/ctcae.hpp"
#include "pvmon/intake.hpp"

using namespace pvmon;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const ctcae::Resolver resolver;
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto body = nlohmann::json::parse(text, nullptr, false);
  if (body.is_discarded()) return 0;
  const intake::StudyRules rules{{"camrelizumab", "apatinib", "imrt", "surgery"}};
  const Timestamp now = parse_timestamp("2026-11-24T12:00:00Z").value();
  (void)intake::parse_subject(body, now.date());
  auto draft = intake::parse_ae(body, rules, now, {true, parse_date("2026-01-01").value()});
  if (!draft) return 0;
  const nlohmann::json baseline = body.is_object() && body.contains("baseline") ? body["baseline"] : nlohmann::json::object();
  if (auto coded = intake::code_ae(draft.value(), resolver, baseline)) {
    (void)intake::to_json(coded.value()).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  (void)intake::to_json(draft.value()).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return 0;
}
