#include "pvmon/config.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "pvmon/crypto.hpp"
#include "pvmon/fields.hpp"
#include "safety_rules.hpp"
#include "webhooks.hpp"

namespace pvmon::config {

using nlohmann::json;
namespace fs = std::filesystem;

const std::vector<std::string> kDemoTokens = {"demo-site-s01", "demo-site-s02", "demo-officer",
                                              "demo-dsmb", "demo-admin"};

const char* to_string(Role r) {
  switch (r) {
    case Role::site: return "site";
    case Role::officer: return "officer";
    case Role::dsmb: return "dsmb";
    case Role::admin: return "admin";
  }
  return "?";
}

std::optional<Role> parse_role(std::string_view s) {
  if (s == "site") return Role::site;
  if (s == "officer") return Role::officer;
  if (s == "dsmb") return Role::dsmb;
  if (s == "admin") return Role::admin;
  return std::nullopt;
}

bool Study::has_site(const std::string& s) const {
  return std::find(sites.begin(), sites.end(), s) != sites.end();
}

std::vector<std::string> Study::intervention_ids() const {
  std::vector<std::string> ids;
  for (const auto& i : interventions) ids.push_back(i.id);
  return ids;
}

std::string Config::database_path() const {
  if (database == ":memory:" || fs::path(database).is_absolute()) return database;
  return (fs::path(data_dir) / database).string();
}

std::string Config::checkpoint_path() const {
  if (!audit.checkpoint_file.empty()) return audit.checkpoint_file;
  fs::path d = fs::path(data_dir).lexically_normal();
  if (d.filename().empty()) d = d.parent_path();
  return (d.parent_path() / (d.filename().string() + "-audit") / "checkpoints.jsonl").string();
}

std::string Config::checkpoint_key_path() const {
  if (!audit.key_file.empty()) return audit.key_file;
  return (fs::path(checkpoint_path()).parent_path() / "checkpoint.key").string();
}

const Study* Config::study(const std::string& id) const {
  auto it = studies.find(id);
  return it == studies.end() ? nullptr : &it->second;
}

namespace {

// Paths in config errors are JSON pointers (RFC 6901), as operators see them with jq.
std::string pointer(const std::string& dotted) {
  std::string p = "/";
  for (char c : dotted) p += c == '.' ? '/' : c;
  return p;
}

Error file_errors(const std::string& source, std::vector<FieldError> errs) {
  std::string msg;
  for (auto& e : errs) {
    e.field = pointer(e.field);
    msg += source + ": " + e.field + ": " + e.message + "\n";
  }
  if (!msg.empty()) msg.pop_back();
  return Error{Errc::invalid, msg, std::move(errs)};
}

Result<json> parse_json(const std::string& text, const std::string& source) {
  try {
    return json::parse(text, nullptr, true, /*ignore_comments=*/true);
  } catch (const json::parse_error& e) {
    return Error::of(Errc::invalid, source + ": not valid JSON at byte " +
                                        std::to_string(e.byte) + ": " + e.what());
  } catch (const json::exception& e) {
    // A number beyond double (1e400) is out_of_range, not a parse_error (found by fuzzing).
    return Error::of(Errc::invalid, source + ": not valid JSON: " + e.what());
  }
}

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::of(Errc::not_found, path + ": cannot be read");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool is_hex64(const std::string& s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}


/// An intervention's reference safety information: each entry a term name or MedDRA code, or
/// an object {"term", "max_grade" (1-5, default 3), "fatal", "life_threatening" (default
/// false)} saying the most severe form of the reaction the RSI lists (safety::ExpectedTerm).
std::vector<safety::ExpectedTerm> expected_terms(FieldReader& r, std::vector<FieldError>& errs) {
  std::vector<safety::ExpectedTerm> out;
  const json* arr = r.get("expected_terms", false);
  if (!arr) return out;
  if (!arr->is_array()) {
    r.error("expected_terms", "must be an array of terms or {term, max_grade, fatal, life_threatening}");
    return out;
  }
  for (std::size_t i = 0; i < arr->size(); ++i) {
    const json& e = (*arr)[i];
    const std::string path = r.path("expected_terms") + "." + std::to_string(i);
    if (e.is_string() && !e.get_ref<const std::string&>().empty()) {
      out.emplace_back(e.get<std::string>());
      continue;
    }
    if (!e.is_object()) {
      errs.push_back({path, "must be a non-empty string or an object {term, max_grade, fatal, life_threatening}"});
      continue;
    }
    FieldReader er(e, path, errs);
    safety::ExpectedTerm t;
    if (auto v = er.string("term", true, 200)) t.term = *v;
    if (auto v = er.integer("max_grade", false, 1, 5)) t.max_grade = static_cast<int>(*v);
    if (auto v = er.boolean("fatal", false)) t.fatal = *v;
    if (auto v = er.boolean("life_threatening", false)) t.life_threatening = *v;
    er.finish();
    if (t.fatal && t.max_grade < 5) er.error("max_grade", "must be 5 when fatal outcomes are listed");
    if (!t.term.empty()) out.push_back(std::move(t));
  }
  return out;
}

std::vector<std::string> string_list(FieldReader& r, const std::string& key, bool required,
                                     std::vector<FieldError>& errs) {
  std::vector<std::string> out;
  const json* arr = r.get(key, required);
  if (!arr) return out;
  if (!arr->is_array()) {
    r.error(key, "must be an array of strings");
    return out;
  }
  for (std::size_t i = 0; i < arr->size(); ++i) {
    if (!(*arr)[i].is_string() || (*arr)[i].get_ref<const std::string&>().empty())
      errs.push_back({r.path(key) + "." + std::to_string(i), "must be a non-empty string"});
    else
      out.push_back((*arr)[i].get<std::string>());
  }
  return out;
}

}  // namespace

namespace {

bool country_code(const std::string& s) {  // ISO 3166-1 alpha-2, as E2B(R3) takes it
  return s.size() == 2 && std::isupper(static_cast<unsigned char>(s[0])) &&
         std::isupper(static_cast<unsigned char>(s[1]));
}

std::optional<IcsrSettings> parse_icsr(const json& j, FieldReader& parent, const Study& st,
                                       std::vector<FieldError>& errs) {
  if (!j.is_object()) {
    parent.error("icsr", "must be an object (README \"ICSR\")");
    return std::nullopt;
  }
  FieldReader r(j, parent.path("icsr"), errs);
  IcsrSettings ic;
  if (auto v = r.one_of("regional_profile", false, std::vector<std::string>{"ich", "fda"})) ic.profile = *v;
  // Lengths: FDA's data-element table (N.1.3 60, C.1.1 100, C.3.2 100, C.5.1.r.1 50, C.5.3 50).
  if (auto v = r.id("sender_id", true, 60)) ic.sender_id = *v;
  if (auto v = r.id("receiver_id", true, 60)) ic.receiver_id = *v;
  if (auto v = r.id("batch_receiver_id", false, 60)) ic.batch_receiver_id = *v;
  if (ic.batch_receiver_id.empty()) ic.batch_receiver_id = ic.profile == "fda" ? "ZZFDA_PREMKT" : ic.receiver_id;
  if (auto v = r.string("sender_organisation", true, 100)) ic.sender_organisation = *v;
  const auto country = [&](const char* key, bool required, std::string& out) {
    if (auto v = r.string(key, required, 2)) {
      if (!country_code(*v)) r.error(key, "must be an ISO 3166-1 alpha-2 code (\"CN\", \"US\")");
      else out = *v;
    }
  };
  country("sender_country", true, ic.sender_country);
  if (auto v = r.id("case_prefix", true, 40)) ic.case_prefix = *v;
  if (auto v = r.string("registration_number", true, 50)) ic.registration_number = *v;
  country("registration_country", true, ic.registration_country);
  if (auto v = r.string("sponsor_study_number", true, 50)) ic.sponsor_study_number = *v;
  if (auto v = r.string("ind_number", ic.profile == "fda", 10)) ic.ind_number = *v;
  if (const json* sc = r.get("sender_contact", false)) {
    if (!sc->is_object()) {
      r.error("sender_contact", "must be an object: {\"department\", \"given_name\", \"family_name\", \"email\", ...}");
    } else {
      FieldReader cr(*sc, r.path("sender_contact"), errs);
      // Lengths: FDA's data-element table for C.3.3.1 .. C.3.4.8.
      for (const auto& [key, len] : std::vector<std::pair<const char*, std::size_t>>{
               {"department", 60}, {"title", 50}, {"given_name", 60}, {"family_name", 60}, {"street", 100},
               {"city", 35}, {"state", 40}, {"postcode", 15}, {"telephone", 33}, {"fax", 33}, {"email", 100}})
        if (auto v = cr.string(key, false, len)) ic.sender_contact[key] = *v;
      cr.finish();
    }
  }
  country("site_country", true, ic.site_country);
  if (const json* m = r.get("site_countries", false)) {
    if (!m->is_object()) {
      r.error("site_countries", "must be an object from site id to country code");
    } else {
      FieldReader mr(*m, r.path("site_countries"), errs);
      for (auto it = m->begin(); it != m->end(); ++it) {
        if (!st.has_site(it.key())) mr.error(it.key(), "is not one of the study's sites");
        if (auto v = mr.string(it.key(), true, 2)) {
          if (!country_code(*v)) mr.error(it.key(), "must be an ISO 3166-1 alpha-2 code");
          else ic.site_countries[it.key()] = *v;
        }
      }
      mr.finish();
    }
  }
  r.finish();
  return ic;
}

}  // namespace

std::string IcsrSettings::country_of(const std::string& site) const {
  auto it = site_countries.find(site);
  return it != site_countries.end() ? it->second : site_country;
}

Result<Study> parse_study(const std::string& text, const std::string& source) {
  auto parsed = parse_json(text, source);
  if (!parsed) return parsed.error();
  const json& j = parsed.value();
  std::vector<FieldError> errs;
  if (!j.is_object()) return file_errors(source, {{"", "must be a JSON object"}});
  FieldReader r(j, "", errs);
  Study s;
  s.source = source;
  if (auto v = r.id("id", true, 64)) s.id = *v;
  if (auto v = r.string("title", true, 500)) s.title = *v;
  s.sites = string_list(r, "sites", true, errs);
  if (s.sites.empty() && r.get("sites", false)) r.error("sites", "must name at least one site");
  if (auto v = r.integer("site_report_hours", false, 1, 24 * 15)) s.site_report_hours = int(*v);
  std::set<std::string> ids;
  r.each("interventions", true, [&](FieldReader& item) {
    Intervention iv;
    if (auto v = item.id("id", true, 64)) iv.id = *v;
    if (auto v = item.one_of("kind", true, std::vector<std::string>{"drug", "radiotherapy",
                                                                   "surgery", "device"}))
      iv.kind = *v;
    if (auto v = item.boolean("investigational_product", true)) iv.investigational_product = *v;
    if (auto v = item.string("name", false, 250)) iv.name = *v;  // E2B G.k.2.2 is 250 long
    if (auto v = item.string("route", false, 60)) iv.route = *v;
    if (auto v = item.number("dose", false, 1e-6, 1e6)) iv.dose = *v;
    if (auto v = item.string("dose_unit", false, 50)) iv.dose_unit = *v;
    if (iv.dose.has_value() != !iv.dose_unit.empty())
      item.error(iv.dose ? "dose_unit" : "dose", "dose and dose_unit go together");
    if (iv.name.empty()) iv.name = iv.id;
    iv.expected_terms = expected_terms(item, errs);
    if (!iv.id.empty() && !ids.insert(iv.id).second) item.error("id", "is a duplicate");
    s.interventions.push_back(std::move(iv));
  });
  r.each("protocol_terms", false, [&](FieldReader& item) {
    ProtocolTerm t;
    if (auto v = item.id("code", true, 64)) t.code = *v;
    if (auto v = item.string("term", true, 200)) t.term = *v;
    t.synonyms = string_list(item, "synonyms", false, errs);
    if (auto v = item.string("definition", false, 2000)) t.definition = *v;
    t.grades.assign(5, "");
    if (const json* g = item.get("grades", true)) {
      if (!g->is_object()) {
        item.error("grades", "must be an object from grade (\"1\".. \"5\") to its text");
      } else {
        FieldReader gr(*g, item.path("grades"), errs);
        for (int k = 1; k <= 5; ++k)
          if (auto text = gr.string(std::to_string(k), false, 2000)) t.grades[k - 1] = *text;
        gr.finish();
        if (std::all_of(t.grades.begin(), t.grades.end(), [](auto& x) { return x.empty(); }))
          item.error("grades", "must define at least one grade");
      }
    }
    s.protocol_terms.push_back(std::move(t));
  });
  parse_safety_rules(r, "safety_rules", s.rules, errs, s.intervention_ids());
  if (const json* d = r.get("dsmb_schedule", false)) {
    if (!d->is_object()) {
      r.error("dsmb_schedule", "must be an object: {\"every_days\", \"at\", \"starting\"} or {\"cron\"}");
    } else {
      FieldReader dr(*d, r.path("dsmb_schedule"), errs);
      schedule::Schedule sch;
      if (dr.get("cron", false)) {
        if (auto c = dr.string("cron", true, 200)) {
          sch.text = *c;
          if (auto parsed = schedule::parse_cron(*c)) sch.cron = parsed.value();
          else dr.error("cron", parsed.error().message);
        }
      } else {
        if (auto v = dr.integer("every_days", true, 1, 366)) sch.every_days = int(*v);
        if (auto v = dr.string("at", true, 5)) {
          const bool ok = v->size() == 5 && (*v)[2] == ':' && std::isdigit((unsigned char)(*v)[0]) &&
                          std::isdigit((unsigned char)(*v)[1]) && std::isdigit((unsigned char)(*v)[3]) &&
                          std::isdigit((unsigned char)(*v)[4]);
          const int h = ok ? std::stoi(v->substr(0, 2)) : -1, m = ok ? std::stoi(v->substr(3, 2)) : -1;
          if (!ok || h > 23 || m > 59) dr.error("at", "must be a UTC time of day \"HH:MM\"");
          else sch.at_minute = h * 60 + m;
        }
        if (auto v = dr.string("starting", true, 10)) {
          if (auto dt = parse_date(*v)) sch.starting = *dt;
          else dr.error("starting", "must be a date YYYY-MM-DD");
        }
        sch.text = "every " + std::to_string(sch.every_days) + " days at " + d->value("at", "") +
                   " UTC from " + d->value("starting", "");
      }
      dr.finish();
      s.dsmb_schedule = std::move(sch);
    }
  }
  if (const json* ic = r.get("icsr", false)) s.icsr = parse_icsr(*ic, r, s, errs);
  r.finish();
  if (!errs.empty()) return file_errors(source, std::move(errs));
  s.text = text;
  s.sha256 = crypto::sha256_hex(text);
  return s;
}

/// A file a setting names (TLS certificate and key, the audit checkpoint key): relative to the
/// config file's folder, `${CREDENTIALS_DIRECTORY}` expanded for systemd's LoadCredential=, and
/// readable. nullopt (with the field's error when present) otherwise.
static std::optional<std::string> credential_file(FieldReader& r, const char* key, bool required,
                                                  const std::string& base_dir) {
  auto v = r.string(key, required, 4096);
  if (!v) return std::nullopt;
  std::string path = *v;
  const std::string var = "${CREDENTIALS_DIRECTORY}";
  if (auto at = path.find(var); at != std::string::npos) {
    const char* dir = std::getenv("CREDENTIALS_DIRECTORY");
    if (!dir) {
      r.error(key, "names ${CREDENTIALS_DIRECTORY}, which is not set (LoadCredential= in the unit)");
      return std::nullopt;
    }
    path.replace(at, var.size(), dir);
  }
  fs::path f = path;
  if (f.is_relative()) f = fs::path(base_dir) / f;
  if (!std::ifstream(f)) {
    r.error(key, "cannot read " + f.string());
    return std::nullopt;
  }
  return f.string();
}

Result<Config> parse(const std::string& text, const std::string& source,
                     const std::string& base_dir) {
  auto parsed = parse_json(text, source);
  if (!parsed) return parsed.error();
  const json& j = parsed.value();
  if (!j.is_object()) return file_errors(source, {{"", "must be a JSON object"}});
  std::vector<FieldError> errs;
  FieldReader r(j, "", errs);
  Config c;
  c.source = source;
  if (auto v = r.string("listen", true, 300)) {
    if (auto st = apply_listen(c, *v); !st) r.error("listen", st.error().message);
  }
  if (auto v = r.string("data_dir", true, 4096)) c.data_dir = *v;
  if (auto v = r.string("database", false, 4096)) c.database = *v;
  if (const json* t = r.get("tls", false)) {
    if (!t->is_object()) {
      r.error("tls", "must be an object: {\"certificate\": PEM file, \"private_key\": PEM file}");
    } else {
      FieldReader tr(*t, r.path("tls"), errs);
      TlsSettings tls;
      // Relative to the config file's folder; ${CREDENTIALS_DIRECTORY} for systemd's LoadCredential.
      const auto file = [&](const char* key, std::string& out) {
        if (auto f = credential_file(tr, key, true, base_dir)) out = *f;
      };
      file("certificate", tls.certificate);
      file("private_key", tls.private_key);
      tr.finish();
      c.tls = std::move(tls);
    }
  }
  if (auto v = r.boolean("plain_http", false)) c.plain_http = *v;
  if (auto v = r.string("public_url", false, 500)) {
    if (v->rfind("http://", 0) != 0 && v->rfind("https://", 0) != 0)
      r.error("public_url", "must start with http:// or https://");
    else
      c.public_url = v->back() == '/' ? v->substr(0, v->size() - 1) : *v;
  }
  if (const json* log = r.get("log", false)) {
    if (!log->is_object()) {
      r.error("log", "must be an object");
    } else {
      FieldReader lr(*log, "log", errs);
      if (auto v = lr.one_of("level", false, std::vector<std::string>{"trace", "debug", "info",
                                                                     "warn", "error"}))
        c.log_level = *v;
      if (auto v = lr.boolean("json", false)) c.log_json = *v;
      lr.finish();
    }
  }
  if (const json* http = r.get("http", false)) {
    if (!http->is_object()) {
      r.error("http", "must be an object");
    } else {
      FieldReader hr(*http, "http", errs);
      if (auto v = hr.integer("threads", false, 1, 256)) c.http.threads = int(*v);
      if (auto v = hr.integer("max_workers", false, 1, 4096)) c.http.max_workers = int(*v);
      if (auto v = hr.integer("max_connections", false, 1, 1'000'000)) c.http.max_connections = int(*v);
      if (auto v = hr.integer("max_connections_per_address", false, 1, 1'000'000))
        c.http.max_connections_per_address = int(*v);
      if (auto v = hr.integer("header_timeout_s", false, 1, 600)) c.http.header_timeout_s = int(*v);
      if (auto v = hr.integer("read_timeout_s", false, 1, 600)) c.http.read_timeout_s = int(*v);
      if (auto v = hr.integer("body_min_bytes_per_s", false, 1, 1'000'000'000))
        c.http.body_min_bytes_per_s = static_cast<std::size_t>(*v);
      if (auto v = hr.integer("tls_handshake_timeout_s", false, 1, 600)) c.http.tls_handshake_timeout_s = int(*v);
      if (auto v = hr.integer("max_header_bytes", false, 1024, 1 << 20))
        c.http.max_header_bytes = static_cast<std::size_t>(*v);
      if (auto v = hr.integer("max_header_count", false, 8, 10'000))
        c.http.max_header_count = static_cast<std::size_t>(*v);
      if (auto v = hr.integer("write_timeout_s", false, 1, 600)) c.http.write_timeout_s = int(*v);
      if (auto v = hr.integer("keep_alive_max", false, 1, 100000)) c.http.keep_alive_max = int(*v);
      if (auto v = hr.integer("keep_alive_timeout_s", false, 1, 600))
        c.http.keep_alive_timeout_s = int(*v);
      if (auto v = hr.integer("max_body_bytes", false, 1024, 64 << 20))
        c.http.max_body_bytes = static_cast<std::size_t>(*v);
      if (const json* rl = hr.get("rate_limit", false)) {
        if (!rl->is_object()) {
          hr.error("rate_limit", "must be an object: {\"requests_per_second\", \"burst\"}");
        } else {
          FieldReader rr(*rl, hr.path("rate_limit"), errs);
          if (auto v = rr.integer("requests_per_second", true, 0, 1'000'000)) c.http.rate_limit_per_second = double(*v);
          if (auto v = rr.integer("burst", true, 1, 10'000'000)) c.http.rate_limit_burst = int(*v);
          rr.finish();
        }
      }
      hr.finish();
    }
  }
  if (const json* w = r.get("storage", false)) {
    if (!w->is_object()) {
      r.error("storage", "must be an object");
    } else {
      FieldReader wr(*w, "storage", errs);
      if (auto v = wr.integer("writer_max_batch", false, 1, 100000)) c.writer_max_batch = int(*v);
      if (auto v = wr.integer("busy_timeout_ms", false, 0, 600000)) c.busy_timeout_ms = int(*v);
      if (auto v = wr.string("engine", false, 32)) {
        if (*v == "sqlite" || *v == "postgresql")
          c.storage_engine = *v;
        else
          wr.error("engine", "must be \"sqlite\" or \"postgresql\"");
      }
      const auto no_password = [&](const char* key, const std::string& dsn) {
        // The secret lives in password_file, never in the config (or a log line quoting it).
        if (dsn.find("password") != std::string::npos || dsn.find("://") != std::string::npos)
          wr.error(key, "give host, port, dbname and user as key=value pairs, without a password (that goes in "
                        "password_file)");
      };
      if (auto v = wr.string("dsn", c.storage_engine == "postgresql", 4096)) {
        c.storage_dsn = *v;
        no_password("dsn", *v);
      }
      if (auto v = wr.string("replica_dsn", false, 4096)) {
        c.storage_replica_dsn = *v;
        no_password("replica_dsn", *v);
      }
      if (auto f = credential_file(wr, "password_file", false, base_dir)) c.storage_password_file = *f;
      if (c.storage_engine != "postgresql" && (!c.storage_dsn.empty() || !c.storage_replica_dsn.empty()))
        wr.error("dsn", "is for engine \"postgresql\"; the engine is \"" + c.storage_engine + "\"");
      wr.finish();
    }
  }
  if (const json* a = r.get("alerts", false)) {
    if (!a->is_object()) {
      r.error("alerts", "must be an object");
    } else {
      FieldReader ar(*a, "alerts", errs);
      if (auto v = ar.integer("escalate_after_seconds", false, 1, 7 * 24 * 3600))
        c.escalate_after_seconds = int(*v);
      if (auto v = ar.integer("scheduler_tick_seconds", false, 1, 3600))
        c.scheduler_tick_seconds = int(*v);
      if (auto v = ar.integer("delivery_workers", false, 1, 64)) c.delivery_workers = int(*v);
      // Above the longest send (its connect and read timeouts), or a live instance loses its claim.
      if (auto v = ar.integer("delivery_lease_seconds", false, 5, 3600)) c.delivery_lease_seconds = int(*v);
      // The webhook retry schedule (notify::backoff_ms): the first delay, and how long a
      // message is retried before it is dead-lettered.
      if (auto v = ar.integer("retry_base_ms", false, 100, 600'000)) c.webhook_retry.base_ms = *v;
      if (auto v = ar.integer("retry_give_up_hours", false, 1, 30 * 24))
        c.webhook_retry.give_up_after_ms = *v * 3'600'000;
      ar.finish();
    }
  }
  if (const json* a = r.get("audit", false)) {
    if (!a->is_object()) {
      r.error("audit", "must be an object: {\"checkpoint_file\": FILE, \"key_file\": FILE, \"checkpoint_minutes\": N}");
    } else {
      FieldReader ar(*a, "audit", errs);
      if (auto v = ar.string("checkpoint_file", false, 4096)) c.audit.checkpoint_file = *v;
      // Like tls.private_key; it must exist: pvmond never makes a configured key.
      if (auto f = credential_file(ar, "key_file", false, base_dir)) c.audit.key_file = *f;
      if (auto v = ar.integer("checkpoint_minutes", false, 1, 24 * 60)) c.audit.checkpoint_minutes = int(*v);
      ar.finish();
    }
  }
  if (const json* d = r.get("desk", false)) {
    if (!d->is_object()) {
      r.error("desk", "must be an object: {\"session_idle_minutes\": N, \"session_hours\": N}");
    } else {
      FieldReader dr(*d, "desk", errs);
      if (auto v = dr.integer("session_idle_minutes", false, 1, 24 * 60)) c.desk.session_idle_minutes = int(*v);
      if (auto v = dr.integer("session_hours", false, 1, 7 * 24)) c.desk.session_hours = int(*v);
      dr.finish();
      if (c.desk.session_idle_minutes > c.desk.session_hours * 60)
        r.error("desk", "session_idle_minutes (" + std::to_string(c.desk.session_idle_minutes) +
                            ") is longer than session_hours (" + std::to_string(c.desk.session_hours) + " h)");
    }
  }
  {
    // The checkpoints prove what the database held: they live outside its folder, so that
    // whoever replaces the folder does not replace them with it.
    std::error_code ec;
    const auto data = fs::weakly_canonical(fs::absolute(c.data_dir), ec);
    const auto cp = fs::weakly_canonical(fs::absolute(c.checkpoint_path()), ec);
    const auto rel = cp.lexically_relative(data);
    if (!ec && !rel.empty() && *rel.begin() != "..")
      r.error("audit", "checkpoint_file " + c.checkpoint_path() + " is inside data_dir " + c.data_dir +
                           ": put it outside the database folder");
  }
  std::set<std::string> names, hashes;
  r.each("principals", true, [&](FieldReader& item) {
    Principal p;
    if (auto v = item.id("name", true, 64)) p.name = *v;
    if (auto v = item.string("role", true, 16)) {
      if (auto role = parse_role(*v))
        p.role = *role;
      else
        item.error("role", "must be one of: site, officer, dsmb, admin");
    }
    auto site = item.id("site", false, 32);
    if (p.role == Role::site && !site) item.error("site", "is required for role site");
    if (p.role != Role::site && site) item.error("site", "is only allowed for role site");
    if (site) p.site = *site;
    if (auto v = item.string("token_sha256", true, 64)) {
      if (!is_hex64(*v))
        item.error("token_sha256",
                   "must be 64 lower-case hex digits (make it with: pvmon token hash)");
      else
        p.token_sha256 = *v;
    }
    if (!p.name.empty() && !names.insert(p.name).second) item.error("name", "is a duplicate");
    if (!p.token_sha256.empty() && !hashes.insert(p.token_sha256).second)
      item.error("token_sha256", "is used by another principal");
    c.principals.push_back(std::move(p));
  });
  const auto study_files = string_list(r, "studies", true, errs);
  parse_webhooks(
      r, "webhooks", c.webhooks, errs,
      [](const std::string& name) -> std::optional<std::string> {
        const char* v = std::getenv(name.c_str());
        return v ? std::optional<std::string>(v) : std::nullopt;
      },
      [&](const std::string& file) {
        fs::path f = file;  // relative to the config file's folder, as study files are
        if (f.is_relative()) f = fs::path(base_dir) / f;
        return read_file(f.string());
      });
  r.finish();
  std::string nested;
  for (std::size_t i = 0; i < study_files.size(); ++i) {
    fs::path p = study_files[i];
    if (p.is_relative()) p = fs::path(base_dir) / p;
    auto text_or = read_file(p.string());
    if (!text_or) {
      errs.push_back({"studies." + std::to_string(i), text_or.error().message});
      continue;
    }
    auto st = parse_study(text_or.value(), p.string());
    if (!st) {
      nested += (nested.empty() ? "" : "\n") + st.error().message;
      continue;
    }
    if (c.studies.count(st->id)) {
      errs.push_back({"studies." + std::to_string(i), "study '" + st->id + "' is defined twice"});
      continue;
    }
    c.studies.emplace(st->id, std::move(st.value()));
  }
  for (const auto& p : c.principals) {
    if (p.role != Role::site || p.site.empty()) continue;
    const bool known = std::any_of(c.studies.begin(), c.studies.end(),
                                   [&](const auto& kv) { return kv.second.has_site(p.site); });
    if (!known && nested.empty())
      errs.push_back({"principals", "principal '" + p.name + "' names site '" + p.site +
                                        "' that no study lists"});
  }
  if (!errs.empty() || !nested.empty()) {
    Error e = errs.empty() ? Error{Errc::invalid, "", {}} : file_errors(source, std::move(errs));
    if (!nested.empty()) e.message += (e.message.empty() ? "" : "\n") + nested;
    return e;
  }
  return c;
}

Result<Config> load(const std::string& path) {
  auto text = read_file(path);
  if (!text) return text.error();
  const auto base = fs::path(path).parent_path().string();
  return parse(text.value(), path, base.empty() ? "." : base);
}

Status apply_listen(Config& c, const std::string& host_port) {
  std::string host, port;
  if (!host_port.empty() && host_port.front() == '[') {  // [::1]:8750
    auto close = host_port.find(']');
    if (close == std::string::npos || close + 1 >= host_port.size() || host_port[close + 1] != ':')
      return Error::of(Errc::invalid, "must be HOST:PORT");
    host = host_port.substr(1, close - 1);
    port = host_port.substr(close + 2);
  } else {
    auto colon = host_port.rfind(':');
    if (colon == std::string::npos || colon == 0)
      return Error::of(Errc::invalid, "must be HOST:PORT");
    host = host_port.substr(0, colon);
    port = host_port.substr(colon + 1);
  }
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
    return Error::of(Errc::invalid, "port must be a number from 0 to 65535");
  const int n = std::stoi(port);
  if (n > 65535) return Error::of(Errc::invalid, "port must be a number from 0 to 65535");
  c.listen_host = host;
  c.listen_port = n;
  return Ok{};
}

bool is_loopback(const std::string& host) {
  // Decided on the address itself, never on how the text begins: "127.attacker.example" is a
  // name that resolves wherever its owner likes. Only IP literals count; the name "localhost"
  // does not either (it goes through /etc/hosts and NSS, which this check cannot vouch for).
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;  // 127.0.0.0/8
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;  // ::1
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;  // ::ffff:127.0.0.0/104
  }
  return false;
}

bool has_demo_token(const Config& c) {
  for (const auto& t : kDemoTokens) {
    const auto h = crypto::sha256_hex(t);
    for (const auto& p : c.principals)
      if (p.token_sha256 == h) return true;
  }
  return false;
}

Status check_exposure(const Config& c) {
  if (!is_loopback(c.listen_host) && has_demo_token(c))
    return Error::of(Errc::invalid,
                     c.source + ": refusing to listen on " + c.listen_host +
                         " while a demo token is configured: replace the demo principals "
                         "(pvmon token hash) or listen on 127.0.0.1 or [::1] (IP literals only: "
                         "a name such as localhost is not taken as loopback)");
  if (!is_loopback(c.listen_host) && !c.tls && !c.plain_http)
    return Error::of(Errc::invalid,
                     c.source + ": refusing plain HTTP on " + c.listen_host +
                         ": configure \"tls\" (certificate and private_key), or set \"plain_http\": "
                         "true when a TLS-terminating proxy is in front");
  return Ok{};
}

bool is_wildcard(const std::string& host) { return host == "0.0.0.0" || host == "::" || host == "[::]"; }

std::string link_base_of(const Config& c, const std::string& host_name) {
  std::string host = is_wildcard(c.listen_host) && !host_name.empty() ? host_name : c.listen_host;
  if (host.find(':') != std::string::npos && host.front() != '[') host = "[" + host + "]";  // IPv6 (RFC 3986 §3.2.2)
  return (c.tls ? "https://" : "http://") + host + ":" + std::to_string(c.listen_port);
}

Result<Config> as_reloaded(const Config& running, Config next) {
  // What the process keeps until it restarts: the socket it listens on (and whether it speaks
  // TLS on it), where its data lives, the HTTP server's limits.
  next.listen_host = running.listen_host;
  next.listen_port = running.listen_port;
  next.link_base = running.link_base;
  next.tls = running.tls;
  next.data_dir = running.data_dir;
  next.database = running.database;
  next.storage_engine = running.storage_engine;
  next.storage_dsn = running.storage_dsn;
  next.storage_password_file = running.storage_password_file;
  next.storage_replica_dsn = running.storage_replica_dsn;
  next.http = running.http;
  // The start-up rules, against the address actually listened on: a file that moved `listen`
  // to loopback while adding demo principals must not expose them on the running socket.
  if (auto st = check_exposure(next); !st)
    return Error::of(Errc::invalid, st.error().message + " (the running daemon listens on " +
                                        running.listen_host + "; listen changes need a restart)");
  return next;
}

}  // namespace pvmon::config
