// The OpenAPI document in the repo against the route table: every route documented with its
// roles, nothing documented that does not exist; and its subject-event schemas against the
// table of event kinds the validator uses (safety/events.hpp).
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "api.hpp"
#include "pvmon/safety/events.hpp"

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
      // The desk's HTML pages are for browsers, not part of the JSON API the document describes.
      if (r.session) continue;
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
        const std::string where = m + " " + path;  // a named string: clang 14 cannot capture a binding
        CAPTURE(where);
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

namespace {

std::set<std::string> names(const json& array) {
  std::set<std::string> out;
  for (const auto& v : array) out.insert(v.get<std::string>());
  return out;
}

/// "missing [...] extra [...]": what the document lacks and what it has beyond the table.
std::string difference(const std::set<std::string>& document, const std::set<std::string>& table) {
  std::vector<std::string> missing, extra;
  std::set_difference(table.begin(), table.end(), document.begin(), document.end(), std::back_inserter(missing));
  std::set_difference(document.begin(), document.end(), table.begin(), table.end(), std::back_inserter(extra));
  return "missing " + json(missing).dump() + ", extra " + json(extra).dump();
}

}  // namespace

// The document's event schemas are written by hand; the validator reads the table. This walks
// the table so that a kind or field added to one and not the other fails here.
TEST_CASE("the OpenAPI document's subject events are the table of event kinds, kind by kind and field by field") {
  using safety::FieldType;
  const json doc = document();
  const json& schemas = doc.at("components").at("schemas");
  const json& union_ = schemas.at("SubjectEvent");

  std::set<std::string> kinds, refs;
  for (const auto& k : safety::event_kinds()) {
    kinds.insert(std::string(k.kind));
    refs.insert("#/components/schemas/Event_" + std::string(k.kind));
  }
  REQUIRE(kinds.size() == safety::event_kinds().size());

  // The oneOf, the discriminator and the kind enums of the stored and timeline views: every
  // kind of the table, nothing else.
  std::set<std::string> one_of;
  for (const auto& alt : union_.at("oneOf")) one_of.insert(alt.at("$ref").get<std::string>());
  CHECK_MESSAGE(one_of == refs, "SubjectEvent.oneOf: " << difference(one_of, refs));
  CHECK(union_.at("oneOf").size() == refs.size());
  CHECK(union_.at("discriminator").at("propertyName") == "kind");
  std::set<std::string> mapped;
  for (const auto& item : union_.at("discriminator").at("mapping").items()) {
    const std::string& kind = item.key();  // a named reference: clang 14 cannot capture a binding
    CAPTURE(kind);
    CHECK(item.value() == "#/components/schemas/Event_" + kind);
    mapped.insert(kind);
  }
  CHECK_MESSAGE(mapped == kinds, "SubjectEvent.discriminator.mapping: " << difference(mapped, kinds));
  for (const std::string view : {"SubjectEventRecord", "SubjectTimelineEvent"}) {
    CAPTURE(view);
    const json& e = schemas.at(view).at("properties").at("kind").at("enum");
    CHECK_MESSAGE(names(e) == kinds, view << ".kind.enum: " << difference(names(e), kinds));
    CHECK(e.size() == kinds.size());
  }
  // No Event_ schema outside the table.
  for (const auto& item : schemas.items()) {
    const std::string& name = item.key();
    if (name.rfind("Event_", 0) == 0)
      CHECK_MESSAGE(refs.count("#/components/schemas/" + name), name << " is not a kind of the table");
  }

  for (const auto& k : safety::event_kinds()) {
    const std::string kind(k.kind);
    CAPTURE(kind);
    if (!schemas.contains("Event_" + kind)) {
      FAIL_CHECK("no schema Event_" << kind);
      continue;
    }
    const json& s = schemas["Event_" + kind];
    CHECK(s.at("type") == "object");
    CHECK(s.at("additionalProperties") == false);  // the validator refuses unknown fields
    const json& props = s.at("properties");

    std::set<std::string> want_props{"kind", "date", "corrects"}, want_required{"kind", "date"};
    for (const auto& f : k.fields) {
      want_props.insert(std::string(f.name));
      if (f.required) want_required.insert(std::string(f.name));
    }
    std::set<std::string> have_props;
    for (const auto& item : props.items()) have_props.insert(item.key());
    CHECK_MESSAGE(have_props == want_props, "properties: " << difference(have_props, want_props));
    const std::set<std::string> have_required = names(s.at("required"));
    CHECK_MESSAGE(have_required == want_required, "required: " << difference(have_required, want_required));
    CHECK(s.at("required").size() == want_required.size());

    // The common members.
    CHECK(props.at("kind").at("const") == kind);
    CHECK(props.at("date").at("type") == "string");
    CHECK(props.at("date").at("format") == "date");
    CHECK(props.at("corrects").at("type") == "integer");
    CHECK(props.at("corrects").at("minimum") == 1);

    for (const auto& f : k.fields) {
      const std::string field(f.name);
      CAPTURE(field);
      if (!props.contains(field)) continue;  // reported above
      const json& p = props[field];
      switch (f.type) {
        case FieldType::date:
          CHECK(p.at("type") == "string");
          CHECK(p.at("format") == "date");
          break;
        case FieldType::string:
        case FieldType::study_drug:
          CHECK(p.at("type") == "string");
          CHECK(p.value("minLength", 0) == 1);
          break;
        case FieldType::enumeration: {
          CHECK(p.at("type") == "string");
          std::vector<std::string> allowed(f.allowed.begin(), f.allowed.end());
          CHECK(p.at("enum") == json(allowed));  // the same values, in the table's order
          break;
        }
        case FieldType::number:
        case FieldType::integer:
          CHECK(p.at("type") == (f.type == FieldType::number ? "number" : "integer"));
          CHECK(p.contains("minimum"));
          CHECK(p.contains("maximum"));
          if (p.contains("minimum")) CHECK(p["minimum"].get<double>() == f.min);
          if (p.contains("maximum")) CHECK(p["maximum"].get<double>() == f.max);
          break;
        case FieldType::boolean:
          CHECK(p.at("type") == "boolean");
          break;
      }
    }
  }
}
