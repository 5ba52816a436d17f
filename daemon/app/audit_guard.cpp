#include "audit_guard.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>

#include "pvmon/crypto.hpp"

namespace pvmon::app {

using nlohmann::json;

Status AuditGuard::configure(const config::Config& cfg, const std::string& dsn) {
  db_path_ = cfg.database_path();
  dsn_ = dsn;
  file_ = cfg.checkpoint_path();
  auto key = cfg.audit.key_generated() ? store::load_or_create_checkpoint_key(cfg.checkpoint_key_path())
                                       : store::read_checkpoint_key(cfg.checkpoint_key_path());
  if (!key) return Error::of(key.error().code, "audit: " + key.error().message);
  key_ = std::move(*key);
  if (cfg.audit.key_generated())
    spdlog::warn("audit: checkpoints are signed with the key generated at {}; in production set audit.key_file to "
                 "a key only pvmond and the auditor hold (LoadCredential=)",
                 cfg.checkpoint_key_path());
  spdlog::info("audit: checkpoints go to {}", file_);
  return Ok{};
}

store::AuditCheckpoint AuditGuard::sign(std::int64_t seq, const std::string& head, const std::string& reason,
                                        const std::string& db_sha256) const {
  store::AuditCheckpoint c{seq, head, format_timestamp(clock_.now()), reason, "", db_sha256};
  c.mac = store::checkpoint_mac(key_, c);
  return c;
}

bool AuditGuard::unchanged_since_stop() {
  // A shared PostgreSQL database has no file to compare, and other instances write on while
  // this one is stopped: it is verified in full at every start.
  if (!dsn_.empty()) return false;
  auto file = store::read_checkpoints(file_);
  if (!file || file->checkpoints.empty()) return false;
  const auto& last = file->checkpoints.back();
  if (last.reason != "stop" || last.db_sha256.empty() ||
      !crypto::constant_time_equal(store::checkpoint_mac(key_, last), last.mac))
    return false;
  std::error_code ec;
  const auto wal = std::filesystem::file_size(db_path_ + "-wal", ec);
  if (!ec && wal > 0) return false;
  const auto t0 = std::chrono::steady_clock::now();
  const auto digest = crypto::file_sha256_hex(db_path_);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  const bool same = digest && crypto::constant_time_equal(*digest, last.db_sha256);
  spdlog::info("audit: the database file {} what pvmond left at its clean stop (SHA-256 in {} ms){}", same ? "is" : "is not",
               ms, same ? "" : ": the full verification runs");
  return same;
}

void AuditGuard::stop_checkpoint() {
  std::lock_guard lock(mu_);
  auto head = store_->audit_head();
  if (!head) {
    spdlog::error("audit: no stop checkpoint: {}", head.error().message);
    return;
  }
  std::error_code ec;
  std::string digest;
  if (dsn_.empty()) {
    const auto wal = std::filesystem::file_size(db_path_ + "-wal", ec);
    if (ec || wal == 0) digest = crypto::file_sha256_hex(db_path_).value_or("");
  }
  const auto c = sign(head->first, head->second, "stop", digest);
  spdlog::info("audit checkpoint seq={} head={} at={} reason=stop db_sha256={} mac={}", c.seq, c.head, c.at,
               c.db_sha256.empty() ? "-" : c.db_sha256, c.mac);
  if (auto st = store::append_checkpoint(file_, c); !st) spdlog::critical("audit: {}", st.error().message);
}

bool AuditGuard::verify(const std::string& when, bool unchanged) {
  std::unique_lock lock(mu_);
  if (unchanged) {
    spdlog::info("audit: trail verified at {}: the database is as its signed stop checkpoint left it", when);
    lock.unlock();
    checkpoint(when, true);
    return true;
  }
  store::VerifyOptions v;
  v.key = key_;
  v.max_findings = 200;
  v.dsn = dsn_;
  // The whole chain from seq 1: a walk from the last checkpoint would trust every row before
  // it, and an edit there (with the table row it covers) would pass. Every checkpoint is
  // checked against it.
  if (auto file = store::read_checkpoints(file_)) v.checkpoints = std::move(*file);
  const auto t0 = std::chrono::steady_clock::now();
  auto r = store::verify_audit(db_path_, v);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  std::vector<store::AuditFinding> findings;
  json summary;
  if (!r) {
    findings.push_back({"chain", 0, "", "", "not verifiable", "a readable audit trail", r.error().message});
  } else {
    findings = r->findings;
    summary = {{"rows_walked", r->rows}, {"entities", r->entities},
               {"checkpoints", r->checkpoints}, {"head_seq", r->head_seq}, {"head_sha256", r->head_hash}};
  }
  if (findings.empty()) {
    spdlog::info("audit: trail verified at {} in {} ms (chain {:.1f} s, tables {:.1f} s): {} rows, {} entities, {} "
                 "checkpoints; head seq {} sha256 {}",
                 when, ms, r->chain_seconds, r->tables_seconds, r->rows, r->entities, r->checkpoints, r->head_seq,
                 r->head_hash);
    if (store_->read_only()) {
      store_->set_read_only(std::nullopt);
      spdlog::warn("audit: the trail holds again; writes are accepted");
    }
    lock.unlock();
    checkpoint(when, true);
    return true;
  }
  const auto& first = findings.front();
  for (std::size_t i = 0; i < findings.size() && i < 20; ++i) spdlog::critical("audit: {}", findings[i].describe());
  if (findings.size() > 20) spdlog::critical("audit: … {} more (pvmon audit verify --all)", findings.size() - 20);
  store_->set_read_only("the audit trail failed its verification at " + when + " (" + std::to_string(findings.size()) +
                       " finding(s); the first: " + first.describe() +
                       "): writes are refused until an administrator investigates, runs pvmon audit accept and "
                       "sends SIGHUP");
  spdlog::critical("audit: pvmond is read-only: {} finding(s), verified in {} ms", findings.size(), ms);
  json list = json::array();
  for (std::size_t i = 0; i < findings.size() && i < 20; ++i) {
    const auto& f = findings[i];
    json j{{"where", f.where}, {"problem", f.problem}, {"expected", f.expected}, {"found", f.found}};
    if (f.seq) j["seq"] = f.seq;
    if (!f.entity.empty()) j["table"] = f.table, j["entity"] = f.entity;
    list.push_back(std::move(j));
  }
  store::AlertRecord alert;
  alert.rule = "audit_mismatch";
  alert.severity = "critical";
  alert.title = "Audit trail verification failed (" + std::to_string(findings.size()) +
                " finding(s)): pvmond is read-only. First: " + first.describe();
  // One alert per distinct state found: a restart on the same mismatch raises none again.
  alert.dedupe_key = "audit_mismatch|" + crypto::sha256_hex(list.dump());
  alert.payload = {{"findings", list}, {"count", findings.size()}, {"verified_at", when}, {"summary", summary}};
  if (auto st = store_->raise_operator_alert(alert); !st)
    spdlog::critical("audit: the mismatch alert could not be raised: {}", st.error().message);
  lock.unlock();
  // The head as found (with the alert's row) is signed too: what follows cannot rewrite it unseen.
  checkpoint("read-only", true);
  return false;
}

void AuditGuard::checkpoint(const std::string& reason, bool force) {
  std::lock_guard lock(mu_);
  auto head = store_->audit_head();
  if (!head) {
    spdlog::error("audit: no checkpoint ({}): {}", reason, head.error().message);
    return;
  }
  if (!force && last_seq_ && *last_seq_ == head->first) return;
  const auto c = sign(head->first, head->second, reason);
  // The log, the file and the webhook: three places an attacker with the database alone does
  // not reach.
  spdlog::info("audit checkpoint seq={} head={} at={} reason={} mac={}", c.seq, c.head, c.at, c.reason, c.mac);
  if (auto st = store::append_checkpoint(file_, c); !st) spdlog::critical("audit: {}", st.error().message);
  if (auto st = store_->queue_event("audit.checkpoint", json{{"seq", c.seq},
                                                            {"head", c.head},
                                                            {"at", c.at},
                                                            {"reason", c.reason},
                                                            {"mac", c.mac}});
      !st)
    spdlog::error("audit: checkpoint webhook not queued: {}", st.error().message);
  last_seq_ = c.seq;
}

}  // namespace pvmon::app
