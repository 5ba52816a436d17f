#include "boundary_cmd.hpp"

#include <climits>

#include "commands.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <string_view>

#include "pvmon/boundary.hpp"

namespace pvmon::cli {

namespace {


constexpr const char* kBoundaryUsage =
    "usage: pvmon boundary --n-max N --p-lo P --p-hi P --alpha A [--shape D]\n"
    "       pvmon boundary --bayes --prior A,B --p0 P --cutoff C --n-max N [--p-hi P]\n";

std::optional<int> parse_int(std::string_view s) {
  auto v = parse_integer(s, INT_MIN, INT_MAX);
  if (!v) return std::nullopt;
  return static_cast<int>(*v);
}

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string pad(const std::string& s, std::size_t width) {
  return s.size() >= width ? s : std::string(width - s.size(), ' ') + s;
}

void print_rows(const std::vector<stats::BoundaryRow>& rows, std::ostream& out) {
  out << "Stop if the number of events among the first n evaluable subjects reaches:\n";
  out << pad("n", 6) << pad("stop if events >=", 20) << '\n';
  for (const auto& row : rows) {
    out << pad(std::to_string(row.n), 6)
        << pad(row.stop_at > row.n ? std::string("-") : std::to_string(row.stop_at), 20) << '\n';
  }
}

void print_oc(const std::vector<stats::OcRow>& oc, std::ostream& out) {
  out << "\nOperating characteristics:\n";
  out << pad("true rate", 10) << pad("P(stop)", 10) << pad("P(stop early)", 15)
      << pad("expected N", 12) << '\n';
  for (const auto& row : oc) {
    out << pad(fixed(row.rate, 3), 10) << pad(fixed(row.p_cross, 4), 10)
        << pad(fixed(row.p_stop_early, 4), 15) << pad(fixed(row.expected_n, 1), 12) << '\n';
  }
}

void print_error(const Error& e, std::ostream& err) {
  err << "pvmon boundary: " << e.message << '\n';
  for (const auto& f : e.fields) err << "  " << f.field << ": " << f.message << '\n';
}

}  // namespace

int cmd_boundary(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  bool bayes = false;
  std::map<std::string, std::string> opts;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--bayes") {
      bayes = true;
    } else if (a == "--help" || a == "-h") {
      out << kBoundaryUsage;
      return 0;
    } else if (a == "--n-max" || a == "--p-lo" || a == "--p-hi" || a == "--alpha" ||
               a == "--shape" || a == "--prior" || a == "--p0" || a == "--cutoff") {
      if (i + 1 >= args.size()) {
        err << "pvmon boundary: " << a << " needs a value\n" << kBoundaryUsage;
        return kUsageError;
      }
      if (opts.count(a) != 0) {
        err << "pvmon boundary: " << a << " given twice\n";
        return kUsageError;
      }
      opts[a] = args[++i];
    } else {
      err << "pvmon boundary: unknown argument '" << a << "'\n" << kBoundaryUsage;
      return kUsageError;
    }
  }

  auto need_double = [&](const char* name) -> std::optional<double> {
    const auto it = opts.find(name);
    if (it == opts.end()) {
      err << "pvmon boundary: " << name << " is required\n" << kBoundaryUsage;
      return std::nullopt;
    }
    auto v = parse_finite(it->second);
    if (!v) err << "pvmon boundary: " << name << " must be a number, got '" << it->second << "'\n";
    return v;
  };
  std::optional<int> n_max;
  if (const auto it = opts.find("--n-max"); it == opts.end()) {
    err << "pvmon boundary: --n-max is required\n" << kBoundaryUsage;
    return kUsageError;
  } else if (n_max = parse_int(it->second); !n_max) {
    err << "pvmon boundary: --n-max must be a whole number, got '" << it->second << "'\n";
    return kUsageError;
  }

  if (!bayes) {
    for (const char* wrong : {"--prior", "--p0", "--cutoff"}) {
      if (opts.count(wrong) != 0) {
        err << "pvmon boundary: " << wrong << " needs --bayes\n";
        return kUsageError;
      }
    }
    stats::ToxicityDesign d;
    d.n_max = *n_max;
    const auto p_lo = need_double("--p-lo");
    if (!p_lo) return kUsageError;
    const auto p_hi = need_double("--p-hi");
    if (!p_hi) return kUsageError;
    const auto alpha = need_double("--alpha");
    if (!alpha) return kUsageError;
    d.p_lo = *p_lo;
    d.p_hi = *p_hi;
    d.alpha = *alpha;
    if (opts.count("--shape") != 0) {
      const auto shape = need_double("--shape");
      if (!shape) return kUsageError;
      d.shape = *shape;
    }
    auto b = stats::toxicity_boundary(d);
    if (!b) {
      print_error(b.error(), err);
      return kUsageError;
    }
    out << "Toxicity boundary (Ivanova, Qaqish & Schell 2005), N = " << d.n_max
        << ", p_lo = " << fixed(d.p_lo, 3) << ", p_hi = " << fixed(d.p_hi, 3)
        << ", alpha = " << fixed(d.alpha, 3) << ", shape = " << fixed(d.shape, 2) << "\n\n";
    print_rows(b->rows, out);
    print_oc(b->oc, out);
    out << "\nAchieved type I error (P(stop) at p_lo = " << fixed(d.p_lo, 3)
        << "): " << fixed(b->type1_error, 4) << '\n';
    out << "Power (P(stop) at p_hi = " << fixed(d.p_hi, 3) << "): " << fixed(b->power, 4) << '\n';
    return 0;
  }

  for (const char* wrong : {"--p-lo", "--alpha", "--shape"}) {
    if (opts.count(wrong) != 0) {
      err << "pvmon boundary: " << wrong << " does not apply with --bayes\n";
      return kUsageError;
    }
  }
  stats::BayesDesign d;
  d.n_max = *n_max;
  const auto prior_it = opts.find("--prior");
  if (prior_it == opts.end()) {
    err << "pvmon boundary: --prior is required with --bayes\n" << kBoundaryUsage;
    return kUsageError;
  }
  const std::string& prior = prior_it->second;
  const auto comma = prior.find(',');
  const auto pa = comma == std::string::npos ? std::nullopt
                                             : parse_finite(std::string_view(prior).substr(0, comma));
  const auto pb = comma == std::string::npos ? std::nullopt
                                             : parse_finite(std::string_view(prior).substr(comma + 1));
  if (!pa || !pb) {
    err << "pvmon boundary: --prior must be two numbers A,B (Beta(A, B)), got '" << prior << "'\n";
    return kUsageError;
  }
  d.prior_a = *pa;
  d.prior_b = *pb;
  const auto p0 = need_double("--p0");
  if (!p0) return kUsageError;
  const auto cutoff = need_double("--cutoff");
  if (!cutoff) return kUsageError;
  d.p0 = *p0;
  d.cutoff = *cutoff;
  if (opts.count("--p-hi") != 0) {
    const auto p_hi = need_double("--p-hi");
    if (!p_hi) return kUsageError;
    d.p_hi = *p_hi;
  }
  auto b = stats::bayes_boundary(d);
  if (!b) {
    print_error(b.error(), err);
    return kUsageError;
  }
  out << "Bayesian toxicity monitoring (Thall & Simon 1994), prior Beta(" << prior_it->second
      << "), stop when P(rate > " << fixed(d.p0, 3) << " | data) > " << fixed(d.cutoff, 3)
      << ", N = " << d.n_max << "\n\n";
  print_rows(b->rows, out);
  print_oc(b->oc, out);
  out << "\nAchieved type I error (P(stop) at p0 = " << fixed(d.p0, 3)
      << "): " << fixed(b->type1_error, 4) << '\n';
  if (d.p_hi != 0.0) {
    out << "Power (P(stop) at p_hi = " << fixed(d.p_hi, 3) << "): " << fixed(b->power, 4)
        << '\n';
  }
  return 0;
}

}  // namespace pvmon::cli
