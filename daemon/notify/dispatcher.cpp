// The dispatcher's threads: the caller's io_context runs only the timer (through a strand);
// one "poller" thread asks the repository what is due and hands messages out; a pool of
// workers does the blocking HTTP sends and records each attempt.
//
// Fairness: at most one message per endpoint is in flight, so a slow or dead endpoint holds
// one worker and never more; the repository returns due messages per endpoint, so a backlog
// at one endpoint never hides another's. Order per endpoint is strict, and decided by the
// repository's claim (due()), not here: it hands out an endpoint's messages in sequence order
// from the head, and nothing behind a head that waits for its retry. A worker sends a batch in
// that order and stops at the first failure, so the head is retried (with backoff) before
// anything behind it goes out. Receivers de-duplicate on webhook-id and see a gap (a message
// dead-lettered after 3 days) in webhook-sequence.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <condition_variable>
#include <mutex>
#include <random>
#include <set>

#include "pvmon/notify.hpp"

namespace pvmon::notify {

namespace {
// A safety net: look again at least this often even if nothing woke us (clock jumps, a
// repository whose next_due() counts a message that due() does not return).
constexpr std::chrono::milliseconds kIdlePoll{30'000};
// After a repository failure, do not spin on it.
constexpr std::chrono::milliseconds kRepositoryRetry{1'000};
// Due messages taken per endpoint per poll, then sent in order by one worker.
constexpr std::size_t kBatch = 32;
}  // namespace

struct Dispatcher::Impl {
  // Lets Asio handlers that outlive the Dispatcher find out that it is gone.
  struct Link {
    std::mutex m;
    Impl* impl = nullptr;
  };

  Impl(boost::asio::io_context& io, OutboxRepository& repo, Sender& sender, EndpointsFn endpoints,
       const Clock& clock, std::size_t workers, RetryPolicy policy, UniformRandom random)
      : repo_(repo),
        sender_(sender),
        endpoints_(std::move(endpoints)),
        clock_(clock),
        policy_(policy),
        random_(std::move(random)),
        pool_(std::max<std::size_t>(workers, 1)),
        poller_(1),
        strand_(boost::asio::make_strand(io)),
        timer_(strand_),
        link_(std::make_shared<Link>()) {
    link_->impl = this;
    boost::asio::post(poller_, [] { set_thread_name("pv-outbox"); });  // its one thread, once
    if (!random_) {
      random_ = [engine = std::mt19937_64{std::random_device{}()}]() mutable {
        return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
      };
    }
  }

  ~Impl() {
    {
      std::lock_guard lk(link_->m);
      link_->impl = nullptr;
    }
    pool_.join();
    poller_.join();
  }

  void start() {
    {
      std::lock_guard lk(m_);
      assert(!started_ && "Dispatcher::start is called once");
      started_ = true;
    }
    request_poll();
  }

  void request_poll() {
    std::lock_guard lk(m_);
    if (!started_ || stopping_) return;
    if (poll_scheduled_) {
      poll_again_ = true;
      return;
    }
    poll_scheduled_ = true;
    boost::asio::post(poller_, [this] { run_polls(); });
  }

  void run_polls() {
    for (;;) {
      {
        std::lock_guard lk(m_);
        poll_again_ = false;
        if (stopping_) {
          poll_scheduled_ = false;
          return;
        }
      }
      try {
        poll_once();
      } catch (const std::exception& e) {
        spdlog::error("webhook dispatcher: reading the outbox failed: {}", e.what());
        arm_timer(kRepositoryRetry);
      }
      std::lock_guard lk(m_);
      if (!poll_again_) {
        poll_scheduled_ = false;
        return;
      }
    }
  }

  void poll_once() {
    const Timestamp now = clock_.now();
    const std::vector<Endpoint> endpoints = endpoints_();
    // Up to kBatch due messages per endpoint, sent in order by one worker: a backlog drains
    // without a poll per message, and an endpoint still has one message in flight at a time.
    std::map<std::string, std::vector<OutboxMessage>> batches;
    for (OutboxMessage& msg : repo_.due(now, kBatch)) batches[msg.endpoint].push_back(std::move(msg));
    for (auto& [name, msgs] : batches) {
      {
        std::lock_guard lk(m_);
        if (stopping_) return;
        if (!busy_.insert(name).second) continue;  // one worker per endpoint
        ++in_flight_;
      }
      std::optional<Endpoint> endpoint;
      auto it = std::find_if(endpoints.begin(), endpoints.end(),
                             [&, n = name](const Endpoint& e) { return e.name == n; });
      if (it != endpoints.end()) endpoint = *it;
      boost::asio::post(pool_, [this, msgs = std::move(msgs), endpoint = std::move(endpoint)] {
        set_thread_name("pv-deliver");  // per task: a post cannot reach each of the pool's threads
        deliver_all(msgs, endpoint);
      });
    }
    const std::optional<Timestamp> next = repo_.next_due();
    // A message already due but not sent belongs to a busy endpoint: that send's completion
    // polls again, so only the safety net is needed.
    auto delay = kIdlePoll;
    if (next && *next > now)
      delay = std::min(kIdlePoll, std::chrono::milliseconds(next->ms - now.ms));
    arm_timer(delay);
  }

  void arm_timer(std::chrono::milliseconds delay) {
    boost::asio::post(strand_, [link = link_, delay] {
      std::lock_guard lk(link->m);
      if (link->impl == nullptr) return;
      Impl& self = *link->impl;
      self.timer_.expires_after(delay);
      self.timer_.async_wait([link](const boost::system::error_code& ec) {
        if (ec) return;  // cancelled or re-armed
        std::lock_guard lk2(link->m);
        if (link->impl != nullptr) link->impl->request_poll();
      });
    });
  }

  void cancel_timer() {
    boost::asio::post(strand_, [link = link_] {
      std::lock_guard lk(link->m);
      if (link->impl != nullptr) link->impl->timer_.cancel();
    });
  }

  double draw() {
    std::lock_guard lk(random_m_);
    return random_();
  }

  void deliver_all(const std::vector<OutboxMessage>& msgs, const std::optional<Endpoint>& endpoint) {
    bool repository_failed = false;
    for (const auto& msg : msgs) {
      {
        std::lock_guard lk(m_);
        if (stopping_) break;
      }
      const auto outcome = deliver(msg, endpoint);
      if (!outcome) {
        repository_failed = true;
        break;
      }
      // After a failure the endpoint is down, slow or gone, and the failed message is still its
      // head: the rest of the batch waits behind it (strict order), and nothing follows a 410.
      if (*outcome != Outcome::delivered) break;
    }
    {
      std::lock_guard lk(m_);
      busy_.erase(msgs.front().endpoint);
      --in_flight_;
    }
    idle_.notify_all();
    if (repository_failed) {
      arm_timer(kRepositoryRetry);
    } else {
      request_poll();
    }
  }

  /// Sends one message and records the attempt; the outcome, or nullopt when recording failed.
  std::optional<Outcome> deliver(const OutboxMessage& msg, const std::optional<Endpoint>& endpoint) {
    std::optional<Outcome> outcome;
    try {
      const Timestamp at = clock_.now();
      SendResult r;
      if (!endpoint) {
        r.error = "endpoint \"" + msg.endpoint + "\" is not in the configuration";
      } else if (endpoint->disabled) {
        r.error = "endpoint \"" + msg.endpoint + "\" is disabled in the configuration";
      } else {
        r = sender_.send(*endpoint, msg, at);
      }
      const Decision d = decide(policy_, msg, r.http_status, clock_.now(), draw());
      Attempt attempt{msg.id,  at,        r.http_status,    r.latency_ms,
                      r.error, d.outcome, d.next_attempt_at};
      if (d.outcome == Outcome::delivered) {
        spdlog::debug("webhook {} to {}: HTTP {} in {} ms", msg.msg_id, msg.endpoint, r.http_status,
                      r.latency_ms);
      } else {
        spdlog::warn("webhook {} to {} attempt {}: {} ({}){}", msg.msg_id, msg.endpoint,
                     msg.attempts + 1, to_string(d.outcome), r.error,
                     d.next_attempt_at ? ", next at " + format_timestamp(*d.next_attempt_at) : "");
      }
      repo_.record(attempt);
      outcome = d.outcome;
    } catch (const std::exception& e) {
      // The message stays pending and is sent again later: at least once.
      spdlog::error("webhook {} to {}: recording the attempt failed: {}", msg.msg_id, msg.endpoint,
                    e.what());
    }
    return outcome;
  }

  void stop(std::chrono::milliseconds grace) {
    {
      std::unique_lock lk(m_);
      if (stopping_) return;
      stopping_ = true;
      if (!idle_.wait_for(lk, grace, [this] { return in_flight_ == 0; })) {
        spdlog::warn(
            "webhook dispatcher: {} send(s) still in flight after {} ms; they end at "
            "their timeouts and are sent again after restart",
            in_flight_, grace.count());
      }
    }
    cancel_timer();
    poller_.join();
    // Sends still running are bounded by their endpoint's connect + write + read timeouts.
    pool_.join();
  }

  std::size_t in_flight() const {
    std::lock_guard lk(m_);
    return in_flight_;
  }

  OutboxRepository& repo_;
  Sender& sender_;
  EndpointsFn endpoints_;
  const Clock& clock_;
  RetryPolicy policy_;
  std::mutex random_m_;
  UniformRandom random_;

  boost::asio::thread_pool pool_;
  boost::asio::thread_pool poller_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::steady_timer timer_;  // touched only on strand_
  std::shared_ptr<Link> link_;

  mutable std::mutex m_;
  std::condition_variable idle_;
  bool started_ = false;
  bool stopping_ = false;
  bool poll_scheduled_ = false;
  bool poll_again_ = false;
  std::set<std::string> busy_;
  std::size_t in_flight_ = 0;
};

Dispatcher::Dispatcher(boost::asio::io_context& io, OutboxRepository& repo, Sender& sender,
                       EndpointsFn endpoints, const Clock& clock, std::size_t workers,
                       RetryPolicy policy, UniformRandom random)
    : impl_(std::make_unique<Impl>(io, repo, sender, std::move(endpoints), clock, workers, policy,
                                   std::move(random))) {}

Dispatcher::~Dispatcher() { impl_->stop(std::chrono::milliseconds{10'000}); }

void Dispatcher::start() { impl_->start(); }
void Dispatcher::wake() { impl_->request_poll(); }
void Dispatcher::stop(std::chrono::milliseconds grace) { impl_->stop(grace); }
std::size_t Dispatcher::in_flight() const { return impl_->in_flight(); }

}  // namespace pvmon::notify
