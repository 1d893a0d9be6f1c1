#include "api/router.hpp"

#include <cctype>

namespace weir::api {

namespace {
std::vector<std::string> split(std::string_view path) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    std::size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) out.emplace_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

// "application/json", optionally with parameters ("; charset=utf-8"), any case.
bool is_json_content_type(std::string_view v) {
  auto semi = v.find(';');
  auto type = v.substr(0, semi);
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  while (!type.empty() && type.front() == ' ') type.remove_prefix(1);
  constexpr std::string_view json = "application/json";
  if (type.size() != json.size()) return false;
  for (std::size_t i = 0; i < json.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(type[i])) != json[i]) return false;
  return true;
}
}  // namespace

HttpResponse json_response(int status, const boost::json::value& body) {
  return HttpResponse::json(status, json::dump(body));
}

HttpResponse error_response(const Error& e) {
  boost::json::object err{{"code", e.code.empty() ? to_string(e.kind) : e.code},
                          {"message", e.message}};
  if (!e.field.empty()) err["field"] = e.field;
  auto r = json_response(http_status(e.kind), boost::json::object{{"error", std::move(err)}});
  if (e.kind == ErrorKind::unauthorized)
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"weir\"");
  return r;
}

void Router::add(Route r) {
  compiled_.push_back({split(r.pattern)});
  routes_.push_back(std::move(r));
}

bool Router::match(const Compiled& c, std::string_view path,
                   std::vector<std::pair<std::string, std::string>>& params) const {
  auto parts = split(path);
  if (parts.size() != c.segments.size()) return false;
  params.clear();
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto& seg = c.segments[i];
    if (seg.size() > 2 && seg.front() == '{' && seg.back() == '}')
      params.emplace_back(seg.substr(1, seg.size() - 2), parts[i]);
    else if (seg != parts[i])
      return false;
  }
  return true;
}

HttpResponse Router::handle(const HttpRequest& req) const {
  std::vector<std::pair<std::string, std::string>> params;
  bool path_matched = false;
  const std::string& method = req.method == "HEAD" ? std::string("GET") : req.method;
  // The most specific route wins (most literal segments; then the first added), so a module's
  // "/api/things/{id}" is never shadowed by a broader pattern such as the demo's
  // "/{action}/{device}", whatever order the modules were created in.
  std::size_t best = routes_.size();
  std::size_t best_literals = 0;
  std::vector<std::pair<std::string, std::string>> best_params;
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    if (!match(compiled_[i], req.path, params)) continue;
    path_matched = true;
    if (routes_[i].method != method) continue;
    const std::size_t literals = compiled_[i].segments.size() - params.size();
    if (best == routes_.size() || literals > best_literals) {
      best = i;
      best_literals = literals;
      best_params = params;
    }
  }
  if (best != routes_.size()) {
    const Route& r = routes_[best];
    params = std::move(best_params);
    // A JSON body only as application/json: a form or text/plain POST is what a page of another
    // origin can send with the user's cookie without a CORS preflight.
    if (r.request && !req.body.empty() && !is_json_content_type(req.header("content-type"))) {
      auto resp = error_response(
          Error::make(ErrorKind::bad_request, "unsupported_media_type",
                      "the request body must be sent with Content-Type: application/json"));
      resp.status = 415;
      return resp;
    }
    Caller caller;
    caller.address = req.remote_address;
    if (!r.is_public) {
      if (!access_)
        return error_response(Error::make(ErrorKind::unauthorized, "unauthorized", "no session"));
      auto c = access_->authorize(req, r.permission);
      if (!c) return error_response(c.error());
      caller = std::move(*c);
    } else if (access_) {
      // Public routes still learn who is calling when a session is present (e.g. logout, me).
      if (auto c = access_->authorize(req, ""); c) caller = std::move(*c);
    }
    RequestContext ctx{req, caller, std::move(params)};
    // A copy: the handler may add routes while it runs (a module's first request registering
    // more), which can move routes_ and with it the std::function being called.
    const Handler handler = r.handler;
    HttpResponse resp;
    try {
      resp = handler(ctx);
    } catch (const std::exception& e) {
      resp = error_response(
          Error::make(ErrorKind::internal, "internal", std::string("internal error: ") + e.what()));
    }
    if (resp.deferred && !caller.response_headers.empty()) {
      // The answer comes later: add the caller's headers (session renewal) to it then.
      resp.deferred = [start = std::move(resp.deferred),
                       extra = caller.response_headers](HttpResponse::Reply reply) {
        start([reply = std::move(reply), extra](HttpResponse out) {
          for (const auto& h : extra) out.headers.push_back(h);
          reply(std::move(out));
        });
      };
      return resp;
    }
    for (auto& h : caller.response_headers) resp.headers.push_back(h);
    return resp;
  }
  if (path_matched)
    return error_response(Error::make(ErrorKind::bad_request, "method_not_allowed",
                                      req.method + " is not allowed on " + req.path));
  return error_response(not_found("not_found", "no route for " + req.method + " " + req.path));
}

boost::json::object Router::openapi(const std::string& version) const {
  using boost::json::array;
  using boost::json::object;
  json::SchemaRegistry reg;
  object paths;
  auto error_schema = object{
      {"type", "object"},
      {"required", array{"error"}},
      {"properties",
       object{{"error", object{{"type", "object"},
                               {"required", array{"code", "message"}},
                               {"properties", object{{"code", object{{"type", "string"}}},
                                                     {"message", object{{"type", "string"}}},
                                                     {"field", object{{"type", "string"}}}}}}}}}};
  auto status_text = [](int s) -> const char* {
    switch (s) {
      case 400:
        return "Malformed request";
      case 401:
        return "No valid session";
      case 403:
        return "The session lacks the permission";
      case 404:
        return "Not found";
      case 409:
        return "Conflict with the current state";
      case 413:
        return "Body too large";
      case 422:
        return "Invalid value";
      case 429:
        return "Too many attempts";
      case 503:
        return "Unavailable";
      default:
        return "Error";
    }
  };
  for (const auto& r : routes_) {
    object op;
    op["summary"] = r.summary;
    op["tags"] = array{boost::json::string(r.tag)};
    std::string id = r.method;
    for (char c : r.pattern) id.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
    op["operationId"] = id;
    op["x-weir-permission"] =
        r.is_public ? "public" : (r.permission.empty() ? "session" : r.permission);
    op["description"] =
        r.is_public ? std::string("Public: no session needed.")
                    : "Requires a session" + (r.permission.empty()
                                                  ? std::string(".")
                                                  : " with permission `" + r.permission + "`.");
    array params;
    for (std::size_t i = 0; i + 1 < r.pattern.size(); ++i) {
      if (r.pattern[i] != '{') continue;
      auto end = r.pattern.find('}', i);
      params.push_back(object{{"name", r.pattern.substr(i + 1, end - i - 1)},
                              {"in", "path"},
                              {"required", true},
                              {"schema", object{{"type", "string"}}}});
    }
    for (const auto& q : r.query)
      params.push_back(object{{"name", q.name},
                              {"in", "query"},
                              {"required", q.required},
                              {"description", q.description},
                              {"schema", object{{"type", "string"}}}});
    if (!params.empty()) op["parameters"] = std::move(params);
    if (r.request)
      op["requestBody"] =
          object{{"required", true},
                 {"content", object{{"application/json", object{{"schema", r.request(reg)}}}}}};
    object responses;
    object ok{{"description", "Success"}};
    if (r.response)
      ok["content"] = object{{r.response_type, object{{"schema", r.response(reg)}}}};
    else if (r.response_type != "application/json")
      ok["content"] = object{{r.response_type, object{{"schema", object{{"type", "string"}}}}}};
    responses[std::to_string(r.success_status)] = std::move(ok);
    std::vector<int> errs = r.errors;
    if (!r.is_public) {
      errs.push_back(401);
      if (!r.permission.empty()) errs.push_back(403);
    }
    for (int s : errs)
      responses[std::to_string(s)] = object{
          {"description", status_text(s)},
          {"content",
           object{{"application/json",
                   object{{"schema", object{{"$ref", "#/components/schemas/ErrorBody"}}}}}}}};
    op["responses"] = std::move(responses);
    if (!r.is_public)
      op["security"] = array{object{{"bearer", array{}}}, object{{"cookie", array{}}}};
    std::string m = r.method;
    for (auto& c : m) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto& path = paths[r.pattern];
    if (!path.is_object()) path = object{};
    path.as_object()[m] = std::move(op);
  }
  object components;
  object schemas = reg.components();
  schemas["ErrorBody"] = std::move(error_schema);
  components["schemas"] = std::move(schemas);
  components["securitySchemes"] =
      object{{"bearer", object{{"type", "http"}, {"scheme", "bearer"}, {"bearerFormat", "JWT"}}},
             {"cookie", object{{"type", "apiKey"}, {"in", "cookie"}, {"name", "weir_session"}}}};
  return object{
      {"openapi", "3.1.0"},
      {"info", object{{"title", "Weir REST API"},
                      {"version", version},
                      {"description",
                       "SCADA + GIS platform: datapoints, commands, drivers, security, devices. "
                       "Errors are {\"error\": {\"code\", \"message\", \"field\"?}}. Every route "
                       "states its permission in x-weir-permission."}}},
      {"paths", std::move(paths)},
      {"components", std::move(components)}};
}

}  // namespace weir::api
