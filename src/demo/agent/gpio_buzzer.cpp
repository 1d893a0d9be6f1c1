// The GPIO buzzer through libgpiod's v1 API (Debian 12 ships libgpiod 1.6). Compiled only when
// libgpiod is found; gpio_buzzer_none.cpp stands in otherwise.
#include <gpiod.h>

#include <cerrno>
#include <cstring>

#include "demo/agent/buzzer.hpp"

namespace weir::device_agent {
namespace {

class GpioBuzzer final : public Buzzer {
 public:
  GpioBuzzer(gpiod_chip* chip, gpiod_line* line) : chip_(chip), line_(line) {}
  ~GpioBuzzer() override {
    gpiod_line_set_value(line_, 0);
    gpiod_line_release(line_);
    gpiod_chip_close(chip_);
  }
  GpioBuzzer(const GpioBuzzer&) = delete;
  GpioBuzzer& operator=(const GpioBuzzer&) = delete;

  void tone(std::uint16_t frequency_hz) override {
    const int v = frequency_hz != 0 ? 1 : 0;
    if (v != value_) {
      gpiod_line_set_value(line_, v);
      value_ = v;
    }
  }

 private:
  gpiod_chip* chip_;
  gpiod_line* line_;
  int value_ = 0;
};

Error gpio_error(const std::string& what) {
  return Error::make(ErrorKind::unavailable, "gpio", what + ": " + std::strerror(errno));
}

}  // namespace

Result<std::unique_ptr<Buzzer>> open_gpio_buzzer(const std::string& chip, unsigned line,
                                                 const std::string& consumer) {
  gpiod_chip* c = gpiod_chip_open_lookup(chip.c_str());
  if (c == nullptr) return gpio_error("cannot open GPIO chip " + chip);
  gpiod_line* l = gpiod_chip_get_line(c, line);
  if (l == nullptr) {
    Error e = gpio_error("no line " + std::to_string(line) + " on " + chip);
    gpiod_chip_close(c);
    return e;
  }
  if (gpiod_line_request_output(l, consumer.c_str(), 0) != 0) {
    Error e =
        gpio_error("cannot claim line " + std::to_string(line) + " on " + chip + " as an output");
    gpiod_chip_close(c);
    return e;
  }
  return std::unique_ptr<Buzzer>(new GpioBuzzer(c, l));
}

}  // namespace weir::device_agent
