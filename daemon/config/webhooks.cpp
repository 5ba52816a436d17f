#include "webhooks.hpp"

#include <algorithm>
#include <chrono>
#include <set>
#include <string_view>

namespace pvmon::config {

using nlohmann::json;

namespace {

constexpr std::string_view kCredentialsDir = "${CREDENTIALS_DIRECTORY}";
constexpr std::string_view kSecretPrefix = "whsec_";

// Files written by `echo` or an editor end in a newline; base64 never contains whitespace.
std::string trim_right(std::string s) {
  while (!s.empty() &&
         (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' || s.back() == '\t'))
    s.pop_back();
  return s;
}

// A secret pasted where a path or a variable name belongs must not come back in an error.
// Secrets are base64 of at least 24 bytes (32+ characters, no '.'); real paths and variable
// names are rarely that long without a '.', and such a value is merely not shown.
bool may_be_secret(const std::string& s) {
  if (s.starts_with(kSecretPrefix)) return true;
  if (s.size() < 32) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/' || c == '=' || c == '-' || c == '_';
  });
}

std::string shown(const std::string& s) {
  return may_be_secret(s) ? "(not shown: it looks like a secret)" : s;
}

bool env_name(const std::string& s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  for (char c : s)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
      return false;
  return true;
}

std::optional<std::string> secret_from_file(FieldReader& item, const GetEnv& getenv,
                                            const ReadFile& read_file) {
  auto path = item.string("secret_file", true, 4096);
  if (!path) return std::nullopt;
  // The commonest slip: the secret pasted where its path belongs. Say so without echoing it.
  if (path->starts_with(kSecretPrefix)) {
    item.error("secret_file",
               "holds a secret, not a path: put the secret in a file (or use secret_env) and "
               "name the file here");
    return std::nullopt;
  }
  std::string file = *path;
  // systemd's LoadCredential= puts the file under $CREDENTIALS_DIRECTORY, whose path is known
  // only when the service starts, so the config names it symbolically.
  if (file.starts_with(kCredentialsDir)) {
    const auto dir = getenv(std::string("CREDENTIALS_DIRECTORY"));
    if (!dir || dir->empty()) {
      item.error("secret_file",
                 "starts with ${CREDENTIALS_DIRECTORY} but CREDENTIALS_DIRECTORY is not set "
                 "(systemd sets it for a unit with LoadCredential=)");
      return std::nullopt;
    }
    std::string rest = file.substr(kCredentialsDir.size());
    if (!rest.empty() && rest.front() != '/') rest.insert(rest.begin(), '/');
    file = *dir + rest;
  } else if (file.find("${") != std::string::npos) {
    item.error("secret_file", "may use only ${CREDENTIALS_DIRECTORY}, as its first part");
    return std::nullopt;
  }
  auto text = read_file(file);
  if (!text) {
    // read_file's own message names the path: use it only when the path is safe to show.
    item.error("secret_file", may_be_secret(file) ? "file " + shown(file) + " cannot be read"
                                                  : text.error().message);
    return std::nullopt;
  }
  const std::string value = trim_right(std::move(text.value()));
  if (value.empty()) {
    item.error("secret_file", "file " + shown(file) + " is empty");
    return std::nullopt;
  }
  auto raw = notify::parse_secret(value);
  if (!raw) {
    item.error("secret_file", "file " + shown(file) + ": " + raw.error().message);
    return std::nullopt;
  }
  return std::move(raw.value());
}

std::optional<std::string> secret_from_env(FieldReader& item, const GetEnv& getenv) {
  auto name = item.string("secret_env", true, 256);
  if (!name) return std::nullopt;
  if (name->starts_with(kSecretPrefix)) {
    item.error("secret_env",
               "holds a secret, not a variable name: set the secret in the environment and name "
               "the variable here");
    return std::nullopt;
  }
  if (!env_name(*name)) {
    item.error("secret_env", "must be an environment variable name (letters, digits and _)");
    return std::nullopt;
  }
  const auto value = getenv(*name);
  if (!value) {
    item.error("secret_env", "environment variable " + shown(*name) + " is not set");
    return std::nullopt;
  }
  const std::string trimmed = trim_right(*value);
  if (trimmed.empty()) {
    item.error("secret_env", "environment variable " + shown(*name) + " is empty");
    return std::nullopt;
  }
  auto raw = notify::parse_secret(trimmed);
  if (!raw) {
    item.error("secret_env", "environment variable " + shown(*name) + ": " + raw.error().message);
    return std::nullopt;
  }
  return std::move(raw.value());
}

std::optional<std::string> secret(FieldReader& item, const GetEnv& getenv,
                                  const ReadFile& read_file) {
  const bool file = item.get("secret_file", false) != nullptr;
  const bool env = item.get("secret_env", false) != nullptr;
  if (file && env) {
    item.error("secret_env", "give only one of secret_file and secret_env");
    return std::nullopt;
  }
  if (!file && !env) {
    item.error("secret_file",
               "is required, or secret_env: where the endpoint's whsec_ signing secret is");
    return std::nullopt;
  }
  return file ? secret_from_file(item, getenv, read_file) : secret_from_env(item, getenv);
}

std::vector<std::string> events(FieldReader& item, std::vector<FieldError>& errs) {
  std::vector<std::string> out;
  const json* v = item.get("events", true);
  if (!v) return out;
  if (v->is_string() && v->get_ref<const std::string&>() == "*") return {"*"};
  if (!v->is_array()) {
    item.error("events", "must be an array of event types, or \"*\" for all");
    return out;
  }
  if (v->empty()) {
    item.error("events", "must name at least one event type, or \"*\" for all");
    return out;
  }
  for (std::size_t i = 0; i < v->size(); ++i) {
    const json& e = (*v)[i];
    const bool ok =
        e.is_string() && !e.get_ref<const std::string&>().empty() &&
        e.get_ref<const std::string&>().size() <= 100 &&
        std::all_of(e.get_ref<const std::string&>().begin(), e.get_ref<const std::string&>().end(),
                    [](unsigned char c) { return c > 0x20 && c < 0x7F; });
    if (!ok)
      errs.push_back({item.path("events") + "." + std::to_string(i),
                      "must be an event type such as \"alert.sae\", or \"*\""});
    else
      out.push_back(e.get<std::string>());
  }
  return out;
}

}  // namespace

void parse_webhooks(FieldReader& r, const std::string& key, std::vector<notify::Endpoint>& out,
                    std::vector<FieldError>& errs, const GetEnv& getenv,
                    const ReadFile& read_file) {
  const json* arr = r.get(key, false);
  if (!arr) return;
  if (!arr->is_array()) {
    r.error(key, "must be an array of endpoint objects");
    return;
  }
  std::set<std::string> names;
  for (std::size_t i = 0; i < arr->size(); ++i) {
    const std::string p = r.path(key) + "." + std::to_string(i);
    if (!(*arr)[i].is_object()) {
      errs.push_back({p, "must be an object"});
      continue;
    }
    const std::size_t errors_before = errs.size();
    FieldReader item((*arr)[i], p, errs);
    notify::Endpoint e;
    if (auto v = item.id("name", true, 64)) {
      e.name = *v;
      if (!names.insert(e.name).second) item.error("name", "is a duplicate");
    }
    if (auto v = item.string("url", true, 2048)) {
      if (auto url = notify::parse_url(*v); !url)
        item.error("url", url.error().message);
      else
        e.url = *v;
    }
    if (auto raw = secret(item, getenv, read_file)) e.secret_raw = std::move(*raw);
    e.events = events(item, errs);
    if (auto v = item.one_of("min_severity", false,
                             std::vector<std::string>{"info", "high", "critical"}))
      e.min_severity = *v;
    if (auto v = item.one_of("format", false, std::vector<std::string>{"standard", "slack"}))
      e.format =
          *v == "slack" ? notify::Endpoint::Format::slack : notify::Endpoint::Format::standard;
    e.connect_timeout = std::chrono::milliseconds(
        item.integer("connect_timeout_ms", false, 100, 60'000).value_or(2'000));
    e.read_timeout = std::chrono::milliseconds(
        item.integer("read_timeout_ms", false, 100, 120'000).value_or(10'000));
    // Lets an operator park an endpoint without deleting it (and its secret) from the config.
    e.disabled = item.boolean("disabled", false).value_or(false);
    item.finish();
    if (errs.size() == errors_before) out.push_back(std::move(e));
  }
}

}  // namespace pvmon::config
