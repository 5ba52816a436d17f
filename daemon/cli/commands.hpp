// The pvmon subcommands. Each takes its arguments (without "pvmon" and the command word) and
// streams, and returns the exit code: 0 done, 1 could not do it, 2 bad usage.
#pragma once

#include <functional>
#include <optional>
#include <istream>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace httplib {
class Result;
}

namespace pvmon::cli {

/// The exit code of bad usage.
inline constexpr int kUsageError = 2;

using Args = std::vector<std::string>;

struct Command {
  const char* name;
  std::function<int(const Args&, std::istream&, std::ostream&, std::ostream&)> run;
};

const std::vector<Command>& commands();

/// A whole decimal integer within [lo, hi], or nothing (trailing text, overflow, out of range).
std::optional<long long> parse_integer(std::string_view s, long long lo, long long hi);
/// A whole finite number ("2.5", "1e3"), or nothing.
std::optional<double> parse_finite(std::string_view s);

/// An answer of pvmond for a message: its status and the problem detail with each field's
/// reason (RFC 9457), or why no answer came.
std::string describe_answer(const httplib::Result& r);

int cmd_token(const Args& args, std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace pvmon::cli
