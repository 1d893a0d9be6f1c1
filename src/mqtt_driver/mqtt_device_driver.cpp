#include "mqtt_driver/mqtt_device_driver.hpp"

#include <spdlog/spdlog.h>

#include <set>

#include "core/json.hpp"
#include "mqtt/codec/topic.hpp"
#include "mqtt_driver/payload_value.hpp"
#include "mqtt_driver/topic_glob.hpp"

namespace weir::mqtt_driver {

using model::DriverState;

namespace {

// What a rejection keeps of a payload: its text (at most 512 bytes), or, when it is not UTF-8
// (it must not break the JSON that shows it), its first bytes in hex.
std::string printable_payload(std::string_view payload) {
  payload = payload.substr(0, 512);
  if (mqtt::valid_mqtt_utf8(payload)) return std::string(payload);
  static const char* hex = "0123456789abcdef";
  std::string out = "hex:";
  for (unsigned char c : payload.substr(0, 128)) {
    out.push_back(hex[c >> 4]);
    out.push_back(hex[c & 15]);
  }
  return out;
}

std::string substitute(std::string s, std::string_view device) {
  for (auto at = s.find("{device}"); at != std::string::npos;
       at = s.find("{device}", at + device.size()))
    s.replace(at, 8, device);
  return s;
}

Error config_error(const std::string& path, const std::string& what) {
  return bad_request("bad_config", path + ": " + what, path);
}

Result<std::string> get_string(const boost::json::object& o, std::string_view key,
                               const std::string& path, bool required, std::string fallback = {}) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) {
    if (required) return config_error(path + "." + std::string(key), "required");
    return fallback;
  }
  if (!it->value().is_string())
    return config_error(path + "." + std::string(key), "expected a string");
  return std::string(it->value().get_string());
}

Result<std::map<std::string, std::string>> get_map(const boost::json::object& o,
                                                   std::string_view key, const std::string& path) {
  std::map<std::string, std::string> out;
  auto it = o.find(key);
  if (it == o.end()) return out;
  const auto* m = it->value().if_object();
  if (!m) return config_error(path + "." + std::string(key), "expected an object");
  for (const auto& [k, v] : *m) {
    if (v.is_string())
      out.emplace(std::string(k), std::string(v.get_string()));
    else
      out.emplace(std::string(k), key_text(v));
  }
  return out;
}

bool valid_topic_or_glob(const std::string& topic) {
  auto g = make_topic_glob(topic);
  return mqtt::valid_topic_filter(g.filter);
}

}  // namespace

std::optional<TopicMapping> demo_topic_mapping(std::string_view tag, std::string_view device) {
  const std::string d(device);
  const std::string sensors = "sensors/" + d, state = "devices/" + d + "/state";
  if (tag == "TEMPERATURE") return TopicMapping{"TEMPERATURE", sensors, "temperature", {}};
  if (tag == "HUMIDITY") return TopicMapping{"HUMIDITY", sensors, "humidity", {}};
  if (tag == "THRESHOLD") return TopicMapping{"THRESHOLD", sensors, "threshold", {}};
  if (tag == "OVER_THRESHOLD") return TopicMapping{"OVER_THRESHOLD", sensors, "over_threshold", {}};
  if (tag == "PRESENCE") return TopicMapping{"PRESENCE", "presence/" + d + "/status", "", {}};
  if (tag == "MODE") return TopicMapping{"MODE", state, "mode", {}};
  if (tag == "BUZZER")
    return TopicMapping{"BUZZER", state, "playing", {{"true", "PLAYING"}, {"false", "SILENT"}}};
  if (tag == "MELODY_STEP") return TopicMapping{"MELODY_STEP", state, "step", {}};
  if (tag == "MELODY_SINCE") return TopicMapping{"MELODY_SINCE", state, "since", {}};
  if (tag == "MELODY") return TopicMapping{"MELODY", state, "melody", {}};
  return std::nullopt;
}

std::optional<CommandMapping> demo_command_mapping(std::string_view tag, std::string_view device) {
  if (tag == "PLAY_CMD")
    return CommandMapping{"PLAY_CMD",
                          "commands/" + std::string(device) + "/play",
                          {{"PLAY", "true"}, {"STOP", "false"}, {"RESUME", ""}},
                          1,
                          false};
  return std::nullopt;
}

Result<MqttDeviceConfig> parse_mqtt_device_config(const config::DriverConfig& dc) {
  const std::string base = "drivers[" + dc.name + "].params";
  const auto& p = dc.params;
  MqttDeviceConfig c;
  auto device = get_string(p, "device", base, false, dc.name);
  if (!device) return device.error();
  c.device = *device;
  if (c.device.empty() || c.device.find_first_of("/+#") != std::string::npos)
    return config_error(base + ".device", "a device id is one topic level (no '/', '+', '#')");
  auto presence = get_string(p, "presence_topic", base, false, "presence/{device}/status");
  if (!presence) return presence.error();
  c.presence_topic = substitute(*presence, c.device);
  if (!c.presence_topic.empty() && !mqtt::valid_topic_name(c.presence_topic))
    return config_error(base + ".presence_topic", "not a valid topic name");
  auto on = get_string(p, "online_payload", base, false, "online");
  if (!on) return on.error();
  auto off = get_string(p, "offline_payload", base, false, "offline");
  if (!off) return off.error();
  c.online_payload = *on;
  c.offline_payload = *off;
  auto url = get_string(p, "broker_url", base, false);
  if (!url) return url.error();
  c.broker_url = *url;

  std::set<std::string> mapped, mapped_cmd;
  if (auto it = p.find("topics"); it != p.end()) {
    const auto* a = it->value().if_array();
    if (!a) return config_error(base + ".topics", "expected an array");
    for (std::size_t i = 0; i < a->size(); ++i) {
      const std::string path = base + ".topics[" + std::to_string(i) + "]";
      const auto* o = (*a)[i].if_object();
      if (!o) return config_error(path, "expected an object");
      TopicMapping m;
      auto tag = get_string(*o, "tag", path, true);
      if (!tag) return tag.error();
      auto topic = get_string(*o, "topic", path, true);
      if (!topic) return topic.error();
      auto field = get_string(*o, "field", path, false);
      if (!field) return field.error();
      auto map = get_map(*o, "map", path);
      if (!map) return map.error();
      m.tag = *tag;
      m.topic = substitute(*topic, c.device);
      m.field = *field;
      m.map = std::move(*map);
      if (!valid_topic_or_glob(m.topic))
        return config_error(path + ".topic", "not a valid topic \"" + m.topic + "\"");
      mapped.insert(m.tag);
      c.topics.push_back(std::move(m));
    }
  }
  if (auto it = p.find("commands"); it != p.end()) {
    const auto* a = it->value().if_array();
    if (!a) return config_error(base + ".commands", "expected an array");
    for (std::size_t i = 0; i < a->size(); ++i) {
      const std::string path = base + ".commands[" + std::to_string(i) + "]";
      const auto* o = (*a)[i].if_object();
      if (!o) return config_error(path, "expected an object");
      CommandMapping m;
      auto tag = get_string(*o, "tag", path, true);
      if (!tag) return tag.error();
      auto topic = get_string(*o, "topic", path, true);
      if (!topic) return topic.error();
      auto payloads = get_map(*o, "payloads", path);
      if (!payloads) return payloads.error();
      m.tag = *tag;
      m.topic = substitute(*topic, c.device);
      m.payloads = std::move(*payloads);
      if (auto q = o->find("qos"); q != o->end()) {
        if (!q->value().is_int64() || q->value().get_int64() < 0 || q->value().get_int64() > 2)
          return config_error(path + ".qos", "expected 0, 1 or 2");
        m.qos = static_cast<int>(q->value().get_int64());
      }
      if (auto r = o->find("retain"); r != o->end()) {
        if (!r->value().is_bool()) return config_error(path + ".retain", "expected true or false");
        m.retain = r->value().get_bool();
      }
      if (!mqtt::valid_topic_name(m.topic))
        return config_error(path + ".topic", "not a valid topic name \"" + m.topic + "\"");
      mapped_cmd.insert(m.tag);
      c.commands.push_back(std::move(m));
    }
  }
  bool defaults = false;  // only a demo configuration asks for them
  if (auto it = p.find("demo_defaults"); it != p.end() && it->value().is_bool())
    defaults = it->value().get_bool();
  if (defaults) {
    for (const auto& dp : dc.datapoints)
      if (!mapped.count(dp.name))
        if (auto m = demo_topic_mapping(dp.name, c.device)) c.topics.push_back(std::move(*m));
    for (const auto& dp : dc.command_datapoints)
      if (!mapped_cmd.count(dp.name))
        if (auto m = demo_command_mapping(dp.name, c.device)) c.commands.push_back(std::move(*m));
  }
  return c;
}

// A topic mapping resolved against the registry.
struct MqttDeviceDriver::Bound {
  TopicMapping mapping;
  TopicGlob glob;
  model::DatapointIndex index = 0;
  const model::DatapointType* type = nullptr;
};

MqttDeviceDriver::MqttDeviceDriver(const config::DriverConfig& cfg,
                                   communication::DriverContext& ctx, mqtt::PubSub& broker,
                                   std::shared_ptr<MqttDriverStats> stats)
    : name_(cfg.name),
      ctx_(ctx),
      broker_(broker),
      stats_(stats ? std::move(stats) : std::make_shared<MqttDriverStats>()) {
  auto parsed = parse_mqtt_device_config(cfg);
  if (!parsed) {
    config_error_ = parsed.error().message;
    spdlog::error("MqttDeviceDriver {}: {}", name_, config_error_);
    return;
  }
  cfg_ = std::move(*parsed);
  if (!cfg_.broker_url.empty()) {
    config_error_ =
        "params.broker_url: a broker per driver is not supported; remove it (Weir's broker is "
        "used), or run all of "
        "Weir against an external broker with modules[mqtt_broker].config.external";
    spdlog::error("MqttDeviceDriver {}: {}", name_, config_error_);
    return;
  }
  for (const auto& m : cfg_.topics) {
    auto idx = ctx_.registry().find(name_ + "@" + m.tag);
    if (!idx) {
      spdlog::warn(
          "MqttDeviceDriver {}: topic mapping for {} names no datapoint of this driver; ignored",
          name_, m.tag);
      continue;
    }
    bound_.push_back(Bound{m, make_topic_glob(m.topic), *idx, ctx_.registry().info(*idx).type});
  }
}

MqttDeviceDriver::~MqttDeviceDriver() = default;

void MqttDeviceDriver::connect() {
  if (!config_error_.empty()) {
    ctx_.set_status(DriverState::offline, config_error_);
    return;
  }
  connected_ = true;
  if (subs_.empty()) {
    // One subscription per distinct filter; each handler serves only its own filter's mappings,
    // so overlapping filters never deliver a message twice.
    std::vector<std::string> filters;
    auto add = [&](const std::string& f) {
      if (std::find(filters.begin(), filters.end(), f) == filters.end()) filters.push_back(f);
    };
    if (!cfg_.presence_topic.empty()) add(cfg_.presence_topic);
    for (const auto& b : bound_) add(b.glob.filter);
    if (cfg_.presence_topic.empty()) {
      device_online_ = true;
      ctx_.set_status(DriverState::online, "subscribed (embedded broker)");
    } else {
      ctx_.set_status(DriverState::connecting, "waiting for " + cfg_.presence_topic);
    }
    for (const auto& f : filters) {
      auto h = broker_.subscribe(f, [this, f](const mqtt::InprocMessage& m) {
        if (!connected_) return;
        ++stats_->messages;
        if (f == cfg_.presence_topic && m.topic == cfg_.presence_topic &&
            !on_presence(std::string_view(reinterpret_cast<const char*>(m.payload.data()),
                                          m.payload.size())))
          return;  // counted once
        std::optional<Result<boost::json::value>> doc;
        const std::string_view text(reinterpret_cast<const char*>(m.payload.data()),
                                    m.payload.size());
        std::string problem;  // the message's first one: counted and reported once
        for (const auto& b : bound_) {
          if (b.glob.filter != f || !b.glob.matches(m.topic)) continue;
          if (b.mapping.field.empty()) {
            if (auto why = publish_value(b, boost::json::string(text)); problem.empty())
              problem = std::move(why);
            continue;
          }
          if (!doc) doc = parse_json_payload(text);
          if (!*doc) {
            problem = (*doc).error().message;
            break;
          }
          const auto* v = find_field(**doc, b.mapping.field);
          if (!v) {
            if (problem.empty())
              problem = "no field \"" + b.mapping.field + "\" for " + b.mapping.tag;
            continue;
          }
          if (v->is_null()) continue;  // the device does not know (e.g. no reading yet)
          if (auto why = publish_value(b, *v); problem.empty()) problem = std::move(why);
        }
        if (!problem.empty()) malformed(m.topic, problem, text);
      });
      if (!h.active()) spdlog::error("MqttDeviceDriver {}: cannot subscribe to \"{}\"", name_, f);
      subs_.push_back(std::move(h));
    }
  } else if (cfg_.presence_topic.empty() || device_online_) {
    ctx_.set_status(DriverState::online, "subscribed (embedded broker)");
  } else if (device_said_offline_) {
    // Still subscribed: the device's "online" will bring the driver back at once; until then the
    // manager's back-off retries are answered with the same status.
    ctx_.set_status(DriverState::offline, "device offline (" + cfg_.presence_topic + ")");
  } else {
    ctx_.set_status(DriverState::connecting, "waiting for " + cfg_.presence_topic);
  }
}

void MqttDeviceDriver::disconnect() {
  connected_ = false;
  device_online_ = false;
  device_said_offline_ = false;
  subs_.clear();
  ctx_.set_status(DriverState::offline, "disconnected");
}

bool MqttDeviceDriver::on_presence(std::string_view payload) {
  if (payload == cfg_.online_payload) {
    device_online_ = true;
    device_said_offline_ = false;
    ctx_.set_status(DriverState::online, "device online (" + cfg_.presence_topic + ")");
  } else if (payload == cfg_.offline_payload) {
    device_online_ = false;
    device_said_offline_ = true;
    ctx_.set_status(DriverState::offline, "device offline (" + cfg_.presence_topic + ")");
  } else {
    malformed(cfg_.presence_topic,
              "unknown presence \"" + std::string(payload.substr(0, 64)) + "\"", payload);
    return false;
  }
  return true;
}

std::string MqttDeviceDriver::publish_value(const Bound& b, const boost::json::value& raw) {
  auto v = convert_value(raw, b.type, b.mapping.map);
  if (!v) return b.mapping.tag + ": " + v.error().message;
  model::RawTagUpdate u;
  u.index = b.index;
  u.value = std::move(*v);
  u.source_time = ctx_.clock().now();
  u.quality = model::Quality::good;
  u.reason = model::QualityReason::none;
  u.origin = "mqtt";
  ++stats_->values;
  ctx_.publish(std::move(u));
  return {};
}

void MqttDeviceDriver::malformed(std::string_view topic, const std::string& why,
                                 std::string_view payload) {
  ++stats_->malformed;
  ctx_.rejected(std::string(topic), why, printable_payload(payload));
  // Logged, but a device spamming garbage must not flood the log: the first 20, then every 1000th.
  if (malformed_logged_ < 20 || malformed_logged_ % 1000 == 0)
    spdlog::warn("MqttDeviceDriver {}: malformed message on {}: {}", name_, topic, why);
  ++malformed_logged_;
}

void MqttDeviceDriver::command(const model::DriverCommand& cmd) {
  model::CommandFeedback fb = communication::feedback_for(cmd, ctx_.clock().now());
  auto nok = [&](model::CommandReason r, std::string detail) {
    ++stats_->commands_refused;
    fb.status = model::CommandStatus::nok;
    fb.reason = r;
    fb.detail = std::move(detail);
    ctx_.feedback(std::move(fb));
  };
  auto it = std::find_if(cfg_.commands.begin(), cfg_.commands.end(),
                         [&](const auto& c) { return c.tag == cmd.tag; });
  if (it == cfg_.commands.end())
    return nok(model::CommandReason::rejected_by_device, "no topic configured for " + cmd.tag);
  if (!connected_ || (!cfg_.presence_topic.empty() && !device_online_))
    return nok(model::CommandReason::driver_offline, "device " + cfg_.device + " is offline");
  std::string payload;
  const std::string text = model::to_display(cmd.value);
  if (it->payloads.empty()) {
    payload = text;
  } else {
    auto p = it->payloads.find(text);
    if (p == it->payloads.end())
      for (auto q = it->payloads.begin(); q != it->payloads.end(); ++q)
        if (iequals(q->first, text)) p = q;
    if (p == it->payloads.end())
      return nok(model::CommandReason::wrong_value, "no payload for \"" + text + "\"");
    payload = p->second;
  }
  broker_.publish(it->topic, std::vector<std::uint8_t>(payload.begin(), payload.end()), it->qos,
                  it->retain);
  ++stats_->commands_sent;
  fb.status = model::CommandStatus::ok;
  fb.detail = "published \"" + payload + "\" to " + it->topic + " (QoS " + std::to_string(it->qos) +
              ", embedded broker)";
  ctx_.feedback(std::move(fb));
}

}  // namespace weir::mqtt_driver
