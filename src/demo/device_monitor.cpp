#include "demo/device_monitor.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/json.hpp"
#include "devices/payloads_json.hpp"
#include "mqtt/codec/topic.hpp"

namespace weir::demo {

namespace {

constexpr auto kAttributionTtl = std::chrono::seconds(30);  // an echo later than this is not ours
constexpr std::size_t kMaxAttributions = 256;
std::string_view text_of(const mqtt::InprocMessage& m) {
  return {reinterpret_cast<const char*>(m.payload.data()), m.payload.size()};
}
constexpr std::size_t kMaxStatePayload = 4096;

// What the log keeps of a payload: its text, or (not UTF-8: it must not break the JSON that
// shows it) its first bytes in hex.
std::string printable(std::string_view payload) {
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
}  // namespace

std::optional<PlayAction> parse_action(std::string_view s) {
  if (s == "play") return PlayAction::play;
  if (s == "stop") return PlayAction::stop;
  if (s == "resume") return PlayAction::resume;
  return std::nullopt;
}
const char* action_name(PlayAction a) {
  switch (a) {
    case PlayAction::play:
      return "play";
    case PlayAction::stop:
      return "stop";
    case PlayAction::resume:
      return "resume";
  }
  return "";
}
const char* action_payload(PlayAction a) {
  switch (a) {
    case PlayAction::play:
      return "true";
    case PlayAction::stop:
      return "false";
    case PlayAction::resume:
      return "";
  }
  return "";
}

DeviceMonitor::DeviceMonitor(mqtt::PubSub& broker, DeviceLog* log, const Clock& clock,
                             std::vector<std::string> configured, api::LiveFeedHub* hub)
    : broker_(broker), log_(log), clock_(clock), hub_(hub) {
  devices_.reserve(configured.size() + kMaxDiscovered);  // pointers into devices_ stay valid
  for (auto& id : configured) {
    if (!devices::valid_device_id(id) || find(id)) continue;
    DeviceStatus d;
    d.id = std::move(id);
    d.configured = true;
    devices_.push_back(std::move(d));
  }
  if (hub_) {
    feed_ = hub_->add_feed({"devices", "view",
                            [this](std::string& out) {
                              for (std::size_t i = 0; i < devices_.size(); ++i) {
                                if (i) out.push_back(',');
                                json::dump_to(out, json::to_json(to_dto(devices_[i])));
                              }
                            },
                            [this](std::uint64_t key, std::string& out) {
                              if (key >= devices_.size())
                                out += "null";
                              else
                                json::dump_to(out, json::to_json(to_dto(devices_[key])));
                            }});
  }
  subs_.push_back(
      broker_.subscribe("sensors/+", [this](const mqtt::InprocMessage& m) { on_sensors(m); }));
  subs_.push_back(broker_.subscribe("presence/+/status",
                                    [this](const mqtt::InprocMessage& m) { on_presence(m); }));
  subs_.push_back(
      broker_.subscribe("devices/+/state", [this](const mqtt::InprocMessage& m) { on_state(m); }));
  subs_.push_back(broker_.subscribe("commands/+/play",
                                    [this](const mqtt::InprocMessage& m) { on_command(m); }));
}

DeviceMonitor::~DeviceMonitor() = default;

const DeviceStatus* DeviceMonitor::find(std::string_view id) const {
  for (const auto& d : devices_)
    if (d.id == id) return &d;
  return nullptr;
}

bool DeviceMonitor::configured(std::string_view id) const {
  const auto* d = find(id);
  return d && d->configured;
}

DeviceStatus* DeviceMonitor::slot(std::string_view id) {
  for (auto& d : devices_)
    if (d.id == id) return &d;
  if (!devices::valid_device_id(id) || devices_.size() >= devices_.capacity()) return nullptr;
  DeviceStatus d;
  d.id = std::string(id);
  devices_.push_back(std::move(d));
  return &devices_.back();
}

void DeviceMonitor::changed(const DeviceStatus& d) {
  if (hub_) hub_->mark(feed_, static_cast<std::uint64_t>(&d - devices_.data()));
}

void DeviceMonitor::reject(DeviceStatus* d, std::string_view device, std::string_view topic,
                           std::string error, std::string_view payload) {
  ++malformed_total_;
  if (d) {
    ++d->malformed;
    changed(*d);
  }
  if (malformed_logged_ < 20 || malformed_logged_ % 1000 == 0)
    spdlog::warn("devices: malformed message on {}: {}", topic, error);
  ++malformed_logged_;
  if (log_)
    log_->rejected(std::string(device), std::string(topic), std::move(error), printable(payload),
                   clock_.now());
}

void DeviceMonitor::on_sensors(const mqtt::InprocMessage& m) {
  ++messages_total_;
  auto id = devices::match_topic(devices::topics::sensors, m.topic);
  if (!id) return;
  DeviceStatus* d = slot(*id);
  auto parsed = devices::parse_reading(text_of(m));
  if (!parsed.ok) return reject(d, *id, m.topic, parsed.error, text_of(m));
  const WallTime now = clock_.now();
  if (log_) log_->reading(std::string(*id), parsed.value, now);
  if (!d) return;
  d->reading = std::move(parsed.value);
  d->reading_time = now;
  ++d->readings;
  changed(*d);
}

void DeviceMonitor::on_presence(const mqtt::InprocMessage& m) {
  ++messages_total_;
  auto id = devices::match_topic(devices::topics::presence, m.topic);
  if (!id) return;
  DeviceStatus* d = slot(*id);
  auto p = devices::parse_presence(text_of(m));
  if (!p.ok) return reject(d, *id, m.topic, p.reason, text_of(m));
  const std::string status = devices::presence_name(p.value);
  // A retained message replayed to us (at start-up) is logged only if it tells something new.
  if (d && d->presence == status) return;
  const WallTime now = clock_.now();
  if (log_) log_->presence(std::string(*id), status, now);
  if (!d) return;
  d->presence = status;
  d->presence_time = now;
  changed(*d);
}

void DeviceMonitor::on_state(const mqtt::InprocMessage& m) {
  ++messages_total_;
  auto id = devices::match_topic(devices::topics::state, m.topic);
  if (!id) return;
  DeviceStatus* d = slot(*id);
  if (m.payload.size() > kMaxStatePayload) return reject(d, *id, m.topic, "payload too large", {});
  auto s = json::decode<devices::BuzzerState>(text_of(m));
  if (!s) return reject(d, *id, m.topic, s.error().message, text_of(m));
  if (!d) return;
  d->state = std::move(*s);
  d->state_time = clock_.now();
  changed(*d);
}

void DeviceMonitor::on_command(const mqtt::InprocMessage& m) {
  ++messages_total_;
  auto id = devices::match_topic(devices::topics::play_command, m.topic);
  if (!id) return;
  const std::string_view payload = text_of(m);
  auto o = devices::parse_override(payload);
  std::string action = !o.ok                               ? "invalid"
                       : o.value == devices::Override::on  ? "play"
                       : o.value == devices::Override::off ? "stop"
                                                           : "resume";
  std::string user, source = "mqtt";
  const auto now = clock_.mono();
  std::erase_if(sent_, [&](const Attribution& a) { return now - a.at > kAttributionTtl; });
  auto it = std::find_if(sent_.begin(), sent_.end(), [&](const Attribution& a) {
    return a.device == *id && a.payload == payload;
  });
  if (it != sent_.end()) {
    user = it->user;
    source = it->source;
    sent_.erase(it);
  }
  if (log_)
    log_->command(std::string(*id), action, std::string(payload.substr(0, 512)), user, source,
                  clock_.now());
}

std::string DeviceMonitor::send(const std::string& device, PlayAction action,
                                const std::string& user, const std::string& source) {
  const std::string topic = devices::topic_for(devices::topics::play_command, device);
  const std::string payload = action_payload(action);
  if (sent_.size() >= kMaxAttributions) sent_.pop_front();
  sent_.push_back(Attribution{device, payload, user, source, clock_.mono()});
  broker_.publish(topic, std::vector<std::uint8_t>(payload.begin(), payload.end()), 1, false);
  return topic;
}

api::MetricsWriter DeviceMonitor::metrics() const {
  return [this](std::string& out) {
    api::metric(out, "weir_demo_device_messages_total", "counter",
                "Demo device messages seen (sensors, presence, state, commands)",
                static_cast<double>(messages_total_));
    api::metric(out, "weir_demo_malformed_messages_total", "counter",
                "Demo device messages that could not be used",
                static_cast<double>(malformed_total_));
    // One HELP/TYPE header per metric, then a sample per device (label values escaped).
    auto label = [](const std::string& id) {
      std::string l = "device=\"";
      for (char c : id) {
        if (c == '"' || c == '\\') l.push_back('\\');
        l.push_back(c);
      }
      return l + "\"";
    };
    for (std::size_t i = 0; i < devices_.size(); ++i)
      api::metric(out, "weir_demo_device_online", "gauge", i ? "" : "1 when the device says online",
                  devices_[i].presence == "online" ? 1 : 0, label(devices_[i].id));
    for (std::size_t i = 0; i < devices_.size(); ++i)
      api::metric(out, "weir_demo_device_malformed_total", "counter",
                  i ? "" : "Malformed messages per device",
                  static_cast<double>(devices_[i].malformed), label(devices_[i].id));
    if (log_) {
      auto s = log_->stats();
      api::metric(out, "weir_demo_log_rows_written_total", "counter",
                  "Rows written to the device log", static_cast<double>(s.written));
      api::metric(out, "weir_demo_log_rows_dropped_total", "counter",
                  "Rows the device log had to drop", static_cast<double>(s.dropped));
    }
  };
}

DeviceDto DeviceMonitor::to_dto(const DeviceStatus& d) {
  DeviceDto o;
  o.id = d.id;
  o.configured = d.configured;
  o.presence = d.presence;
  if (d.presence_time != WallTime{}) o.presence_time = to_iso8601(d.presence_time);
  if (d.reading)
    o.reading = DeviceReadingDto{d.reading->temperature, d.reading->humidity,
                                 d.reading->threshold,   d.reading->over_threshold,
                                 d.reading->unit,        to_iso8601(d.reading_time)};
  if (d.state) {
    o.mode = d.state->mode;
    o.buzzer = d.state->playing ? "playing" : "silent";
    o.state = *d.state;
    o.state_time = to_iso8601(d.state_time);
  }
  o.readings = d.readings;
  o.malformed = d.malformed;
  return o;
}

}  // namespace weir::demo
