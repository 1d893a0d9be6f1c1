#pragma once
// A simulated temperature/humidity sensor for the device agent: a slow sinusoidal drift around a
// base temperature plus a mean-reverting random walk, so readings cross the threshold now and
// then. Deterministic given the seed (its own generator, no <random> distributions, whose output
// differs between standard libraries); the phase of the drift comes from the seed, so two devices
// started together do not cross at the same time.
#include <cstdint>
#include <string>

#include "weir_demo/payloads.hpp"

namespace weir::devices {

struct SensorProfile {
  double threshold = 28.0;
  double base_temperature = 26.5;  // middle of the drift
  double swing = 2.5;              // drift amplitude: the peaks cross the threshold
  std::uint32_t period = 20;       // samples per drift cycle
  double noise = 0.3;              // step of the random walk
  double base_humidity = 45.0;
  std::string unit = "C";
};

class SimulatedSensor {
 public:
  explicit SimulatedSensor(std::uint64_t seed, SensorProfile profile = {});

  SensorReading next();  // the next sample (one per interval)

 private:
  double uniform();  // [-1, 1)

  SensorProfile profile_;
  std::uint64_t rng_;
  std::uint64_t sample_ = 0;
  double phase_;
  double walk_ = 0;
};

// A stable seed from a device id (FNV-1a), the default when --seed is not given.
std::uint64_t seed_from_id(const std::string& id);

}  // namespace weir::devices
