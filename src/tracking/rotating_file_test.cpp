#include "tracking/rotating_file.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace weir::tracking {
namespace {

namespace fs = std::filesystem;

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(RotatingFile, RotatesBySizeAndKeepsOnlyTheNewestFiles) {
  const fs::path dir = fs::temp_directory_path() / ("weir_tracking_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  const fs::path p = dir / "sub" / "t.jsonl";
  {
    RotatingFile f({p, 100, 2});
    for (char c = 'a'; c <= 'f'; ++c) {
      std::string l(39, c);
      l.push_back('\n');
      ASSERT_TRUE(f.append(l));
    }
    // 6 lines of 40 bytes, 2 per file: t.jsonl (e f), .1 (c d), .2 (a b) would be the 3rd
    // rotated file... keep = 2: only .1 and .2 besides the current one.
    EXPECT_EQ(f.rotations(), 2u);
  }
  EXPECT_EQ(read(p), std::string(39, 'e') + "\n" + std::string(39, 'f') + "\n");
  EXPECT_EQ(read(p.string() + ".1"), std::string(39, 'c') + "\n" + std::string(39, 'd') + "\n");
  EXPECT_EQ(read(p.string() + ".2"), std::string(39, 'a') + "\n" + std::string(39, 'b') + "\n");
  {
    RotatingFile f({p, 100, 2});  // reopened: continues, and rotates the oldest away
    ASSERT_TRUE(f.append(std::string(39, 'g') + "\n"));
  }
  EXPECT_EQ(read(p), std::string(39, 'g') + "\n");
  EXPECT_EQ(read(p.string() + ".2"), std::string(39, 'c') + "\n" + std::string(39, 'd') + "\n");
  EXPECT_FALSE(fs::exists(p.string() + ".3"));
  fs::remove_all(dir);
}

TEST(RotatingFile, AnUnwritablePathIsAnErrorValue) {
  RotatingFile f({"/proc/weir-no-such-dir/t.jsonl", 100, 1});
  auto st = f.append("x\n");
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("/proc/weir-no-such-dir/t.jsonl"), std::string::npos);
}

}  // namespace
}  // namespace weir::tracking
