#pragma once
// A real plant for driver tests: configuration, registry, datapoint service, driver manager and
// an embedded broker, all in-process on a ManualClock.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "bus/bus.hpp"
#include "communication/driver_manager.hpp"
#include "datapoint/datapoint_service.hpp"
#include "mqtt/broker/broker.hpp"
#include "mqtt/broker/pubsub.hpp"
#include "mqtt_driver/mqtt_driver_factories.hpp"

namespace weir::mqtt_driver::testing {

struct Plant {
  ManualClock clock;
  bus::Bus bus;
  mqtt::Broker broker{mqtt::BrokerOptions{}, clock, nullptr};
  mqtt::InprocPubSub pubsub{broker};
  std::shared_ptr<MqttDriverStats> stats = std::make_shared<MqttDriverStats>();
  std::optional<config::SystemConfig> config;
  std::shared_ptr<const datapoint::Registry> registry;
  std::unique_ptr<datapoint::DatapointService> datapoints;
  std::unique_ptr<communication::DriverManager> drivers;
  std::vector<model::CommandFeedback> feedback;
  bus::Subscription fb_sub;
  std::vector<std::pair<std::string, std::string>> published;  // topic, payload seen on '#'
  mqtt::SubscriptionHandle spy;

  explicit Plant(const std::string& system_config_json) {
    auto loaded = config::parse_system_config(system_config_json);
    for (const auto& i : loaded.issues) ADD_FAILURE() << i.to_string();
    config = std::move(loaded.config);
    registry = datapoint::Registry::build(*config);
    datapoints = std::make_unique<datapoint::DatapointService>(registry, bus, clock);
    drivers = std::make_unique<communication::DriverManager>(*config, registry, bus, clock,
                                                             mqtt_driver_factories(pubsub, stats));
    fb_sub = bus.subscribe<model::DriverFeedback>(
        [this](const model::DriverFeedback& f) { feedback.push_back(f.feedback); });
    spy = broker.subscribe("#", [this](const mqtt::InprocMessage& m) {
      published.emplace_back(
          std::string(m.topic),
          std::string(reinterpret_cast<const char*>(m.payload.data()), m.payload.size()));
    });
  }
  ~Plant() { drivers.reset(); }

  void pub(const std::string& topic, const std::string& payload, bool retain = false) {
    broker.publish(topic, std::vector<std::uint8_t>(payload.begin(), payload.end()), 1, retain);
  }
  const datapoint::DatapointState& state(const std::string& id) {
    return datapoints->state(*registry->find(id));
  }
  model::Value value(const std::string& id) { return state(id).value; }
  model::DriverState driver_state(const std::string& name) { return drivers->find(name)->state; }
  void command(const std::string& id, model::Value v, std::string command_id = "c1") {
    auto idx = *registry->find(id);
    const auto& info = registry->info(idx);
    bus.publish(model::DriverCommand{command_id, idx, info.driver, info.tag, std::move(v)});
  }
};

}  // namespace weir::mqtt_driver::testing
