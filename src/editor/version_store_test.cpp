#include "editor/version_store.hpp"

#include <gtest/gtest.h>

#include <filesystem>

namespace weir::editor {
namespace {

namespace fs = std::filesystem;

class VersionStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("weir_versions_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
  ManualClock clock_;
};

TEST(ContentHash, SixteenHexDigitsAndIfMatchForms) {
  const auto h = content_hash("{}");
  EXPECT_EQ(h.size(), 16u);
  EXPECT_NE(h, content_hash("{ }"));
  EXPECT_EQ(version_from_if_match("\"" + h + "\""), h);
  EXPECT_EQ(version_from_if_match(" W/\"" + h + "\" "), h);
  EXPECT_EQ(version_from_if_match(h), h);
}

TEST_F(VersionStoreTest, RecordsNewestFirstWithAuthorAndTime) {
  VersionStore s(dir_, 5, clock_);
  ASSERT_TRUE(s.open());
  auto a = s.record("one", "alice", "save");
  ASSERT_TRUE(a);
  clock_.advance(std::chrono::seconds(60));
  auto b = s.record("two", "bob", "revert", "revert to x");
  ASSERT_TRUE(b);
  ASSERT_EQ(s.list().size(), 2u);
  EXPECT_EQ(s.list()[0].id, content_hash("two"));
  EXPECT_EQ(s.list()[0].author, "bob");
  EXPECT_EQ(s.list()[0].note, "revert to x");
  EXPECT_EQ(s.list()[1].author, "alice");
  EXPECT_EQ(s.list()[0].time, "2023-11-14T22:14:20.000Z");
  EXPECT_EQ(*s.read(a->id), "one");
  // Saving the newest text again is not a new version.
  auto again = s.record("two", "carol", "save");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->author, "bob");
  EXPECT_EQ(s.list().size(), 2u);
  EXPECT_FALSE(s.read("0123456789abcdef"));
}

TEST_F(VersionStoreTest, KeepsOnlyTheNewestAndSurvivesARestart) {
  {
    VersionStore s(dir_, 3, clock_);
    ASSERT_TRUE(s.open());
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(s.record("v" + std::to_string(i), "u", "save"));
    ASSERT_EQ(s.list().size(), 3u);
    EXPECT_EQ(s.list().back().id, content_hash("v2"));
  }
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir_)) ++files;
  EXPECT_EQ(files, 6u);  // body + metadata of three versions
  VersionStore reopened(dir_, 2, clock_);
  ASSERT_TRUE(reopened.open());
  ASSERT_EQ(reopened.list().size(), 2u);
  EXPECT_EQ(reopened.list()[0].id, content_hash("v4"));
  EXPECT_EQ(reopened.list()[0].seq, 5u);
  EXPECT_EQ(*reopened.read(content_hash("v3")), "v3");
}

}  // namespace
}  // namespace weir::editor
