#include "config/system_config.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "core/json.hpp"

namespace weir::config {

namespace jv = boost::json;

std::string ConfigIssue::to_string() const {
  std::string s = file;
  if (!path.empty()) s += ": " + path;
  s += ": " + message;
  if (!error) s = "warning: " + s;
  return s;
}

std::string LoadResult::errors_text() const {
  std::string out;
  for (const auto& i : issues) {
    if (!i.error) continue;
    out += i.to_string();
    out += '\n';
  }
  return out;
}

const ModuleConfig* SystemConfig::module(std::string_view name) const {
  for (const auto& m : modules)
    if (m.name == name) return &m;
  return nullptr;
}

namespace {

struct Loader {
  std::string file;
  std::vector<ConfigIssue> issues;

  void error(std::string path, std::string msg) {
    issues.push_back({file, std::move(path), std::move(msg), true});
  }
  void warn(std::string path, std::string msg) {
    issues.push_back({file, std::move(path), std::move(msg), false});
  }

  const jv::string* string_at(const jv::object& o, std::string_view key, const std::string& path,
                              bool required) {
    auto it = o.find(key);
    if (it == o.end()) {
      if (required) error(json::join_path(path, key), "required field is missing");
      return nullptr;
    }
    if (!it->value().is_string()) {
      error(json::join_path(path, key),
            std::string("expected a string, got ") + json::kind_name(it->value().kind()));
      return nullptr;
    }
    return &it->value().get_string();
  }

  std::optional<double> number_at(const jv::object& o, std::string_view key,
                                  const std::string& path) {
    auto it = o.find(key);
    if (it == o.end() || it->value().is_null()) return std::nullopt;
    if (!it->value().is_number()) {
      error(json::join_path(path, key),
            std::string("expected a number, got ") + json::kind_name(it->value().kind()));
      return std::nullopt;
    }
    return it->value().to_number<double>();
  }

  void load_type(const std::string& name, const jv::value& v, const std::string& path,
                 std::map<std::string, model::DatapointType>& out) {
    if (!v.is_object()) {
      error(path, "expected an object");
      return;
    }
    const auto& o = v.get_object();
    model::DatapointType t;
    t.name = name;
    const jv::string* type = string_at(o, "type", path, true);
    if (!type) return;
    auto vt = model::value_type_from_string(std::string_view(*type));
    if (!vt) {
      error(json::join_path(path, "type"), "unknown type \"" + std::string(*type) +
                                               "\" (expected float, int, string, enum or bool)");
      return;
    }
    t.type = *vt;
    t.min = number_at(o, "min", path);
    t.max = number_at(o, "max", path);
    if (t.min && t.max && *t.min > *t.max) error(path, "min is greater than max");
    if (auto it = o.find("values"); it != o.end()) {
      if (!it->value().is_array()) {
        error(json::join_path(path, "values"), "expected an array of strings");
      } else {
        std::size_t i = 0;
        for (const auto& e : it->value().get_array()) {
          if (!e.is_string())
            error(json::index_path(json::join_path(path, "values"), i), "expected a string");
          else
            t.values.emplace_back(e.get_string());
          ++i;
        }
      }
    }
    if (auto unit = string_at(o, "unit", path, false)) t.unit = std::string(*unit);
    jv::value def = nullptr;
    if (auto it = o.find("default"); it != o.end()) def = it->value();

    if (t.type == model::ValueType::enum_ && t.values.empty()) {
      if (def.is_number()) {
        // The Python fixtures declare TEMPERATURE as an enum with a numeric default and a range:
        // it can only mean a number. Load it as one and say so.
        warn(path, "enum without values but with a numeric default: loaded as float");
        t.type = model::ValueType::float_;
      } else {
        error(json::join_path(path, "values"), "an enum needs a non-empty list of values");
        return;
      }
    }
    // Default value, validated against the type.
    switch (t.type) {
      case model::ValueType::float_:
        if (def.is_null())
          t.default_value = t.min.value_or(0.0);
        else if (def.is_number())
          t.default_value = def.to_number<double>();
        else
          error(json::join_path(path, "default"), "expected a number");
        break;
      case model::ValueType::int_:
        if (def.is_null())
          t.default_value = static_cast<std::int64_t>(t.min.value_or(0));
        else if (def.is_int64() || def.is_uint64())
          t.default_value = def.to_number<std::int64_t>();
        else
          error(json::join_path(path, "default"), "expected an integer");
        break;
      case model::ValueType::bool_:
        if (def.is_null())
          t.default_value = false;
        else if (def.is_bool())
          t.default_value = def.get_bool();
        else
          error(json::join_path(path, "default"), "expected a boolean");
        break;
      case model::ValueType::string:
        t.default_value = def.is_string() ? std::string(def.get_string()) : std::string();
        break;
      case model::ValueType::enum_: {
        std::string d = def.is_string() ? std::string(def.get_string()) : t.values.front();
        bool known = false;
        for (const auto& s : t.values) known = known || s == d;
        if (!known) {
          error(json::join_path(path, "default"), "default \"" + d + "\" is not one of the values");
          return;
        }
        t.default_value = d;
        break;
      }
    }
    if (auto* d = std::get_if<double>(&t.default_value)) {
      if ((t.min && *d < *t.min) || (t.max && *d > *t.max))
        error(json::join_path(path, "default"), "default is outside min..max");
    }
    out.emplace(name, std::move(t));
  }

  void load_points(const jv::object& d, std::string_view key, const std::string& path,
                   const std::map<std::string, model::DatapointType>& types,
                   std::vector<DatapointConfig>& out) {
    auto it = d.find(key);
    if (it == d.end()) return;
    const std::string p = json::join_path(path, key);
    if (!it->value().is_array()) {
      error(p, "expected an array");
      return;
    }
    std::size_t i = 0;
    for (const auto& e : it->value().get_array()) {
      const std::string ep = json::index_path(p, i++);
      if (!e.is_object()) {
        error(ep, "expected an object {name, type}");
        continue;
      }
      const auto* name = string_at(e.get_object(), "name", ep, true);
      const auto* type = string_at(e.get_object(), "type", ep, true);
      if (!name || !type) continue;
      if (name->empty()) {
        error(json::join_path(ep, "name"), "must not be empty");
        continue;
      }
      if (!types.count(std::string(*type))) {
        // The Python platform's own fixtures reference undeclared types; such a datapoint loads
        // with bad/config_error quality and refuses every value until the type is declared.
        warn(json::join_path(ep, "type"), "unknown type \"" + std::string(*type) + "\"");
      }
      out.push_back({std::string(*name), std::string(*type)});
    }
  }

  std::vector<std::string> string_list(const jv::object& o, std::string_view key,
                                       const std::string& path) {
    std::vector<std::string> out;
    auto it = o.find(key);
    if (it == o.end() || it->value().is_null()) return out;
    if (!it->value().is_array()) {
      error(json::join_path(path, key), "expected an array of strings");
      return out;
    }
    std::size_t i = 0;
    for (const auto& e : it->value().get_array()) {
      if (!e.is_string())
        error(json::index_path(json::join_path(path, key), i), "expected a string");
      else
        out.emplace_back(e.get_string());
      ++i;
    }
    return out;
  }

  LoadResult run(std::string_view text) {
    LoadResult r;
    auto parsed = json::parse(text);
    if (!parsed) {
      error("", parsed.error().message);
      r.issues = std::move(issues);
      return r;
    }
    if (!parsed->is_object()) {
      error("", "the top level must be an object");
      r.issues = std::move(issues);
      return r;
    }
    SystemConfig c;
    c.document = parsed->get_object();
    const auto& doc = c.document;

    if (auto it = doc.find("dp_types"); it != doc.end()) {
      if (!it->value().is_object())
        error("dp_types", "expected an object");
      else
        for (const auto& kv : it->value().get_object())
          load_type(std::string(kv.key()), kv.value(), "dp_types." + std::string(kv.key()),
                    c.dp_types);
    }

    std::set<std::string> driver_names;
    std::set<std::string> ids;
    if (auto it = doc.find("drivers"); it != doc.end()) {
      if (!it->value().is_array()) {
        error("drivers", "expected an array");
      } else {
        std::size_t i = 0;
        for (const auto& dv : it->value().get_array()) {
          const std::string p = json::index_path("drivers", i++);
          if (!dv.is_object()) {
            error(p, "expected an object");
            continue;
          }
          const auto& d = dv.get_object();
          DriverConfig dc;
          const auto* name = string_at(d, "name", p, true);
          const auto* cls = string_at(d, "driver_class", p, true);
          if (!name || !cls) continue;
          dc.name = std::string(*name);
          dc.driver_class = std::string(*cls);
          if (dc.name.empty() || dc.name.find('@') != std::string::npos)
            error(json::join_path(p, "name"), "a driver name must be non-empty and contain no '@'");
          if (!driver_names.insert(dc.name).second)
            error(json::join_path(p, "name"), "duplicate driver name \"" + dc.name + "\"");
          for (std::string_view key : {"params", "connection_info"}) {
            auto pi = d.find(key);
            if (pi == d.end() || pi->value().is_null()) continue;
            if (!pi->value().is_object())
              error(json::join_path(p, key), "expected an object");
            else
              (key == "params" ? dc.params : dc.connection_info) = pi->value().get_object();
          }
          load_points(d, "datapoints", p, c.dp_types, dc.datapoints);
          load_points(d, "command_datapoints", p, c.dp_types, dc.command_datapoints);
          for (auto* list : {&dc.datapoints, &dc.command_datapoints}) {
            for (const auto& dp : *list) {
              if (dp.name.find('@') != std::string::npos)
                continue;  // mirror of another driver's tag
              std::string id = dc.name + "@" + dp.name;
              if (!ids.insert(id).second) error(p, "duplicate datapoint \"" + id + "\"");
            }
          }
          c.drivers.push_back(std::move(dc));
        }
      }
    }

    if (auto it = doc.find("modules"); it != doc.end()) {
      if (!it->value().is_array()) {
        error("modules", "expected an array");
      } else {
        std::size_t i = 0;
        for (const auto& mv : it->value().get_array()) {
          const std::string p = json::index_path("modules", i++);
          if (!mv.is_object()) {
            error(p, "expected an object {name, config?}");
            continue;
          }
          const auto* name = string_at(mv.get_object(), "name", p, true);
          if (!name) continue;
          ModuleConfig m{std::string(*name), {}};
          if (auto ci = mv.get_object().find("config");
              ci != mv.get_object().end() && !ci->value().is_null()) {
            if (!ci->value().is_object())
              error(json::join_path(p, "config"), "expected an object");
            else
              m.config = ci->value().get_object();
          }
          c.modules.push_back(std::move(m));
        }
      }
    }

    if (auto it = doc.find("rules"); it != doc.end()) {
      if (!it->value().is_array()) {
        error("rules", "expected an array");
      } else {
        std::size_t i = 0;
        std::set<std::string> rule_ids;
        for (const auto& rv : it->value().get_array()) {
          const std::string p = json::index_path("rules", i++);
          if (!rv.is_object()) {
            error(p, "expected an object");
            continue;
          }
          const auto& o = rv.get_object();
          RuleConfig rc;
          const jv::string* id = string_at(o, "rule_id", p, false);
          if (!id) {
            id = string_at(o, "name", p, false);  // the Python README's spelling
            if (id)
              warn(json::join_path(p, "name"), "\"name\" is read as \"rule_id\"");
            else
              error(json::join_path(p, "rule_id"), "required field is missing");
          }
          if (id) rc.rule_id = std::string(*id);
          if (id && !rule_ids.insert(rc.rule_id).second)
            error(json::join_path(p, "rule_id"), "duplicate rule_id \"" + rc.rule_id + "\"");
          if (const auto* on = string_at(o, "on_condition", p, true))
            rc.on_condition = std::string(*on);
          if (const auto* off = string_at(o, "off_condition", p, false))
            rc.off_condition = std::string(*off);
          rc.on_actions = string_list(o, "on_actions", p);
          rc.off_actions = string_list(o, "off_actions", p);
          c.rules.push_back(std::move(rc));
        }
      }
    }

    auto array_key = [&](std::string_view key, boost::json::array& out) {
      auto it = doc.find(key);
      if (it == doc.end() || it->value().is_null()) return;
      if (!it->value().is_array())
        error(std::string(key), "expected an array");
      else
        out = it->value().get_array();
    };
    array_key("gis_icons", c.gis_icons);
    array_key("streams", c.streams);
    if (auto it = doc.find("svg_files"); it != doc.end()) {
      c.svg_files.emplace();
      array_key("svg_files", *c.svg_files);
    }
    if (auto it = doc.find("animations"); it != doc.end() && !it->value().is_null()) {
      if (!it->value().is_object())
        error("animations", "expected an object");
      else
        c.animations = it->value().get_object();
    }

    bool failed = false;
    for (const auto& i : issues) failed = failed || i.error;
    if (!failed) r.config = std::move(c);
    r.issues = std::move(issues);
    return r;
  }
};

}  // namespace

LoadResult parse_system_config(std::string_view text, const std::string& file_name) {
  Loader l{file_name, {}};
  return l.run(text);
}

LoadResult load_system_config(const std::string& path) {
  auto text = read_text_file(path);
  if (!text) {
    LoadResult r;
    r.issues.push_back(
        {std::filesystem::path(path).filename().string(), "", text.error().message, true});
    return r;
  }
  return parse_system_config(*text, std::filesystem::path(path).filename().string());
}

Result<std::string> read_text_file(const std::string& path, std::size_t max_bytes) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  if (ec) return bad_request("unreadable", "cannot read " + path + ": " + ec.message());
  if (size > max_bytes)
    return Error::make(ErrorKind::too_large, "too_large",
                       path + " is " + std::to_string(size) + " bytes, over the limit of " +
                           std::to_string(max_bytes));
  std::ifstream in(path, std::ios::binary);
  if (!in) return bad_request("unreadable", "cannot open " + path + ": " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Status write_file_atomically(const std::string& path, std::string_view content, int keep) {
  namespace fs = std::filesystem;
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0)
    return Error::make(ErrorKind::internal, "write_failed",
                       "cannot create " + tmp + ": " + std::strerror(errno));
  std::size_t off = 0;
  while (off < content.size()) {
    ssize_t n = ::write(fd, content.data() + off, content.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return Error::make(ErrorKind::internal, "write_failed",
                         "cannot write " + tmp + ": " + std::strerror(e));
    }
    off += static_cast<std::size_t>(n);
  }
  ::fsync(fd);
  ::close(fd);
  std::error_code ec;
  if (keep > 0 && fs::exists(path, ec)) {
    for (int i = keep; i > 1; --i) {
      const std::string from = path + "." + std::to_string(i - 1);
      if (fs::exists(from, ec)) fs::rename(from, path + "." + std::to_string(i), ec);
    }
    fs::copy_file(path, path + ".1", fs::copy_options::overwrite_existing, ec);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return Error::make(ErrorKind::internal, "write_failed",
                       "cannot replace " + path + ": " + std::strerror(e));
  }
  return {};
}

}  // namespace weir::config
