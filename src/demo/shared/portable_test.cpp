// The shared device headers compiled the way the ESP32 toolchain compiles them: C++17, no
// exceptions, no RTTI, no Boost, no Weir include path (only sibling includes). A plain main, not
// gtest, so nothing here needs exceptions. Exits non-zero on the first failed check.
#include <cstdio>
#include <cstdlib>

#include "crosslink.hpp"
#include "payloads.hpp"

#define CHECK(cond)                                                          \
  do {                                                                       \
    if (!(cond)) {                                                           \
      std::fprintf(stderr, "%s:%d: CHECK(%s)\n", __FILE__, __LINE__, #cond); \
      return EXIT_FAILURE;                                                   \
    }                                                                        \
  } while (0)

#if __cplusplus != 201703L
#error "this check must compile as C++17"
#endif

int main() {
  using namespace weir::devices;
  CHECK(parse_override(" \"ON\" ").value == Override::on);
  CHECK(!parse_override("maybe").ok);

  CrossLink link;
  link.peer_presence(parse_presence("online").value, 0);
  const ReadingParse p = parse_reading(
      R"({"temperature":30,"humidity":40,"threshold":28,"over_threshold":true,"unit":"C"})");
  CHECK(p.ok);
  const Change c = link.peer_reading(p.value.over_threshold, 10);
  CHECK(c.playing && link.playing());
  CHECK(link.frequency_hz() == pitch::e4);

  SensorReading r;
  r.temperature = 21.5;
  r.humidity = 50;
  r.threshold = 28;
  CHECK(encode_reading(r) ==
        R"({"temperature":21.5,"humidity":50,"threshold":28,"over_threshold":false,"unit":"C"})");
  CHECK(encode_state(buzzer_state(link, "peer", "")).find("\"playing\":true") != std::string::npos);
  CHECK(topic_for(topics::presence, "esp32") == "presence/esp32/status");
  std::puts("ok");
  return EXIT_SUCCESS;
}
