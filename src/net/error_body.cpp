#include "net/error_body.hpp"

#include "core/json.hpp"

namespace weir::net {

std::string error_body(std::string_view code, std::string_view message) {
  boost::json::object inner;
  inner["code"] = code;
  inner["message"] = message;
  boost::json::object outer;
  outer["error"] = std::move(inner);
  return json::dump(outer);
}

HttpResponse error_response(int status, std::string_view code, std::string_view message) {
  return HttpResponse::json(status, error_body(code, message));
}

}  // namespace weir::net
