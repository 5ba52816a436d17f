#include <boost/math/special_functions/beta.hpp>

#include <algorithm>
#include <cassert>

#include "pvmon/stats.hpp"

namespace pvmon::stats {

Interval clopper_pearson(int x, int n, double confidence) {
  assert(n >= 0 && x >= 0 && x <= n && "clopper_pearson: need 0 <= x <= n");
  assert(confidence > 0.0 && confidence < 1.0);
  if (n == 0) return {0.0, 1.0};
  const double alpha = 1.0 - confidence;
  Interval ci;
  // Clopper & Pearson, Biometrika 1934; as quantiles of the beta distribution.
  ci.lower = x == 0 ? 0.0 : boost::math::ibeta_inv(x, n - x + 1, alpha / 2);
  ci.upper = x == n ? 1.0 : boost::math::ibeta_inv(x + 1, n - x, 1 - alpha / 2);
  return ci;
}

std::optional<Quartiles> quartiles(std::vector<double> sample) {
  if (sample.empty()) return std::nullopt;
  std::sort(sample.begin(), sample.end());
  // Hyndman & Fan (1996) type 7: h = (n-1)p, interpolate between floor(h) and floor(h)+1.
  auto q = [&](double p) {
    const double h = (static_cast<double>(sample.size()) - 1) * p;
    const auto lo = static_cast<std::size_t>(h);
    const std::size_t hi = std::min(lo + 1, sample.size() - 1);
    return sample[lo] + (h - static_cast<double>(lo)) * (sample[hi] - sample[lo]);
  };
  return Quartiles{q(0.25), q(0.5), q(0.75)};
}

}  // namespace pvmon::stats
