#include "animation/animation_config.hpp"

#include <array>
#include <cmath>
#include <string_view>

namespace weir::animation {

const char* to_string(Trigger t) {
  switch (t) {
    case Trigger::datapoint:
      return "datapoint";
    case Trigger::alarm:
      return "alarm";
    case Trigger::connection:
      return "connection";
  }
  return "datapoint";
}

namespace {

constexpr std::array<std::string_view, 7> kKeys{
    "attribute", "expression", "quality", "trigger_type", "default", "revert_after", "duration"};

std::optional<double> number(const boost::json::value& v) {
  if (v.is_double()) return v.get_double();
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  return std::nullopt;
}

// A result the browser can set: a string, a number or a boolean.
bool scalar(const boost::json::value& v) {
  return v.is_string() || v.is_number() || v.is_bool();
}

struct Reader {
  std::vector<config::ConfigIssue>& issues;
  void warn(const std::string& path, std::string message) {
    issues.push_back({"system_config.json", path, std::move(message), false});
  }

  std::optional<AnimationEntry> entry(const boost::json::value& j, const std::string& path,
                                      Trigger& trigger) {
    if (!j.is_object()) {
      warn(path, "expected an object {attribute, expression, ...}");
      return std::nullopt;
    }
    const auto& o = j.get_object();
    for (const auto& kv : o) {
      bool known = false;
      for (auto k : kKeys) known = known || kv.key() == k;
      if (!known)
        warn(path + "." + std::string(kv.key()),
             "unknown key (known: attribute, expression, quality, trigger_type, default, "
             "revert_after, duration)");
    }
    AnimationEntry e;
    const auto* attr = o.if_contains("attribute");
    if (!attr || !attr->is_string() || attr->get_string().empty()) {
      warn(path + ".attribute", "expected the attribute to set (\"fill\", \"y\", \"text\", ...)");
      return std::nullopt;
    }
    e.attribute = std::string(attr->get_string());
    trigger = Trigger::datapoint;
    if (const auto* t = o.if_contains("trigger_type"); t && !t->is_null()) {
      const std::string_view s = t->is_string() ? std::string_view(t->get_string()) : "";
      if (s == "datapoint")
        trigger = Trigger::datapoint;
      else if (s == "alarm")
        trigger = Trigger::alarm;
      else if (s == "connection")
        trigger = Trigger::connection;
      else {
        warn(path + ".trigger_type", "expected datapoint, alarm or connection");
        return std::nullopt;
      }
    }
    const auto* x = o.if_contains("expression");
    if (x && x->is_string()) {
      expression::Resolver value =
          [](std::string_view n) -> std::optional<expression::DatapointRef> {
        if (n == "value") return expression::DatapointRef{kValueSlot, nullptr};
        return std::nullopt;
      };
      // Only `value`: an animation's expression reads no other datapoint.
      auto compiled = expression::Expression::compile(x->get_string(), {}, value);
      if (!compiled) {
        warn(path + ".expression", compiled.error().message);
        return std::nullopt;
      }
      e.expression = std::move(*compiled);
    } else if (x && x->is_object()) {
      for (const auto& kv : x->get_object()) {
        if (!scalar(kv.value())) {
          warn(path + ".expression." + std::string(kv.key()),
               "expected a string, number or boolean result");
          continue;
        }
        e.cases.emplace_back(std::string(kv.key()), kv.value());
      }
    } else {
      warn(path + ".expression",
           "expected an expression of value (\"str(value)\") or a map from value to result");
      return std::nullopt;
    }
    if (const auto* q = o.if_contains("quality"); q && !q->is_null()) {
      const auto* u = q->is_object() ? q->get_object().if_contains("unknown") : nullptr;
      if (!q->is_object() || (u && !u->is_null() && !scalar(*u)))
        warn(path + ".quality", "expected {\"unknown\": a string, number or boolean}");
      else if (u)
        e.unknown = *u;
    }
    if (const auto* d = o.if_contains("default"); d && !d->is_null()) {
      if (scalar(*d))
        e.default_value = *d;
      else
        warn(path + ".default", "expected a string, number or boolean");
    }
    auto seconds = [&](const char* key, double& out) {
      const auto* v = o.if_contains(key);
      if (!v || v->is_null()) return;
      auto n = number(*v);
      if (!n || !std::isfinite(*n) || *n < 0 || *n > 86400)
        warn(path + "." + key, "expected seconds between 0 and 86400");
      else
        out = *n;
    };
    seconds("revert_after", e.revert_after);
    seconds("duration", e.duration);
    return e;
  }
};

}  // namespace

Animations read_animations(const boost::json::object& animations,
                           std::vector<config::ConfigIssue>& issues) {
  Reader r{issues};
  Animations out;
  for (const auto& kv : animations) {
    const std::string name(kv.key());
    const std::string path = "animations." + name;
    // One entry may stand alone; the Python platform's files always give a list.
    boost::json::array one;
    const boost::json::array* list = nullptr;
    if (kv.value().is_array()) {
      list = &kv.value().get_array();
    } else if (kv.value().is_object()) {
      one.push_back(kv.value());
      list = &one;
    } else {
      r.warn(path, "expected a list of entries");
      continue;
    }
    Animation a;
    a.name = name;
    for (std::size_t i = 0; i < list->size(); ++i) {
      const std::string p = list == &one ? path : path + "[" + std::to_string(i) + "]";
      Trigger t = Trigger::datapoint;
      auto e = r.entry((*list)[i], p, t);
      if (!e) continue;
      if (a.entries.empty())
        a.trigger = t;
      else if (t != a.trigger) {
        r.warn(p + ".trigger_type", std::string("every entry of an animation has one trigger (") +
                                        to_string(a.trigger) + " here)");
        continue;
      }
      a.entries.push_back(std::move(*e));
    }
    if (a.entries.empty()) {
      if (!list->empty()) r.warn(path, "no usable entry: the animation is left out");
      continue;
    }
    out.emplace(name, std::move(a));
  }
  return out;
}

}  // namespace weir::animation
