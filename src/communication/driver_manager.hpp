#pragma once
// The communication module: owns the drivers, tracks their status, reconnects them with back-off,
// lets an operator connect/disconnect/toggle them, and routes commands to the owning driver.
#include <map>
#include <optional>
#include <vector>

#include "bus/bus.hpp"
#include "communication/driver.hpp"
#include "datapoint/datapoint_service.hpp"

namespace weir::communication {

struct DriverInfo {
  std::string name;
  std::string driver_class;
  model::DriverState state = model::DriverState::offline;
  bool enabled = true;    // false after an operator's disconnect: no automatic reconnection
  bool available = true;  // false when this build has no such driver class
  std::string detail;
  WallTime since{};
  int reconnect_attempts = 0;
  std::size_t datapoints = 0;
};

class DriverManager {
 public:
  DriverManager(const config::SystemConfig& config,
                std::shared_ptr<const datapoint::Registry> registry, bus::Bus& bus,
                const Clock& clock, const std::map<std::string, DriverFactory>& factories,
                const datapoint::DatapointService* values = nullptr);
  ~DriverManager();

  void start();  // connects every driver whose params.autoconnect is not false
  void stop();   // disconnects all
  void tick();   // call often (e.g. every 50 ms): driver ticks and reconnections

  Status control(const std::string& driver, model::DriverAction action);
  std::vector<DriverInfo> list() const;
  const DriverInfo* find(std::string_view name) const;

  static std::map<std::string, DriverFactory> builtin_factories();  // the simulated drivers

 private:
  struct Slot;
  void on_command(const model::DriverCommand& cmd);
  void on_status(Slot& slot, model::DriverState state, std::string detail);
  void connect_slot(Slot& slot);

  std::shared_ptr<const datapoint::Registry> registry_;
  bus::Bus& bus_;
  const Clock& clock_;
  const datapoint::DatapointService* values_;
  std::vector<std::unique_ptr<Slot>> slots_;
  bus::Subscription commands_;
  bus::Subscription control_;
};

}  // namespace weir::communication
