#include "demo/shared/simulated_sensor.hpp"

#include <algorithm>
#include <cmath>

namespace weir::devices {
namespace {

std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

double round1(double v) {
  return std::round(v * 10.0) / 10.0;
}  // a DHT22 reads to 0.1

constexpr double kTwoPi = 6.283185307179586;

}  // namespace

SimulatedSensor::SimulatedSensor(std::uint64_t seed, SensorProfile profile)
    : profile_(std::move(profile)), rng_(seed) {
  phase_ = (uniform() + 1.0) * 0.5 * kTwoPi;
  if (profile_.period == 0) profile_.period = 1;
}

double SimulatedSensor::uniform() {
  return static_cast<double>(splitmix64(rng_) >> 11) * 0x1.0p-52 - 1.0;
}

SensorReading SimulatedSensor::next() {
  const double angle = phase_ + kTwoPi * static_cast<double>(sample_++) / profile_.period;
  walk_ = 0.8 * walk_ + profile_.noise * uniform();
  const double drift = profile_.swing * std::sin(angle);
  SensorReading r;
  r.temperature = round1(profile_.base_temperature + drift + walk_);
  r.humidity =
      round1(std::clamp(profile_.base_humidity - 3.0 * drift + 2.0 * uniform(), 0.0, 100.0));
  r.threshold = profile_.threshold;
  r.over_threshold = r.temperature > r.threshold;
  r.unit = profile_.unit;
  return r;
}

std::uint64_t seed_from_id(const std::string& id) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : id) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

}  // namespace weir::devices
