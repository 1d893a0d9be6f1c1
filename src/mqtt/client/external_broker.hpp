#pragma once
// Weir against an external MQTT broker (Mosquitto, EMQX, VerneMQ, HiveMQ) instead of its embedded
// one: system_config.json modules[] {"name": "mqtt_broker", "config": {"external": {...}}}.
// One client connection (libmosquitto, its network loop on its own thread) carries every
// module's publish/subscribe; messages and state changes are handed to the io_context thread
// through `post`, so modules see the same single-threaded PubSub as with the embedded broker.
// It reconnects with Weir's exponential back-off (core/backoff.hpp, 1 s .. 30 s) and subscribes
// again after each reconnection.
#include <atomic>
#include <boost/describe.hpp>
#include <boost/json/value.hpp>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/backoff.hpp"
#include "core/error.hpp"
#include "mqtt/broker/pubsub.hpp"

struct mosquitto;
struct mosquitto_message;

namespace weir::mqtt {

struct ExternalBrokerOptions {
  std::string host;  // required
  int port = 1883;
  std::string client_id = "weir";
  std::string username;      // empty: no credentials
  std::string password_env;  // name of the environment variable holding the password
  int keepalive = 30;        // seconds (libmosquitto needs >= 5)
  bool tls = false;
  std::string ca_file;  // with tls: the CA bundle; empty: the system's CAs
};
BOOST_DESCRIBE_STRUCT(ExternalBrokerOptions, (),
                      (host, port, client_id, username, password_env, keepalive, tls, ca_file))

// Defaults overlaid with `config`; unknown keys and bad values are errors naming the key.
Result<ExternalBrokerOptions> external_broker_options_from_json(const boost::json::value& config);

struct ExternalBrokerStats {
  bool connected = false;
  std::uint64_t connects = 0;  // successful (re)connections
  std::uint64_t messages_received = 0;
  std::uint64_t messages_published = 0;
  std::uint64_t publish_failures = 0;  // refused by libmosquitto (e.g. not connected, QoS 0)
};

class ExternalBroker final : public PubSub,
                             public SubscriptionOwner,
                             public std::enable_shared_from_this<ExternalBroker> {
 public:
  using Post = std::function<void(std::function<void()>)>;  // run on the io_context thread

  // Reads the password from the environment; errors say which setting is wrong.
  static Result<std::shared_ptr<ExternalBroker>> create(ExternalBrokerOptions opts);
  ~ExternalBroker() override;

  // Starts connecting (in the background); callbacks are posted with `post`.
  Status start(Post post);
  // Disconnects and joins the network thread. Idempotent.
  void stop();

  void publish(std::string topic, std::vector<std::uint8_t> payload, int qos, bool retain) override;
  SubscriptionHandle subscribe(std::string filter,
                               std::function<void(const InprocMessage&)> on_message) override;
  void cancel_subscription(std::uint64_t id) override;

  ExternalBrokerStats stats() const;
  std::string describe() const;  // "mqtt://host:port as client_id"

 private:
  explicit ExternalBroker(ExternalBrokerOptions opts) : opts_(std::move(opts)) {}
  // Network thread:
  void network_loop();
  void on_connect(int rc);
  void on_disconnect(int rc);
  void on_message(const mosquitto_message& m);
  // io thread:
  void deliver(const std::string& topic, const Bytes& payload, int qos, bool retain);

  struct LocalSub {
    std::string filter;
    std::shared_ptr<std::function<void(const InprocMessage&)>> callback;
  };

  ExternalBrokerOptions opts_;
  std::string password_;
  mosquitto* mosq_ = nullptr;
  Post post_;
  std::atomic<bool> running_{false};
  std::thread network_;
  Backoff backoff_{std::chrono::seconds(1), std::chrono::seconds(30)};  // network thread only
  std::mutex wake_mu_;  // with wake_: stop() cuts a back-off wait short
  std::condition_variable wake_;
  std::map<std::uint64_t, LocalSub> subs_;  // io thread only
  std::uint64_t next_id_ = 1;
  mutable std::mutex mu_;               // guards filters_ and stats_ (both threads)
  std::map<std::string, int> filters_;  // subscribed at the broker, with local user counts
  ExternalBrokerStats stats_;
};

}  // namespace weir::mqtt
