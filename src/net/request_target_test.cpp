#include "net/request_target.hpp"

#include <gtest/gtest.h>

using weir::net::parse_request_target;

TEST(RequestTarget, DecodesPathAndQuery) {
  auto t = parse_request_target("/api/data%20points?driver=tank%201&tag=a+b&tag=c&flag");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->path, "/api/data points");
  EXPECT_EQ(t->query.count("tag"), 2u);
  EXPECT_EQ(t->query.find("driver")->second, "tank 1");
  EXPECT_EQ(t->query.find("tag")->second, "a b");
  EXPECT_EQ(t->query.find("flag")->second, "");
}

TEST(RequestTarget, AcceptsAbsoluteForm) {
  auto t = parse_request_target("http://example.com/scada/?x=1");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->path, "/scada/");
  EXPECT_EQ(t->query.find("x")->second, "1");
  auto root = parse_request_target("http://example.com");
  ASSERT_TRUE(root);
  EXPECT_EQ(root->path, "/");
}

TEST(RequestTarget, RefusesTraversalInEveryEncoding) {
  for (const char* bad :
       {"/api/docs/../../etc/passwd", "/api/docs/%2e%2e/%2e%2e/etc/passwd",
        "/api/docs/..%2f..%2fetc/passwd", "/api/docs/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd", "/..",
        "/a/.%2E/b", "/a/%2e./b"}) {
    auto t = parse_request_target(bad);
    ASSERT_FALSE(t) << bad;
    EXPECT_EQ(t.error().code, "bad_path") << bad;
  }
  // A literal "%2e%2e" file name (double-encoded) is only a strange name, not a traversal.
  auto t = parse_request_target("/api/docs/%252e%252e/x");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->path, "/api/docs/%2e%2e/x");
  EXPECT_TRUE(parse_request_target("/a/..b/c..d/...")) << "dots inside a segment are fine";
}

TEST(RequestTarget, RefusesNulAndNonPaths) {
  EXPECT_FALSE(parse_request_target("/a%00b"));
  EXPECT_FALSE(parse_request_target(""));
  EXPECT_FALSE(parse_request_target("*"));
  EXPECT_FALSE(parse_request_target("relative/path"));
  EXPECT_FALSE(parse_request_target("/bad%zzescape"));
}
