#include "pvmon/time.hpp"

#include <chrono>
#include <cstdio>

namespace pvmon {
namespace {

namespace ch = std::chrono;

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    const char c = s[i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}

}  // namespace

std::optional<Date> make_date(int y, unsigned m, unsigned d) {
  const ch::year_month_day ymd{ch::year{y}, ch::month{m}, ch::day{d}};
  if (!ymd.ok()) return std::nullopt;
  return Date{static_cast<std::int32_t>(ch::sys_days{ymd}.time_since_epoch().count())};
}

std::optional<Date> parse_date(std::string_view s) {
  int y = 0, m = 0, d = 0;
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  if (!digits(s, 0, 4, y) || !digits(s, 5, 2, m) || !digits(s, 8, 2, d)) return std::nullopt;
  return make_date(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
}

std::string format_date(Date d) {
  const ch::year_month_day ymd{ch::sys_days{ch::days{d.days}}};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

std::optional<std::string> input_date_problem(Date d) {
  if (d < kEarliestInputDate) return "is before " + format_date(kEarliestInputDate);
  return std::nullopt;
}

std::optional<std::string> input_date_problem(Timestamp t) {
  if (t < start_of(kEarliestInputDate)) return "is before " + format_date(kEarliestInputDate);
  return std::nullopt;
}

std::optional<Timestamp> parse_cutoff(std::string_view s) {
  if (auto t = parse_timestamp(s)) return t;
  if (auto d = parse_date(s)) return start_of(d->plus_days(1)).plus_ms(-1);
  return std::nullopt;
}

Timestamp start_of(Date d) { return Timestamp{static_cast<std::int64_t>(d.days) * 86'400'000}; }

Date Timestamp::date() const {
  // Floor division: instants before 1970 still land on the right day.
  std::int64_t q = ms / 86'400'000;
  if (ms % 86'400'000 < 0) --q;
  return Date{static_cast<std::int32_t>(q)};
}

std::optional<Timestamp> parse_timestamp(std::string_view s) {
  if (s.size() < 20) return std::nullopt;
  auto date = parse_date(s.substr(0, 10));
  if (!date || (s[10] != 'T' && s[10] != 't')) return std::nullopt;
  int hh = 0, mm = 0, ss = 0;
  if (!digits(s, 11, 2, hh) || s[13] != ':' || !digits(s, 14, 2, mm) || s[16] != ':' ||
      !digits(s, 17, 2, ss))
    return std::nullopt;
  if (hh > 23 || mm > 59 || ss > 59) return std::nullopt;  // leap seconds are not accepted
  std::size_t pos = 19;
  std::int64_t frac_ms = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    std::size_t n = 0;
    std::int64_t scale = 100;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (n < 3) frac_ms += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
      ++n;
    }
    if (n == 0 || n > 9) return std::nullopt;
  }
  if (pos >= s.size()) return std::nullopt;  // the offset is mandatory
  std::int64_t offset_min = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int oh = 0, om = 0;
    if (!digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !digits(s, pos + 4, 2, om) || oh > 23 || om > 59)
      return std::nullopt;
    offset_min = (oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  const std::int64_t secs =
      static_cast<std::int64_t>(date->days) * 86'400 + hh * 3600 + mm * 60 + ss - offset_min * 60;
  return Timestamp{secs * 1000 + frac_ms};
}

std::string format_timestamp(Timestamp t) {
  const Date d = t.date();
  const std::int64_t in_day = t.ms - static_cast<std::int64_t>(d.days) * 86'400'000;
  const auto h = in_day / 3'600'000, m = (in_day / 60'000) % 60, s = (in_day / 1000) % 60,
             ms = in_day % 1000;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%sT%02lld:%02lld:%02lld.%03lldZ", format_date(d).c_str(),
                static_cast<long long>(h), static_cast<long long>(m), static_cast<long long>(s),
                static_cast<long long>(ms));
  return buf;
}

Timestamp SystemClock::now() const {
  return Timestamp{
      ch::duration_cast<ch::milliseconds>(ch::system_clock::now().time_since_epoch()).count()};
}

}  // namespace pvmon
