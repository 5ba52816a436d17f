// pvmon webhooks: the webhook endpoints of a running pvmond, through its admin
// API (as `pvmon simulate` plays a trial through the public one): list them
// with their state, and re-enable one that a 410 disabled (audited by the
// daemon under the admin token's name).
#include "webhooks_cmd.hpp"

#include <httplib.h>

#include <cctype>
#include <fstream>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "commands.hpp"

namespace pvmon::cli {

using nlohmann::json;

namespace {

constexpr const char* kWebhooksHelp =
    "usage: pvmon webhooks list --url URL --token-file FILE [--json]\n"
    "       pvmon webhooks enable NAME --url URL --token-file FILE [--comment "
    "TEXT]\n"
    "Talks to a running pvmond (GET /v1/webhooks/endpoints, POST\n"
    "/v1/webhooks/endpoints/NAME/enable) with an admin token. FILE holds the "
    "token alone, or\n"
    "'NAME TOKEN' lines of which the 'admin' one is used (the file `pvmon "
    "simulate` takes).\n"
    "list: each endpoint, enabled or disabled (by a 410 or the configuration), "
    "since when and why,\n"
    "messages pending, the last attempt. enable: re-enables an endpoint a 410 "
    "Gone disabled; the\n"
    "messages that met the 410 go first, then those held behind them, in "
    "order.\n";

struct WebhookArgs {
  std::string action, name, url, token_file, comment;
  bool raw = false;
};

std::optional<std::string> parse(const Args& a, WebhookArgs& out) {
  if (a.empty()) return "expected 'list' or 'enable NAME'";
  out.action = a[0];
  std::size_t i = 1;
  if (out.action == "enable") {
    if (a.size() < 2 || a[1].starts_with("--")) return "enable needs the endpoint's NAME";
    out.name = a[1];
    i = 2;
  } else if (out.action != "list") {
    return "unknown subcommand '" + out.action + "' (list, enable NAME)";
  }
  for (; i < a.size(); ++i) {
    const std::string& k = a[i];
    if (k == "--json" && out.action == "list") {
      out.raw = true;
      continue;
    }
    if (i + 1 >= a.size()) return k + " needs a value";
    const std::string& v = a[++i];
    if (k == "--url")
      out.url = v;
    else if (k == "--token-file")
      out.token_file = v;
    else if (k == "--comment" && out.action == "enable")
      out.comment = v;
    else
      return "unknown option " + k;
  }
  if (out.url.empty()) return "--url is required";
  if (out.token_file.empty()) return "--token-file is required";
  if (!out.url.starts_with("http://") && !out.url.starts_with("https://"))
    return "--url must start with http:// or https://";
  while (!out.url.empty() && out.url.back() == '/') out.url.pop_back();
  return std::nullopt;
}

/// The admin token: the file's only word, or the TOKEN of its 'admin TOKEN'
/// line ('#' starts a comment). The token never appears in a message.
std::optional<std::string> read_admin_token(const std::string& file, std::string& problem) {
  std::ifstream in(file);
  if (!in) {
    problem = "cannot read " + file;
    return std::nullopt;
  }
  std::vector<std::vector<std::string>> lines;
  std::string line;
  while (std::getline(in, line)) {
    if (auto h = line.find('#'); h != std::string::npos) line.resize(h);
    std::istringstream ss(line);
    std::vector<std::string> words;
    for (std::string w; ss >> w;) words.push_back(w);
    if (!words.empty()) lines.push_back(std::move(words));
  }
  if (lines.size() == 1 && lines[0].size() == 1) return lines[0][0];
  for (const auto& w : lines)
    if (w.size() == 2 && w[0] == "admin") return w[1];
  problem = file + ": expected the admin token alone, or an 'admin TOKEN' line";
  return std::nullopt;
}


std::string text_or(const json& j, const char* key, const char* none = "-") {
  if (!j.contains(key) || j[key].is_null()) return none;
  return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
}

void print_table(const json& items, std::ostream& out) {
  out << std::left << std::setw(20) << "NAME" << std::setw(10) << "STATE" << std::setw(26)
      << "SINCE" << std::setw(9) << "PENDING" << std::setw(26) << "LAST DELIVERED"
      << "LAST ATTEMPT / WHY\n";
  for (const auto& e : items) {
    std::string state = text_or(e, "state");
    if (!e["disabled_by"].is_null()) state += "(" + e["disabled_by"].get<std::string>() + ")";
    std::string last = "-";
    if (e["last_attempt"].is_object()) {
      const json& a = e["last_attempt"];
      last = text_or(a, "at") + " " + text_or(a, "outcome");
      if (!a["error"].get<std::string>().empty()) last += ": " + a["error"].get<std::string>();
    }
    const std::int64_t waiting = e.value("pending", 0) + e.value("gone", 0);
    out << std::left << std::setw(20) << text_or(e, "name") << std::setw(10) << state
        << std::setw(26) << text_or(e, "since") << std::setw(9) << waiting << std::setw(26)
        << text_or(e, "last_delivered_at") << last << "\n";
    if (e["state"] == "disabled" && !e["why"].is_null())
      out << "    why: " << e["why"].get<std::string>() << "\n";
  }
}

}  // namespace

int cmd_webhooks(const Args& args, std::ostream& out, std::ostream& err) {
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    out << kWebhooksHelp;
    return 0;
  }
  WebhookArgs a;
  if (auto problem = parse(args, a)) {
    err << "pvmon webhooks: " << *problem << "\n" << kWebhooksHelp;
    return 2;
  }
  std::string problem;
  const auto token = read_admin_token(a.token_file, problem);
  if (!token) {
    err << "pvmon webhooks: " << problem << "\n";
    return 2;
  }
  httplib::Client client(a.url);
  client.set_connection_timeout(5);
  client.set_read_timeout(30);
  const httplib::Headers headers{{"Authorization", "Bearer " + *token}};
  if (a.action == "list") {
    auto r = client.Get("/v1/webhooks/endpoints", headers);
    if (!r || r->status != 200) {
      err << "pvmon webhooks list: " << describe_answer(r) << "\n";
      return 1;
    }
    const json body = json::parse(r->body, nullptr, false);
    if (!body.is_object() || !body.contains("items")) {
      err << "pvmon webhooks list: the answer is not an endpoint list\n";
      return 1;
    }
    if (a.raw) {
      out << body.dump(2) << "\n";
    } else {
      print_table(body["items"], out);
    }
    return 0;
  }
  // The name goes into the path: only what an endpoint name may be (config: an
  // id).
  for (unsigned char ch : a.name)
    if (!(std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.')) {
      err << "pvmon webhooks enable: NAME may hold only letters, digits, '-', "
             "'_' and '.'\n";
      return 2;
    }
  const std::string body = a.comment.empty() ? std::string() : json{{"comment", a.comment}}.dump();
  auto r = client.Post("/v1/webhooks/endpoints/" + a.name + "/enable", headers, body,
                       "application/json");
  if (!r || r->status != 200) {
    err << "pvmon webhooks enable: " << describe_answer(r) << "\n";
    return 1;
  }
  const json j = json::parse(r->body, nullptr, false);
  out << "endpoint " << a.name << " enabled at " << text_or(j, "enabled_at") << " (disabled since "
      << text_or(j, "was_disabled_at") << ": " << text_or(j, "was_disabled_why") << "); "
      << text_or(j, "pending", "0") << " message(s) pending, sent in order\n";
  if (j.contains("note")) out << "note: " << j["note"].get<std::string>() << "\n";
  return 0;
}

}  // namespace pvmon::cli
