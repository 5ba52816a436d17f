// The OpenAPI document in the repo against the route table: every route documented with its
// roles, nothing documented that does not exist.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

#include "api.hpp"

using namespace pvmon;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

json document() {
  std::ifstream in(std::string(PVMON_SOURCE_DIR) + "/daemon/http/openapi.json");
  REQUIRE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str());
}

}  // namespace

TEST_CASE("the OpenAPI document and the route table agree, route by route and role by role") {
  const fs::path dir = fs::temp_directory_path() / ("pvmon-openapi-" + std::to_string(std::random_device{}()));
  fs::create_directories(dir);
  SystemClock clock;
  auto cfg = config::load(std::string(PVMON_SOURCE_DIR) + "/config/pvmond.json");
  REQUIRE_MESSAGE(cfg, (cfg ? "" : cfg.error().message));
  auto rt = service::make_runtime(cfg.value());
  REQUIRE(rt);
  service::ConfigHolder holder(rt.value());
  auto store = store::Store::open(store::Options{(dir / "pvmon.db").string()}, clock);
  REQUIRE(store);
  {
    http::Api api(http::Services{holder, *store.value(), clock});
    std::set<std::string> routes, documented;
    for (const auto& r : api.routes()) {
      std::set<std::string> roles;
      for (auto role : r.roles) roles.insert(config::to_string(role));
      routes.insert(r.method + " " + r.path + " " + json(roles).dump());
    }
    const json doc = document();
    CHECK(doc["openapi"] == "3.1.0");
    for (const auto& [path, item] : doc["paths"].items())
      for (const auto& [method, op] : item.items()) {
        if (method == "parameters") continue;
        std::string m = method;
        for (auto& ch : m) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        std::set<std::string> roles = op.at("x-pvmon-roles").get<std::set<std::string>>();
        documented.insert(m + " " + path + " " + json(roles).dump());
        CAPTURE(m + " " + path);
        // Unauthenticated exactly where the route table needs no role; 401 documented elsewhere.
        CHECK((op.contains("security") && op["security"].empty()) == roles.empty());
        if (!roles.empty()) CHECK(op["responses"].contains("401"));
        CHECK(op.contains("operationId"));
      }
    // Set differences name what is missing on either side.
    std::vector<std::string> undocumented, phantom;
    std::set_difference(routes.begin(), routes.end(), documented.begin(), documented.end(), std::back_inserter(undocumented));
    std::set_difference(documented.begin(), documented.end(), routes.begin(), routes.end(), std::back_inserter(phantom));
    CHECK_MESSAGE(undocumented.empty(), "routes not in the document: " << json(undocumented).dump());
    CHECK_MESSAGE(phantom.empty(), "documented but not routes: " << json(phantom).dump());
    CHECK(routes.size() == documented.size());
    CHECK(routes.size() > 25);
  }
  store.value()->close();
  fs::remove_all(dir);
}
