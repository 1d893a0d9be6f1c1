// Deterministic stand-in for libFuzzer (g++ has none): runs the SVG target over its seed corpus,
// then over `iterations` mutations from a fixed seed, splicing in the markup an attacker would
// try. Registered with ctest (label fuzz).
// Usage: weir_svg_fuzz_smoke <corpus dir> [iterations]
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

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

void run(const std::string& s) {
  LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

void mutate(std::string& in, std::mt19937& rng) {
  static constexpr std::array<std::string_view, 26> tokens = {"<",
                                                              ">",
                                                              "/>",
                                                              "</g>",
                                                              "<g>",
                                                              "\"",
                                                              "'",
                                                              "=",
                                                              "&",
                                                              "&amp;",
                                                              "&#x41;",
                                                              "&#0;",
                                                              "<!--",
                                                              "-->",
                                                              "<![CDATA[",
                                                              "]]>",
                                                              "<script>",
                                                              " onload=\"x\"",
                                                              " href=\"",
                                                              "url(",
                                                              "javascript:",
                                                              "<style>@import",
                                                              "<foreignObject>",
                                                              "<?x?>",
                                                              "<!DOCTYPE svg>",
                                                              "\xEF\xBB\xBF"};
  const auto pos = in.empty() ? 0 : rng() % (in.size() + 1);
  switch (rng() % 4) {
    case 0:
      in.insert(pos, tokens[rng() % tokens.size()]);
      break;
    case 1:
      if (!in.empty()) in.erase(rng() % in.size(), 1 + rng() % 8);
      break;
    case 2:
      if (!in.empty()) in[rng() % in.size()] = static_cast<char>(rng());
      break;
    case 3:
      if (in.size() > 2) {
        const auto a = rng() % in.size(), n = 1 + rng() % 64;
        in.insert(pos, in.substr(a, n));
      }
      break;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR [ITERATIONS]\n", argv[0]);
    return 2;
  }
  const long iterations = argc > 2 ? std::atol(argv[2]) : 20000;
  std::vector<std::string> corpus;
  for (const auto& e : std::filesystem::directory_iterator(argv[1])) {
    std::ifstream f(e.path(), std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    corpus.push_back(ss.str());
    run(corpus.back());
  }
  if (corpus.empty()) return 2;
  std::mt19937 rng(18);
  for (long i = 0; i < iterations; ++i) {
    std::string s = corpus[rng() % corpus.size()];
    for (int m = 0, n = 1 + static_cast<int>(rng() % 6); m < n; ++m) mutate(s, rng);
    run(s);
  }
  std::printf("svg fuzz smoke: %zu seeds, %ld mutations, no failure\n", corpus.size(), iterations);
  return 0;
}
