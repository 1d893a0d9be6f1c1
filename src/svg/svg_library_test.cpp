#include "svg/svg_library.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace weir::svg {
namespace {

namespace fs = std::filesystem;

struct Dir {
  fs::path path =
      fs::temp_directory_path() /
      ("weir-svg-test-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
       ::testing::UnitTest::GetInstance()->current_test_info()->name());
  Dir() { fs::create_directories(path); }
  ~Dir() { fs::remove_all(path); }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(path / name) << text;
  }
};

TEST(SvgLibrary, LoadsSortedAndWarnsWithFileAndElement) {
  Dir d;
  d.write("b.svg", R"svg(<svg><rect id="level" data-datapoint="T@LEVEL" data-animation="fill"/>)svg"
                   R"svg(<g id="ghost" data-datapoint="T@NOPE" data-animation="nope"/>)svg"
                   R"svg(<g id="btn" command-datapoint="T@LEVEL" command-value="1"/></svg>)svg");
  d.write("a.svg", "<svg/>");
  d.write("broken.svg", "<svg><g></svg>");
  d.write("notes.txt", "not an image");
  SvgReferences refs;
  refs.datapoint = [](std::string_view id, bool command) { return id == "T@LEVEL" && !command; };
  refs.animation = [](std::string_view n) { return n == "fill"; };
  auto lib = load_svg_library(d.path, refs);
  ASSERT_EQ(lib.files.size(), 2u);
  EXPECT_EQ(lib.files[0].name, "a.svg");
  EXPECT_EQ(lib.files[1].name, "b.svg");
  ASSERT_EQ(lib.warnings.size(), 4u);
  EXPECT_EQ(lib.warnings[0], "svg/b.svg: element ghost: unknown datapoint \"T@NOPE\"");
  EXPECT_EQ(lib.warnings[1], "svg/b.svg: element ghost: unknown animation \"nope\"");
  EXPECT_EQ(lib.warnings[2], "svg/b.svg: element btn: unknown command datapoint \"T@LEVEL\"");
  EXPECT_EQ(lib.warnings[3].rfind("svg/broken.svg: not served: 1:", 0), 0u) << lib.warnings[3];
}

TEST(SvgLibrary, SafeNamesOnly) {
  EXPECT_TRUE(valid_svg_name("1.tank.svg"));
  EXPECT_FALSE(valid_svg_name("../x.svg"));
  EXPECT_FALSE(valid_svg_name(".hidden.svg"));
  EXPECT_FALSE(valid_svg_name("a b.svg"));
  EXPECT_FALSE(valid_svg_name("tank.png"));
}

TEST(SvgLibrary, MissingFolderIsEmpty) {
  auto lib = load_svg_library("/nonexistent/weir/svg", {});
  EXPECT_TRUE(lib.files.empty());
  EXPECT_TRUE(lib.warnings.empty());
}

}  // namespace
}  // namespace weir::svg
