#include "security/security_config.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

#include "core/json.hpp"
#include "security/mqtt_topic_pattern.hpp"
#include "security/password.hpp"

namespace weir::security {
namespace {

std::string in_quotes(std::string_view s) {
  std::string out;
  json::append_escaped(out, s);
  return out;
}

Error invalid(std::string code, const std::string& path, const std::string& what) {
  return unprocessable(std::move(code), path + ": " + what, path);
}

std::string lower(std::string_view s) {
  std::string r(s);
  for (auto& c : r) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return r;
}

// ---- decoding aids ---------------------------------------------------------------------------

// Refuses keys the struct does not declare, recursively through nested described structs,
// vectors and optionals.
template <class T>
Status check_known_keys(const boost::json::value& j, const std::string& path);

template <class M>
Status check_member(const boost::json::value& j, const std::string& path) {
  if constexpr (json::detail::is_optional<M>::value) {
    if (j.is_null()) return {};
    return check_member<typename M::value_type>(j, path);
  } else if constexpr (json::detail::is_vector<M>::value) {
    if (!j.is_array()) return {};  // from_json reports the type error
    std::size_t i = 0;
    for (const auto& e : j.get_array()) {
      auto st = check_member<typename M::value_type>(e, json::index_path(path, i++));
      if (!st) return st;
    }
    return {};
  } else if constexpr (json::is_described_struct_v<M> && !std::is_same_v<M, std::string>) {
    return check_known_keys<M>(j, path);
  } else {
    return {};
  }
}

template <class T>
Status check_known_keys(const boost::json::value& j, const std::string& path) {
  if (!j.is_object()) return {};
  Status st;
  for (const auto& kv : j.get_object()) {
    bool known = false;
    boost::mp11::mp_for_each<boost::describe::describe_members<T, boost::describe::mod_public>>(
        [&](auto D) {
          if (kv.key() == D.name) {
            known = true;
            if (st) {
              using M = std::remove_cvref_t<decltype(std::declval<T&>().*D.pointer)>;
              st = check_member<M>(kv.value(), json::join_path(path, D.name));
            }
          }
        });
    if (!st) return st;
    if (!known) {
      auto p = json::join_path(path, std::string(kv.key()));
      return bad_request("unknown_field", p + ": unknown field", p);
    }
  }
  return {};
}

// The mqtt section's lists may be left out of the file; add them empty before decoding.
void fill_mqtt_defaults(boost::json::value& root) {
  if (!root.is_object()) return;
  auto* mqtt = root.get_object().if_contains("mqtt");
  if (!mqtt || !mqtt->is_object()) return;
  auto& m = mqtt->get_object();
  for (const char* key : {"devices", "acl"})
    if (!m.contains(key)) m[key] = boost::json::array();
  auto fill_lists = [](boost::json::value& v) {
    if (!v.is_object()) return;
    for (const char* key : {"publish", "subscribe"})
      if (!v.get_object().contains(key)) v.get_object()[key] = boost::json::array();
  };
  for (const char* key : {"devices", "acl"})
    if (m[key].is_array())
      for (auto& e : m[key].get_array()) fill_lists(e);
  if (auto* anon = m.if_contains("anonymous")) fill_lists(*anon);
}

// ---- validation ------------------------------------------------------------------------------

Status check_name(std::string_view name, const std::string& path, std::string_view what) {
  if (name.empty()) return invalid("empty_name", path, std::string(what) + " must not be empty");
  if (name.size() > 64)
    return invalid("name_too_long", path, std::string(what) + " longer than 64 characters");
  for (unsigned char c : name)
    if (c < 0x20 || c == 0x7f)
      return invalid("invalid_name", path, std::string(what) + " contains a control character");
  if (std::isspace(static_cast<unsigned char>(name.front())) ||
      std::isspace(static_cast<unsigned char>(name.back())))
    return invalid("invalid_name", path, std::string(what) + " starts or ends with a space");
  return {};
}

Status check_hash(std::string_view hash, const std::string& path) {
  if (classify_hash(hash) == HashKind::unknown)
    return invalid(
        "invalid_password_hash", path,
        "unrecognised password hash (expected \"$argon2id$...\", 64 hex digits or \"\")");
  return {};
}

Status check_patterns(const std::vector<std::string>& patterns, const std::string& path) {
  for (std::size_t i = 0; i < patterns.size(); ++i) {
    auto st = validate_topic_pattern(patterns[i]);
    if (!st) {
      auto p = json::index_path(path, i);
      return invalid("invalid_topic_pattern", p,
                     in_quotes(patterns[i]) + ": " + st.error().message);
    }
  }
  return {};
}

template <class Acl>
Status check_acl(const Acl& acl, const std::string& path) {
  static const std::vector<std::string> none;
  auto st = check_patterns(acl.publish, json::join_path(path, "publish"));
  if (st) st = check_patterns(acl.subscribe, json::join_path(path, "subscribe"));
  if (st)
    st = check_patterns(acl.deny_publish.value_or(none), json::join_path(path, "deny_publish"));
  if (st)
    st = check_patterns(acl.deny_subscribe.value_or(none), json::join_path(path, "deny_subscribe"));
  return st;
}

// ---- pretty printing -------------------------------------------------------------------------

void pretty(std::string& out, const boost::json::value& v, int indent) {
  auto newline = [&](int n) {
    out.push_back('\n');
    out.append(static_cast<std::size_t>(n) * 2, ' ');
  };
  if (v.is_object() && !v.get_object().empty()) {
    out.push_back('{');
    bool first = true;
    for (const auto& kv : v.get_object()) {
      if (!first) out.push_back(',');
      first = false;
      newline(indent + 1);
      json::append_escaped(out, kv.key());
      out += ": ";
      pretty(out, kv.value(), indent + 1);
    }
    newline(indent);
    out.push_back('}');
  } else if (v.is_array() && !v.get_array().empty()) {
    out.push_back('[');
    bool first = true;
    for (const auto& e : v.get_array()) {
      if (!first) out.push_back(',');
      first = false;
      newline(indent + 1);
      pretty(out, e, indent + 1);
    }
    newline(indent);
    out.push_back(']');
  } else {
    json::dump_to(out, v);
  }
}

template <class C, class Pred>
auto* find_in(C& c, Pred pred) {
  auto it = std::find_if(c.begin(), c.end(), pred);
  return it == c.end() ? nullptr : &*it;
}

}  // namespace

Status validate_security_config(const SecurityConfig& config) {
  std::set<std::string> group_names;
  for (std::size_t g = 0; g < config.groups.size(); ++g) {
    const auto& group = config.groups[g];
    auto gpath = json::index_path("groups", g);
    auto st = check_name(group.name, json::join_path(gpath, "name"), "group name");
    if (!st) return st;
    if (!group_names.insert(group.name).second)
      return invalid("duplicate_group", json::join_path(gpath, "name"),
                     "duplicate group " + in_quotes(group.name));
    for (std::size_t p = 0; p < group.permissions.size(); ++p)
      if (!parse_permission(group.permissions[p]))
        return invalid("unknown_permission",
                       json::index_path(json::join_path(gpath, "permissions"), p),
                       "unknown permission " + in_quotes(group.permissions[p]));
  }

  std::set<std::string> user_names;  // lower-cased: "Admin" and "admin" may not both exist
  for (std::size_t u = 0; u < config.users.size(); ++u) {
    const auto& user = config.users[u];
    auto upath = json::index_path("users", u);
    auto st = check_name(user.username, json::join_path(upath, "username"), "username");
    if (!st) return st;
    if (!user_names.insert(lower(user.username)).second)
      return invalid("duplicate_user", json::join_path(upath, "username"),
                     "duplicate user " + in_quotes(user.username));
    st = check_hash(user.password_hash, json::join_path(upath, "password_hash"));
    if (!st) return st;
    for (std::size_t i = 0; i < user.groups.size(); ++i)
      if (!group_names.count(user.groups[i]))
        return invalid("unknown_group", json::index_path(json::join_path(upath, "groups"), i),
                       "unknown group " + in_quotes(user.groups[i]));
    for (std::size_t i = 0; i < user.allowed_apps.size(); ++i)
      if (!parse_app(user.allowed_apps[i]))
        return invalid("unknown_app", json::index_path(json::join_path(upath, "allowed_apps"), i),
                       "unknown app " + in_quotes(user.allowed_apps[i]) +
                           " (expected scada, config_editor or security_editor)");
  }

  if (!config.mqtt) return {};
  const auto& mqtt = *config.mqtt;
  if (mqtt.anonymous) {
    auto st = check_acl(*mqtt.anonymous, "mqtt.anonymous");
    if (!st) return st;
  }
  std::set<std::string> device_names;
  for (std::size_t d = 0; d < mqtt.devices.size(); ++d) {
    const auto& dev = mqtt.devices[d];
    auto dpath = json::index_path("mqtt.devices", d);
    auto upath = json::join_path(dpath, "username");
    auto st = check_name(dev.username, upath, "username");
    if (!st) return st;
    if (!device_names.insert(lower(dev.username)).second)
      return invalid("duplicate_device", upath, "duplicate device " + in_quotes(dev.username));
    if (user_names.count(lower(dev.username)))
      return invalid("duplicate_user", upath,
                     "device " + in_quotes(dev.username) + " has the name of a user");
    st = check_hash(dev.password_hash, json::join_path(dpath, "password_hash"));
    if (!st) return st;
    st = check_acl(dev, dpath);
    if (!st) return st;
  }
  for (std::size_t r = 0; r < mqtt.acl.size(); ++r) {
    const auto& rule = mqtt.acl[r];
    auto rpath = json::index_path("mqtt.acl", r);
    if (rule.user.has_value() == rule.group.has_value())
      return invalid("invalid_acl_rule", rpath,
                     "an ACL rule names exactly one of \"user\" or \"group\"");
    if (rule.user && !find_user(config, *rule.user))
      return invalid("unknown_user", json::join_path(rpath, "user"),
                     "unknown user " + in_quotes(*rule.user));
    if (rule.group && !group_names.count(*rule.group))
      return invalid("unknown_group", json::join_path(rpath, "group"),
                     "unknown group " + in_quotes(*rule.group));
    auto st = check_acl(rule, rpath);
    if (!st) return st;
  }
  return {};
}

Result<SecurityConfig> parse_security_config(std::string_view text, std::string_view file_name) {
  auto prefixed = [&](Error e) {
    e.message = std::string(file_name) + ": " + e.message;
    return e;
  };
  auto root = json::parse(text);
  if (!root) return prefixed(root.error());
  fill_mqtt_defaults(*root);
  auto st = check_known_keys<SecurityConfig>(*root, "");
  if (!st) return prefixed(st.error());
  SecurityConfig config;
  st = json::from_json(*root, config);
  if (!st) return prefixed(st.error());
  st = validate_security_config(config);
  if (!st) return prefixed(st.error());
  return config;
}

Result<SecurityConfig> load_security_config_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  auto name = path.filename().string();
  if (!in)
    return Error::make(ErrorKind::not_found, "config_not_found",
                       name + ": cannot open " + path.string());
  std::ostringstream buf;
  buf << in.rdbuf();
  return parse_security_config(buf.str(), name);
}

std::string serialize_security_config(const SecurityConfig& config) {
  std::string out;
  pretty(out, json::to_json(config), 0);
  out.push_back('\n');
  return out;
}

const User* find_user(const SecurityConfig& config, std::string_view username) {
  return find_in(config.users, [&](const User& u) { return u.username == username; });
}
User* find_user(SecurityConfig& config, std::string_view username) {
  return find_in(config.users, [&](const User& u) { return u.username == username; });
}
const Group* find_group(const SecurityConfig& config, std::string_view name) {
  return find_in(config.groups, [&](const Group& g) { return g.name == name; });
}
Group* find_group(SecurityConfig& config, std::string_view name) {
  return find_in(config.groups, [&](const Group& g) { return g.name == name; });
}
const MqttDevice* find_mqtt_device(const SecurityConfig& config, std::string_view username) {
  if (!config.mqtt) return nullptr;
  return find_in(config.mqtt->devices, [&](const MqttDevice& d) { return d.username == username; });
}

PermissionSet permissions_of(const SecurityConfig& config, const User& user) {
  PermissionSet set;
  for (const auto& gname : user.groups)
    if (const auto* g = find_group(config, gname))
      for (const auto& pname : g->permissions)
        if (auto p = parse_permission(pname)) {
          set.add(*p);
          // The Python platform had no history: its groups that may view (by its names) may
          // read the history too.
          if (*p == Permission::view && pname != "view") set.add(Permission::view_history);
        }
  // Who may save the configuration may read it.
  if (set.has(Permission::edit_config)) set.add(Permission::view_config);
  return set;
}

}  // namespace weir::security
