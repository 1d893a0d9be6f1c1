#pragma once
// The deterministic stand-in for libFuzzer (g++ has none) shared by the fuzz smoke drivers (MQTT
// codec and broker, network JSON): runs a target over its committed seed corpus, then over
// mutations of it from a fixed seed.
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

namespace weir::fuzz_smoke {

using Input = std::vector<std::uint8_t>;

inline std::vector<Input> load(const std::filesystem::path& dir) {
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

inline Input mutate(const Input& seed, std::mt19937& rng) {
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

inline std::size_t run(const char* name, int (*target)(const std::uint8_t*, std::size_t),
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

}  // namespace weir::fuzz_smoke
