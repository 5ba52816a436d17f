#include "pvmon/service/cutoff.hpp"
#include "routes.hpp"

#include <charconv>
#include <set>
#include <string_view>

#include "pvmon/crypto.hpp"
#include "pvmon/intake.hpp"
#include "pvmon/interop.hpp"
#include "pvmon/service/ae.hpp"
#include "pvmon/service/subjects.hpp"
#include "pvmon/store/storage.hpp"

namespace pvmon::http {

extern const std::string_view kOpenApiDocument;  // openapi.cpp, generated from openapi.json

using config::Role;
using nlohmann::json;

std::string media_type(const Request& req) {
  std::string ct = req.header("Content-Type");
  ct = ct.substr(0, ct.find(';'));
  while (!ct.empty() && ct.back() == ' ') ct.pop_back();
  for (auto& ch : ct) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return ct;
}

bool wants_fhir(const Request& req) {
  return req.header("Accept").find(interop::fhir::kMediaType) != std::string::npos;
}

interop::fhir::StudyContext fhir_context(const config::Study& st) {
  interop::fhir::StudyContext ctx{st.id, {}};
  for (const auto& iv : st.interventions) ctx.interventions.emplace_back(iv.id, iv.kind);
  return ctx;
}

std::optional<std::string> charset_of(std::string_view content_type) {
  auto trim = [](std::string_view v) {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    return v;
  };
  auto lower = [](std::string_view v) {
    std::string out(v);
    for (auto& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return out;
  };
  std::optional<std::string> found;
  // media-type *( ";" parameter ), parameter = name "=" ( token / quoted-string ) (RFC 9110 §8.3.1)
  for (std::size_t pos = content_type.find(';'); pos != std::string_view::npos;) {
    const std::size_t next = content_type.find(';', pos + 1);
    const std::string_view param =
        content_type.substr(pos + 1, next == std::string_view::npos ? next : next - pos - 1);
    pos = next;
    const std::size_t eq = param.find('=');
    if (eq == std::string_view::npos || lower(trim(param.substr(0, eq))) != "charset") continue;
    std::string_view value = trim(param.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    found = lower(value);
  }
  return found;
}

namespace {

/// A SAX pass naming every key given twice in one object, by its path ("serious.death",
/// "results.1.unit"). nlohmann's DOM parser keeps the last, and its parser callback would do
/// this at a cost quadratic in the size of an array of objects; SAX is linear.
class DuplicateKeys final : public nlohmann::json_sax<json> {
 public:
  static constexpr std::size_t kMaxNamed = 20;  // the problem document stays small whatever is sent
  std::vector<FieldError> found;

  bool null() override { return value(); }
  bool boolean(bool) override { return value(); }
  bool number_integer(number_integer_t) override { return value(); }
  bool number_unsigned(number_unsigned_t) override { return value(); }
  bool number_float(number_float_t, const string_t&) override { return value(); }
  bool string(string_t&) override { return value(); }
  bool binary(binary_t&) override { return value(); }
  bool start_object(std::size_t) override {
    open_.push_back({true, {}, {}, 0});
    return true;
  }
  bool key(string_t& k) override {
    Frame& f = open_.back();
    if (!f.keys.insert(k).second && found.size() < kMaxNamed)
      found.push_back({path_to(k), "appears more than once in its object"});
    f.key = k;
    return true;
  }
  bool end_object() override { return end(); }
  bool start_array(std::size_t) override {
    open_.push_back({false, {}, {}, 0});
    return true;
  }
  bool end_array() override { return end(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;  // the DOM parse before this one reported it
  }

 private:
  struct Frame {
    bool object = false;
    std::set<std::string> keys;  // an object's keys so far
    std::string key;             // an object's current key
    std::size_t index = 0;       // an array's current element
  };
  std::vector<Frame> open_;

  std::string path_to(const std::string& k) const {
    std::string p;
    for (std::size_t i = 0; i + 1 < open_.size(); ++i)
      p += (open_[i].object ? open_[i].key : std::to_string(open_[i].index)) + ".";
    return p + k;
  }
  bool value() {
    if (!open_.empty() && !open_.back().object) ++open_.back().index;
    return true;
  }
  bool end() {
    open_.pop_back();
    return value();
  }
};

}  // namespace

Result<json> parse_json_text(std::string_view text) {
  json out;
  try {
    out = json::parse(text);
  } catch (const json::parse_error& e) {
    return Error::field(Errc::malformed, "body",
                        "malformed JSON at byte " + std::to_string(e.byte) + ": " +
                            std::string(e.what()).substr(std::string(e.what()).find(':') + 2));
  }
  catch (const json::exception& e) {
    // A number beyond double (1e400) is out_of_range.406, not a parse_error.
    return Error::field(Errc::malformed, "body",
                        std::string("unreadable JSON: ") + std::string(e.what()).substr(std::string(e.what()).find(']') + 2));
  }
  // RFC 8259 §4: the names within an object SHOULD be unique; of two, which one a reader takes
  // is up to the reader. What the site meant cannot be known: refused, never guessed.
  DuplicateKeys dup;
  json::sax_parse(text, &dup);
  if (!dup.found.empty()) {
    std::string names;
    for (const auto& d : dup.found) names += (names.empty() ? "" : ", ") + d.field;
    return Error{Errc::malformed, "duplicate key in the JSON body: " + names, std::move(dup.found)};
  }
  return out;
}

Result<json> json_body(const Request& req, const std::string& media_wanted) {
  const std::string media = media_type(req);
  if (media != media_wanted)
    return Error::field(Errc::unsupported_media, "Content-Type",
                        "must be " + media_wanted + " (got '" + media + "')");
  // JSON is exchanged in UTF-8 (RFC 8259 §8.1): a body declared in another charset would be
  // read as UTF-8 all the same, its text silently other than the site's.
  if (const auto cs = charset_of(req.header("Content-Type")); cs && *cs != "utf-8")
    return Error::field(Errc::unsupported_media, "Content-Type",
                        "charset must be utf-8 (got '" + *cs + "'): JSON is exchanged in UTF-8");
  return parse_json_text(req.body);
}

Result<const config::Study*> find_site_study(const Call& c) {
  auto study = find_study(c, c.params[0]);
  if (study && !study.value()->has_site(c.principal.site))
    return Error::of(Errc::forbidden, "site " + c.principal.site + " is not in study " + c.params[0]);
  return study;
}

Result<const config::Study*> find_study(const Call& c, const std::string& id) {
  const config::Study* s = c.config->study(id);
  if (!s) return Error::field(Errc::not_found, "study", "no study '" + id + "'");
  return s;
}

Reply json_reply(int status, json body) {
  return Reply{status, std::move(body), {}, "application/json", {}};
}

store::Actor actor_of(const Call& c) { return store::Actor{c.principal.name, c.principal.site}; }

bool sees_site(const Principal& p, const std::string& site) {
  return p.role != Role::site || p.site == site;
}

Result<std::int64_t> parse_id(const std::string& s, const std::string& field) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v <= 0)
    return Error::field(Errc::not_found, field, "no such " + field);
  return v;
}

std::optional<std::int64_t> int_param(const Request& req, const char* name, std::int64_t lo,
                                      std::int64_t hi, std::vector<FieldError>& errs) {
  if (!req.has_param(name)) return std::nullopt;
  const auto v = req.param(name);
  std::int64_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size() || n < lo || n > hi) {
    errs.push_back({name, "must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi)});
    return std::nullopt;
  }
  return n;
}

Result<service::CutoffInput> cutoff_query(const Request& req) {
  auto param = [&](const char* name) -> std::optional<std::string> {
    if (!req.has_param(name)) return std::nullopt;
    return req.param(name);
  };
  const auto cutoff = param("cutoff"), as_of = param("as_of");
  auto q = service::parse_cutoff_input(cutoff, as_of);
  if (!q) return Error::invalid(q.error().fields, "invalid query parameters");
  return q;
}

std::optional<std::string> enum_param(const Request& req, const char* name,
                                      const std::vector<std::string>& allowed,
                                      std::vector<FieldError>& errs) {
  if (!req.has_param(name)) return std::nullopt;
  const auto v = req.param(name);
  for (const auto& a : allowed)
    if (a == v) return v;
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
  errs.push_back({name, "must be one of: " + list});
  return std::nullopt;
}

namespace {

Result<Reply> health(Call&) { return json_reply(200, {{"status", "ok"}}); }

Result<Reply> openapi(Call&) {
  return Reply{200, {}, {}, "application/json", std::string(kOpenApiDocument)};
}

Result<Reply> ready(Services& s, Call& c) {
  // The filesystem first: a chmod or a full disk does not show in a write transaction that
  // adds no page (the writer keeps its descriptors; the WAL grows only with data).
  if (auto fs = store::check_storage(c.config->database_path(), store::kMinFreeBytes); !fs)
    return Error::of(Errc::unavailable, "database not writable: " + fs.error().message);
  auto st = s.store.check_writable();
  if (!st) return Error::of(Errc::unavailable, "database not writable: " + st.error().message);
  return json_reply(200, {{"status", "ready"}, {"schema_version", s.store.schema_version()}});
}

Result<Reply> post_subject(Services&, Call& c) {
  auto study = find_site_study(c);
  if (!study) return study.error();
  auto body = json_body(c.req);
  if (!body) return body.error();
  auto stored = service::enrol_subject(c.context(), c.caller(), *study.value(), body.value());
  if (!stored) return stored.error();
  return json_reply(stored->created ? 201 : 200, stored->record);
}

Result<Reply> post_baseline(Services&, Call& c) {
  auto study = find_site_study(c);
  if (!study) return study.error();
  // Whose subject it is comes first: another site learns nothing, not even what it got wrong.
  if (auto own = service::own_subject_to_write(c.context(), c.caller(), *study.value(), c.params[1]); !own)
    return own.error();
  auto body = json_body(c.req);
  if (!body) return body.error();
  auto stored = service::add_baseline(c.context(), c.caller(), *study.value(), c.params[1], body.value());
  if (!stored) return stored.error();
  return json_reply(200, stored->record);
}

std::string ae_location(const Call& c, const json& record) {
  return "/v1/studies/" + c.params[0] + "/ae/" + std::to_string(record["id"].get<std::int64_t>());
}

Result<Reply> post_ae(Services&, Call& c) {
  auto study = find_site_study(c);
  if (!study) return study.error();
  if (media_type(c.req) == interop::fhir::kMediaType)
    return post_ae_fhir(c, *study.value(), "/v1/studies/" + c.params[0] + "/ae/");
  auto body = json_body(c.req);
  if (!body) return body.error();
  auto stored = service::accept_ae(c.context(), c.caller(), *study.value(), body.value());
  if (!stored) return stored.error();
  Reply r = json_reply(stored->created ? 201 : 200, stored->record);
  r.headers.emplace_back("Location", ae_location(c, stored->record));
  return r;
}

Result<Reply> get_ae(Services& s, Call& c) {
  auto study = find_study(c, c.params[0]);
  if (!study) return study.error();
  auto id = parse_id(c.params[1], "report");
  if (!id) return id.error();
  auto rec = s.store.get_ae(c.params[0], id.value());
  if (!rec) return rec.error();
  if (!rec.value() || !sees_site(c.principal, (*rec.value())["site"].get<std::string>()))
    return Error::field(Errc::not_found, "id", "no AE report " + c.params[1]);
  if (wants_fhir(c.req))
    return Reply{200, interop::fhir::to_fhir(*rec.value(), fhir_context(*study.value())), {},
                 interop::fhir::kMediaType, {}};
  return json_reply(200, *rec.value());
}

/// The `cursor` query parameter of a report list (the id it pages after).
std::optional<std::int64_t> cursor_param(const Request& req, std::vector<FieldError>& errs) {
  if (!req.has_param("cursor")) return std::nullopt;
  const auto v = req.param("cursor");
  std::int64_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size() || n < 0) {
    errs.push_back({"cursor", "is not a cursor this API returned"});
    return std::nullopt;
  }
  return n;
}

}  // namespace

store::AeQuery scoped_query(const Call& c) {
  store::AeQuery q;
  q.study = c.params[0];
  if (c.principal.role == Role::site) q.site = c.principal.site;
  return q;
}

namespace {

Result<Reply> list_ae(Services& s, Call& c) {
  auto study = find_study(c, c.params[0]);
  if (!study) return study.error();
  store::AeQuery q = scoped_query(c);
  std::vector<FieldError> errs;
  if (c.req.has_param("subject")) q.subject = c.req.param("subject");
  if (c.req.has_param("since")) {
    const auto v = c.req.param("since");
    if (auto t = parse_timestamp(v))
      q.since = *t;
    else if (auto d = parse_date(v))
      q.since = start_of(*d);
    if (!q.since)
      errs.push_back({"since", "must be a date (YYYY-MM-DD) or an RFC 3339 date-time"});
    else if (auto why = input_date_problem(*q.since))
      errs.push_back({"since", *why});
  }
  if (auto n = int_param(c.req, "limit", 1, 500, errs)) q.limit = static_cast<int>(*n);
  q.after_id = cursor_param(c.req, errs);
  if (!errs.empty()) return Error::invalid(std::move(errs), "invalid query parameters");
  auto page = s.store.list_ae(q);
  if (!page) return page.error();
  json out{{"items", page->items},
           {"next_cursor", page->next_after_id ? json(std::to_string(*page->next_after_id))
                                               : json(nullptr)}};
  return json_reply(200, std::move(out));
}

}  // namespace

std::vector<RouteDef> build_routes(Services& s) {
  auto bind = [&s](Result<Reply> (*f)(Services&, Call&)) {
    return [&s, f](Call& c) { return f(s, c); };
  };
  const std::vector<Role> site{Role::site};
  const std::vector<Role> site_officer{Role::site, Role::officer};
  std::vector<RouteDef> routes{
      {"GET", "/healthz", {}, health},
      {"GET", "/readyz", {}, bind(ready)},
      {"GET", "/v1/openapi.json", {}, openapi},
      {"POST", "/v1/studies/{study}/subjects", site, bind(post_subject)},
      {"POST", "/v1/studies/{study}/subjects/{subject}/baseline", site, bind(post_baseline)},
      {"POST", "/v1/studies/{study}/ae", site, bind(post_ae)},
      {"GET", "/v1/studies/{study}/ae", site_officer, bind(list_ae)},
      {"GET", "/v1/studies/{study}/ae/{id}", site_officer, bind(get_ae)},
  };
  for (auto& r : fhir_routes(s)) routes.push_back(std::move(r));
  for (auto& r : ctcae_routes(s)) routes.push_back(std::move(r));
  for (auto& r : safety_routes(s)) routes.push_back(std::move(r));
  for (auto& r : alert_routes(s)) routes.push_back(std::move(r));
  for (auto& r : dsmb_routes(s)) routes.push_back(std::move(r));
  for (auto& r : desk_routes(s)) routes.push_back(std::move(r));
  return routes;
}

bool none_match(const Request& req, const std::string& etag) {
  if (!req.has_header("If-None-Match")) return false;
  auto opaque = [](std::string_view t) {
    while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
    while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
    if (t.substr(0, 2) == "W/") t.remove_prefix(2);
    return std::string(t);
  };
  const std::string ours = opaque(etag);
  std::string_view v = req.header("If-None-Match");
  while (!v.empty()) {
    const auto comma = v.find(',');
    const std::string tag = opaque(v.substr(0, comma));
    if (tag == "*" || tag == ours) return true;
    if (comma == std::string_view::npos) break;
    v.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace pvmon::http
