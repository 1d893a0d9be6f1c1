// Deterministic stand-in for libFuzzer (g++ has none), with mutations that know the inputs: cron
// text gets cron tokens spliced in, TZif bytes get their big-endian counts, times and offsets
// overwritten with edge values. Runs each target over its committed seed corpus, then over
// `iterations` mutations from a fixed seed. Registered with ctest (label fuzz).
// Usage: weir_schedule_fuzz_smoke <cron corpus dir> <tzif corpus dir> [iterations]
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

extern "C" int fuzz_cron_entry(const std::uint8_t* data, std::size_t size);
extern "C" int fuzz_tzif_entry(const std::uint8_t* data, std::size_t size);

namespace {

using Bytes = std::string;
using Mutator = void (*)(Bytes&, std::mt19937&);

std::size_t pick(std::mt19937& rng, std::size_t n) {
  return n == 0 ? 0 : rng() % n;
}

// A fresh expression from the grammar, values mostly in range: most of them compile, so the
// search (not only the parser) gets exercised.
Bytes random_cron(std::mt19937& rng) {
  static constexpr std::array<int, 5> hi = {59, 23, 31, 12, 7};
  Bytes out;
  for (std::size_t f = 0; f < 5; ++f) {
    if (f > 0) out += ' ';
    const auto top = static_cast<unsigned>(hi[f] + 2);  // now and then one past the range
    auto range = [&] {
      const auto a = rng() % top, b = rng() % top;
      return std::to_string(std::min(a, b)) + '-' + std::to_string(std::max(a, b));
    };
    for (int item = 0, n = 1 + static_cast<int>(rng() % 3); item < n; ++item) {
      if (item > 0) out += ',';
      switch (rng() % 5) {
        case 0:
          out += '*';
          break;
        case 1:
          out += "*/" + std::to_string(1 + rng() % 13);
          break;
        case 2:
          out += std::to_string(rng() % top);
          break;
        case 3:
          out += range();
          break;
        case 4:
          out += range() + '/' + std::to_string(1 + rng() % 7);
          break;
      }
    }
  }
  return out;
}

void mutate_cron(Bytes& in, std::mt19937& rng) {
  static constexpr std::array<std::string_view, 24> tokens = {
      "*",  "*/", "/",   "-",   ",",   " ",   "\t",  "0",      "7",       "59",      "60", "31",
      "29", "12", "JAN", "FEB", "DEC", "SUN", "sat", "@daily", "@reboot", "9999999", "1-", "*/0"};
  switch (rng() % 5) {
    case 0:  // splice a token in
      in.insert(pick(rng, in.size() + 1), tokens[pick(rng, tokens.size())]);
      break;
    case 1:  // drop a character
      if (!in.empty()) in.erase(pick(rng, in.size()), 1);
      break;
    case 2:  // any byte
      if (!in.empty()) in[pick(rng, in.size())] = static_cast<char>(rng());
      break;
    case 3:  // truncate
      in.resize(pick(rng, in.size() + 1));
      break;
    case 4:  // start over from the grammar
      in = random_cron(rng);
      break;
  }
}

void mutate_tzif(Bytes& in, std::mt19937& rng) {
  static constexpr std::array<std::uint32_t, 10> values = {
      0, 1, 2, 255, 256, 20001, 0x7fffffffu, 0x80000000u, 0xffffffffu, 0xfffeae6fu /* -86417 */};
  switch (rng() % 4) {
    case 0:  // a 32-bit big-endian word (counts, times, offsets) to an edge value
      if (in.size() >= 4) {
        const std::size_t at = pick(rng, in.size() - 3);
        const std::uint32_t v = values[pick(rng, values.size())];
        for (int k = 0; k < 4; ++k)
          in[at + static_cast<std::size_t>(k)] = static_cast<char>(v >> (24 - 8 * k));
      }
      break;
    case 1:  // flip a bit
      if (!in.empty()) in[pick(rng, in.size())] ^= static_cast<char>(1u << (rng() % 8));
      break;
    case 2:  // truncate
      in.resize(pick(rng, in.size() + 1));
      break;
    case 3:  // a byte of the footer's TZ string (after the last-but-one newline)
      if (const auto nl = in.rfind('\n', in.empty() ? 0 : in.size() - 2);
          nl != Bytes::npos && nl + 1 < in.size())
        in[nl + 1 + pick(rng, in.size() - nl - 1)] = "<>+-,./:0123456789JMAEST"[rng() % 24];
      break;
  }
}

std::vector<Bytes> load(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.is_regular_file()) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::vector<Bytes> out;
  for (const auto& f : files)
    out.push_back((std::ostringstream{} << std::ifstream(f, std::ios::binary).rdbuf()).str());
  return out;
}

void run(const char* name, int (*target)(const std::uint8_t*, std::size_t), Mutator mutate,
         const std::vector<Bytes>& corpus, int iterations, std::uint32_t seed) {
  std::mt19937 rng(seed);
  auto feed = [&](const Bytes& b) {
    target(reinterpret_cast<const std::uint8_t*>(b.data()), b.size());
  };
  for (const auto& c : corpus) feed(c);
  for (int i = 0; i < iterations; ++i) {
    Bytes in = corpus.empty() ? Bytes{} : corpus[pick(rng, corpus.size())];
    for (int r = 0, rounds = 1 + static_cast<int>(rng() % 4); r < rounds; ++r) mutate(in, rng);
    feed(in);
  }
  std::printf("%s: %zu inputs (%zu seeds), no crash\n", name, corpus.size() + iterations,
              corpus.size());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s <cron corpus> <tzif corpus> [iterations]\n", argv[0]);
    return 2;
  }
  const int iterations = argc > 3 ? std::atoi(argv[3]) : 10000;
  run("cron", fuzz_cron_entry, mutate_cron, load(argv[1]), iterations, 0xc407u);
  run("tzif", fuzz_tzif_entry, mutate_tzif, load(argv[2]), iterations, 0x7715u);
  return 0;
}
