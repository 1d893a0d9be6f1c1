#pragma once
// Errors caused by input from outside (network, files, users) travel as values: weir::Error
// inside weir::Result<T>. Programmer mistakes are assertions; exceptions never cross modules.
#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>
#include <stdexcept>
#include <string>
#include <utility>

namespace weir {

// Error kinds map one-to-one onto HTTP statuses at the API edge (see api/error_response).
enum class ErrorKind {
  bad_request,    // 400: malformed input (JSON, packet, expression)
  unauthorized,   // 401: no or invalid session
  forbidden,      // 403: session lacks the permission
  not_found,      // 404: unknown id
  conflict,       // 409: state does not allow it (e.g. driver already connected)
  too_large,      // 413: over a size limit
  unprocessable,  // 422: well-formed but invalid (out of range, wrong type, stale)
  too_many,       // 429: throttled
  unavailable,    // 503: driver offline, subsystem down
  internal,       // 500: a bug or an I/O failure on our side
};

struct Error {
  ErrorKind kind = ErrorKind::bad_request;
  std::string code;     // stable machine-readable code, e.g. "out_of_range"
  std::string message;  // human-readable: says where and why
  std::string field;    // optional JSON path / field the error is about

  static Error make(ErrorKind k, std::string code, std::string message, std::string field = {}) {
    return Error{k, std::move(code), std::move(message), std::move(field)};
  }
};

int http_status(ErrorKind kind) noexcept;
const char* to_string(ErrorKind kind) noexcept;

// Thrown only by Result::value() on a programming error (accessing a failed result).
struct ErrorException : std::runtime_error {
  explicit ErrorException(Error e) : std::runtime_error(e.message), error(std::move(e)) {}
  Error error;
};

[[noreturn]] inline void throw_exception_from_error(const Error& e, const boost::source_location&) {
  throw ErrorException(e);
}

template <class T>
using Result = boost::system::result<T, Error>;
using Status = boost::system::result<void, Error>;

inline Error bad_request(std::string code, std::string msg, std::string field = {}) {
  return Error::make(ErrorKind::bad_request, std::move(code), std::move(msg), std::move(field));
}
inline Error not_found(std::string code, std::string msg, std::string field = {}) {
  return Error::make(ErrorKind::not_found, std::move(code), std::move(msg), std::move(field));
}
inline Error unprocessable(std::string code, std::string msg, std::string field = {}) {
  return Error::make(ErrorKind::unprocessable, std::move(code), std::move(msg), std::move(field));
}

}  // namespace weir
