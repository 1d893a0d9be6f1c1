#include "animation/animation_engine.hpp"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <chrono>
#include <cmath>

namespace weir::animation {

namespace {

// `value` for a compiled entry expression.
struct OneValue final : expression::ValueSource {
  const model::Value* v = nullptr;
  const model::Value* value(expression::DatapointIndex i) const override {
    if (i != kValueSlot || !v || std::holds_alternative<std::monostate>(*v)) return nullptr;
    return v;
  }
};

// Whole numbers as integers: "y": 220, not 2.2E2.
boost::json::value number(double n) {
  if (!std::isfinite(n)) return nullptr;
  if (std::abs(n) < 1e15 && n == std::trunc(n)) return static_cast<std::int64_t>(n);
  return n;
}

boost::json::value to_json(const expression::Scalar& s) {
  using K = expression::Scalar::Kind;
  switch (s.kind) {
    case K::boolean:
      return s.b;
    case K::number:
      return number(s.n);
    case K::string:
      return boost::json::string(s.s);
    case K::unknown:
      break;
  }
  return nullptr;
}

std::string to_text(const boost::json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  if (v.is_bool()) return v.get_bool() ? "True" : "False";
  if (v.is_int64()) return std::to_string(v.get_int64());
  if (v.is_uint64()) return std::to_string(v.get_uint64());
  if (v.is_double()) {
    char buf[32];
    auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v.get_double());
    return ec == std::errc() ? std::string(buf, p) : std::string();
  }
  return {};
}

bool same_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

const boost::json::value* find_case(const AnimationEntry& e, std::string_view key) {
  for (const auto& [k, v] : e.cases)
    if (k == key) return &v;
  for (const auto& [k, v] : e.cases)
    if (same_ignoring_case(k, key)) return &v;
  return nullptr;
}

// The entry's result for a good input, or for none (unknown).
boost::json::value result(const AnimationEntry& e, const model::Value* value) {
  const auto fallback = [&]() -> boost::json::value {
    return e.unknown.is_null() ? e.default_value : e.unknown;
  };
  if (!value || std::holds_alternative<std::monostate>(*value)) return fallback();
  if (e.expression) {
    OneValue src;
    src.v = value;
    auto r = to_json(e.expression->evaluate(src));
    return r.is_null() ? fallback() : r;
  }
  const auto key = model::to_display(*value);
  if (const auto* v = find_case(e, key)) return *v;
  return e.default_value.is_null() ? e.unknown : e.default_value;
}

// Sets one entry's result in place; true when the frame changed.
bool set(Frame& f, const AnimationEntry& e, boost::json::value r) {
  if (r.is_null()) return false;
  if (e.attribute == "text") {
    auto t = to_text(r);
    if (f.text && *f.text == t) return false;
    f.text = std::move(t);
    return true;
  }
  if (const auto* cur = f.attr.if_contains(e.attribute); cur && *cur == r) return false;
  f.attr[e.attribute] = std::move(r);
  return true;
}

const char* driver_state_name(model::DriverState s) {
  switch (s) {
    case model::DriverState::online:
      return "ONLINE";
    case model::DriverState::connecting:
      return "CONNECTING";
    case model::DriverState::offline:
      break;
  }
  return "OFFLINE";
}

int severity(model::AlarmState s) {
  switch (s) {
    case model::AlarmState::ACTIVE:
      return 3;
    case model::AlarmState::ACK:
      return 2;
    case model::AlarmState::INACTIVE:
      return 1;
    case model::AlarmState::FINISHED:
      break;
  }
  return 0;
}

const char* alarm_state_name(model::AlarmState s) {
  switch (s) {
    case model::AlarmState::ACTIVE:
      return "ACTIVE";
    case model::AlarmState::ACK:
      return "ACK";
    case model::AlarmState::INACTIVE:
      return "INACTIVE";
    case model::AlarmState::FINISHED:
      break;
  }
  return "FINISHED";
}

std::string where(const BindingSpec& s) {
  return "svg/" + s.svg + ": " +
         (s.element.empty() ? std::string("(an element without id)") : "element " + s.element) +
         ": ";
}

}  // namespace

AnimationEngine::AnimationEngine(Animations animations, const std::vector<BindingSpec>& specs,
                                 const References& refs, std::vector<std::string>& warnings)
    : animations_(std::move(animations)) {
  for (const auto& s : specs) {
    auto a = animations_.find(s.animation);
    // Unknown names are the process image's load warnings (src/svg); a broken animation is a
    // configuration warning at its JSON path. Neither animates anything.
    if (s.animation.empty() || a == animations_.end()) continue;
    if (s.element.empty()) {
      warnings.push_back(where(s) + "animation \"" + s.animation +
                         "\" not applied: the element needs an id");
      continue;
    }
    Binding b;
    b.svg = s.svg;
    b.element = s.element;
    b.animation = &a->second;
    b.revert_at.resize(a->second.entries.size());
    const auto dp = refs.datapoint ? refs.datapoint(s.target) : std::nullopt;
    switch (a->second.trigger) {
      case Trigger::datapoint:
      case Trigger::alarm:
        if (!dp) {
          warnings.push_back(where(s) + "animation \"" + s.animation + "\" needs a datapoint, \"" +
                             s.target + "\" is none");
          continue;
        }
        b.dp = *dp;
        if (a->second.trigger == Trigger::alarm && refs.rules_reading)
          b.rules = refs.rules_reading(*dp);
        break;
      case Trigger::connection: {
        // A driver's name, or a datapoint of that driver ("Driver@TAG").
        const auto name = std::string_view(s.target).substr(0, s.target.find('@'));
        if (!refs.driver || !refs.driver(name)) {
          warnings.push_back(where(s) + "animation \"" + s.animation + "\" needs a driver, \"" +
                             s.target + "\" is none");
          continue;
        }
        b.driver = std::string(name);
        break;
      }
    }
    const auto k = static_cast<Key>(bindings_.size());
    bindings_.push_back(std::move(b));
    const auto& bound = bindings_.back();
    switch (bound.animation->trigger) {
      case Trigger::datapoint:
        by_datapoint_[bound.dp].push_back(k);
        show(k, nullptr, nullptr, nullptr);
        break;
      case Trigger::alarm: {
        for (const auto& r : bound.rules) by_rule_[r].push_back(k);
        const model::Value none = alarm_state_of(bound);
        show(k, &none, nullptr, nullptr);
        break;
      }
      case Trigger::connection: {
        by_driver_[bound.driver].push_back(k);
        const model::Value offline = std::string("OFFLINE");
        show(k, &offline, nullptr, nullptr);
        break;
      }
    }
  }
}

void AnimationEngine::show(Key k, const model::Value* value, const MonoTime* now,
                           std::vector<Key>* changed) {
  Binding& b = bindings_[k];
  bool differs = false;
  bool pending = false;
  for (std::size_t i = 0; i < b.animation->entries.size(); ++i) {
    const auto& e = b.animation->entries[i];
    differs = set(b.frame, e, result(e, value)) || differs;
    if (e.duration > b.frame.duration) {
      b.frame.duration = e.duration;
      differs = true;
    }
    if (now && value && e.revert_after > 0) {
      b.revert_at[i] = *now + std::chrono::duration_cast<MonoTime::duration>(
                                  std::chrono::duration<double>(e.revert_after));
      pending = true;
    }
  }
  if (pending && std::find(reverting_.begin(), reverting_.end(), k) == reverting_.end())
    reverting_.push_back(k);
  if (differs && changed) changed->push_back(k);
}

model::Value AnimationEngine::alarm_state_of(const Binding& b) const {
  model::AlarmState worst = model::AlarmState::FINISHED;
  for (const auto& r : b.rules)
    if (auto it = alarms_.find(r); it != alarms_.end() && severity(it->second) > severity(worst))
      worst = it->second;
  return std::string(alarm_state_name(worst));
}

void AnimationEngine::on_value(model::DatapointIndex dp, const model::Value* value, bool good,
                               MonoTime now, std::vector<Key>& changed) {
  auto it = by_datapoint_.find(dp);
  if (it == by_datapoint_.end()) return;
  for (auto k : it->second) show(k, good ? value : nullptr, &now, &changed);
}

void AnimationEngine::on_connection(std::string_view driver, model::DriverState state, MonoTime now,
                                    std::vector<Key>& changed) {
  auto it = by_driver_.find(driver);
  if (it == by_driver_.end()) return;
  const model::Value v = std::string(driver_state_name(state));
  for (auto k : it->second) show(k, &v, &now, &changed);
}

void AnimationEngine::on_alarm(std::string_view rule_id, std::optional<model::AlarmState> state,
                               MonoTime now, std::vector<Key>& changed) {
  if (state && *state != model::AlarmState::FINISHED)
    alarms_.insert_or_assign(std::string(rule_id), *state);
  else if (auto a = alarms_.find(rule_id); a != alarms_.end())
    alarms_.erase(a);
  auto it = by_rule_.find(rule_id);
  if (it == by_rule_.end()) return;
  for (auto k : it->second) {
    const model::Value v = alarm_state_of(bindings_[k]);
    show(k, &v, &now, &changed);
  }
}

void AnimationEngine::tick(MonoTime now, std::vector<Key>& changed) {
  std::erase_if(reverting_, [&](Key k) {
    Binding& b = bindings_[k];
    bool pending = false, differs = false;
    for (std::size_t i = 0; i < b.revert_at.size(); ++i) {
      auto& at = b.revert_at[i];
      if (!at) continue;
      if (*at > now) {
        pending = true;
        continue;
      }
      at.reset();
      const auto& e = b.animation->entries[i];
      differs = set(b.frame, e, e.default_value.is_null() ? e.unknown : e.default_value) || differs;
    }
    if (differs) changed.push_back(k);
    return !pending;
  });
}

void AnimationEngine::encode(Key k, std::string& out) const {
  const Binding& b = bindings_[k];
  out += "{\"svg\":";
  out += boost::json::serialize(boost::json::string_view(b.svg));
  out += ",\"element\":";
  out += boost::json::serialize(boost::json::string_view(b.element));
  out += ",\"attr\":";
  out += boost::json::serialize(b.frame.attr);
  if (b.frame.text) {
    out += ",\"text\":";
    out += boost::json::serialize(boost::json::string_view(*b.frame.text));
  }
  out += ",\"duration\":";
  out += boost::json::serialize(number(b.frame.duration));
  out += '}';
}

std::vector<model::DatapointIndex> AnimationEngine::bound_datapoints() const {
  std::vector<model::DatapointIndex> out;
  out.reserve(by_datapoint_.size());
  for (const auto& [dp, keys] : by_datapoint_) out.push_back(dp);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> AnimationEngine::bound_drivers() const {
  std::vector<std::string> out;
  for (const auto& [d, keys] : by_driver_) out.push_back(d);
  return out;
}

}  // namespace weir::animation
