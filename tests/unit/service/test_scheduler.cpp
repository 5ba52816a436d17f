// The scheduler on an injected clock: the periodic runner fires each task from the clock, and
// the tick re-sends unacknowledged critical alerts after the configured period. No sleeps.
#include <doctest/doctest.h>

#include <filesystem>
#include <random>

#include "when.hpp"
#include "pvmon/service/scheduler.hpp"

using namespace pvmon;
namespace fs = std::filesystem;

using namespace pvmon::test;

namespace {

}  // namespace

TEST_CASE("Periodic runs each task when its period has passed on the injected clock") {
  FakeClock clock(ts("2026-03-01T00:00:00Z"));
  service::Periodic p(clock);
  std::int64_t tick_ms = 30'000;
  int ticks = 0, reports = 0;
  p.add("tick", [&] { return tick_ms; }, [&] { ++ticks; });
  p.add_now("dsmb", [] { return 60'000; }, [&] { ++reports; });

  // At start only the add_now task is due.
  CHECK(p.run_due() == std::vector<std::string>{"dsmb"});
  CHECK(p.ms_until_next() == 30'000);
  CHECK(p.run_due().empty());

  clock.advance_ms(29'999);
  CHECK(p.run_due().empty());
  CHECK(p.ms_until_next() == 1);
  clock.advance_ms(1);
  CHECK(p.run_due() == std::vector<std::string>{"tick"});
  CHECK(ticks == 1);

  // Ten periods with nobody calling: one run, not ten, and the next from now.
  clock.advance_ms(300'000);
  CHECK(p.run_due() == std::vector<std::string>{"tick", "dsmb"});
  CHECK(ticks == 2);
  CHECK(reports == 2);
  CHECK(p.ms_until_next() == 30'000);

  // A reload that shortens the period takes effect from the next run.
  tick_ms = 5'000;
  clock.advance_ms(30'000);
  CHECK(p.run_due() == std::vector<std::string>{"tick"});
  clock.advance_ms(5'000);
  CHECK(p.run_due() == std::vector<std::string>{"tick"});
  CHECK(ticks == 4);
}

TEST_CASE("the tick re-sends an unacknowledged critical alert after escalate_after_seconds, never an acknowledged one") {
  const fs::path dir = fs::temp_directory_path() / ("pvmon-tick-" + std::to_string(std::random_device{}()));
  fs::create_directories(dir);
  FakeClock clock(ts("2026-03-01T06:00:00Z"));
  auto st = config::parse_study(R"({"id": "s1", "title": "Study one", "sites": ["S01"],
    "interventions": [{"id": "d", "kind": "drug", "investigational_product": true}]})", "s1.json");
  REQUIRE_MESSAGE(st, (st ? "" : st.error().message));
  config::Config c;
  c.studies["s1"] = st.value();
  c.escalate_after_seconds = 3600;
  notify::Endpoint ep;
  ep.name = "officers";
  ep.url = "http://127.0.0.1:9/hook";
  ep.secret_raw = "k";
  ep.events = {"*"};
  c.webhooks.push_back(ep);
  auto rt = service::make_runtime(c);
  REQUIRE(rt);
  {
    auto s = store::Store::open(store::Options{(dir / "pvmon.db").string()}, clock);
    REQUIRE(s);
    auto& store = *s.value();
    store.set_endpoints([&] { return rt.value()->config->webhooks; });
    store::AlertRecord death{"death", "critical", "death:S01-0001", "Death: S01-0001", "S01-0001", std::nullopt};
    store::AlertRecord sae{"sae", "high", "sae:1", "SAE", "S01-0002", std::nullopt};
    REQUIRE(store.raise_alerts("s1", {death, sae}));
    const service::Context cx{*rt.value(), store, clock};
    auto escalations = [&] {
      auto list = store.list_alerts("s1", std::nullopt, std::string("critical"), std::nullopt, 10);
      REQUIRE(list);
      REQUIRE(list->items.size() == 1);
      return static_cast<int>(list->items[0].escalations);
    };

    clock.advance_ms(3'599'000);
    CHECK(service::scheduler_tick(cx).escalated == 0);
    CHECK(escalations() == 0);
    clock.advance_ms(1'000);
    auto r = service::scheduler_tick(cx);
    CHECK(r.problems.empty());
    CHECK(r.escalated == 1);  // the critical one; the high one never
    CHECK(escalations() == 1);
    // Sent again just now: nothing until another period has passed.
    clock.advance_ms(60'000);
    CHECK(service::scheduler_tick(cx).escalated == 0);
    clock.advance_ms(3'540'000);
    CHECK(service::scheduler_tick(cx).escalated == 1);
    CHECK(escalations() == 2);
    // Each re-send is a webhook message of its own.
    auto deliveries = store.list_deliveries(std::nullopt, std::nullopt, std::nullopt, 100);
    REQUIRE(deliveries);
    CHECK(deliveries->items.size() == 4);  // death, sae, two re-sends

    auto list = store.list_alerts("s1", std::nullopt, std::string("critical"), std::nullopt, 10);
    REQUIRE(list);
    const auto id = list->items.at(0).id;
    REQUIRE(store.ack_alert("s1", id, "PI called", {"officer", ""}));
    for (int i = 0; i < 5; ++i) {
      clock.advance_ms(3'600'000);
      CHECK(service::scheduler_tick(cx).escalated == 0);
    }
    CHECK(escalations() == 2);
    store.close();
  }
  fs::remove_all(dir);
}
