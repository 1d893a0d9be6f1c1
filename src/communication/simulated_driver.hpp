#pragma once
// Simulated plant drivers with the Python platform's behaviour (SPEC §4): TankTestDriver,
// BoilerTestDriver, TrainTestDriver, StressTestDriver, CameraDriver. They run after
// TEST_CMD = START (or at once with params.autostart), and their values carry the
// uncertain/simulated quality. Command verbs map onto states: OPEN → OPENED, CLOSE → CLOSED,
// START → STARTED, STOP → STOPPED, TOGGLE flips a two-state value.
#include <map>
#include <random>

#include "communication/driver.hpp"

namespace weir::communication {

class SimulatedDriver : public Driver {
 public:
  SimulatedDriver(const config::DriverConfig& cfg, DriverContext& ctx);

  void connect() override;
  void disconnect() override;
  void command(const model::DriverCommand& cmd) override;
  void tick() override;
  std::chrono::milliseconds tick_period() const override { return period_; }

  // The value a command verb asks for on a state of this type, or monostate if it means nothing.
  static model::Value map_command(const model::DatapointType& state_type,
                                  const model::Value& current, const model::Value& verb);

 protected:
  virtual void simulate() = 0;  // one step while running
  bool running() const;
  bool has(const std::string& tag) const { return tags_.count(tag) != 0; }
  const model::Value& get(const std::string& tag) const;
  double number(const std::string& tag) const;
  std::string symbol(const std::string& tag) const;
  void set(const std::string& tag, model::Value v);  // clamps numbers to the type's range
  const model::DatapointType* type_of(const std::string& tag) const;
  std::mt19937& rng() { return rng_; }
  const config::DriverConfig& config() const { return cfg_; }
  std::uint64_t ticks() const { return ticks_; }

 private:
  struct Tag {
    model::DatapointIndex index;
    model::Value value;
  };
  void publish(const std::string& tag);
  void adopt_model_values();  // continue from what the datapoint model holds

  config::DriverConfig cfg_;
  DriverContext& ctx_;
  std::map<std::string, Tag> tags_;
  bool connected_ = false;
  std::chrono::milliseconds period_{1000};
  std::mt19937 rng_;
  std::string_view cause_;  // the command being applied: its id follows the readings it causes
  std::uint64_t ticks_ = 0;
};

std::unique_ptr<Driver> make_tank_driver(const config::DriverConfig&, DriverContext&);
std::unique_ptr<Driver> make_boiler_driver(const config::DriverConfig&, DriverContext&);
std::unique_ptr<Driver> make_train_driver(const config::DriverConfig&, DriverContext&);
std::unique_ptr<Driver> make_stress_driver(const config::DriverConfig&, DriverContext&);
std::unique_ptr<Driver> make_camera_driver(const config::DriverConfig&, DriverContext&);

}  // namespace weir::communication
