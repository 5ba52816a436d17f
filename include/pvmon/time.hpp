// pvmon::time — calendar dates, UTC timestamps and the injected clock.
// All times are stored and compared in UTC; clinical day counts are calendar days.
// Parsing is strict (2026-02-30 is an error) and pure; Clock is the only source of "now".
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pvmon {

/// A calendar date as days since 1970-01-01 (proleptic Gregorian).
struct Date {
  std::int32_t days = 0;
  auto operator<=>(const Date&) const = default;
  Date plus_days(std::int32_t n) const { return Date{days + n}; }
};

/// Milliseconds since the Unix epoch, UTC.
struct Timestamp {
  std::int64_t ms = 0;
  auto operator<=>(const Timestamp&) const = default;
  Timestamp plus_ms(std::int64_t n) const { return Timestamp{ms + n}; }
  Timestamp plus_hours(std::int64_t h) const { return Timestamp{ms + h * 3'600'000}; }
  Timestamp plus_days(std::int64_t d) const { return Timestamp{ms + d * 86'400'000}; }
  /// The UTC calendar date this instant falls on.
  Date date() const;
};

/// "YYYY-MM-DD" exactly; nullopt for anything else or an impossible date.
std::optional<Date> parse_date(std::string_view s);
std::string format_date(Date d);
/// Start of the day (00:00:00Z).
Timestamp start_of(Date d);

/// RFC 3339 / ISO 8601 date-time with a mandatory offset ("Z" or "+hh:mm"), optional
/// fraction (kept to milliseconds). nullopt for anything else.
std::optional<Timestamp> parse_timestamp(std::string_view s);
/// "YYYY-MM-DDThh:mm:ss.mmmZ" (always with milliseconds, so that strings sort as times).
std::string format_timestamp(Timestamp t);

/// A data cut-off as given by a user: a date-time with offset, or a date meaning the end of
/// that day (23:59:59.999Z). nullopt for anything else.
std::optional<Timestamp> parse_cutoff(std::string_view s);

/// Date from year/month/day; nullopt when not a real date.
std::optional<Date> make_date(int y, unsigned m, unsigned d);

/// The earliest day an input may name: 1900-01-01. A date before it (0000-01-01, or 0026
/// typed for 2026) is a typo, not a clinical fact, and some records keep it for ever (a DSMB
/// report's cut-off).
inline constexpr Date kEarliestInputDate{-25'567};
/// Why a date or instant given as input (a body field, a query parameter, a command-line
/// argument) is refused although it parses ("is before 1900-01-01"), or nullopt. Every input
/// date goes through it after its parse; what is read back from the store does not.
std::optional<std::string> input_date_problem(Date d);
std::optional<std::string> input_date_problem(Timestamp t);

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Timestamp now() const = 0;
};

class SystemClock final : public Clock {
 public:
  Timestamp now() const override;
};

/// A clock tests set and advance by hand; thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(Timestamp t) : ms_(t.ms) {}
  Timestamp now() const override { return Timestamp{ms_.load()}; }
  void set(Timestamp t) { ms_.store(t.ms); }
  void advance_ms(std::int64_t n) { ms_.fetch_add(n); }

 private:
  std::atomic<std::int64_t> ms_;
};

}  // namespace pvmon
