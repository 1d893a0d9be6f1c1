#include "demo/server/device_monitor.hpp"

#include <algorithm>
#include <cctype>

#include "core/json.hpp"

namespace weir::demo {

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

double number(const model::Value* v) {
  if (!v) return 0;
  if (const auto* d = std::get_if<double>(v)) return *d;
  if (const auto* i = std::get_if<std::int64_t>(v)) return static_cast<double>(*i);
  return 0;
}

std::string text(const model::Value* v) {
  return v ? model::to_display(*v) : std::string();
}

bool truth(const model::Value* v) {
  if (!v) return false;
  if (const auto* b = std::get_if<bool>(v)) return *b;
  if (const auto* s = std::get_if<std::string>(v)) return *s == "TRUE" || *s == "true";
  return number(v) != 0;
}

constexpr std::string_view kReadingTags[] = {"TEMPERATURE", "HUMIDITY", "THRESHOLD",
                                             "OVER_THRESHOLD"};

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
const char* action_command(PlayAction a) {
  switch (a) {
    case PlayAction::play:
      return "PLAY";
    case PlayAction::stop:
      return "STOP";
    case PlayAction::resume:
      return "RESUME";
  }
  return "";
}

std::vector<DemoDevice> demo_devices(const config::SystemConfig& config,
                                     const std::optional<std::vector<std::string>>& only) {
  std::vector<DemoDevice> all;
  for (const auto& d : config.drivers) {
    if (d.driver_class != "MqttDeviceDriver") continue;
    std::string id = d.name;
    if (auto it = d.params.find("device"); it != d.params.end() && it->value().is_string())
      id = std::string(it->value().get_string());
    all.push_back({std::move(id), d.name});
  }
  if (!only) return all;
  std::vector<DemoDevice> out;
  for (const auto& id : *only)
    for (const auto& d : all)
      if (d.id == id) out.push_back(d);
  return out;
}

DeviceMonitor::DeviceMonitor(const datapoint::DatapointService& values,
                             command::CommandService& commands, bus::Bus& bus, DeviceLog* log,
                             const Clock& clock, std::vector<DemoDevice> devices,
                             api::LiveFeedHub* hub)
    : values_(values), commands_(commands), log_(log), clock_(clock), hub_(hub) {
  set_devices(std::move(devices));
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
  tags_ = bus.subscribe<model::TagUpdate>([this](const model::TagUpdate& u) { on_tag(u); });
  feedback_ = bus.subscribe<model::CommandFeedback>(
      [this](const model::CommandFeedback& f) { on_feedback(f); });
  rejected_ = bus.subscribe<model::DriverInputRejected>(
      [this](const model::DriverInputRejected& r) { on_rejected(r); });
}

void DeviceMonitor::set_devices(std::vector<DemoDevice> devices) {
  std::vector<Seen> seen(devices.size());
  for (std::size_t i = 0; i < devices.size(); ++i)
    if (const auto* old = find(devices[i].id)) seen[i] = seen_[old - devices_.data()];
  devices_ = std::move(devices);
  seen_ = std::move(seen);
  // Every datapoint update of the plant passes on_tag: which device (if any) a datapoint belongs
  // to is looked up once here, not by name per update. Called again after a reload (the demo
  // module reloads after the datapoint module), so the indices are the new registry's.
  const auto& reg = values_.registry();
  device_of_index_.assign(reg.size(), kNoDevice);
  for (std::size_t i = 0; i < reg.size(); ++i)
    if (auto d = device_of_driver(reg.info(static_cast<model::DatapointIndex>(i)).driver))
      device_of_index_[i] = static_cast<std::uint32_t>(*d);
}

const DemoDevice* DeviceMonitor::find(std::string_view id) const {
  for (const auto& d : devices_)
    if (d.id == id) return &d;
  return nullptr;
}

std::optional<std::size_t> DeviceMonitor::device_of_driver(std::string_view driver) const {
  for (std::size_t i = 0; i < devices_.size(); ++i)
    if (devices_[i].driver == driver) return i;
  return std::nullopt;
}

const datapoint::DatapointState* DeviceMonitor::state(const DemoDevice& d,
                                                      std::string_view tag) const {
  auto i = values_.registry().find(d.driver + "@" + std::string(tag));
  return i ? &values_.state(*i) : nullptr;
}

const model::Value* DeviceMonitor::value(const DemoDevice& d, std::string_view tag) const {
  const auto* s = state(d, tag);
  // Only what the device said: a type's default before its first message is not a reading.
  return s && s->source_time != WallTime{} ? &s->value : nullptr;
}

DeviceDto DeviceMonitor::to_dto(const DemoDevice& d) const {
  DeviceDto out;
  out.id = d.id;
  out.configured = true;
  if (const auto* p = state(d, "PRESENCE"); p && p->source_time != WallTime{}) {
    out.presence = lower(text(&p->value));
    out.presence_time = to_iso8601(p->source_time);
  }
  if (const auto* t = state(d, "TEMPERATURE"); t && t->source_time != WallTime{}) {
    DeviceReadingDto r;
    r.temperature = number(&t->value);
    r.humidity = number(value(d, "HUMIDITY"));
    r.threshold = number(value(d, "THRESHOLD"));
    r.over_threshold = truth(value(d, "OVER_THRESHOLD"));
    r.unit = "C";
    r.time = to_iso8601(t->server_time);
    out.reading = std::move(r);
  }
  const auto* mode = value(d, "MODE");
  const auto* buzzer = value(d, "BUZZER");
  if (mode) out.mode = lower(text(mode));
  if (buzzer) out.buzzer = lower(text(buzzer));
  if (mode || buzzer) {
    devices::BuzzerState s;
    s.playing = buzzer && text(buzzer) == "PLAYING";
    if (mode) s.mode = lower(text(mode));
    s.step = static_cast<std::uint32_t>(number(value(d, "MELODY_STEP")));
    s.since = text(value(d, "MELODY_SINCE"));
    s.melody = text(value(d, "MELODY"));
    out.state = std::move(s);
    if (const auto* b = state(d, "BUZZER")) out.state_time = to_iso8601(b->source_time);
  }
  const auto& seen = seen_[static_cast<std::size_t>(&d - devices_.data())];
  out.readings = seen.readings;
  out.malformed = seen.malformed;
  return out;
}

Result<model::CommandFeedback> DeviceMonitor::send(const DemoDevice& d, PlayAction action,
                                                   const std::string& user) {
  return commands_.send(d.driver + "@PLAY_CMD", std::string(action_command(action)), user);
}

void DeviceMonitor::on_tag(const model::TagUpdate& u) {
  if (u.index >= device_of_index_.size() || device_of_index_[u.index] == kNoDevice) return;
  const std::size_t i = device_of_index_[u.index];
  const auto& info = values_.registry().info(u.index);
  const DemoDevice& d = devices_[i];
  Seen& seen = seen_[i];
  if (hub_) hub_->mark(feed_, i);
  if (u.source_time == WallTime{}) return;  // a quality change, not something the device said
  if (info.tag == "PRESENCE" && u.value) {
    auto status = lower(model::to_display(*u.value));
    if (status != seen.presence_logged && (status == "online" || status == "offline")) {
      seen.presence_logged = status;
      if (log_) log_->presence(d.id, status, u.source_time);
    }
  } else if (std::find(std::begin(kReadingTags), std::end(kReadingTags), info.tag) !=
                 std::end(kReadingTags) &&
             u.source_time > seen.reading_logged) {
    // A new message (a quality drop re-publishes the old one); its other fields follow at once.
    seen.reading_pending = true;
  }
}

void DeviceMonitor::tick() {
  for (std::size_t i = 0; i < devices_.size(); ++i) {
    Seen& seen = seen_[i];
    if (!seen.reading_pending) continue;
    seen.reading_pending = false;
    const auto* t = state(devices_[i], "TEMPERATURE");
    if (!t || t->source_time == WallTime{}) continue;
    seen.reading_logged = t->source_time;
    ++seen.readings;
    if (!log_) continue;
    devices::SensorReading r;
    r.temperature = number(&t->value);
    r.humidity = number(value(devices_[i], "HUMIDITY"));
    r.threshold = number(value(devices_[i], "THRESHOLD"));
    r.over_threshold = truth(value(devices_[i], "OVER_THRESHOLD"));
    r.unit = "C";
    log_->reading(devices_[i].id, r, t->server_time);
  }
}

void DeviceMonitor::on_feedback(const model::CommandFeedback& f) {
  if (f.status != model::CommandStatus::pending || !log_) return;  // logged once, when sent
  if (f.index >= values_.registry().size()) return;
  const auto& info = values_.registry().info(f.index);
  if (info.tag != "PLAY_CMD") return;
  auto i = device_of_driver(info.driver);
  if (!i) return;
  const std::string cmd = model::to_display(f.value);
  std::string action = lower(cmd);
  const char* payload = cmd == "PLAY" ? "true" : cmd == "STOP" ? "false" : "";
  log_->command(devices_[*i].id, std::move(action), payload, f.user, "weir", f.time);
}

void DeviceMonitor::on_rejected(const model::DriverInputRejected& r) {
  auto i = device_of_driver(r.driver);
  if (!i) return;
  ++seen_[*i].malformed;
  ++malformed_total_;
  if (hub_) hub_->mark(feed_, *i);
  if (log_) log_->rejected(devices_[*i].id, r.topic, r.error, r.payload, r.time);
}

api::MetricsWriter DeviceMonitor::metrics() const {
  return [this](std::string& out) {
    api::metric(out, "weir_demo_malformed_messages_total", "counter",
                "Demo device messages that could not be used",
                static_cast<double>(malformed_total_));
    auto label = [](const std::string& id) {
      std::string l = "device=\"";
      for (char c : id) {
        if (c == '"' || c == '\\') l.push_back('\\');
        l.push_back(c);
      }
      return l + "\"";
    };
    for (std::size_t i = 0; i < devices_.size(); ++i) {
      const auto dto = to_dto(devices_[i]);
      api::metric(out, "weir_demo_device_online", "gauge", i ? "" : "1 when the device says online",
                  dto.presence == "online" ? 1 : 0, label(devices_[i].id));
    }
    for (std::size_t i = 0; i < devices_.size(); ++i)
      api::metric(out, "weir_demo_device_malformed_total", "counter",
                  i ? "" : "Malformed messages per device", static_cast<double>(seen_[i].malformed),
                  label(devices_[i].id));
    if (log_) {
      auto s = log_->stats();
      api::metric(out, "weir_demo_log_rows_written_total", "counter",
                  "Rows written to the device log", static_cast<double>(s.written));
      api::metric(out, "weir_demo_log_rows_dropped_total", "counter",
                  "Rows the device log had to drop", static_cast<double>(s.dropped));
    }
  };
}

}  // namespace weir::demo
