// pvmon::core — the error and result types every module returns.
// Input-driven failures are values (Result<T>), never exceptions; the Errc maps to an HTTP
// status in exactly one place (http/problem.cpp). Safe to use from any thread.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace pvmon {

enum class Errc {
  invalid,            // a field fails validation (HTTP 422)
  malformed,          // the body cannot be parsed at all (400)
  not_found,          // 404
  conflict,           // 409: the same id with other content
  unauthorized,       // 401
  forbidden,          // 403
  payload_too_large,  // 413
  unsupported_media,  // 415
  method_not_allowed, // 405
  rate_limited,       // 429: too many failed authentications
  unavailable,        // 503: storage full, shutting down, busy
  internal,           // 500: a bug or an unexpected library failure
};

/// One problem with one input field; `field` is a JSON pointer-ish path ("lab.uln").
struct FieldError {
  std::string field;
  std::string message;
  bool operator==(const FieldError&) const = default;
};

struct Error {
  Errc code = Errc::internal;
  std::string message;
  std::vector<FieldError> fields;

  static Error invalid(std::vector<FieldError> fields, std::string message = "validation failed") {
    return Error{Errc::invalid, std::move(message), std::move(fields)};
  }
  static Error field(Errc code, std::string field, std::string message) {
    std::string m = message;
    return Error{code, std::move(m), {FieldError{std::move(field), std::move(message)}}};
  }
  static Error of(Errc code, std::string message) { return Error{code, std::move(message), {}}; }
};

/// A value or an Error. Small on purpose: C++20 has no std::expected yet.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}      // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok() && "value() on an error Result");
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok() && "value() on an error Result");
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok() && "value() on an error Result");
    return std::get<0>(std::move(v_));
  }
  const Error& error() const {
    assert(!ok() && "error() on an ok Result");
    return std::get<1>(v_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Error> v_;
};

/// Result for operations with no value.
struct Ok {};
using Status = Result<Ok>;

/// Names the calling thread (at most 15 characters are kept), so `top -H`, `ps -L` and
/// `perf` tell the writer from the HTTP workers. Best effort: a failure changes nothing.
void set_thread_name(const char* name);

/// Gives the calling thread a nice value (Linux schedules threads one by one): background work
/// (the scheduler tick, DSMB report builds) yields the CPU to intake under load instead of
/// stalling it. Best effort, like set_thread_name.
void set_thread_nice(int nice);

}  // namespace pvmon
