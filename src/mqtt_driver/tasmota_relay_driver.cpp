#include "mqtt_driver/tasmota_relay_driver.hpp"

#include <spdlog/spdlog.h>

#include "mqtt/codec/topic.hpp"
#include "mqtt_driver/payload_value.hpp"

namespace weir::mqtt_driver {

using model::DriverState;

Result<TasmotaConfig> parse_tasmota_config(const config::DriverConfig& dc) {
  const std::string base = "drivers[" + dc.name + "].params";
  const auto& p = dc.params;
  auto err = [&](const std::string& path, const std::string& what) {
    return bad_request("bad_config", base + path + ": " + what, base + path);
  };
  TasmotaConfig c;
  auto dt = p.find("device_topic");
  if (dt == p.end() || !dt->value().is_string() || dt->value().get_string().empty())
    return err(".device_topic", "required (the device's Tasmota topic, e.g. \"xmas\")");
  c.device_topic = std::string(dt->value().get_string());
  if (c.device_topic.find_first_of("/+#") != std::string::npos)
    return err(".device_topic", "one topic level (no '/', '+', '#')");
  if (auto rm = p.find("relay_mapping"); rm != p.end()) {
    const auto* o = rm->value().if_object();
    if (!o) return err(".relay_mapping", "expected an object");
    for (const auto& [k, v] : *o) {
      if (!v.is_string() || v.get_string().empty() ||
          v.get_string().find_first_of("/+#") != boost::json::string::npos)
        return err(".relay_mapping." + std::string(k),
                   "expected a Tasmota power name such as \"POWER1\"");
      c.relay_mapping.emplace(std::string(k), std::string(v.get_string()));
    }
  } else {
    // Without a mapping: RELAY_n -> POWERn for every RELAY_n_* datapoint.
    for (const auto* list : {&dc.datapoints, &dc.command_datapoints})
      for (const auto& d : *list)
        if (d.name.rfind("RELAY_", 0) == 0) {
          auto n = d.name.substr(6, d.name.find('_', 6) - 6);
          c.relay_mapping.emplace("RELAY_" + n, "POWER" + n);
        }
  }
  if (auto subs = p.find("subscriptions"); subs != p.end()) {
    const auto* a = subs->value().if_array();
    if (!a) return err(".subscriptions", "expected an array");
    for (std::size_t i = 0; i < a->size(); ++i) {
      const std::string path = ".subscriptions[" + std::to_string(i) + "]";
      const auto* o = (*a)[i].if_object();
      if (!o) return err(path, "expected an object");
      auto t = o->find("topic");
      if (t == o->end() || !t->value().is_string()) return err(path + ".topic", "required");
      std::string type = "status";
      if (auto ty = o->find("type"); ty != o->end() && ty->value().is_string())
        type = std::string(ty->value().get_string());
      if (type != "status" && type != "feedback")
        return err(path + ".type", "expected \"status\" or \"feedback\"");
      auto glob = make_topic_glob(std::string(t->value().get_string()));
      if (!mqtt::valid_topic_filter(glob.filter))
        return err(path + ".topic", "not a valid topic pattern");
      c.subscriptions.push_back({std::move(glob), type});
    }
  } else {
    c.subscriptions.push_back({make_topic_glob("stat/" + c.device_topic + "/POWER+"), "status"});
    c.subscriptions.push_back({make_topic_glob("stat/" + c.device_topic + "/RESULT"), "feedback"});
  }
  if (auto pub = p.find("publish"); pub != p.end()) {
    const auto* o = pub->value().if_object();
    if (!o) return err(".publish", "expected an object");
    if (auto cmd = o->find("command"); cmd != o->end()) {
      if (!cmd->value().is_string()) return err(".publish.command", "expected a string");
      c.command_pattern = std::string(cmd->value().get_string());
    }
  }
  for (const char* k : {"host", "port", "client_id", "username", "password"})
    if (p.contains(k)) c.ignored_connection_params = true;
  return c;
}

TasmotaRelayDriver::TasmotaRelayDriver(const config::DriverConfig& cfg,
                                       communication::DriverContext& ctx, mqtt::PubSub& broker,
                                       std::shared_ptr<MqttDriverStats> stats)
    : name_(cfg.name),
      ctx_(ctx),
      broker_(broker),
      stats_(stats ? std::move(stats) : std::make_shared<MqttDriverStats>()) {
  auto parsed = parse_tasmota_config(cfg);
  if (!parsed) {
    config_error_ = parsed.error().message;
    spdlog::error("MQTTTasmotaRelayDriver {}: {}", name_, config_error_);
    return;
  }
  cfg_ = std::move(*parsed);
  for (const auto& [relay, power] : cfg_.relay_mapping) {
    auto idx = ctx_.registry().find(name_ + "@" + relay + "_STATUS");
    status_index_[power] = idx ? std::optional<model::DatapointIndex>(*idx) : std::nullopt;
    if (!mqtt::valid_topic_name(command_topic(power))) {
      config_error_ = "drivers[" + name_ + "].params.publish.command: \"" + command_topic(power) +
                      "\" is not a valid topic";
      spdlog::error("MQTTTasmotaRelayDriver {}: {}", name_, config_error_);
      return;
    }
  }
  if (cfg_.ignored_connection_params)
    spdlog::info(
        "MQTTTasmotaRelayDriver {}: uses Weir's embedded broker in-process; params "
        "host/port/client_id/"
        "username/password are ignored",
        name_);
}

TasmotaRelayDriver::~TasmotaRelayDriver() = default;

std::string TasmotaRelayDriver::command_topic(const std::string& power) const {
  std::string t = cfg_.command_pattern;
  auto put = [&](std::string_view key, const std::string& v) {
    for (auto at = t.find(key); at != std::string::npos; at = t.find(key, at + v.size()))
      t.replace(at, key.size(), v);
  };
  put("{device}", cfg_.device_topic);
  put("{power}", power);
  return t;
}

void TasmotaRelayDriver::connect() {
  if (!config_error_.empty()) {
    ctx_.set_status(DriverState::offline, config_error_);
    return;
  }
  connected_ = true;
  if (subs_.empty())
    for (const auto& sub : cfg_.subscriptions) {
      const auto* s = &sub;
      subs_.push_back(broker_.subscribe(
          sub.topic.filter, [this, s](const mqtt::InprocMessage& m) { on_message(*s, m); }));
    }
  ctx_.set_status(DriverState::online, "subscribed (embedded broker)");
  // Ask every relay for its state: Tasmota answers an empty command with stat/.../POWERn.
  for (const auto& [relay, power] : cfg_.relay_mapping)
    broker_.publish(command_topic(power), std::vector<std::uint8_t>{}, 1, false);
}

void TasmotaRelayDriver::disconnect() {
  connected_ = false;
  subs_.clear();
  pending_.clear();
  ctx_.set_status(DriverState::offline, "disconnected");
}

void TasmotaRelayDriver::malformed(std::string_view topic, const std::string& why) {
  ++stats_->malformed;
  if (malformed_logged_ < 20 || malformed_logged_ % 1000 == 0)
    spdlog::warn("MQTTTasmotaRelayDriver {}: malformed message on {}: {}", name_, topic, why);
  ++malformed_logged_;
}

void TasmotaRelayDriver::on_message(const TasmotaConfig::Subscription& sub,
                                    const mqtt::InprocMessage& m) {
  if (!connected_ || !sub.topic.matches(m.topic)) return;
  ++stats_->messages;
  const std::string_view text(reinterpret_cast<const char*>(m.payload.data()), m.payload.size());
  const std::string_view topic = m.topic;
  const std::string last(topic.substr(topic.rfind('/') + 1));
  if (status_index_.count(last)) {  // stat/xmas/POWER1: "ON" / "OFF"
    on_power(topic, last, text);
    return;
  }
  // stat/xmas/RESULT: {"POWER1":"ON"} (other members, e.g. for other commands, are ignored)
  auto doc = parse_json_payload(text);
  if (!doc) return malformed(topic, doc.error().message);
  const auto* o = doc->if_object();
  if (!o) return malformed(topic, "expected a JSON object");
  for (const auto& [key, value] : *o) {
    const std::string k(key);
    if (!status_index_.count(k)) continue;
    if (!value.is_string()) {
      malformed(topic, k + ": expected \"ON\" or \"OFF\"");
      continue;
    }
    on_power(topic, k, value.get_string());
  }
}

void TasmotaRelayDriver::on_power(std::string_view topic, const std::string& power,
                                  std::string_view state_in) {
  std::string state;
  if (iequals(state_in, "ON") || state_in == "1")
    state = "ON";
  else if (iequals(state_in, "OFF") || state_in == "0")
    state = "OFF";
  else
    return malformed(topic,
                     power + ": unknown state \"" + std::string(state_in.substr(0, 32)) + "\"");
  if (auto idx = status_index_[power]) {
    model::RawTagUpdate u;
    u.index = *idx;
    auto v = convert_value(boost::json::string(state), ctx_.registry().info(*idx).type);
    if (!v) return malformed(topic, v.error().message);
    u.value = std::move(*v);
    u.source_time = ctx_.clock().now();
    u.origin = "mqtt";
    ++stats_->values;
    ctx_.publish(std::move(u));
  }
  // A status report answers the relay's pending command (Tasmota sends RESULT and POWERn).
  auto it = pending_.find(power);
  if (it == pending_.end()) return;
  Pending p = std::move(it->second);
  pending_.erase(it);
  model::CommandFeedback fb;
  fb.command_id = p.command_id;
  fb.index = p.index;
  fb.value = p.value;
  fb.time = ctx_.clock().now();
  if (p.asked == "TOGGLE" || p.asked == state) {
    fb.status = model::CommandStatus::ok;
    fb.detail = power + " is " + state;
  } else {
    fb.status = model::CommandStatus::nok;
    fb.reason = model::CommandReason::rejected_by_device;
    fb.detail = power + " reported " + state + " after " + p.asked;
  }
  ctx_.feedback(std::move(fb));
}

void TasmotaRelayDriver::command(const model::DriverCommand& cmd) {
  model::CommandFeedback fb = communication::feedback_for(cmd, ctx_.clock().now());
  auto nok = [&](model::CommandReason r, std::string detail) {
    ++stats_->commands_refused;
    fb.status = model::CommandStatus::nok;
    fb.reason = r;
    fb.detail = std::move(detail);
    ctx_.feedback(std::move(fb));
  };
  std::string relay = cmd.tag;
  if (relay.size() > 4 && relay.ends_with("_CMD")) relay.resize(relay.size() - 4);
  auto rm = cfg_.relay_mapping.find(relay);
  if (rm == cfg_.relay_mapping.end())
    return nok(model::CommandReason::rejected_by_device, "no relay mapped for " + cmd.tag);
  if (!connected_)
    return nok(model::CommandReason::driver_offline, "driver " + name_ + " is offline");
  std::string word = model::to_display(cmd.value);
  for (auto& ch : word) ch = static_cast<char>(ch >= 'a' && ch <= 'z' ? ch - 'a' + 'A' : ch);
  if (word != "ON" && word != "OFF" && word != "TOGGLE")
    return nok(model::CommandReason::wrong_value,
               "\"" + model::to_display(cmd.value) + "\" is not ON, OFF or TOGGLE");
  if (auto old = pending_.find(rm->second); old != pending_.end()) {
    model::CommandFeedback superseded{old->second.command_id,
                                      old->second.index,
                                      old->second.value,
                                      model::CommandStatus::nok,
                                      model::CommandReason::rejected_by_device,
                                      "superseded by a newer command",
                                      ctx_.clock().now(),
                                      ""};
    pending_.erase(old);
    ctx_.feedback(std::move(superseded));
  }
  pending_[rm->second] = Pending{cmd.command_id, cmd.index, cmd.value, word};
  ++stats_->commands_sent;
  broker_.publish(command_topic(rm->second), std::vector<std::uint8_t>(word.begin(), word.end()), 1,
                  false);
}

}  // namespace weir::mqtt_driver
