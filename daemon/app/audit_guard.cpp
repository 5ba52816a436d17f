#include "audit_guard.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

#include "pvmon/crypto.hpp"

namespace pvmon::app {

using nlohmann::json;

Status AuditGuard::configure(const config::Config& cfg) {
  db_path_ = cfg.database_path();
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

bool AuditGuard::verify(const std::string& when) {
  std::unique_lock lock(mu_);
  store::VerifyOptions v;
  v.key = key_;
  v.max_findings = 200;
  if (auto file = store::read_checkpoints(file_)) {
    // From the newest checkpoint whose signature holds; all of them are checked.
    for (auto it = file->checkpoints.rbegin(); it != file->checkpoints.rend(); ++it)
      if (crypto::constant_time_equal(store::checkpoint_mac(key_, *it), it->mac)) {
        v.from = *it;
        break;
      }
    v.checkpoints = std::move(*file);
  }
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
    summary = {{"rows_walked", r->rows}, {"incremental", r->incremental}, {"entities", r->entities},
               {"checkpoints", r->checkpoints}, {"head_seq", r->head_seq}, {"head_sha256", r->head_hash}};
  }
  if (findings.empty()) {
    spdlog::info("audit: trail verified at {} in {} ms: {} rows walked ({}), {} entities, {} checkpoints; head seq {} "
                 "sha256 {}",
                 when, ms, r->rows, r->incremental ? "from the last checkpoint" : "from seq 1", r->entities,
                 r->checkpoints, r->head_seq, r->head_hash);
    if (store_.read_only()) {
      store_.set_read_only(std::nullopt);
      spdlog::warn("audit: the trail holds again; writes are accepted");
    }
    lock.unlock();
    checkpoint(when, true);
    return true;
  }
  const auto& first = findings.front();
  for (std::size_t i = 0; i < findings.size() && i < 20; ++i) spdlog::critical("audit: {}", findings[i].describe());
  if (findings.size() > 20) spdlog::critical("audit: … {} more (pvmon audit verify --all)", findings.size() - 20);
  store_.set_read_only("the audit trail failed its verification at " + when + " (" + std::to_string(findings.size()) +
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
  if (auto st = store_.raise_operator_alert(alert); !st)
    spdlog::critical("audit: the mismatch alert could not be raised: {}", st.error().message);
  lock.unlock();
  // The head as found (with the alert's row) is signed too: what follows cannot rewrite it unseen.
  checkpoint("read-only", true);
  return false;
}

void AuditGuard::checkpoint(const std::string& reason, bool force) {
  std::lock_guard lock(mu_);
  auto head = store_.audit_head();
  if (!head) {
    spdlog::error("audit: no checkpoint ({}): {}", reason, head.error().message);
    return;
  }
  if (!force && last_seq_ && *last_seq_ == head->first) return;
  store::AuditCheckpoint c{head->first, head->second, format_timestamp(clock_.now()), reason, ""};
  c.mac = store::checkpoint_mac(key_, c);
  // The log, the file and the webhook: three places an attacker with the database alone does
  // not reach.
  spdlog::info("audit checkpoint seq={} head={} at={} reason={} mac={}", c.seq, c.head, c.at, c.reason, c.mac);
  if (auto st = store::append_checkpoint(file_, c); !st) spdlog::critical("audit: {}", st.error().message);
  if (auto st = store_.queue_event("audit.checkpoint", json{{"seq", c.seq},
                                                            {"head", c.head},
                                                            {"at", c.at},
                                                            {"reason", c.reason},
                                                            {"mac", c.mac}});
      !st)
    spdlog::error("audit: checkpoint webhook not queued: {}", st.error().message);
  last_seq_ = c.seq;
}

}  // namespace pvmon::app
