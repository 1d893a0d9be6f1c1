// Deterministic stand-in for libFuzzer (g++ has none) for the parsers of network JSON: REST
// bodies (login, security configuration, system configuration) and device payloads. Runs each
// target over its committed seed corpus, then over mutations from a fixed seed. Registered with
// ctest (label fuzz). Usage: weir_json_fuzz_smoke <corpus root> [iterations per target]
// (the root holds one folder per target: login_body, security_config, system_config,
// device_payload).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int fuzz_login_body_entry(const std::uint8_t* data, std::size_t size);
extern "C" int fuzz_security_config_entry(const std::uint8_t* data, std::size_t size);
extern "C" int fuzz_system_config_entry(const std::uint8_t* data, std::size_t size);
extern "C" int fuzz_device_payload_entry(const std::uint8_t* data, std::size_t size);

namespace {

using Input = std::vector<std::uint8_t>;

std::vector<Input> load(const std::filesystem::path& dir) {
  std::vector<Input> out;
  std::vector<std::filesystem::path> files;
  if (std::filesystem::is_directory(dir))
    for (const auto& e : std::filesystem::directory_iterator(dir))
      if (e.is_regular_file()) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    out.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return out;
}

Input mutate(const Input& seed, std::mt19937& rng) {
  Input in = seed;
  const int rounds = 1 + static_cast<int>(rng() % 4);
  for (int r = 0; r < rounds; ++r) {
    switch (rng() % 6) {
      case 0:  // flip a bit
        if (!in.empty()) in[rng() % in.size()] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
        break;
      case 1:  // random byte
        if (!in.empty()) in[rng() % in.size()] = static_cast<std::uint8_t>(rng());
        break;
      case 2:  // insert bytes
        for (int i = 0, n = 1 + static_cast<int>(rng() % 8); i < n; ++i)
          in.insert(
              in.begin() + static_cast<std::ptrdiff_t>(in.empty() ? 0 : rng() % (in.size() + 1)),
              static_cast<std::uint8_t>(rng()));
        break;
      case 3:  // truncate
        if (!in.empty()) in.resize(rng() % in.size());
        break;
      case 4:  // interesting values
        if (!in.empty()) {
          static const std::uint8_t vals[] = {0x00, 0x01, 0x7F, 0x80, 0xFF,
                                              0x2F, 0x23, 0x2B, 0x24, 0xC0};
          in[rng() % in.size()] = vals[rng() % sizeof vals];
        }
        break;
      case 5:  // duplicate a slice
        if (in.size() > 2) {
          std::size_t a = rng() % in.size(), len = 1 + rng() % (in.size() - a);
          Input slice(in.begin() + static_cast<std::ptrdiff_t>(a),
                      in.begin() + static_cast<std::ptrdiff_t>(a + len));
          in.insert(in.begin() + static_cast<std::ptrdiff_t>(rng() % in.size()), slice.begin(),
                    slice.end());
        }
        break;
    }
  }
  if (in.size() > 4096) in.resize(4096);
  return in;
}

std::size_t run(const char* name, int (*target)(const std::uint8_t*, std::size_t),
                const std::vector<Input>& corpus, int iterations, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::size_t n = 0;
  for (const auto& c : corpus) {
    target(c.data(), c.size());
    ++n;
  }
  for (int i = 0; i < iterations; ++i) {
    Input in;
    if (corpus.empty() || rng() % 8 == 0) {
      in.resize(rng() % 64);
      for (auto& b : in) b = static_cast<std::uint8_t>(rng());
    } else {
      in = mutate(corpus[rng() % corpus.size()], rng);
    }
    target(in.data(), in.size());
    ++n;
  }
  std::printf("%s: %zu inputs (%zu seeds), no crash\n", name, n, corpus.size());
  return n;
}

}  // namespace

int main(int argc, char** argv) {
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
