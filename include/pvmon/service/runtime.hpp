// pvmon::service — the use cases between the edges (HTTP, CLI, timers) and the pure libraries:
// accept an AE report, a follow-up, a subject event, an enrolment, an acknowledgement, a
// regulatory submission; the safety figures, DSMB reports and the scheduler tick. Each takes
// typed inputs, the config in force and a narrow store interface, and returns a Result. No
// HTTP library below this layer. This header: the config in force and what is derived from it.
// Callable from any thread.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "pvmon/boundary.hpp"
#include "pvmon/config.hpp"
#include "pvmon/core.hpp"
#include "pvmon/ctcae.hpp"
#include "pvmon/store.hpp"
#include "pvmon/time.hpp"

namespace pvmon::service {

/// A stopping rule with its boundary table and operating characteristics, computed once at
/// start-up and on reload.
struct Boundary {
  safety::StoppingRule rule;
  std::vector<stats::BoundaryRow> rows;
  std::vector<stats::OcRow> oc;
  double type1_error = 0;
  /// P(stop) at the alternative rate; none for a Bayesian rule without one (not applicable).
  std::optional<double> power;
};

/// The config in force and what is derived from it (per-study term resolvers with the
/// protocol's own terms, stopping boundaries). Immutable; built at start-up and on reload.
struct Runtime {
  std::shared_ptr<const config::Config> config;
  std::map<std::string, std::shared_ptr<const ctcae::Resolver>> resolvers;  // by study id
  std::map<std::string, std::vector<Boundary>> boundaries;                   // by study id
};

/// Builds the runtime; an error names the study whose protocol terms clash with CTCAE.
Result<std::shared_ptr<const Runtime>> make_runtime(config::Config c);

/// Swapped whole on reload; callers take a snapshot per request without blocking.
class ConfigHolder {
 public:
  explicit ConfigHolder(std::shared_ptr<const Runtime> r) : rt_(std::move(r)) {}
  std::shared_ptr<const Runtime> get() const {
    std::lock_guard lock(mu_);
    return rt_;
  }
  void set(std::shared_ptr<const Runtime> r) {
    std::lock_guard lock(mu_);
    rt_ = std::move(r);
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const Runtime> rt_;
};

/// What every use case works with: the config in force for this call, the store and the clock.
struct Context {
  const Runtime& rt;
  store::Store& store;
  const Clock& clock;
};

/// Who asks, as the edges authenticated them (a site principal carries its site).
struct Caller {
  std::string principal;
  config::Role role = config::Role::site;
  std::string site;

  store::Actor actor() const { return store::Actor{principal, site}; }
  /// Whether the caller may see data of `other_site` (sites see only their own).
  bool sees_site(const std::string& other_site) const {
    return role != config::Role::site || site == other_site;
  }
};

}  // namespace pvmon::service
