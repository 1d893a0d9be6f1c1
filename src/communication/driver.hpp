#pragma once
// The driver protocol: what every driver (simulated, MQTT, Modbus, ...) implements, and the
// context through which it reports values, feedback and its connection status.
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "config/system_config.hpp"
#include "core/clock.hpp"
#include "datapoint/registry.hpp"
#include "model/messages.hpp"

namespace weir::communication {

// The answer to a command, before its status is set: same id, index and value, stamped now.
inline model::CommandFeedback feedback_for(const model::DriverCommand& cmd, WallTime now) {
  model::CommandFeedback fb;
  fb.command_id = cmd.command_id;
  fb.index = cmd.index;
  fb.value = cmd.value;
  fb.time = now;
  return fb;
}

class DriverContext {
 public:
  virtual ~DriverContext() = default;
  virtual void publish(model::RawTagUpdate update) = 0;        // a value from the device
  virtual void feedback(model::CommandFeedback feedback) = 0;  // result of a command
  virtual void set_status(model::DriverState state, std::string detail = {}) = 0;
  // Input the driver could not use, once per message (published as model::DriverInputRejected).
  virtual void rejected(std::string /*topic*/, std::string /*error*/, std::string /*payload*/) {}
  virtual const Clock& clock() const = 0;
  virtual const datapoint::Registry& registry() const = 0;
  // The value the datapoint model holds now (after manual writes or a configuration reload), or
  // null when unknown. Simulated drivers continue from it.
  virtual const model::Value* current(model::DatapointIndex index) const = 0;
};

class Driver {
 public:
  virtual ~Driver() = default;
  // Start connecting; report the outcome through DriverContext::set_status (now or later).
  virtual void connect() = 0;
  virtual void disconnect() = 0;
  // Execute a command for one of this driver's datapoints; answer through feedback().
  virtual void command(const model::DriverCommand& cmd) = 0;
  // Called every tick_period() while the driver exists (simulation steps, polling, timeouts).
  virtual void tick() {}
  virtual std::chrono::milliseconds tick_period() const { return std::chrono::milliseconds(1000); }
  // False for drivers that can never connect in this build (no automatic reconnection).
  virtual bool available() const { return true; }
};

using DriverFactory =
    std::function<std::unique_ptr<Driver>(const config::DriverConfig&, DriverContext&)>;

}  // namespace weir::communication
