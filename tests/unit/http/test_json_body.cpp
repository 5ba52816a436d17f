// How every request body is read (routes.hpp): a key given twice in one object, at any depth,
// is named by its path and refused; a Content-Type's charset parameter, as json_body checks it.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "routes.hpp"

using namespace pvmon;
using nlohmann::json;

namespace {

std::vector<std::string> duplicates(const std::string& text) {
  auto r = http::parse_json_text(text);
  std::vector<std::string> out;
  if (!r)
    for (const auto& f : r.error().fields) out.push_back(f.field);
  return out;
}

}  // namespace

TEST_CASE("parse_json_text: a key given twice is a 400 naming it by its path, at any depth") {
  auto ok = http::parse_json_text(R"({"a": 1, "b": {"a": 2}, "c": [{"a": 3}, {"a": 4}]})");
  REQUIRE(ok);
  CHECK(ok.value()["c"][1]["a"] == 4);

  auto top = http::parse_json_text(R"({"grade": 3, "grade": 1})");
  REQUIRE_FALSE(top);
  CHECK(top.error().code == Errc::malformed);
  CHECK(top.error().fields == std::vector<FieldError>{{"grade", "appears more than once in its object"}});
  CHECK(top.error().message == "duplicate key in the JSON body: grade");

  CHECK(duplicates(R"({"serious": {"death": false, "death": true}})") == std::vector<std::string>{"serious.death"});
  CHECK(duplicates(R"({"results": [{"test": "ALT"}, {"unit": "U/L", "unit": "IU/L"}]})") ==
        std::vector<std::string>{"results.1.unit"});
  CHECK(duplicates(R"([1, [2, {"x": {"y": 1, "y": 2}}]])") == std::vector<std::string>{"1.1.x.y"});
  // Every one, in the order given; the same key in sibling objects is no duplicate.
  CHECK(duplicates(R"({"a": 1, "b": {"c": 1, "c": 2}, "a": {"d": 1}, "e": [], "e": []})") ==
        std::vector<std::string>{"b.c", "a", "e"});
  CHECK(duplicates(R"([{"a": 1}, {"a": 1}])").empty());
  // Keys compare as decoded: "\u0061" is "a".
  CHECK(duplicates(R"({"a": 1, "\u0061": 2})") == std::vector<std::string>{"a"});
  // At most 20 are named, whatever is sent.
  std::string many = "{";
  for (int i = 0; i < 100; ++i) many += std::string(i ? "," : "") + "\"k\": 1";
  CHECK(duplicates(many + "}").size() == 20);
}

TEST_CASE("parse_json_text: malformed JSON is still named by its byte offset") {
  auto bad = http::parse_json_text(R"({"a": 1, "a": )");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == Errc::malformed);
  CHECK(bad.error().fields.at(0).field == "body");
  CHECK(bad.error().fields.at(0).message.find("malformed JSON at byte") == 0);
}

TEST_CASE("parse_json_text: linear in an array of many objects") {
  // nlohmann's parser callback rescans the parent array at each object's end: quadratic (40,000
  // empty objects took 1.5 s that way, so 200,000 would take over 30 s; a 1 MiB body holds 350,000).
  std::string big = "[";
  for (int i = 0; i < 200'000; ++i) big += i ? ",{}" : "{}";
  big += "]";
  auto r = http::parse_json_text(big);
  REQUIRE(r);
  CHECK(r.value().size() == 200'000);
}

TEST_CASE("charset_of: the charset parameter of a Content-Type, as json_body reads it") {
  CHECK_FALSE(http::charset_of("application/json"));
  CHECK_FALSE(http::charset_of("application/fhir+json; fhirVersion=4.0"));
  CHECK(http::charset_of("application/json; charset=utf-8") == "utf-8");
  CHECK(http::charset_of("application/json;charset=UTF-8") == "utf-8");
  CHECK(http::charset_of("application/json; Charset=\"Utf-8\"") == "utf-8");
  CHECK(http::charset_of("application/json; charset=latin1") == "latin1");
  CHECK(http::charset_of("application/json; charset = ISO-8859-1 ; x=y") == "iso-8859-1");
  CHECK(http::charset_of("application/json; charset=") == "");
}
