#pragma once
// The buzzer the cross-link logic drives. Without hardware (the default) nothing sounds: the
// agent's log and its devices/{id}/state reports show what would. On a Raspberry Pi an active
// buzzer on a GPIO line sounds during notes and is quiet during rests and silence.
#include <cstdint>
#include <memory>
#include <string>

#include "core/error.hpp"

namespace weir::device_agent {

class Buzzer {
 public:
  virtual ~Buzzer() = default;
  virtual void tone(std::uint16_t frequency_hz) = 0;  // 0 = silence
};

class SilentBuzzer final : public Buzzer {
 public:
  void tone(std::uint16_t) override {}
};

// An active buzzer on `line` of a GPIO chip ("/dev/gpiochip0", "gpiochip0" or "0"), through
// libgpiod. Fails with a reason when the chip or line cannot be had, or when weir-device was built
// without libgpiod.
Result<std::unique_ptr<Buzzer>> open_gpio_buzzer(const std::string& chip, unsigned line,
                                                 const std::string& consumer);

}  // namespace weir::device_agent
