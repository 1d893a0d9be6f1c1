#include "bus/bus.hpp"

#include <gtest/gtest.h>

#include <string>

namespace weir::bus {
namespace {

struct A {
  int n;
};
struct B {
  std::string s;
};

TEST(Bus, DeliversByType) {
  Bus bus;
  int a = 0;
  std::string b;
  auto s1 = bus.subscribe<A>([&](const A& m) { a += m.n; });
  auto s2 = bus.subscribe<B>([&](const B& m) { b += m.s; });
  bus.publish(A{2});
  bus.publish(B{"x"});
  bus.publish(A{3});
  EXPECT_EQ(a, 5);
  EXPECT_EQ(b, "x");
}

TEST(Bus, SubscriptionEndsWithItsHandle) {
  Bus bus;
  int calls = 0;
  {
    auto s = bus.subscribe<A>([&](const A&) { ++calls; });
    bus.publish(A{1});
    EXPECT_EQ(bus.subscriber_count<A>(), 1u);
  }
  bus.publish(A{1});
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(bus.subscriber_count<A>(), 0u);
}

TEST(Bus, UnsubscribeDuringPublishIsSafe) {
  Bus bus;
  int first = 0, second = 0;
  Subscription s2;
  auto s1 = bus.subscribe<A>([&](const A&) {
    ++first;
    s2.reset();
  });
  s2 = bus.subscribe<A>([&](const A&) { ++second; });
  bus.publish(A{1});
  bus.publish(A{1});
  EXPECT_EQ(first, 2);
  EXPECT_EQ(second, 0);
}

TEST(Bus, SubscribeDuringPublishSeesNextMessage) {
  Bus bus;
  int late = 0;
  Subscription inner;
  auto s = bus.subscribe<A>([&](const A&) {
    if (!inner) inner = bus.subscribe<A>([&](const A&) { ++late; });
  });
  bus.publish(A{1});
  EXPECT_EQ(late, 0);
  bus.publish(A{1});
  EXPECT_EQ(late, 1);
}

TEST(Bus, HandleOutlivingBusIsHarmless) {
  Subscription s;
  {
    Bus bus;
    s = bus.subscribe<A>([](const A&) {});
  }
  s.reset();
  SUCCEED();
}

TEST(Bus, SubscribeFirstRunsBeforeEarlierSubscribers) {
  Bus bus;
  std::string order;
  auto s1 = bus.subscribe<A>([&](const A&) { order += "1"; });
  auto s2 = bus.subscribe_first<A>([&](const A&) { order += "F"; });
  auto s3 = bus.subscribe<A>([&](const A&) { order += "3"; });
  bus.publish(A{1});
  EXPECT_EQ(order, "F13");
  s2.reset();
  order.clear();
  bus.publish(A{2});
  EXPECT_EQ(order, "13");
}

}  // namespace
}  // namespace weir::bus
