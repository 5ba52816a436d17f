#include "pvmon/schedule.hpp"

#include <charconv>
#include <chrono>
#include <vector>

namespace pvmon::schedule {
namespace {

constexpr std::int64_t kMinuteMs = 60'000;
constexpr std::int64_t kDayMs = 86'400'000;

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

std::optional<int> number(std::string_view s) {
  int v = 0;
  if (s.empty()) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// One field: sets bits lo..hi as the list says. Returns false when malformed or out of range.
template <std::size_t N>
bool parse_field(std::string_view f, int lo, int hi, std::bitset<N>& bits, bool& any) {
  any = f == "*";
  for (auto item : split(f, ',')) {
    int step = 1;
    if (auto slash = item.find('/'); slash != std::string_view::npos) {
      auto s = number(item.substr(slash + 1));
      if (!s || *s < 1) return false;
      step = *s;
      item = item.substr(0, slash);
    }
    int a = lo, b = hi;
    if (item != "*") {
      if (auto dash = item.find('-'); dash != std::string_view::npos) {
        auto x = number(item.substr(0, dash)), y = number(item.substr(dash + 1));
        if (!x || !y || *x > *y) return false;
        a = *x;
        b = *y;
      } else {
        auto x = number(item);
        if (!x) return false;
        a = *x;
        // "a/step" runs from a to the end of the range, as in Vixie cron.
        b = step > 1 ? hi : *x;
      }
    }
    if (a < lo || b > hi) return false;
    for (int v = a; v <= b; v += step) bits.set(static_cast<std::size_t>(v));
  }
  return true;
}

bool day_matches(const Cron& c, Date d) {
  namespace ch = std::chrono;
  const ch::year_month_day ymd{ch::sys_days{ch::days{d.days}}};
  if (!c.month.test(static_cast<unsigned>(ymd.month()))) return false;
  const bool dom = c.dom.test(static_cast<unsigned>(ymd.day()));
  const bool dow = c.dow.test(ch::weekday{ch::sys_days{ch::days{d.days}}}.c_encoding());
  if (c.dom_any && c.dow_any) return true;
  if (c.dom_any) return dow;
  if (c.dow_any) return dom;
  return dom || dow;
}

}  // namespace

Result<Cron> parse_cron(std::string_view text) {
  std::vector<std::string_view> f;
  for (auto part : split(text, ' '))
    if (!part.empty()) f.push_back(part);
  if (f.size() != 5)
    return Error::of(Errc::invalid, "a cron expression has five fields (minute hour "
                                    "day-of-month month day-of-week), got " +
                                        std::to_string(f.size()));
  Cron c;
  bool any = false;
  std::bitset<8> dow8;
  const char* names[] = {"minute (0-59)", "hour (0-23)", "day of month (1-31)", "month (1-12)",
                         "day of week (0-7)"};
  bool ok[5] = {parse_field(f[0], 0, 59, c.minute, any), parse_field(f[1], 0, 23, c.hour, any),
                parse_field(f[2], 1, 31, c.dom, c.dom_any), parse_field(f[3], 1, 12, c.month, any),
                parse_field(f[4], 0, 7, dow8, c.dow_any)};
  for (int i = 0; i < 5; ++i)
    if (!ok[i])
      return Error::of(Errc::invalid, "cron field " + std::to_string(i + 1) + " \"" +
                                          std::string(f[static_cast<std::size_t>(i)]) +
                                          "\" is not a valid " + names[i]);
  for (std::size_t i = 0; i < 7; ++i) c.dow[i] = dow8[i];
  if (dow8[7]) c.dow.set(0);  // 7 is Sunday too
  return c;
}

std::optional<Timestamp> next_after(const Schedule& s, Timestamp after) {
  if (s.cron) {
    const Cron& c = *s.cron;
    const Date first = after.date();
    for (int i = 0; i <= 3660; ++i) {
      const Date d = first.plus_days(i);
      if (!day_matches(c, d)) continue;
      for (int h = 0; h < 24; ++h) {
        if (!c.hour.test(static_cast<std::size_t>(h))) continue;
        for (int m = 0; m < 60; ++m) {
          if (!c.minute.test(static_cast<std::size_t>(m))) continue;
          const Timestamp t = start_of(d).plus_ms((h * 60 + m) * kMinuteMs);
          if (t > after) return t;
        }
      }
    }
    return std::nullopt;
  }
  if (s.every_days < 1) return std::nullopt;
  const Timestamp origin = start_of(s.starting).plus_ms(s.at_minute * kMinuteMs);
  if (after < origin) return origin;
  const std::int64_t period = s.every_days * kDayMs;
  const std::int64_t k = (after.ms - origin.ms) / period + 1;
  return Timestamp{origin.ms + k * period};
}

std::optional<Timestamp> latest_in(const Schedule& s, Timestamp after, Timestamp now) {
  std::optional<Timestamp> last;
  if (!s.cron && s.every_days >= 1) {
    // Closed form: the last origin + k * period at or before now.
    const Timestamp origin = start_of(s.starting).plus_ms(s.at_minute * kMinuteMs);
    if (now < origin) return std::nullopt;
    const std::int64_t period = s.every_days * kDayMs;
    const Timestamp t{origin.ms + (now.ms - origin.ms) / period * period};
    return t > after ? std::optional(t) : std::nullopt;
  }
  for (auto t = next_after(s, after); t && *t <= now; t = next_after(s, *t)) last = t;
  return last;
}

}  // namespace pvmon::schedule
