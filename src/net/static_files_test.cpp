#include "net/static_files.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using weir::net::StaticFiles;
using weir::net::StaticLookup;

namespace {

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/weir-static-XXXXXX";
    base_ = fs::path(::mkdtemp(tmpl));
    root_ = base_ / "www";
    write(root_ / "scada" / "index.html", "<h1>scada</h1>");
    write(root_ / "scada" / "app.js", "console.log(1)");
    write(root_ / "scada" / "sub" / "index.html", "sub");
    write(root_ / "scada" / ".env", "SECRET=1");
    write(root_ / "assets" / "index-abc123.js", "bundle");
    write(base_ / "outside.txt", "secret");
    fs::create_symlink(base_ / "outside.txt", root_ / "scada" / "escape.txt");
    fs::create_symlink(base_, root_ / "scada" / "escape-dir");
  }
  void TearDown() override { fs::remove_all(base_); }
  static void write(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }
  StaticFiles open() {
    auto files =
        StaticFiles::open(root_.string(), {{"/scada/", "scada"}, {"/missing/", "not-built"}});
    EXPECT_TRUE(files);
    return std::move(*files);
  }
  fs::path base_, root_;
};

}  // namespace

TEST_F(StaticFilesTest, ServesFilesWithTypeAndValidator) {
  auto files = open();
  auto r = files.resolve("/scada/app.js");
  ASSERT_EQ(r.kind, StaticLookup::Kind::file);
  EXPECT_EQ(r.file.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(r.file.size, 14u);
  EXPECT_EQ(r.file.etag.front(), '"');
  EXPECT_EQ(r.file.cache_control, "no-cache");

  auto index = files.resolve("/scada/");
  ASSERT_EQ(index.kind, StaticLookup::Kind::file);
  EXPECT_EQ(index.file.path.filename(), "index.html");
  EXPECT_EQ(index.file.content_type, "text/html; charset=utf-8");
}

TEST_F(StaticFilesTest, RedirectsDirectoriesToTheirSlash) {
  auto files = open();
  auto r = files.resolve("/scada");
  ASSERT_EQ(r.kind, StaticLookup::Kind::redirect);
  EXPECT_EQ(r.location, "/scada/");
  auto sub = files.resolve("/scada/sub");
  ASSERT_EQ(sub.kind, StaticLookup::Kind::redirect);
  EXPECT_EQ(sub.location, "/scada/sub/");
}

TEST_F(StaticFilesTest, RootLeadsToTheHomeAppOnlyWhenItIsServed) {
  auto home = StaticFiles::open(root_.string(), {{"/scada/", "scada"}}, "/scada/");
  ASSERT_TRUE(home);
  auto r = home->resolve("/");
  ASSERT_EQ(r.kind, StaticLookup::Kind::redirect);
  EXPECT_EQ(r.location, "/scada/");
  EXPECT_TRUE(r.temporary);
  EXPECT_FALSE(home->resolve("/scada").temporary) << "a directory's slash stays permanent";

  auto unbuilt = StaticFiles::open(root_.string(), {{"/missing/", "not-built"}}, "/missing/");
  ASSERT_TRUE(unbuilt);
  EXPECT_EQ(unbuilt->resolve("/").kind, StaticLookup::Kind::not_mine);
  EXPECT_EQ(open().resolve("/").kind, StaticLookup::Kind::not_mine) << "no home given";
}

TEST_F(StaticFilesTest, SinglePageAppFallbackOnlyForRoutes) {
  auto files = open();
  auto route = files.resolve("/scada/alarms/active");
  ASSERT_EQ(route.kind, StaticLookup::Kind::file);
  EXPECT_EQ(route.file.path.filename(), "index.html");
  EXPECT_EQ(files.resolve("/scada/missing.js").kind, StaticLookup::Kind::not_mine);
}

TEST_F(StaticFilesTest, AssetsAreAddedAndImmutable) {
  auto files = open();
  auto r = files.resolve("/assets/index-abc123.js");
  ASSERT_EQ(r.kind, StaticLookup::Kind::file);
  EXPECT_NE(r.file.cache_control.find("immutable"), std::string::npos);
  EXPECT_EQ(files.resolve("/assets/nope").kind, StaticLookup::Kind::not_mine)
      << "no SPA fallback for assets";
}

TEST_F(StaticFilesTest, NeverLeavesTheMount) {
  auto files = open();
  EXPECT_EQ(files.resolve("/scada/escape.txt").kind, StaticLookup::Kind::not_mine);
  EXPECT_EQ(files.resolve("/scada/escape-dir/outside.txt").kind, StaticLookup::Kind::not_mine);
  EXPECT_EQ(files.resolve("/scada/.env").kind, StaticLookup::Kind::not_mine);
  auto doubled =
      files.resolve("/scada//etc/passwd");  // never "/etc/passwd": the app's route fallback
  ASSERT_EQ(doubled.kind, StaticLookup::Kind::file);
  EXPECT_EQ(doubled.file.path, fs::canonical(root_ / "scada" / "index.html"));
  EXPECT_EQ(files.resolve("/scada//etc/passwd.txt").kind, StaticLookup::Kind::not_mine);
  EXPECT_EQ(files.resolve("/missing/x").kind, StaticLookup::Kind::not_mine);
  EXPECT_EQ(files.resolve("/api/health").kind, StaticLookup::Kind::not_mine);
}

TEST_F(StaticFilesTest, BadRootOrMountIsAnError) {
  EXPECT_FALSE(StaticFiles::open((base_ / "nope").string(), {}));
  EXPECT_FALSE(StaticFiles::open(root_.string(), {{"/x/", "../outside"}}));
  EXPECT_FALSE(StaticFiles::open(root_.string(), {{"x/", "scada"}}));
  EXPECT_TRUE(StaticFiles::open("", {{"/x/", "y"}})->empty());
}

TEST(StaticContent, TypesAndEtags) {
  using weir::net::content_type_for;
  using weir::net::etag_matches;
  EXPECT_EQ(content_type_for(".mjs"), "text/javascript; charset=utf-8");
  EXPECT_EQ(content_type_for(".SVG"), "image/svg+xml");
  EXPECT_EQ(content_type_for(".woff2"), "font/woff2");
  EXPECT_EQ(content_type_for(".wasm"), "application/wasm");
  EXPECT_EQ(content_type_for(".map"), "application/json");
  EXPECT_EQ(content_type_for(".exe"), "application/octet-stream");
  EXPECT_TRUE(etag_matches("\"a\"", "\"a\""));
  EXPECT_TRUE(etag_matches("\"x\", W/\"a\"", "\"a\""));
  EXPECT_TRUE(etag_matches("*", "\"a\""));
  EXPECT_FALSE(etag_matches("\"b\"", "\"a\""));
  EXPECT_FALSE(etag_matches("", "\"a\""));
}
