#include "net/origin_check.hpp"

#include <gtest/gtest.h>

using weir::net::origin_allowed;

TEST(OriginCheck, NoOriginIsANonBrowserClient) {
  EXPECT_TRUE(origin_allowed("", "scada.plant:8080", {}));
}

TEST(OriginCheck, SameOriginOnly) {
  EXPECT_TRUE(origin_allowed("http://scada.plant:8080", "scada.plant:8080", {}));
  EXPECT_TRUE(origin_allowed("HTTPS://Scada.Plant", "scada.plant:443", {}));
  EXPECT_TRUE(origin_allowed("http://scada.plant", "scada.plant", {}));
  // A sibling origin (another port of the same host) is another origin.
  EXPECT_FALSE(origin_allowed("http://scada.plant:8081", "scada.plant:8080", {}));
  EXPECT_FALSE(origin_allowed("http://evil.example", "scada.plant:8080", {}));
  EXPECT_FALSE(origin_allowed("null", "scada.plant:8080", {}));
  EXPECT_FALSE(origin_allowed("http://scada.plant:8080/x", "scada.plant:8080", {}));
  EXPECT_FALSE(origin_allowed("http://user@scada.plant:8080", "scada.plant:8080", {}));
  EXPECT_FALSE(origin_allowed("http://scada.plant:8080", "", {}));
  EXPECT_FALSE(origin_allowed("ws://scada.plant:8080", "scada.plant:8080", {}));
}

TEST(OriginCheck, ConfiguredOriginsToo) {
  std::vector<std::string> allowed{"https://hmi.plant"};
  EXPECT_TRUE(origin_allowed("https://HMI.plant", "scada.plant:8080", allowed));
  EXPECT_FALSE(origin_allowed("http://hmi.plant", "scada.plant:8080", allowed));
}
