#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "pvmon/config.hpp"
#include "pvmon/crypto.hpp"
#include "webhooks.hpp"

using namespace pvmon;
using namespace pvmon::config;
using nlohmann::json;
using notify::Endpoint;

namespace {

const std::string kRaw(32, '\x07');
const std::string kSecret = "whsec_" + crypto::base64_encode(kRaw);

// The injected environment and file system.
struct World {
  std::map<std::string, std::string> env{{"HOOK_SECRET", kSecret}};
  std::map<std::string, std::string> files{{"/etc/pvmon/hook.secret", kSecret + "\n"}};
};

struct ParsedWebhooks {
  std::vector<Endpoint> endpoints;
  std::vector<FieldError> errors;
  bool has(const std::string& path, const std::string& part) const {
    for (const auto& e : errors)
      if (e.field == path && e.message.find(part) != std::string::npos) return true;
    return false;
  }
  std::string dump() const {
    std::string s;
    for (const auto& e : errors) s += e.field + ": " + e.message + "\n";
    return s;
  }
};

ParsedWebhooks run(const json& doc, const World& w = {}) {
  ParsedWebhooks p;
  FieldReader r(doc, "", p.errors);
  parse_webhooks(
      r, "webhooks", p.endpoints, p.errors,
      [&](const std::string& name) -> std::optional<std::string> {
        auto it = w.env.find(name);
        return it == w.env.end() ? std::nullopt : std::optional<std::string>(it->second);
      },
      [&](const std::string& path) -> Result<std::string> {
        auto it = w.files.find(path);
        if (it == w.files.end()) return Error::of(Errc::not_found, path + ": cannot be read");
        return it->second;
      });
  r.finish();
  return p;
}

json endpoint() {
  return {{"name", "officers"},
          {"url", "https://hooks.example.org/pvmon"},
          {"secret_env", "HOOK_SECRET"},
          {"events", {"alert.sae", "alert.death"}}};
}

json one(const json& e) { return {{"webhooks", json::array({e})}}; }

json with(json e, const std::string& key, const json& value) {
  if (value.is_null())
    e.erase(key);
  else
    e[key] = value;
  return e;
}

}  // namespace

TEST_CASE("webhooks: a valid endpoint, with every option and with the defaults") {
  json full = endpoint();
  full["min_severity"] = "high";
  full["format"] = "slack";
  full["connect_timeout_ms"] = 500;
  full["read_timeout_ms"] = 3000;
  full["disabled"] = true;
  json minimal = {{"name", "ops"},
                  {"url", "http://127.0.0.1:9000/hook"},
                  {"secret_file", "/etc/pvmon/hook.secret"},
                  {"events", "*"}};
  auto p = run({{"webhooks", {full, minimal}}});
  REQUIRE_MESSAGE(p.errors.empty(), p.dump());
  REQUIRE(p.endpoints.size() == 2);
  const Endpoint& a = p.endpoints[0];
  CHECK(a.name == "officers");
  CHECK(a.url == "https://hooks.example.org/pvmon");
  CHECK(a.secret_raw == kRaw);
  CHECK(a.events == std::vector<std::string>{"alert.sae", "alert.death"});
  CHECK(a.min_severity == "high");
  CHECK(a.format == Endpoint::Format::slack);
  CHECK(a.connect_timeout == std::chrono::milliseconds(500));
  CHECK(a.read_timeout == std::chrono::milliseconds(3000));
  CHECK(a.disabled);
  const Endpoint& b = p.endpoints[1];
  CHECK(b.secret_raw == kRaw);  // the file's trailing newline is not part of the secret
  CHECK(b.events == std::vector<std::string>{"*"});
  CHECK(b.min_severity == "info");
  CHECK(b.format == Endpoint::Format::standard);
  CHECK(b.connect_timeout == std::chrono::milliseconds(2000));
  CHECK(b.read_timeout == std::chrono::milliseconds(10000));
  CHECK_FALSE(b.disabled);

  CHECK(run(json::object()).endpoints.empty());
  CHECK(run(json::object()).errors.empty());
}

TEST_CASE("webhooks: the secret from systemd's credentials directory") {
  World w;
  w.env["CREDENTIALS_DIRECTORY"] = "/run/credentials/pvmond.service";
  w.files["/run/credentials/pvmond.service/webhook"] = kSecret + "\r\n";
  auto p = run(one(with(with(endpoint(), "secret_env", nullptr), "secret_file",
                        "${CREDENTIALS_DIRECTORY}/webhook")),
               w);
  REQUIRE_MESSAGE(p.errors.empty(), p.dump());
  REQUIRE(p.endpoints.size() == 1);
  CHECK(p.endpoints[0].secret_raw == kRaw);

  w.env.erase("CREDENTIALS_DIRECTORY");
  auto unset = run(one(with(with(endpoint(), "secret_env", nullptr), "secret_file",
                            "${CREDENTIALS_DIRECTORY}/webhook")),
                   w);
  CHECK_MESSAGE(unset.has("webhooks.0.secret_file", "CREDENTIALS_DIRECTORY is not set"),
                unset.dump());
  CHECK(unset.endpoints.empty());
}

TEST_CASE("webhooks: every problem, named by its path") {
  const json e = endpoint();
  const json no_secret = with(e, "secret_env", nullptr);
  const std::string short_secret = "whsec_" + crypto::base64_encode(std::string(16, 'x'));
  struct Case {
    const char* what;
    json doc;
    World world;
    const char* path;
    const char* message;
  };
  World unset_env;
  unset_env.env.clear();
  World bad_base64;
  bad_base64.env["HOOK_SECRET"] = "whsec_not*base64";
  World no_prefix;
  no_prefix.env["HOOK_SECRET"] = crypto::base64_encode(kRaw);
  World too_short;
  too_short.env["HOOK_SECRET"] = short_secret;
  World empty_file;
  empty_file.files["/etc/pvmon/empty"] = "\n";
  World bad_file;
  bad_file.files["/etc/pvmon/bad"] = "whsec_@@@\n";
  const std::vector<Case> cases = {
      {"not an array", {{"webhooks", e}}, {}, "webhooks", "must be an array"},
      {"not an object", {{"webhooks", {"x"}}}, {}, "webhooks.0", "must be an object"},
      {"no name", one(with(e, "name", nullptr)), {}, "webhooks.0.name", "is required"},
      {"name with a space", one(with(e, "name", "a b")), {}, "webhooks.0.name", "printable ASCII"},
      {"duplicate name", {{"webhooks", {e, e}}}, {}, "webhooks.1.name", "is a duplicate"},
      {"no url", one(with(e, "url", nullptr)), {}, "webhooks.0.url", "is required"},
      {"ftp url", one(with(e, "url", "ftp://h/x")), {}, "webhooks.0.url", "http or https"},
      {"url without host", one(with(e, "url", "https:///x")), {}, "webhooks.0.url", "no host"},
      {"url with credentials",
       one(with(e, "url", "https://u:p@h/x")),
       {},
       "webhooks.0.url",
       "credentials"},
      {"no secret", one(no_secret), {}, "webhooks.0.secret_file", "is required, or secret_env"},
      {"both secrets",
       one(with(e, "secret_file", "/etc/pvmon/hook.secret")),
       {},
       "webhooks.0.secret_env",
       "only one of"},
      {"env unset", one(e), unset_env, "webhooks.0.secret_env", "HOOK_SECRET is not set"},
      {"env name",
       one(with(e, "secret_env", "HOOK-SECRET")),
       {},
       "webhooks.0.secret_env",
       "environment variable name"},
      {"env not base64", one(e), bad_base64, "webhooks.0.secret_env", "not valid standard base64"},
      {"env no prefix", one(e), no_prefix, "webhooks.0.secret_env", "must start with \"whsec_\""},
      {"env too short", one(e), too_short, "webhooks.0.secret_env", "24..64 bytes, got 16"},
      {"file missing",
       one(with(no_secret, "secret_file", "/nope")),
       {},
       "webhooks.0.secret_file",
       "/nope: cannot be read"},
      {"file empty", one(with(no_secret, "secret_file", "/etc/pvmon/empty")), empty_file,
       "webhooks.0.secret_file", "is empty"},
      {"file not base64", one(with(no_secret, "secret_file", "/etc/pvmon/bad")), bad_file,
       "webhooks.0.secret_file", "/etc/pvmon/bad: webhook secret after"},
      {"other variable",
       one(with(no_secret, "secret_file", "${HOME}/s")),
       {},
       "webhooks.0.secret_file",
       "only ${CREDENTIALS_DIRECTORY}"},
      {"no events", one(with(e, "events", nullptr)), {}, "webhooks.0.events", "is required"},
      {"empty events",
       one(with(e, "events", json::array())),
       {},
       "webhooks.0.events",
       "at least one"},
      {"events a string",
       one(with(e, "events", "alert.sae")),
       {},
       "webhooks.0.events",
       "must be an array"},
      {"blank event",
       one(with(e, "events", {"alert.sae", ""})),
       {},
       "webhooks.0.events.1",
       "event type"},
      {"event a number",
       one(with(e, "events", json::array({7}))),
       {},
       "webhooks.0.events.0",
       "event type"},
      {"severity",
       one(with(e, "min_severity", "severe")),
       {},
       "webhooks.0.min_severity",
       "one of: info, high, critical"},
      {"format",
       one(with(e, "format", "teams")),
       {},
       "webhooks.0.format",
       "one of: standard, slack"},
      {"connect timeout",
       one(with(e, "connect_timeout_ms", 50)),
       {},
       "webhooks.0.connect_timeout_ms",
       "from 100 to 60000"},
      {"read timeout",
       one(with(e, "read_timeout_ms", 200000)),
       {},
       "webhooks.0.read_timeout_ms",
       "from 100 to 120000"},
      {"timeout text",
       one(with(e, "read_timeout_ms", "10s")),
       {},
       "webhooks.0.read_timeout_ms",
       "must be an integer"},
      {"disabled text",
       one(with(e, "disabled", "yes")),
       {},
       "webhooks.0.disabled",
       "true or false"},
      {"unknown key", one(with(e, "secret", "x")), {}, "webhooks.0.secret", "unknown field"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what);
    auto p = run(c.doc, c.world);
    CHECK_MESSAGE(p.has(c.path, c.message), p.dump());
    // An endpoint with any problem is not loaded.
    CHECK(p.endpoints.size() == (std::string(c.what) == "duplicate name" ? 1u : 0u));
  }
}

TEST_CASE("webhooks: no error message ever contains the secret") {
  const std::string b64 = kSecret.substr(6);
  const json e = endpoint();
  const json no_secret = with(e, "secret_env", nullptr);
  World w;
  w.env["BAD"] = kSecret + "!";
  w.env["SHORT"] = kSecret.substr(0, 20);
  w.files["/etc/pvmon/bad"] = kSecret + "$\n";
  const std::vector<json> docs = {
      one(with(e, "secret_env", kSecret)),  // the secret pasted where its name belongs
      one(with(e, "secret_env", b64)),
      one(with(no_secret, "secret_file", kSecret)),
      one(with(no_secret, "secret_file", b64)),
      one(with(e, "secret_env", "BAD")),
      one(with(e, "secret_env", "SHORT")),
      one(with(no_secret, "secret_file", "/etc/pvmon/bad")),
      one(with(e, "secret", kSecret)),
      one(with(with(e, "secret_file", kSecret), "secret_env", kSecret)),
  };
  for (std::size_t i = 0; i < docs.size(); ++i) {
    CAPTURE(i);
    auto p = run(docs[i], w);
    CHECK_FALSE(p.errors.empty());
    CHECK(p.endpoints.empty());
    for (const auto& err : p.errors) {
      CHECK(err.message.find(b64.substr(0, 16)) == std::string::npos);
      CHECK(err.field.find(b64.substr(0, 16)) == std::string::npos);
    }
  }
}

TEST_CASE("webhooks in pvmond.json: loaded by parse(), errors as JSON pointers") {
  const auto dir =
      std::filesystem::temp_directory_path() / ("pvmon-webhooks-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "hook.secret") << kSecret << "\n";
  ::setenv("PVMON_TEST_HOOK_SECRET", kSecret.c_str(), 1);
  const std::string study = std::string(PVMON_SOURCE_DIR) + "/config/studies/hcc-pvtt-imrt.json";
  auto text = [&](const json& hooks) {
    return json{{"listen", "127.0.0.1:0"},
                {"data_dir", "state"},
                {"principals", json::array()},
                {"studies", {study}},
                {"webhooks", hooks}}
        .dump();
  };
  const json hooks = {{{"name", "a"},
                       {"url", "https://a.example/h"},
                       {"secret_env", "PVMON_TEST_HOOK_SECRET"},
                       {"events", "*"}},
                      {{"name", "b"},
                       {"url", "https://b.example/h"},
                       {"secret_file", "hook.secret"},  // relative to the config's folder
                       {"events", {"alert.sae"}}}};
  auto c = parse(text(hooks), "pvmond.json", dir.string());
  REQUIRE_MESSAGE(c, (c ? "" : c.error().message));
  REQUIRE(c->webhooks.size() == 2);
  CHECK(c->webhooks[0].secret_raw == kRaw);
  CHECK(c->webhooks[1].secret_raw == kRaw);

  json bad = hooks;
  bad[1]["url"] = "gopher://b.example/";
  auto e = parse(text(bad), "pvmond.json", dir.string());
  REQUIRE_FALSE(e);
  CHECK(e.error().message.find("pvmond.json: /webhooks/1/url: ") != std::string::npos);
  ::unsetenv("PVMON_TEST_HOOK_SECRET");
  std::filesystem::remove_all(dir);
}
