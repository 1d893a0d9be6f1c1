#pragma once
// The REST route table. Each route declares its method, path pattern, permission, summary and
// DTO types; the same table dispatches requests, enforces permissions on the server side and
// generates /api/openapi.json, so documentation and behaviour cannot disagree.
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/http_message.hpp"
#include "core/json.hpp"
#include "core/json_schema.hpp"

namespace weir::api {

// Who is calling, as established by the AccessControl for this request.
struct Caller {
  std::string user;     // "" for public routes without a session
  std::string address;  // remote address
  std::vector<std::string> permissions;
  std::vector<std::pair<std::string, std::string>>
      response_headers;    // e.g. a renewed session cookie
  std::string session_id;  // the session's id (JWT jti), "" without a session
  bool can(std::string_view p) const {
    for (const auto& x : permissions)
      if (x == p) return true;
    return false;
  }
};

// Authenticates a request and checks one permission. 401 when there is no valid session,
// 403 when the session lacks the permission. An empty permission means "any valid session".
class AccessControl {
 public:
  virtual ~AccessControl() = default;
  virtual Result<Caller> authorize(const HttpRequest& req, std::string_view permission) = 0;
};

struct RequestContext {
  const HttpRequest& request;
  const Caller& caller;
  std::vector<std::pair<std::string, std::string>> params;  // path parameters
  std::string_view param(std::string_view name) const {
    for (const auto& [k, v] : params)
      if (k == name) return v;
    return {};
  }
};

using Handler = std::function<HttpResponse(const RequestContext&)>;
using SchemaFn = std::function<boost::json::value(json::SchemaRegistry&)>;

template <class T>
SchemaFn schema_of() {
  return [](json::SchemaRegistry& r) { return r.schema<T>(); };
}

struct QueryParam {
  std::string name;
  std::string description;
  bool required = false;
};

struct Route {
  std::string method;      // GET, POST, PUT, DELETE
  std::string pattern;     // "/api/datapoints/{id}"
  std::string permission;  // "" with is_public: no session needed
  bool is_public = false;
  std::string tag;  // OpenAPI tag: "datapoints"
  std::string summary;
  SchemaFn request;   // JSON body schema, if any
  SchemaFn response;  // 2xx body schema
  std::string response_type = "application/json";
  int success_status = 200;
  std::vector<QueryParam> query;
  std::vector<int> errors;  // documented error statuses besides 401/403
  Handler handler;
};

class Router {
 public:
  explicit Router(std::shared_ptr<AccessControl> access) : access_(std::move(access)) {}
  void set_access(std::shared_ptr<AccessControl> access) { access_ = std::move(access); }
  void add(Route r);
  HttpResponse handle(const HttpRequest& req) const;
  const std::vector<Route>& routes() const { return routes_; }
  // OpenAPI 3.1 document for every route, with each route's permission stated.
  boost::json::object openapi(const std::string& version) const;

 private:
  struct Compiled {
    std::vector<std::string> segments;  // "{id}" marks a parameter
  };
  bool match(const Compiled& c, std::string_view path,
             std::vector<std::pair<std::string, std::string>>& params) const;

  std::shared_ptr<AccessControl> access_;
  std::vector<Route> routes_;
  std::vector<Compiled> compiled_;
};

// {"error": {"code", "message", "field"?}} with the error kind's status.
HttpResponse error_response(const Error& e);
HttpResponse json_response(int status, const boost::json::value& body);
template <class T>
HttpResponse dto_response(int status, const T& dto) {
  return json_response(status, json::to_json(dto));
}
// Parses a JSON request body into a described DTO; errors are 400 with the field path.
template <class T>
Result<T> parse_body(const HttpRequest& req) {
  if (req.body.empty()) return bad_request("missing_body", "a JSON request body is required");
  return json::decode<T>(req.body);
}

}  // namespace weir::api
