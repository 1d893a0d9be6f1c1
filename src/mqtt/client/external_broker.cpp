#include "mqtt/client/external_broker.hpp"

#include <mosquitto.h>
#include <spdlog/spdlog.h>

#include <boost/url/url.hpp>
#include <cstdlib>
#include <cstring>
#include <system_error>
#include <vector>

#include "core/json.hpp"
#include "mqtt/codec/topic.hpp"

namespace weir::mqtt {

namespace {

std::once_flag g_lib_init;

ExternalBroker* self(void* user) {
  return static_cast<ExternalBroker*>(user);
}

}  // namespace

Result<ExternalBrokerOptions> external_broker_options_from_json(const boost::json::value& config) {
  if (!config.is_object()) return bad_request("invalid_type", "external: expected an object");
  boost::json::value merged = json::to_json(ExternalBrokerOptions{});
  for (const auto& kv : config.get_object()) {
    if (!merged.get_object().contains(kv.key()))
      return bad_request("unknown_field", "external." + std::string(kv.key()) + ": unknown setting",
                         "external." + std::string(kv.key()));
    merged.get_object()[kv.key()] = kv.value();
  }
  ExternalBrokerOptions out;
  if (auto st = json::from_json(merged, out, "external"); !st) return st.error();
  if (out.host.empty())
    return bad_request("missing_field", "external.host: the broker's host name is required",
                       "external.host");
  if (out.port < 1 || out.port > 65535)
    return bad_request("out_of_range", "external.port: must be 1..65535", "external.port");
  if (out.client_id.empty() || out.client_id.size() > 23 * 10)
    return bad_request("out_of_range", "external.client_id: 1..230 characters",
                       "external.client_id");
  if (out.keepalive < 5 || out.keepalive > 65535)
    return bad_request("out_of_range", "external.keepalive: must be 5..65535 seconds",
                       "external.keepalive");
  if (!out.password_env.empty() && out.username.empty())
    return bad_request("invalid_value", "external.password_env: a password needs a username",
                       "external.password_env");
  return out;
}

Result<std::shared_ptr<ExternalBroker>> ExternalBroker::create(ExternalBrokerOptions opts) {
  std::string password;
  if (!opts.password_env.empty()) {
    const char* v = std::getenv(opts.password_env.c_str());
    if (v == nullptr)
      return Error::make(
          ErrorKind::bad_request, "bad_config",
          "external.password_env: the environment variable " + opts.password_env + " is not set");
    password = v;
  }
  std::call_once(g_lib_init, [] { mosquitto_lib_init(); });
  std::shared_ptr<ExternalBroker> b(new ExternalBroker(std::move(opts)));
  b->password_ = std::move(password);
  b->mosq_ = mosquitto_new(b->opts_.client_id.c_str(), /*clean_session=*/true, b.get());
  if (b->mosq_ == nullptr)
    return Error::make(ErrorKind::internal, "mosquitto", "mosquitto_new failed");
  auto fail = [](const std::string& what, int rc) {
    return Error::make(ErrorKind::bad_request, "bad_config",
                       "external: " + what + ": " + mosquitto_strerror(rc));
  };
  if (!b->opts_.username.empty()) {
    const int rc =
        mosquitto_username_pw_set(b->mosq_, b->opts_.username.c_str(),
                                  b->opts_.password_env.empty() ? nullptr : b->password_.c_str());
    if (rc != MOSQ_ERR_SUCCESS) return fail("credentials", rc);
  }
  if (b->opts_.tls) {
    const int rc = b->opts_.ca_file.empty()
                       ? mosquitto_int_option(b->mosq_, MOSQ_OPT_TLS_USE_OS_CERTS, 1)
                       : mosquitto_tls_set(b->mosq_, b->opts_.ca_file.c_str(), nullptr, nullptr,
                                           nullptr, nullptr);
    if (rc != MOSQ_ERR_SUCCESS) return fail("TLS (ca_file " + b->opts_.ca_file + ")", rc);
  }
  // The network thread is ours (network_loop), not mosquitto_loop_start's: publish and subscribe
  // from the io thread must only queue, and the loop wakes up to send.
  mosquitto_threaded_set(b->mosq_, true);
  mosquitto_connect_callback_set(b->mosq_,
                                 [](mosquitto*, void* u, int rc) { self(u)->on_connect(rc); });
  mosquitto_disconnect_callback_set(
      b->mosq_, [](mosquitto*, void* u, int rc) { self(u)->on_disconnect(rc); });
  mosquitto_message_callback_set(
      b->mosq_, [](mosquitto*, void* u, const mosquitto_message* m) { self(u)->on_message(*m); });
  return b;
}

ExternalBroker::~ExternalBroker() {
  stop();
  if (mosq_ != nullptr) mosquitto_destroy(mosq_);
}

std::string ExternalBroker::describe() const {
  boost::urls::url u;
  u.set_scheme(opts_.tls ? "mqtts" : "mqtt");
  u.set_host_address(opts_.host);  // brackets an IPv6 address
  u.set_port_number(static_cast<std::uint16_t>(opts_.port));
  return std::string(u.buffer()) + " as " + opts_.client_id;
}

Status ExternalBroker::start(Post post) {
  if (network_.joinable())
    return Error::make(ErrorKind::conflict, "already_started", "external MQTT broker: started");
  post_ = std::move(post);
  // A broker that is not up yet is not an error: the network thread keeps trying.
  const int rc = mosquitto_connect_async(mosq_, opts_.host.c_str(), opts_.port, opts_.keepalive);
  if (rc != MOSQ_ERR_SUCCESS)
    spdlog::warn("external MQTT broker {}: {}; retrying in the background", describe(),
                 rc == MOSQ_ERR_ERRNO ? std::strerror(errno) : mosquitto_strerror(rc));
  running_ = true;
  try {
    network_ = std::thread([this] { network_loop(); });
  } catch (const std::system_error& e) {
    running_ = false;
    return Error::make(
        ErrorKind::internal, "mosquitto",
        std::string("external MQTT broker: cannot start the network thread: ") + e.what());
  }
  spdlog::info("MQTT: external broker {} (the embedded broker is off)", describe());
  return {};
}

void ExternalBroker::stop() {
  {
    // Under the lock, so that a network thread about to wait cannot miss the notification.
    std::lock_guard lock(wake_mu_);
    if (!running_) return;
    running_ = false;
  }
  wake_.notify_all();
  mosquitto_disconnect(mosq_);  // wakes mosquitto_loop, which sends DISCONNECT and returns
  if (network_.joinable()) network_.join();
}

// ---- network thread -----------------------------------------------------------------------------

void ExternalBroker::network_loop() {
  while (running_) {
    // Returns at once while there is no connection; the 1 s bounds how late a stop is seen.
    if (mosquitto_loop(mosq_, 1000, 1) == MOSQ_ERR_SUCCESS) continue;
    const auto delay = backoff_.next_delay();
    {
      std::unique_lock lock(wake_mu_);
      if (wake_.wait_for(lock, delay, [this] { return !running_; })) break;
    }
    // A failed attempt shows up as the next mosquitto_loop's error: back to waiting, longer.
    mosquitto_reconnect(mosq_);
  }
}

void ExternalBroker::on_connect(int rc) {
  if (rc != 0) {
    spdlog::warn("external MQTT broker {}: connection refused: {}", describe(),
                 mosquitto_connack_string(rc));
    return;  // network_loop retries after the back-off
  }
  backoff_.reset();
  std::vector<std::string> filters;
  {
    std::lock_guard lock(mu_);
    stats_.connected = true;
    ++stats_.connects;
    for (const auto& [f, n] : filters_) filters.push_back(f);
  }
  spdlog::info("external MQTT broker {}: connected; subscribing to {} filter(s)", describe(),
               filters.size());
  for (const auto& f : filters) mosquitto_subscribe(mosq_, nullptr, f.c_str(), 1);
}

void ExternalBroker::on_disconnect(int rc) {
  {
    std::lock_guard lock(mu_);
    stats_.connected = false;
  }
  if (rc != 0 && running_)
    spdlog::warn("external MQTT broker {}: connection lost ({}); reconnecting", describe(),
                 mosquitto_strerror(rc));
}

void ExternalBroker::on_message(const mosquitto_message& m) {
  {
    std::lock_guard lock(mu_);
    ++stats_.messages_received;
  }
  if (!post_ || m.topic == nullptr) return;
  std::string topic(m.topic);
  auto* bytes = static_cast<const std::uint8_t*>(m.payload);
  Bytes payload = std::make_shared<const std::vector<std::uint8_t>>(
      bytes, bytes + (m.payloadlen > 0 ? m.payloadlen : 0));
  post_([weak = weak_from_this(), topic = std::move(topic), payload = std::move(payload),
         qos = m.qos, retain = m.retain] {
    if (auto b = weak.lock()) b->deliver(topic, payload, qos, retain);
  });
}

// ---- io thread ----------------------------------------------------------------------------------

void ExternalBroker::deliver(const std::string& topic, const Bytes& payload, int qos, bool retain) {
  InprocMessage im;
  im.topic = topic;
  im.payload = std::span<const std::uint8_t>(payload->data(), payload->size());
  im.payload_buffer = payload;
  im.qos = qos;
  im.retain = retain;
  // Callbacks may subscribe or unsubscribe: collect first.
  std::vector<std::shared_ptr<std::function<void(const InprocMessage&)>>> hits;
  for (const auto& [id, s] : subs_)
    if (topic_matches(s.filter, topic)) hits.push_back(s.callback);
  for (auto& cb : hits) (*cb)(im);
}

void ExternalBroker::publish(std::string topic, std::vector<std::uint8_t> payload, int qos,
                             bool retain) {
  const int rc = mosquitto_publish(mosq_, nullptr, topic.c_str(), static_cast<int>(payload.size()),
                                   payload.data(), qos, retain);
  std::lock_guard lock(mu_);
  if (rc == MOSQ_ERR_SUCCESS) {
    ++stats_.messages_published;
  } else {
    ++stats_.publish_failures;
    spdlog::debug("external MQTT broker: publish to {} failed: {}", topic, mosquitto_strerror(rc));
  }
}

SubscriptionHandle ExternalBroker::subscribe(std::string filter,
                                             std::function<void(const InprocMessage&)> on_message) {
  if (!valid_topic_filter(filter) || !on_message) return {};
  const std::uint64_t id = next_id_++;
  subs_.emplace(id, LocalSub{filter, std::make_shared<std::function<void(const InprocMessage&)>>(
                                         std::move(on_message))});
  {
    std::lock_guard lock(mu_);
    ++filters_[filter];
  }
  // Every new local subscriber sends its SUBSCRIBE, so the broker hands it the retained
  // messages (a filter already subscribed gets them again: harmless for Weir's modules).
  mosquitto_subscribe(mosq_, nullptr, filter.c_str(), 1);
  return SubscriptionHandle(std::weak_ptr<SubscriptionOwner>(shared_from_this()), id);
}

void ExternalBroker::cancel_subscription(std::uint64_t id) {
  auto it = subs_.find(id);
  if (it == subs_.end()) return;
  const std::string filter = it->second.filter;
  subs_.erase(it);
  bool last = false;
  {
    std::lock_guard lock(mu_);
    auto f = filters_.find(filter);
    if (f != filters_.end() && --f->second == 0) {
      filters_.erase(f);
      last = true;
    }
  }
  if (last) mosquitto_unsubscribe(mosq_, nullptr, filter.c_str());
}

ExternalBrokerStats ExternalBroker::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace weir::mqtt
