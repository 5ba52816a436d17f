#include <doctest/doctest.h>

#include <sstream>
#include <string>
#include <vector>

#include "boundary_cmd.hpp"

using pvmon::cli::cmd_boundary;

namespace {

struct Run {
  int rc;
  std::string out, err;
};

Run run(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  const int rc = cmd_boundary(args, out, err);
  return {rc, out.str(), err.str()};
}

}  // namespace

TEST_CASE("pvmon boundary: Pocock-type table") {
  const auto r = run({"--n-max", "30", "--p-lo", "0.05", "--p-hi", "0.20", "--alpha", "0.10"});
  CHECK(r.rc == 0);
  CHECK(r.err.empty());
  CHECK(r.out.find("stop if events >=") != std::string::npos);
  CHECK(r.out.find("Operating characteristics") != std::string::npos);
  CHECK(r.out.find("Achieved type I error") != std::string::npos);
  CHECK(r.out.find("Power") != std::string::npos);
  // One table line per subject, the last for n = 30.
  CHECK(r.out.find("\n    30") != std::string::npos);
  // Rates of the grid: p_lo, p_hi and 0.05 steps.
  CHECK(r.out.find("     0.050") != std::string::npos);
  CHECK(r.out.find("     0.300") != std::string::npos);

  const auto shaped = run({"--n-max", "30", "--p-lo", "0.05", "--p-hi", "0.20", "--alpha", "0.10",
                           "--shape", "0.5"});
  CHECK(shaped.rc == 0);
  CHECK(shaped.out.find("shape = 0.50") != std::string::npos);
}

TEST_CASE("pvmon boundary --bayes") {
  const auto r = run({"--bayes", "--prior", "1,9", "--p0", "0.10", "--cutoff", "0.8", "--n-max", "30"});
  CHECK(r.rc == 0);
  CHECK(r.err.empty());
  CHECK(r.out.find("Thall & Simon") != std::string::npos);
  // Worked in test_bayes_boundary.cpp: n = 1 cannot stop, n = 2 stops at 2, n = 10 at 3.
  CHECK(r.out.find("\n     1                   -\n") != std::string::npos);
  CHECK(r.out.find("\n     2                   2\n") != std::string::npos);
  CHECK(r.out.find("\n    10                   3\n") != std::string::npos);
  CHECK(r.out.find("Achieved type I error (P(stop) at p0 = 0.100)") != std::string::npos);
}

TEST_CASE("pvmon boundary: bad arguments give a message and a non-zero code") {
  const std::vector<std::vector<std::string>> bad{
      {},
      {"--n-max"},
      {"--n-max", "thirty", "--p-lo", "0.05", "--p-hi", "0.2", "--alpha", "0.1"},
      {"--n-max", "30", "--p-lo", "0.05", "--alpha", "0.1"},
      {"--n-max", "30", "--p-lo", "0.25", "--p-hi", "0.2", "--alpha", "0.1"},
      {"--n-max", "30", "--p-lo", "0.05", "--p-hi", "0.2", "--alpha", "0.1", "--shape", "2"},
      {"--n-max", "30", "--p-lo", "0.05", "--p-hi", "0.2", "--alpha", "0.1", "--frobnicate"},
      {"--n-max", "30", "--n-max", "31", "--p-lo", "0.05", "--p-hi", "0.2", "--alpha", "0.1"},
      {"--n-max", "30", "--p-lo", "0.05", "--p-hi", "0.2", "--alpha", "0.1", "--cutoff", "0.8"},
      {"--bayes", "--prior", "1;9", "--p0", "0.1", "--cutoff", "0.8", "--n-max", "30"},
      {"--bayes", "--prior", "1,9", "--p0", "0.1", "--n-max", "30"},
      {"--bayes", "--prior", "1,9", "--p0", "0.1", "--cutoff", "0.8", "--n-max", "30", "--alpha",
       "0.1"},
      {"--bayes", "--prior", "-1,9", "--p0", "0.1", "--cutoff", "0.8", "--n-max", "30"},
  };
  for (const auto& args : bad) {
    const auto r = run(args);
    CAPTURE(r.err);
    CHECK(r.rc != 0);
    CHECK_FALSE(r.err.empty());
    CHECK(r.out.empty());
  }
}
