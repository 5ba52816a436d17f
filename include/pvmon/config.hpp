// pvmon::config — loads and validates pvmond.json and the study protocol files into immutable
// values. Any thread may call it; it reads files only in load(). Every problem is returned at
// once, each naming the file and the JSON path ("config/pvmond.json: /http/threads: ...").
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pvmon/core.hpp"
#include "pvmon/notify.hpp"
#include "pvmon/schedule.hpp"
#include "pvmon/safety/classification.hpp"
#include "pvmon/safety/rules.hpp"

namespace pvmon::config {

enum class Role { site, officer, dsmb, admin };
const char* to_string(Role r);
std::optional<Role> parse_role(std::string_view s);

struct Principal {
  std::string name;
  Role role = Role::site;
  std::string site;          // only for Role::site
  std::string token_sha256;  // lower-case hex; the token itself is never stored
};

struct HttpSettings {
  int threads = 8;        // workers started at once (handlers run on them, off the io thread)
  int max_workers = 32;  // requests handled at once; more wait in the queue (bench/intake: 256 thrash)
  int max_connections = 10'000;            // open at once, in all (clamped to the descriptor limit)
  int max_connections_per_address = 256;   // open at once from one remote address
  int header_timeout_s = 10;  // the request line and all header fields, from the first byte
  int read_timeout_s = 10;    // a body: this, plus its size at body_min_bytes_per_s
  std::size_t body_min_bytes_per_s = 16 * 1024;
  int write_timeout_s = 10;
  int keep_alive_max = 100;
  int keep_alive_timeout_s = 5;
  int tls_handshake_timeout_s = 10;
  std::size_t max_header_bytes = 16 * 1024;  // request line and header fields (431 past it)
  std::size_t max_header_count = 100;        // header fields (431 past it)
  std::size_t max_body_bytes = 1 << 20;      // every framing, chunked included (413 past it)
  /// Per principal: a token bucket refilled at this rate, holding `rate_limit_burst` (0: off).
  double rate_limit_per_second = 100;
  int rate_limit_burst = 500;
};

/// TLS for the listener: PEM files (the certificate may carry its chain). TLS 1.2 is the floor.
struct TlsSettings {
  std::string certificate;
  std::string private_key;
};

struct Intervention {
  std::string id;
  std::string kind;  // drug, radiotherapy, surgery
  bool investigational_product = false;
  /// The product as a regulator reads it (ICSR G.k.2.2, CIOMS I 14); the id when not set.
  std::string name;
  /// ICSR G.k.4.r.10.1 and CIOMS I 16 ("intravenous", "oral"); empty: not stated.
  std::string route;
  /// The protocol dose (G.k.4.r.1a/b) when the subject's drug events do not give one.
  std::optional<double> dose;
  std::string dose_unit;  // UCUM ("mg", "mg/kg")
  /// Reference safety information: each entry a term, or {term, max_grade, fatal,
  /// life_threatening} (safety::ExpectedTerm).
  std::vector<safety::ExpectedTerm> expected_terms;
};

/// A protocol-specific event with its own grade scale (CLINICAL.md: RCCEP, RILD).
struct ProtocolTerm {
  std::string code;  // "PROTO-RCCEP": never a MedDRA code
  std::string term;
  std::vector<std::string> synonyms;
  std::vector<std::string> grades;  // five entries, "" where the grade does not exist
  std::string definition;
};

/// What a study's ICH E2B(R3) safety reports say about their sender, receiver and the study
/// (the study file's "icsr" object; README "ICSR"). Element numbers are E2B(R3)'s.
struct IcsrSettings {
  std::string profile = "ich";       // "ich", or "fda" (FDA's premarket regional elements)
  std::string sender_id;             // N.1.3, N.2.r.2: the sender's identifier at the gateway
  std::string receiver_id;           // N.2.r.3 ("CDER_IND", "EVHUMAN")
  /// N.1.4, the batch's receiver: "batch_receiver_id", else under fda FDA's premarket route
  /// "ZZFDA_PREMKT" (FDA rule R0005), else receiver_id.
  std::string batch_receiver_id;
  std::string sender_organisation;   // C.3.2: the sponsor
  std::string sender_country;        // C.3.4.5, ISO 3166-1 alpha-2
  std::string case_prefix;           // C.1.1 is "<case_prefix>-<study>-<report's server id>"
  std::string registration_number;   // C.5.1.r.1 (NCT..., ChiCTR...)
  std::string registration_country;  // C.5.1.r.2
  std::string sponsor_study_number;  // C.5.3
  std::string ind_number;            // FDA.C.5.5a (required by the fda profile)
  /// C.3.3, C.3.4: the sponsor's safety contact ("sender_contact"); FDA's rules want a person
  /// and a way to reach them. Keys: department, title, given_name, family_name, street, city,
  /// state, postcode, telephone, fax, email; each optional.
  std::map<std::string, std::string> sender_contact;
  std::string site_country;          // C.2.r.3, E.i.9 for every site not in site_countries
  std::map<std::string, std::string> site_countries;
  std::string country_of(const std::string& site) const;
};

struct Study {
  std::string id;
  std::string title;
  std::vector<std::string> sites;
  int site_report_hours = 24;  // ICH E6 4.11.1 "immediately", as the protocol sets it
  std::vector<Intervention> interventions;
  std::vector<ProtocolTerm> protocol_terms;
  safety::StudyRules rules;  // "safety_rules": AESI, clusters, stopping rules, clock warning
  /// "dsmb_schedule": {"every_days", "at": "HH:MM", "starting": date} or {"cron": "..."}
  /// (UTC). None: DSMB reports are built on request only.
  std::optional<schedule::Schedule> dsmb_schedule;
  /// "icsr": absent, the study's ICSRs and CIOMS forms are refused (409) until it is set.
  std::optional<IcsrSettings> icsr;
  std::string source;  // file it came from
  std::string text;    // the file as read: stored with each DSMB report's provenance
  std::string sha256;  // of `text`
  bool has_site(const std::string& s) const;
  std::vector<std::string> intervention_ids() const;
};

/// The audit trail's signed checkpoints (README "Audit trail").
struct AuditSettings {
  /// Append-only JSON lines, outside the database folder. Empty: `<data_dir>-audit/checkpoints.jsonl`.
  std::string checkpoint_file;
  /// HMAC-SHA256 key (32 bytes at least), e.g. ${CREDENTIALS_DIRECTORY}/audit-checkpoint.key.
  /// Empty: a random key generated once beside the checkpoint file (a demo default: a key the
  /// database's owner can read is a key an attacker with the file system can read).
  std::string key_file;
  bool key_generated() const { return key_file.empty(); }
  /// A checkpoint is written this often while changes happen, besides start, stop and DSMB reports.
  int checkpoint_minutes = 15;
};

/// The safety desk's sessions (README "The safety desk").
struct DeskSettings {
  /// A session unused this long ends (OWASP session management: 15 to 30 minutes for
  /// high-value applications).
  int session_idle_minutes = 30;
  /// A session ends this long after sign-in, used or not.
  int session_hours = 12;
};

struct Config {
  std::string source;  // path of pvmond.json
  std::string listen_host = "127.0.0.1";
  int listen_port = 8750;
  std::string data_dir = "state";
  std::string database = "pvmon.db";  // relative to data_dir unless absolute
  /// Base of the links sent in webhooks (DSMB report URLs); default link_base.
  std::string public_url;
  /// Not read from the file: set by pvmond once it has bound its socket (link_base_of), kept over
  /// reloads. The base of links while public_url is unset.
  std::string link_base;
  /// HTTPS when set. Without it the daemon speaks plain HTTP, which it accepts only on a
  /// loopback address or when `plain_http` says so (behind a TLS-terminating proxy).
  std::optional<TlsSettings> tls;
  bool plain_http = false;
  std::string log_level = "info";
  bool log_json = false;
  HttpSettings http;
  int writer_max_batch = 512;
  int escalate_after_seconds = 3600;  // critical alerts not acknowledged are re-sent this often
  int scheduler_tick_seconds = 30;  // clocks due soon/overdue, escalations, boundaries
  int delivery_workers = 4;         // webhook sender threads
  /// How long an instance's claim on an endpoint's due webhooks lasts without a renewal: the
  /// longest a dead instance's messages wait before another instance sends them.
  int delivery_lease_seconds = 120;
  notify::RetryPolicy webhook_retry;  // alerts.retry_base_ms, alerts.retry_give_up_hours
  int busy_timeout_ms = 5000;
  /// storage.engine: "sqlite" (the file `database` under data_dir) or "postgresql" (README
  /// "Scaling out": several pvmond on one database).
  std::string storage_engine = "sqlite";
  /// PostgreSQL: libpq key=value connection string without a password; the password is the
  /// first line of `storage_password_file` (${CREDENTIALS_DIRECTORY} expanded).
  std::string storage_dsn;
  std::string storage_password_file;
  /// PostgreSQL: a read-only replica for the AE report and alert lists (same password file).
  std::string storage_replica_dsn;
  bool postgres() const { return storage_engine == "postgresql"; }
  std::vector<Principal> principals;
  std::map<std::string, Study> studies;
  std::vector<notify::Endpoint> webhooks;

  AuditSettings audit;
  DeskSettings desk;

  std::string database_path() const;
  std::string checkpoint_path() const;
  std::string checkpoint_key_path() const;
  const Study* study(const std::string& id) const;
};

/// Reads, parses (comments allowed) and validates the config and the study files it names
/// (paths relative to the config file's folder).
Result<Config> load(const std::string& path);
/// The same from text already read; `base_dir` resolves study paths.
Result<Config> parse(const std::string& text, const std::string& source, const std::string& base_dir);
Result<Study> parse_study(const std::string& text, const std::string& source);

/// Applies --listen HOST:PORT. Error when malformed.
Status apply_listen(Config& c, const std::string& host_port);

/// An IP literal in 127.0.0.0/8, ::1 or ::ffff:127.0.0.0/104. Names, "localhost" included, are
/// not loopback: what they resolve to is not decided here.
bool is_loopback(const std::string& host);
/// True when a configured principal uses one of the published demo tokens.
bool has_demo_token(const Config& c);
/// Errors that depend on the whole config: demo tokens beyond loopback, plain HTTP beyond
/// loopback without `plain_http`.
Status check_exposure(const Config& c);

/// The base of links to this daemon when public_url is unset: http(s):// and the listen address
/// (pvmond passes a config whose listen_port is the one actually bound); for a wildcard listen
/// (0.0.0.0, ::) `host_name`, the machine's name, since 0.0.0.0 names no host a receiver can reach.
std::string link_base_of(const Config& c, const std::string& host_name);

/// Whether `host` is a wildcard address (0.0.0.0, ::): every interface.
bool is_wildcard(const std::string& host);
/// The config a SIGHUP would put in force: `next` with what needs a restart (listen address,
/// TLS, data dir, database, HTTP limits) kept from `running`, then check_exposure on the
/// result. An error rejects the reload; the running config stays.
Result<Config> as_reloaded(const Config& running, Config next);

extern const std::vector<std::string> kDemoTokens;

}  // namespace pvmon::config
