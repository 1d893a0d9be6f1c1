// Deterministic stand-in for libFuzzer (g++ has none): runs each target over its committed seed
// corpus, then over ~10,000 mutations per target from a fixed seed. Registered with ctest (label
// fuzz). Usage: weir_mqtt_fuzz_smoke <decoder corpus dir> <topic corpus dir> [iterations]
#include "core/fuzz_smoke.hpp"

int fuzz_decoder(const std::uint8_t* data, std::size_t size);
int fuzz_topic_filter(const std::uint8_t* data, std::size_t size);

int main(int argc, char** argv) {
  using namespace weir::fuzz_smoke;
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s <decoder corpus> <topic corpus> [iterations]\n", argv[0]);
    return 2;
  }
  const int iterations = argc > 3 ? std::atoi(argv[3]) : 10000;
  run("decoder", fuzz_decoder, load(argv[1]), iterations, 0x5eed1234u);
  run("topic_filter", fuzz_topic_filter, load(argv[2]), iterations, 0x70b1c5u);
  return 0;
}
