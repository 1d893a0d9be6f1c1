#include "demo/agent/device_agent.hpp"

#include <fmt/format.h>
#include <mosquitto.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

#include "core/clock.hpp"

namespace weir::device_agent {
namespace {

using devices::TimeMs;

TimeMs mono_ms() {
  return static_cast<TimeMs>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::steady_clock::now().time_since_epoch())
                                 .count());
}

TimeMs to_ms(double seconds) {
  return static_cast<TimeMs>(seconds * 1000.0 + 0.5);
}

constexpr int kMaxIncomingPayload = 4096;
constexpr TimeMs kMaxWaitMs = 200;  // how long a loop turn may block: bounds SIGTERM latency

// libmosquitto's client refuses keepalives below 5 s (0 disables it).
constexpr int kMinKeepalive = 5;

DeviceAgent* self(void* userdata) {
  return static_cast<DeviceAgent*>(userdata);
}

std::string printable(const void* data, int len) {
  std::string out;
  const auto* p = static_cast<const unsigned char*>(data);
  const int shown = std::min(len, 80);
  for (int i = 0; i < shown; ++i) {
    if (p[i] == '"' || p[i] == '\\') {
      out += '\\';
      out += static_cast<char>(p[i]);
    } else if (p[i] >= 0x20 && p[i] < 0x7f) {
      out += static_cast<char>(p[i]);
    } else {
      out += fmt::format("\\x{:02x}", p[i]);
    }
  }
  if (len > shown) out += fmt::format("...({} bytes)", len);
  return out;
}

}  // namespace

template <class... A>
void DeviceAgent::log(std::string_view kind, std::string_view format, A&&... args) {
  std::string line =
      fmt::format("{} {} {} ", to_iso8601(std::chrono::system_clock::now()), config_.id, kind);
  line += fmt::vformat(format, fmt::make_format_args(args...));
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fflush(stdout);
}

DeviceAgent::DeviceAgent(AgentConfig config, SensorSource sensor, std::unique_ptr<Buzzer> buzzer)
    : config_(std::move(config)),
      sensor_(std::move(sensor)),
      buzzer_(buzzer ? std::move(buzzer) : std::make_unique<SilentBuzzer>()),
      link_(*config_.melody),
      backoff_(std::chrono::milliseconds(500),
               std::chrono::milliseconds(to_ms(config_.max_backoff_s))) {
  using namespace devices;
  command_topic_ = topic_for(topics::play_command, config_.id);
  sensor_topic_ = topic_for(topics::sensors, config_.id);
  presence_topic_ = topic_for(topics::presence, config_.id);
  state_topic_ = topic_for(topics::state, config_.id);
  peer_sensor_topic_ = topic_for(topics::sensors, config_.peer);
  peer_presence_topic_ = topic_for(topics::presence, config_.peer);
}

DeviceAgent::~DeviceAgent() {
  if (mosq_ != nullptr) mosquitto_destroy(mosq_);
}

Result<std::unique_ptr<DeviceAgent>> DeviceAgent::create(AgentConfig config, SensorSource sensor,
                                                         std::unique_ptr<Buzzer> buzzer) {
  if (!devices::valid_device_id(config.id) || !devices::valid_device_id(config.peer))
    return bad_request("bad_device_id",
                       "device ids must be 1-64 characters without '/', '+', '#' or spaces");
  if (config.id == config.peer)
    return bad_request("bad_device_id", "a device cannot be its own peer");
  std::unique_ptr<DeviceAgent> agent(
      new DeviceAgent(std::move(config), std::move(sensor), std::move(buzzer)));
  if (auto st = agent->init(); !st) return st.error();
  return agent;
}

Status DeviceAgent::init() {
  auto fail = [](const std::string& what, int rc) {
    return Error::make(ErrorKind::internal, "mosquitto", what + ": " + mosquitto_strerror(rc));
  };
  mosq_ = mosquitto_new(config_.id.c_str(), /*clean_session=*/true, this);
  if (mosq_ == nullptr)
    return Error::make(ErrorKind::internal, "mosquitto", "mosquitto_new failed");
  if (config_.mqtt_version == 5)
    mosquitto_int_option(mosq_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
  static constexpr char kOffline[] = "offline";
  int rc =
      mosquitto_will_set(mosq_, presence_topic_.c_str(), sizeof kOffline - 1, kOffline, 1, true);
  if (rc != MOSQ_ERR_SUCCESS) return fail("cannot set the Last Will", rc);
  if (!config_.username.empty()) {
    rc = mosquitto_username_pw_set(mosq_, config_.username.c_str(),
                                   config_.password ? config_.password->c_str() : nullptr);
    if (rc != MOSQ_ERR_SUCCESS) return fail("cannot set the credentials", rc);
  }
  if (config_.broker.tls) {
    if (config_.cafile.empty()) {
      rc = mosquitto_int_option(mosq_, MOSQ_OPT_TLS_USE_OS_CERTS, 1);
    } else {
      rc = mosquitto_tls_set(mosq_, config_.cafile.c_str(), nullptr, nullptr, nullptr, nullptr);
    }
    if (rc != MOSQ_ERR_SUCCESS) return fail("cannot set up TLS", rc);
    if (config_.tls_insecure) mosquitto_tls_insecure_set(mosq_, true);
  }
  mosquitto_connect_callback_set(mosq_,
                                 [](mosquitto*, void* u, int rc) { self(u)->on_connect(rc); });
  mosquitto_disconnect_callback_set(
      mosq_, [](mosquitto*, void* u, int rc) { self(u)->on_disconnect(rc); });
  mosquitto_message_callback_set(
      mosq_, [](mosquitto*, void* u, const mosquitto_message* m) { self(u)->on_message(*m); });
  mosquitto_publish_callback_set(mosq_,
                                 [](mosquitto*, void* u, int mid) { self(u)->on_publish(mid); });
  if (config_.keepalive_s < kMinKeepalive) {
    log("warn",
        "keepalive {} s is below libmosquitto's minimum; using {} s (an MQTT 5 broker may lower it "
        "with Server Keep Alive)",
        config_.keepalive_s, kMinKeepalive);
    config_.keepalive_s = kMinKeepalive;
  }
  return {};
}

// ---- connection -------------------------------------------------------------------------------

void DeviceAgent::attempt_connect(TimeMs now) {
  log("mqtt", "connecting to {} (MQTT {}, keepalive {} s)", config_.broker.to_string(),
      config_.mqtt_version == 5 ? "5" : "3.1.1", config_.keepalive_s);
  // The first attempt sets host, port and keepalive; later ones reuse them.
  const int rc = attempted_ ? mosquitto_reconnect_async(mosq_)
                            : mosquitto_connect_async(mosq_, config_.broker.host.c_str(),
                                                      config_.broker.port, config_.keepalive_s);
  attempted_ = true;
  state_ = Link::connecting;
  attempt_deadline_ = now + std::max<TimeMs>(10'000, to_ms(config_.keepalive_s * 2.0));
  if (rc != MOSQ_ERR_SUCCESS) {
    lost(rc == MOSQ_ERR_ERRNO ? std::string(std::strerror(errno))
                              : std::string(mosquitto_strerror(rc)));
  }
}

void DeviceAgent::lost(const std::string& why) {
  if (state_ == Link::disconnected) return;
  const bool was_connected = state_ == Link::connected;
  state_ = Link::disconnected;
  const auto delay = backoff_.next_delay();
  next_attempt_ = mono_ms() + static_cast<TimeMs>(delay.count());
  log("mqtt", "{}: {}; retrying in {:.1f} s", was_connected ? "connection lost" : "cannot connect",
      why, static_cast<double>(delay.count()) / 1000.0);
}

void DeviceAgent::on_connect(int rc) {
  if (rc != 0) {
    lost(std::string("refused: ") + mosquitto_connack_string(rc));
    return;
  }
  state_ = Link::connected;
  backoff_.reset();
  log("mqtt", "connected to {} as {}", config_.broker.to_string(), config_.id);
  // Subscribe before saying "online": the broker handles one connection's packets in order, so
  // whoever sees "online" (or the state report) can count on the device listening.
  mosquitto_subscribe(mosq_, nullptr, command_topic_.c_str(), 1);
  mosquitto_subscribe(mosq_, nullptr, peer_sensor_topic_.c_str(), 0);
  mosquitto_subscribe(mosq_, nullptr, peer_presence_topic_.c_str(), 1);
  publish(presence_topic_, "online", 1, true);
  publish_state();
  next_sample_ = std::min(next_sample_, mono_ms());  // a reading straight away
}

void DeviceAgent::on_disconnect(int rc) {
  lost(rc == 0 ? "disconnected" : mosquitto_strerror(rc));
}

void DeviceAgent::on_publish(int mid) {
  last_acked_mid_ = mid;
}

void DeviceAgent::publish(const std::string& topic, const std::string& payload, int qos,
                          bool retain, int* mid) {
  if (state_ != Link::connected) return;
  const int rc = mosquitto_publish(mosq_, mid, topic.c_str(), static_cast<int>(payload.size()),
                                   payload.data(), qos, retain);
  if (rc != MOSQ_ERR_SUCCESS)
    log("warn", "publish to {} failed: {}", topic, mosquitto_strerror(rc));
}

void DeviceAgent::publish_reading() {
  const devices::SensorReading r = sensor_();
  publish(sensor_topic_, devices::encode_reading(r), 0, false);
  ++readings_sent_;
  log("reading", "temperature={} humidity={} threshold={} over_threshold={} unit={}", r.temperature,
      r.humidity, r.threshold, r.over_threshold, r.unit);
}

void DeviceAgent::publish_state() {
  publish(state_topic_,
          devices::encode_state(devices::buzzer_state(link_, config_.peer, since_wall_)), 1, true);
}

// ---- decisions --------------------------------------------------------------------------------

void DeviceAgent::apply(const devices::Change& c, std::string_view cause) {
  const TimeMs now = mono_ms();
  if (link_.since() != since_mono_) {
    since_mono_ = link_.since();
    const auto ago = std::chrono::milliseconds(now > since_mono_ ? now - since_mono_ : 0);
    since_wall_ = to_iso8601(std::chrono::system_clock::now() - ago);
  }
  if (link_.frequency_hz() != buzzer_hz_) {
    buzzer_hz_ = link_.frequency_hz();
    buzzer_->tone(buzzer_hz_);
  }
  if (c.decision()) {
    const auto over = link_.peer_over_threshold();
    log("decision", "playing={} mode={} step={} reason=\"{}\" peer={}/{} restarted={} cause={}",
        link_.playing(), devices::mode_name(link_.mode()), link_.step(),
        devices::reason_text(link_.reason()), devices::presence_name(link_.peer_presence()),
        over ? (*over ? "over" : "under") : "no-reading", c.restarted, cause);
  }
  if (c.step && config_.melody_log && link_.playing())
    log("note", "step={} frequency_hz={}", link_.step(), link_.frequency_hz());
  if (c.decision() || (c.step && config_.step_reports)) publish_state();
}

void DeviceAgent::on_message(const mosquitto_message& m) {
  const std::string_view topic = m.topic;
  const TimeMs now = mono_ms();
  if (m.payloadlen > kMaxIncomingPayload) {
    log("ignored", "{}: payload of {} bytes is over the {} byte limit", topic, m.payloadlen,
        kMaxIncomingPayload);
    if (topic == peer_sensor_topic_) ++malformed_readings_;
    return;
  }
  const std::string_view payload(static_cast<const char*>(m.payload),
                                 static_cast<std::size_t>(m.payloadlen));
  if (topic == command_topic_) {
    const auto cmd = devices::parse_override(payload);
    if (!cmd.ok) {
      ++rejected_commands_;
      log("ignored", "command \"{}\" on {}: {} ({} so far)", printable(m.payload, m.payloadlen),
          topic, cmd.reason, rejected_commands_);
      return;
    }
    log("command", "\"{}\" -> {}", printable(m.payload, m.payloadlen),
        cmd.value == devices::Override::on    ? "play"
        : cmd.value == devices::Override::off ? "stop"
                                              : "resume");
    apply(link_.set_override(cmd.value, now), topic);
  } else if (topic == peer_sensor_topic_) {
    const auto r = devices::parse_reading(payload);
    if (!r.ok) {
      ++malformed_readings_;
      log("ignored", "malformed reading on {}: {} ({} so far): \"{}\"", topic, r.error,
          malformed_readings_, printable(m.payload, m.payloadlen));
      return;
    }
    apply(link_.peer_reading(r.value.over_threshold, now), topic);
  } else if (topic == peer_presence_topic_) {
    const auto p = devices::parse_presence(payload);
    if (!p.ok) {
      log("ignored", "presence \"{}\" on {}: {}", printable(m.payload, m.payloadlen), topic,
          p.reason);
      return;
    }
    log("peer", "{} is {}", config_.peer, devices::presence_name(p.value));
    apply(link_.peer_presence(p.value, now), topic);
  }
}

// ---- the loop ---------------------------------------------------------------------------------

int DeviceAgent::run(const volatile std::sig_atomic_t& stop) {
  log("start", "peer={} broker={} melody={} interval={}s", config_.peer, config_.broker.to_string(),
      config_.melody->name, config_.interval_s);
  since_mono_ = link_.since();  // the initial state holds since now
  since_wall_ = to_iso8601(std::chrono::system_clock::now());
  apply(link_.tick(mono_ms()), "start");
  next_sample_ = mono_ms();
  next_attempt_ = mono_ms();
  while (stop == 0) {
    const TimeMs now = mono_ms();
    if (state_ == Link::disconnected && now >= next_attempt_) {
      attempt_connect(now);
    } else if (state_ == Link::connecting && now >= attempt_deadline_) {
      lost("no answer from the broker");
    }
    if (state_ == Link::connected && now >= next_sample_) {
      publish_reading();
      next_sample_ = std::max(next_sample_ + to_ms(config_.interval_s), now + 1);
    }
    apply(link_.tick(now), "melody");

    TimeMs wake = std::min(link_.next_change(now), now + kMaxWaitMs);
    if (state_ == Link::connected) wake = std::min(wake, next_sample_);
    if (state_ == Link::disconnected) wake = std::min(wake, next_attempt_);
    const int timeout = static_cast<int>(wake > now ? wake - now : 0);
    if (state_ == Link::disconnected) {
      std::this_thread::sleep_for(std::chrono::milliseconds(timeout));
      continue;
    }
    const int rc = mosquitto_loop(mosq_, timeout, 1);
    if (rc != MOSQ_ERR_SUCCESS && state_ != Link::disconnected)
      lost(rc == MOSQ_ERR_ERRNO ? std::string(std::strerror(errno))
                                : std::string(mosquitto_strerror(rc)));
  }
  shutdown();
  return 0;
}

void DeviceAgent::shutdown() {
  log("stop",
      "signal received; readings sent {}, malformed readings ignored {}, commands rejected {}",
      readings_sent_, malformed_readings_, rejected_commands_);
  buzzer_->tone(0);
  if (state_ != Link::connected) return;
  // Say "offline" ourselves: a clean DISCONNECT makes the broker discard the Last Will.
  int mid = -1;
  publish(presence_topic_, "offline", 1, true, &mid);
  const TimeMs deadline = mono_ms() + 2000;
  while (state_ == Link::connected && last_acked_mid_ != mid && mono_ms() < deadline) {
    if (mosquitto_loop(mosq_, 50, 1) != MOSQ_ERR_SUCCESS) break;
  }
  state_ = Link::disconnected;  // a clean disconnect is not a lost connection: no retry
  mosquitto_disconnect(mosq_);
  mosquitto_loop(mosq_, 50, 1);
  log("mqtt", "disconnected");
}

}  // namespace weir::device_agent
