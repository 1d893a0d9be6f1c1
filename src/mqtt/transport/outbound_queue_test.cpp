#include "mqtt/transport/outbound_queue.hpp"

#include <gtest/gtest.h>

namespace weir::mqtt {
namespace {

Bytes bytes(std::size_t n) {
  return std::make_shared<const std::vector<std::uint8_t>>(n, 0x42);
}

TEST(OutboundQueue, CountsBytesAndIgnoresEmptyBuffers) {
  OutboundQueue q;
  q.push(bytes(10));
  q.push(bytes(0));
  q.push(nullptr);
  q.push(bytes(5));
  EXPECT_EQ(q.size(), 2u);
  EXPECT_EQ(q.bytes(), 15u);
}

TEST(OutboundQueue, BatchIsBoundedByCountAndBytes) {
  OutboundQueue q;
  for (int i = 0; i < 10; ++i) q.push(bytes(100));
  EXPECT_EQ(q.batch(4, 1'000'000), 4u);
  EXPECT_EQ(q.batch(64, 350), 3u);
  EXPECT_EQ(q.batch(64, 10), 1u);  // never zero: one oversized buffer still goes out
}

TEST(OutboundQueue, PopDrainsInOrderAndCompacts) {
  OutboundQueue q;
  std::vector<Bytes> all;
  for (int i = 0; i < 200; ++i) {
    all.push_back(
        std::make_shared<const std::vector<std::uint8_t>>(1, static_cast<std::uint8_t>(i)));
    q.push(all.back());
  }
  for (int i = 0; i < 150; ++i) {
    ASSERT_EQ(q.at(0), all[static_cast<std::size_t>(i)]);
    q.pop(1);
  }
  EXPECT_EQ(q.size(), 50u);
  EXPECT_EQ(q.bytes(), 50u);
  EXPECT_EQ(q.at(0), all[150]);
  q.pop(50);
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.bytes(), 0u);
}

TEST(OutboundQueue, ConsumeHandlesPartialWrites) {
  OutboundQueue q;
  q.push(bytes(10));
  q.push(bytes(20));
  q.push(bytes(30));
  q.consume(4);  // into the first buffer
  EXPECT_EQ(q.size(), 3u);
  EXPECT_EQ(q.front_offset(), 4u);
  EXPECT_EQ(q.bytes(), 56u);
  q.consume(6 + 5);  // rest of the first, part of the second
  EXPECT_EQ(q.size(), 2u);
  EXPECT_EQ(q.front_offset(), 5u);
  EXPECT_EQ(q.bytes(), 45u);
  q.pop(1);  // a whole-buffer pop after a partial write counts only what was left
  EXPECT_EQ(q.bytes(), 30u);
  EXPECT_EQ(q.front_offset(), 0u);
  q.consume(30);
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.bytes(), 0u);
  q.push(bytes(7));  // usable again after draining (its array was released)
  EXPECT_EQ(q.bytes(), 7u);
}

}  // namespace
}  // namespace weir::mqtt
