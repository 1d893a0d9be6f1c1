#pragma once
// Scripted readings for tests and demos (weir-device --script FILE): one reading per line, used
// one per interval, starting over after the last. A line is either
//   27.5 40          temperature and humidity (threshold and unit from the command line)
//   {"temperature": 30, "humidity": 40, "threshold": 25}
// a JSON reading where threshold, over_threshold and unit are optional. Blank lines and lines
// starting with '#' are skipped. over_threshold, when not given, is temperature > threshold.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "weir_demo/payloads.hpp"

namespace weir::devices {

class ReadingScript {
 public:
  static Result<ReadingScript> parse(std::string_view text, double threshold,
                                     const std::string& unit);
  static Result<ReadingScript> load(const std::string& path, double threshold,
                                    const std::string& unit);

  const SensorReading& next();  // loops
  std::size_t size() const { return readings_.size(); }
  const std::vector<SensorReading>& readings() const { return readings_; }

 private:
  std::vector<SensorReading> readings_;
  std::size_t next_ = 0;
};

}  // namespace weir::devices
