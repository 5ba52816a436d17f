// pvmon::stats — exact intervals and descriptive statistics used by safety summaries.
// Pure functions, no I/O, callable from any thread. Distributions come from Boost.Math.
// Invalid arguments (x > n, n < 0) are programmer errors and assert.
#pragma once

#include <optional>
#include <vector>

namespace pvmon::stats {

struct Interval {
  double lower = 0.0;
  double upper = 1.0;
};

/// Exact (Clopper–Pearson 1934) two-sided interval for x events in n trials:
/// lower = Beta^-1(a/2; x, n-x+1) (0 when x = 0), upper = Beta^-1(1-a/2; x+1, n-x) (1 when x = n).
/// n == 0 gives [0, 1].
Interval clopper_pearson(int x, int n, double confidence = 0.95);

/// Median and quartiles by linear interpolation between order statistics (R's type 7,
/// the default of quantile()). nullopt for an empty sample.
struct Quartiles {
  double q1 = 0, median = 0, q3 = 0;
};
std::optional<Quartiles> quartiles(std::vector<double> sample);

}  // namespace pvmon::stats
