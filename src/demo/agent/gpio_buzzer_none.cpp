// Stands in for gpio_buzzer.cpp when weir-device is built without libgpiod.
#include "demo/agent/buzzer.hpp"

namespace weir::device_agent {

Result<std::unique_ptr<Buzzer>> open_gpio_buzzer(const std::string&, unsigned, const std::string&) {
  return Error::make(ErrorKind::unavailable, "gpio",
                     "weir-device was built without libgpiod (install libgpiod-dev and rebuild)");
}

}  // namespace weir::device_agent
