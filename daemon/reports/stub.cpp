// TEMPORARY: replaced by the real model when the reports branch lands.
#include "pvmon/reports.hpp"
namespace pvmon::reports {
nlohmann::json build(const Input& in) {
  nlohmann::json m;
  m["header"] = {{"schema", kSchema}, {"study", in.study}, {"number", in.number},
                 {"data_cutoff", format_timestamp(in.cutoff)}};
  m["enrolment"] = {{"total", in.subjects.size()}};
  m["ae_overview"] = {{"reports", in.reports.size()}};
  return m;
}
std::string canonical_json(const nlohmann::json& model) { return model.dump(); }
std::vector<CsvFile> to_csv(const nlohmann::json&) { return {{"header.csv", "a\r\n"}}; }
std::string to_html(const nlohmann::json& m, const HtmlMeta&) { return "<html>" + m.dump() + "</html>"; }
}  // namespace pvmon::reports
