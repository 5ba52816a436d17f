// pvmon::FieldReader — field-by-field reading of a JSON object with every problem collected,
// used by intake and config. Each accessor records the key as known; finish() reports the keys
// nobody asked for. Header-only, no I/O; any thread.
#pragma once

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "pvmon/core.hpp"
#include "pvmon/time.hpp"

namespace pvmon {

/// An integer as the API reads one: a JSON integer, or a finite float that is a whole number
/// under 1e15 in size (15.0 is 15). An unsigned integer beyond int64 saturates, so a range check
/// refuses it. Nothing for anything else.
inline std::optional<std::int64_t> whole_number(const nlohmann::json& v) {
  if (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX))
    return INT64_MAX;
  if (v.is_number_integer()) return v.get<std::int64_t>();
  if (v.is_number_float() && std::isfinite(v.get<double>()) &&
      std::floor(v.get<double>()) == v.get<double>() && std::fabs(v.get<double>()) < 1e15)
    return static_cast<std::int64_t>(v.get<double>());
  return std::nullopt;
}

class FieldReader {
 public:
  FieldReader(const nlohmann::json& obj, std::string prefix, std::vector<FieldError>& errors)
      : obj_(obj), prefix_(std::move(prefix)), errors_(errors) {}

  std::string path(const std::string& key) const {
    return prefix_.empty() ? key : prefix_ + "." + key;
  }
  void error(const std::string& key, std::string message) {
    errors_.push_back({path(key), std::move(message)});
  }

  /// The member, or nullptr when absent or null; records a "required" error when asked.
  const nlohmann::json* get(const std::string& key, bool required) {
    seen_.insert(key);
    auto it = obj_.find(key);
    if (it == obj_.end() || it->is_null()) {
      if (required) error(key, "is required");
      return nullptr;
    }
    return &*it;
  }

  std::optional<std::string> string(const std::string& key, bool required,
                                    std::size_t max_len = 200, bool allow_empty = false) {
    const auto* v = get(key, required);
    if (!v) return std::nullopt;
    if (!v->is_string()) {
      error(key, "must be a string");
      return std::nullopt;
    }
    const auto& s = v->get_ref<const std::string&>();
    if (!allow_empty && s.empty()) {
      error(key, "must not be empty");
      return std::nullopt;
    }
    if (s.size() > max_len) {
      error(key, "is longer than " + std::to_string(max_len) + " characters");
      return std::nullopt;
    }
    for (unsigned char c : s) {
      if (c < 0x20 && c != '\n' && c != '\t' && c != '\r') {
        error(key, "contains control characters");
        return std::nullopt;
      }
    }
    return s;
  }

  /// Short identifiers: printable ASCII without spaces.
  std::optional<std::string> id(const std::string& key, bool required, std::size_t max_len) {
    auto s = string(key, required, max_len);
    if (!s) return s;
    for (unsigned char c : *s) {
      if (c <= 0x20 || c >= 0x7F) {
        error(key, "must be printable ASCII without spaces");
        return std::nullopt;
      }
    }
    return s;
  }

  /// A date YYYY-MM-DD, on or after 1900-01-01 as every input date (input_date_problem).
  std::optional<Date> date(const std::string& key, bool required) {
    const auto* v = get(key, required);
    if (!v) return std::nullopt;
    if (!v->is_string()) {
      error(key, "must be a date string YYYY-MM-DD");
      return std::nullopt;
    }
    auto d = parse_date(v->get_ref<const std::string&>());
    if (!d) {
      error(key, "is not a valid date (YYYY-MM-DD)");
    } else if (auto why = input_date_problem(*d)) {
      error(key, *why);
      return std::nullopt;
    }
    return d;
  }

  /// An RFC 3339 date-time with offset, on or after 1900-01-01T00:00:00Z.
  std::optional<Timestamp> timestamp(const std::string& key, bool required) {
    const auto* v = get(key, required);
    if (!v) return std::nullopt;
    if (!v->is_string()) {
      error(key, "must be an RFC 3339 date-time string");
      return std::nullopt;
    }
    auto t = parse_timestamp(v->get_ref<const std::string&>());
    if (!t) {
      error(key, "is not a valid RFC 3339 date-time with offset (e.g. 2026-10-03T08:10:00Z)");
    } else if (auto why = input_date_problem(*t)) {
      error(key, *why);
      return std::nullopt;
    }
    return t;
  }

  std::optional<bool> boolean(const std::string& key, bool required) {
    const auto* v = get(key, required);
    if (!v) return std::nullopt;
    if (!v->is_boolean()) {
      error(key, "must be true or false");
      return std::nullopt;
    }
    return v->get<bool>();
  }

  std::optional<std::int64_t> integer(const std::string& key, bool required, std::int64_t lo,
                                      std::int64_t hi) {
    const auto* v = get(key, required);
    if (!v) return std::nullopt;
    if (v->is_number_unsigned() && v->get<std::uint64_t>() > static_cast<std::uint64_t>(hi)) {
      error(key, "must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi));
      return std::nullopt;
    }
    const auto n = whole_number(*v);
    if (!n) {
      error(key, "must be an integer");
      return std::nullopt;
    }
    const std::int64_t x = *n;
    if (x < lo || x > hi) {
      error(key, "must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi));
      return std::nullopt;
    }
    return x;
  }

  std::optional<double> number(const std::string& key, bool required, double lo, double hi) {
    const auto* v = get(key, required);
    if (!v) return std::nullopt;
    if (!v->is_number() || !std::isfinite(v->get<double>())) {
      error(key, "must be a number");
      return std::nullopt;
    }
    const double x = v->get<double>();
    if (x < lo || x > hi) {
      error(key, "is out of range");
      return std::nullopt;
    }
    return x;
  }

  template <class Container>
  std::optional<std::string> one_of(const std::string& key, bool required,
                                    const Container& allowed) {
    auto s = string(key, required);
    if (!s) return s;
    for (const auto& a : allowed)
      if (*s == a) return s;
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
    error(key, "must be one of: " + list);
    return std::nullopt;
  }

  /// Calls f with a reader for each object of the array at `key`, then reports its unknown
  /// keys; a non-array, or an element that is not an object, is an error at its path.
  template <class F>
  void each(const std::string& key, bool required, F&& f) {
    const nlohmann::json* arr = get(key, required);
    if (!arr) return;
    if (!arr->is_array()) {
      error(key, "must be an array");
      return;
    }
    for (std::size_t i = 0; i < arr->size(); ++i) {
      const std::string p = path(key) + "." + std::to_string(i);
      if (!(*arr)[i].is_object()) {
        errors_.push_back({p, "must be an object"});
        continue;
      }
      FieldReader item((*arr)[i], p, errors_);
      f(item);
      item.finish();
    }
  }

  /// Reports every key present that no accessor asked about.
  void finish() {
    for (auto it = obj_.begin(); it != obj_.end(); ++it)
      if (!seen_.count(it.key())) error(it.key(), "unknown field");
  }

 private:
  const nlohmann::json& obj_;
  std::string prefix_;
  std::vector<FieldError>& errors_;
  std::set<std::string> seen_;
};

}  // namespace pvmon
