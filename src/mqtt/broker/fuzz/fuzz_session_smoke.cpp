// The broker session target under the shared deterministic smoke driver (ctest label fuzz):
// seeds are the codec's packet corpus (what a client sends after CONNECT), each tried as 3.1.1
// and as 5. Usage: weir_mqtt_broker_fuzz_smoke <packet corpus dir> [iterations]
#include "core/fuzz_smoke.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

int main(int argc, char** argv) {
  using namespace weir::fuzz_smoke;
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <packet corpus> [iterations]\n", argv[0]);
    return 2;
  }
  std::vector<Input> seeds;
  for (auto& packet : load(argv[1]))
    for (std::uint8_t version : {0, 1}) {
      Input in{version};
      in.insert(in.end(), packet.begin(), packet.end());
      seeds.push_back(std::move(in));
    }
  const int iterations = argc > 2 ? std::atoi(argv[2]) : 5000;
  run("broker_session", LLVMFuzzerTestOneInput, seeds, iterations, 0xb20c3e5u);
  return 0;
}
