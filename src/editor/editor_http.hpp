#pragma once
// HTTP helpers shared by the editors' routes: strict request bodies (unknown keys refused with
// their JSON path), If-Match preconditions (428 without, 409 when stale) and error bodies that
// carry more than the error (the current version, a diff, validation issues).
#include <boost/json.hpp>
#include <string>

#include "api/router.hpp"
#include "core/json.hpp"
#include "core/settings_json.hpp"
#include "editor/version_store.hpp"

namespace weir::editor {

// {"error": {code, message, field?}} plus the members of `extra`, with `status` (0: the error
// kind's).
inline HttpResponse error_with(const Error& e, boost::json::object extra, int status = 0) {
  boost::json::object err{{"code", e.code}, {"message", e.message}};
  if (!e.field.empty()) err["field"] = e.field;
  extra["error"] = std::move(err);
  return api::json_response(status ? status : http_status(e.kind), extra);
}

// A JSON body decoded into T: every key known (unknown ones refused with their path), types
// checked; `required` members must be present.
template <class T>
Result<T> strict_body(const HttpRequest& req, std::initializer_list<std::string_view> required) {
  if (req.body.empty()) return bad_request("missing_body", "a JSON request body is required");
  auto v = json::parse(req.body);
  if (!v) return v.error();
  if (!v->is_object())
    return bad_request("invalid_type",
                       std::string("body: expected an object, got ") + json::kind_name(v->kind()));
  for (auto name : required)
    if (!v->get_object().contains(name))
      return bad_request("missing_field", std::string(name) + ": required field is missing",
                         std::string(name));
  T out{};
  if (auto st = json::decode_settings(*v, out, ""); !st) return st.error();
  return out;
}

// The If-Match precondition of a save: 428 without one, 409 (with the current version) when it
// names another version. `current` is the version the file has now.
inline std::optional<HttpResponse> check_if_match(const HttpRequest& req,
                                                  const std::string& current,
                                                  boost::json::object conflict_extra = {}) {
  auto header = req.header("if-match");
  if (header.empty())
    return error_with(bad_request("if_match_required",
                                  "send If-Match with the version you edited (the ETag of the "
                                  "GET); current version " +
                                      current,
                                  "If-Match"),
                      boost::json::object{{"version", current}}, 428);
  const std::string v = version_from_if_match(header);
  if (v == "*" || v == current) return std::nullopt;
  conflict_extra["version"] = current;
  conflict_extra["your_version"] = v;
  return error_with(
      Error::make(ErrorKind::conflict, "version_conflict",
                  "the file was saved by someone else since version " + v + "; current version " +
                      current + ": reload, merge and save again",
                  "If-Match"),
      std::move(conflict_extra));
}

// The two kept versions a diff route compares: query `from` (required) and `to` (default: the
// `current` version), each read from `versions` and turned into JSON by `load` (text ->
// Result<json>); an unknown version names its parameter.
struct VersionPair {
  std::string from, to;
  boost::json::value docs[2];
};
template <class Load>
Result<VersionPair> read_version_pair(const HttpRequest& req, const VersionStore& versions,
                                      const std::string& current, Load load) {
  VersionPair out;
  out.from = std::string(req.query_param("from"));
  out.to = std::string(req.query_param("to"));
  if (out.from.empty())
    return bad_request("missing_field", "from: a version id is required", "from");
  if (out.to.empty()) out.to = current;
  for (int i = 0; i < 2; ++i) {
    auto text = versions.read(i == 0 ? out.from : out.to);
    if (!text) {
      auto e = text.error();
      e.field = i == 0 ? "from" : "to";
      return e;
    }
    auto doc = load(*text);
    if (!doc) return doc.error();
    out.docs[i] = std::move(*doc);
  }
  return out;
}

inline void set_etag(HttpResponse& r, const std::string& version) {
  r.headers.emplace_back("ETag", "\"" + version + "\"");
}

}  // namespace weir::editor
