// Deterministic stand-in for libFuzzer (g++ has none) for the rule language: runs the target over
// the committed corpus, then over mutations from a fixed seed. The mutations are token-aware
// (splice a token of the language, a slice of another input, or a random byte) so they reach the
// parser and the evaluator rather than dying in the tokenizer. Registered with ctest (label fuzz).
// Usage: weir_expression_fuzz_smoke <corpus dir> [iterations]
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

extern "C" int fuzz_expression_entry(const std::uint8_t* data, std::size_t size);

namespace {

const char* const kTokens[] = {" and ",
                               " or ",
                               "not ",
                               "==",
                               "!=",
                               "<",
                               "<=",
                               ">",
                               ">=",
                               "+",
                               "-",
                               "*",
                               "/",
                               "%",
                               "(",
                               ")",
                               ",",
                               "'",
                               "\"",
                               "A@X",
                               "A@DOOR",
                               "A@B",
                               "A@I",
                               "A@BAD",
                               "Z@Q",
                               "OPENED",
                               "TRUE",
                               "True",
                               "None",
                               "1e308",
                               "0",
                               "-0.0",
                               "2.5",
                               "float(",
                               "int(",
                               "str(",
                               "abs(",
                               "min(",
                               "max(",
                               "round(",
                               "@",
                               "\\",
                               "\n",
                               "raise_alarm()",
                               "send_command(",
                               "client_alert(",
                               "_",
                               "1_0"};

std::string mutate(std::string in, const std::vector<std::string>& corpus, std::mt19937& rng) {
  const int rounds = 1 + static_cast<int>(rng() % 4);
  for (int r = 0; r < rounds; ++r) {
    const std::size_t at = in.empty() ? 0 : rng() % (in.size() + 1);
    switch (rng() % 5) {
      case 0:
        in.insert(at, kTokens[rng() % std::size(kTokens)]);
        break;
      case 1:
        if (!in.empty()) in.erase(rng() % in.size(), 1 + rng() % 4);
        break;
      case 2:
        if (!in.empty()) in[rng() % in.size()] = static_cast<char>(rng());
        break;
      case 3: {
        const std::string& other = corpus[rng() % corpus.size()];
        if (!other.empty()) {
          const std::size_t a = rng() % other.size();
          in.insert(at, other.substr(a, 1 + rng() % (other.size() - a)));
        }
        break;
      }
      case 4:
        if (!in.empty()) in.resize(rng() % in.size());
        break;
    }
  }
  if (in.size() > 8192) in.resize(8192);
  return in;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <corpus dir> [iterations]\n", argv[0]);
    return 2;
  }
  const int iterations = argc > 2 ? std::atoi(argv[2]) : 20000;
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(argv[1]))
    if (e.is_regular_file()) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::vector<std::string> corpus;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    corpus.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  if (corpus.empty()) corpus.emplace_back("1");
  auto run = [](const std::string& s) {
    fuzz_expression_entry(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
  };
  for (const auto& c : corpus) run(c);
  std::mt19937 rng(0x3e7a11u);
  std::string current = corpus.front();
  for (int i = 0; i < iterations; ++i) {
    current = mutate(rng() % 4 == 0 ? corpus[rng() % corpus.size()] : current, corpus, rng);
    run(current);
  }
  std::printf("expression: %zu inputs (%zu seeds), no crash\n", corpus.size() + iterations,
              corpus.size());
  return 0;
}
