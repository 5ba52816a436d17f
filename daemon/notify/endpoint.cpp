#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

#include "pvmon/notify.hpp"

namespace pvmon::notify {

namespace {
std::string text_field(const nlohmann::json& obj, const char* key) {
  if (!obj.is_object()) return {};
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return {};
  if (it->is_string()) return it->get<std::string>();
  return it->dump();
}

// Slack treats &, < and > as control characters in message text ("Formatting text for app
// surfaces", api.slack.com, "Escaping text"): escape exactly these three.
std::string slack_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  });
  return s;
}
}  // namespace

std::optional<int> severity_rank(std::string_view severity) {
  if (severity == "info") return 0;
  if (severity == "high") return 1;
  if (severity == "critical") return 2;
  return std::nullopt;
}

bool is_alert(std::string_view event_type) { return event_type.starts_with("alert."); }

bool subscribes(const Endpoint& endpoint, std::string_view event_type, std::string_view severity) {
  if (endpoint.disabled) return false;
  const bool typed = std::any_of(endpoint.events.begin(), endpoint.events.end(),
                                 [&](const std::string& e) { return e == "*" || e == event_type; });
  if (!typed) return false;
  if (!is_alert(event_type)) return true;
  const int have = severity_rank(severity).value_or(2);
  const int need = severity_rank(endpoint.min_severity).value_or(0);
  return have >= need;
}

std::string render_body(const Endpoint& endpoint, const nlohmann::json& event,
                        std::optional<std::int64_t> sequence) {
  using nlohmann::json;
  if (endpoint.format == Endpoint::Format::standard) {
    // Compact, and what is signed is exactly what is sent: the sequence in the body is covered
    // by the signature, the webhook-sequence header is not.
    if (!sequence || !event.is_object()) return event.dump(-1, ' ', false, json::error_handler_t::replace);
    json numbered = event;
    numbered["sequence"] = *sequence;
    return numbered.dump(-1, ' ', false, json::error_handler_t::replace);
  }
  const json empty = json::object();
  const json& data = event.is_object() && event.contains("data") ? event["data"] : empty;
  std::string severity = text_field(data, "severity");
  std::string title = text_field(data, "title");
  const std::string type = text_field(event, "type");
  if (title.empty()) title = type;
  std::string text = "[" + upper(severity.empty() ? std::string("info") : severity) + "] " + title;
  const std::string study = text_field(data, "study");
  const std::string subject = text_field(data, "subject");
  if (!study.empty()) text += " | study " + study;
  if (!subject.empty()) text += " | subject " + subject;
  if (!type.empty() && type != title) text += " (" + type + ")";
  return json{{"text", slack_escape(text)}}.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<Url> parse_url(std::string_view url) {
  auto bad = [](std::string message) {
    return Error::field(Errc::invalid, "url", std::move(message));
  };
  const auto sep = url.find("://");
  if (sep == std::string_view::npos) return bad("webhook URL must start with http:// or https://");
  std::string scheme(url.substr(0, sep));
  if (scheme != "http" && scheme != "https") {
    return bad("webhook URL scheme must be http or https, not \"" + scheme + "\"");
  }
  std::string_view rest = url.substr(sep + 3);
  const auto slash = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, slash);
  std::string path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (!path.empty() && path.front() != '/') path.insert(path.begin(), '/');
  if (const auto hash = path.find('#'); hash != std::string::npos) path.resize(hash);
  if (authority.empty()) return bad("webhook URL has no host");
  // Credentials in a URL end up in logs and delivery listings; the signature authenticates.
  if (authority.find('@') != std::string_view::npos)
    return bad("webhook URL must not carry credentials");
  if (authority.find_first_of(" \t\r\n") != std::string_view::npos)
    return bad("webhook URL host contains whitespace");
  // RFC 3986 section 3.2.2: an IPv6 literal is in brackets; the port follows the last ':'.
  std::string_view host = authority;
  std::string_view port_text;
  if (authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return bad("webhook URL has an unclosed [IPv6] host");
    host = authority.substr(1, close - 1);
    std::string_view rest_after = authority.substr(close + 1);
    if (!rest_after.empty()) {
      if (rest_after.front() != ':') return bad("webhook URL has text after its [IPv6] host");
      port_text = rest_after.substr(1);
    }
  } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port_text = authority.substr(colon + 1);
  }
  if (host.empty()) return bad("webhook URL has no host");
  int port = scheme == "https" ? 443 : 80;
  if (!port_text.empty()) {
    int n = 0;
    const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), n);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || n < 1 || n > 65535)
      return bad("webhook URL port must be a number from 1 to 65535");
    port = n;
  }
  return Url{scheme, scheme + "://" + std::string(authority), path, std::string(host), port};
}

std::string_view to_string(Outcome o) {
  switch (o) {
    case Outcome::delivered:
      return "delivered";
    case Outcome::retry:
      return "retry";
    case Outcome::dead_letter:
      return "dead_letter";
    case Outcome::endpoint_gone:
      return "endpoint_gone";
  }
  return "unknown";
}

std::vector<Outgoing> route(const std::vector<Endpoint>& endpoints, const nlohmann::json& event,
                            std::string_view severity, const NextSequence& next_sequence,
                            std::string_view except) {
  std::vector<Outgoing> out;
  const std::string type = event.value("type", "");
  for (const auto& ep : endpoints) {
    if (ep.name == except || !subscribes(ep, type, severity)) continue;
    const std::int64_t seq = next_sequence(ep.name);
    out.push_back({ep.name, seq, render_body(ep, event, seq)});
  }
  return out;
}

nlohmann::json alert_event(const AlertEvent& a, const nlohmann::json& details, Timestamp now) {
  using nlohmann::json;
  return json{{"type", "alert." + a.rule},
              {"timestamp", format_timestamp(now)},
              {"data",
               {{"alert_id", a.alert_id},
                {"study", a.study},
                {"rule", a.rule},
                {"severity", a.severity},
                {"title", a.escalation ? "[unacknowledged, re-sent " + std::to_string(a.escalation) +
                                             "] " + a.title
                                       : a.title},
                {"subject", a.subject},
                {"report", a.report ? json(*a.report) : json(nullptr)},
                {"escalation", a.escalation},
                {"details", details}}}};
}

}  // namespace pvmon::notify
