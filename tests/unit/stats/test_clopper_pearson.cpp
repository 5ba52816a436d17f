#include <doctest/doctest.h>

#include "pvmon/stats.hpp"

using namespace pvmon::stats;

// Exact 95% limits as published: 0/10 upper = 1 - 0.025^(1/10) = 0.30850 (closed form when
// x = 0); 1/20 = 0.00127-0.24873 and 3/30 = 0.02112-0.26529 (R: binom.test(x, n)$conf.int,
// also in Newcombe, Stat Med 1998, table II style listings).
TEST_CASE("Clopper-Pearson exact intervals") {
  auto a = clopper_pearson(0, 10);
  CHECK(a.lower == 0.0);
  CHECK(a.upper == doctest::Approx(0.30850).epsilon(1e-4));
  auto b = clopper_pearson(1, 20);
  CHECK(b.lower == doctest::Approx(0.001265).epsilon(1e-3));
  CHECK(b.upper == doctest::Approx(0.248733).epsilon(1e-4));
  auto c = clopper_pearson(3, 30);
  CHECK(c.lower == doctest::Approx(0.021117).epsilon(1e-3));
  CHECK(c.upper == doctest::Approx(0.265284).epsilon(1e-4));
  auto d = clopper_pearson(10, 10);
  CHECK(d.upper == 1.0);
  CHECK(d.lower == doctest::Approx(0.69150).epsilon(1e-4));  // 0.025^(1/10)
  auto e = clopper_pearson(0, 0);
  CHECK(e.lower == 0.0);
  CHECK(e.upper == 1.0);
}

TEST_CASE("quartiles follow R's default (type 7)") {
  // quantile(c(1,2,3,4,5,6,7,8,9,10)) -> 3.25 5.5 7.75
  auto q = quartiles({10, 9, 8, 7, 6, 5, 4, 3, 2, 1});
  REQUIRE(q);
  CHECK(q->q1 == doctest::Approx(3.25));
  CHECK(q->median == doctest::Approx(5.5));
  CHECK(q->q3 == doctest::Approx(7.75));
  CHECK(quartiles({4})->median == 4);
  CHECK_FALSE(quartiles({}));
}
