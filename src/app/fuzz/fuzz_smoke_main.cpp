// Deterministic stand-in for libFuzzer (g++ has none) for the parsers of network JSON: REST
// bodies (login, security configuration, system configuration) and device payloads. Runs each
// target over its committed seed corpus, then over mutations from a fixed seed. Registered with
// ctest (label fuzz). Usage: weir_json_fuzz_smoke <corpus root> [iterations per target]
// (the root holds one folder per target: login_body, security_config, system_config,
// device_payload).
#include "core/fuzz_smoke.hpp"

extern "C" int fuzz_login_body_entry(const std::uint8_t* data, std::size_t size);
extern "C" int fuzz_security_config_entry(const std::uint8_t* data, std::size_t size);
extern "C" int fuzz_system_config_entry(const std::uint8_t* data, std::size_t size);
extern "C" int fuzz_device_payload_entry(const std::uint8_t* data, std::size_t size);

int main(int argc, char** argv) {
  using namespace weir::fuzz_smoke;
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <corpus root> [iterations]\n", argv[0]);
    return 2;
  }
  const std::filesystem::path root = argv[1];
  const int iterations = argc > 2 ? std::atoi(argv[2]) : 10000;
  struct Target {
    const char* name;
    int (*fn)(const std::uint8_t*, std::size_t);
  };
  const Target targets[] = {{"login_body", fuzz_login_body_entry},
                            {"security_config", fuzz_security_config_entry},
                            {"system_config", fuzz_system_config_entry},
                            {"device_payload", fuzz_device_payload_entry}};
  std::uint32_t seed = 0x15eb0d1eu;
  for (const auto& t : targets) {
    auto corpus = load(root / t.name);
    if (corpus.empty()) {
      std::fprintf(stderr, "%s: no seed corpus in %s\n", t.name, (root / t.name).c_str());
      return 1;
    }
    run(t.name, t.fn, corpus, iterations, seed++);
  }
  return 0;
}
