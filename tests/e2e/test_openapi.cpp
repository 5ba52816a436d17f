// End-to-end: the OpenAPI document the daemon serves is the one in the repo, and its examples,
// run in order against a fresh daemon, get the documented statuses, media types and fields.
#include <doctest/doctest.h>

#include <regex>

#include "daemon.hpp"

using namespace pvmon::test;

namespace {

json repo_document() { return json::parse(read_text(fs::path(PVMON_SOURCE_DIR) / "daemon" / "http" / "openapi.json")); }

/// The operation a concrete path and method belong to, or null.
const json* operation(const json& doc, const std::string& method, std::string path) {
  path = path.substr(0, path.find('?'));
  std::string m = method;
  for (auto& ch : m) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  for (const auto& [tmpl, item] : doc["paths"].items()) {
    const std::regex re(std::regex_replace(tmpl, std::regex(R"(\{[^}]+\})"), "[^/]+"));
    if (std::regex_match(path, re) && item.contains(m)) return &item[m];
  }
  return nullptr;
}

const json& resolve(const json& doc, const json& j) {
  if (!j.contains("$ref")) return j;
  std::string ref = j["$ref"].get<std::string>().substr(1);  // "#/components/..." -> JSON pointer
  return resolve(doc, doc.at(json::json_pointer(ref)));
}

}  // namespace

TEST_CASE("the served OpenAPI document is the repo's, and its examples hold against the real daemon") {
  TempDir tmp;
  Daemon d(write_config(tmp.path), tmp.path / "data");
  d.start();
  auto c = d.client();
  const json doc = repo_document();

  auto served = c.Get("/v1/openapi.json");
  REQUIRE(served);
  CHECK(served->status == 200);
  CHECK(json::parse(served->body) == doc);

  const json& examples = doc.at("x-pvmon-examples");
  REQUIRE(examples.size() > 40);
  for (const auto& ex : examples) {
    const std::string name = ex["name"], method = ex["method"], path = ex["path"];
    CAPTURE(name);
    const json* op = operation(doc, method, path);
    REQUIRE_MESSAGE(op, "no documented operation for " << method << " " << path);
    const std::string status = std::to_string(ex["status"].get<int>());
    CHECK_MESSAGE((*op)["responses"].contains(status), "status " << status << " is not documented for " << path);

    httplib::Headers h;
    if (!ex["token"].is_null()) h = bearer(ex["token"]);
    if (ex.contains("accept")) h.emplace("Accept", ex["accept"].get<std::string>());
    const std::string ctype = ex.value("content_type", "application/json");
    httplib::Result r = method == "GET" ? c.Get(path.c_str(), h)
                                        : c.Post(path.c_str(), h, ex["body"].is_null() ? std::string() : ex["body"].dump(), ctype);
    REQUIRE(r);
    CHECK_MESSAGE(r->status == ex["status"].get<int>(), r->body.substr(0, 300));
    if (!(*op)["responses"].contains(status)) continue;

    // The answer's media type is one documented for that status, and a JSON body has the
    // fields its schema requires.
    const json& resp = resolve(doc, (*op)["responses"][status]);
    if (!resp.contains("content")) continue;
    const std::string media = r->get_header_value("Content-Type").substr(0, r->get_header_value("Content-Type").find(';'));
    const json* content_ptr = nullptr;  // documented media types may carry parameters
    for (const auto& [type, content] : resp["content"].items())
      if (type.substr(0, type.find(';')) == media) content_ptr = &content;
    CHECK_MESSAGE(content_ptr, "undocumented media type " << media);
    if (!content_ptr || media.find("json") == std::string::npos) continue;
    const json& content = *content_ptr;
    if (!content.contains("schema")) continue;
    const json& schema = resolve(doc, content["schema"]);
    const json body = json::parse(r->body);
    for (const auto& field : schema.value("required", json::array()))
      CHECK_MESSAGE(body.contains(field.get<std::string>()), "missing required field " << field);
  }
}
