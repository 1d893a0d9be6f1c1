#include "weir_demo/crosslink.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <ostream>
#include <string>

namespace weir::devices {
namespace {

// ---- override payloads ------------------------------------------------------------------------

struct OverrideCase {
  std::string payload;
  Override expected;
};

// Readable test names (ctest shows the printed parameter): "payload=true", "payload=_x22on_x22".
void PrintTo(const OverrideCase& c, std::ostream* os) {
  *os << "payload=";
  for (unsigned char ch : c.payload) {
    if (std::isalnum(ch)) {
      *os << ch;
    } else {
      static const char* hex = "0123456789abcdef";
      *os << "_x" << hex[ch >> 4] << hex[ch & 15];
    }
  }
}

class AcceptedOverride : public ::testing::TestWithParam<OverrideCase> {};

TEST_P(AcceptedOverride, Parses) {
  const auto r = parse_override(GetParam().payload);
  ASSERT_TRUE(r.ok) << "payload '" << GetParam().payload << "': " << r.reason;
  EXPECT_EQ(r.value, GetParam().expected) << GetParam().payload;
}

INSTANTIATE_TEST_SUITE_P(
    Forms, AcceptedOverride,
    ::testing::Values(OverrideCase{"true", Override::on}, OverrideCase{"false", Override::off},
                      OverrideCase{"", Override::none}, OverrideCase{"1", Override::on},
                      OverrideCase{"0", Override::off}, OverrideCase{"on", Override::on},
                      OverrideCase{"OFF", Override::off}, OverrideCase{"True", Override::on},
                      OverrideCase{"  false\r\n", Override::off},
                      OverrideCase{" \t ", Override::none}, OverrideCase{"\"true\"", Override::on},
                      OverrideCase{"\"false\"", Override::off},
                      OverrideCase{"\"\"", Override::none},
                      OverrideCase{" \" On \" ", Override::on}));

TEST(ParseOverride, RejectsAnythingElseWithAReason) {
  for (const char* bad : {"yes", "play", "2", "truee", "\"true", "\"tr\\\"ue\"", "null", "{}",
                          "[true]", "\"\"\"", "t rue"}) {
    const auto r = parse_override(bad);
    EXPECT_FALSE(r.ok) << bad;
    EXPECT_STRNE(r.reason, "") << bad;
  }
  EXPECT_FALSE(parse_override(std::string(65, ' ')).ok);
  EXPECT_STREQ(parse_override("\"true").reason, "unterminated quoted string");
}

TEST(ParsePresence, OnlineOfflineAndCleared) {
  EXPECT_EQ(parse_presence("online").value, Presence::online);
  EXPECT_EQ(parse_presence(" OFFLINE\n").value, Presence::offline);
  EXPECT_EQ(parse_presence("\"online\"").value, Presence::online);
  const auto cleared = parse_presence("");
  EXPECT_TRUE(cleared.ok);
  EXPECT_EQ(cleared.value, Presence::unknown);
  EXPECT_FALSE(parse_presence("away").ok);
}

// ---- melody -----------------------------------------------------------------------------------

constexpr Note kThree[] = {{440, 100}, {0, 50}, {523, 200}};
constexpr Melody kTest{"test", kThree, 3};

TEST(MelodyPlayer, StepsByElapsedTimeAndLoops) {
  EXPECT_EQ(kTest.total_ms(), 350u);
  MelodyPlayer p(kTest);
  p.restart(1000);
  auto at = [&](TimeMs t) { return p.at(t); };
  EXPECT_EQ(at(1000).step, 0u);
  EXPECT_EQ(at(1000).frequency_hz, 440);
  EXPECT_EQ(at(1000).next_change, 1100u);
  EXPECT_EQ(at(1099).step, 0u);
  EXPECT_EQ(at(1100).step, 1u);
  EXPECT_EQ(at(1100).frequency_hz, 0);  // a rest
  EXPECT_EQ(at(1150).step, 2u);
  EXPECT_EQ(at(1150).frequency_hz, 523);
  EXPECT_EQ(at(1349).next_change, 1350u);
  EXPECT_EQ(at(1350).step, 0u);  // looped
  EXPECT_EQ(at(1350).loop, 1u);
  EXPECT_EQ(at(1000 + 350 * 7 + 120).step, 1u);
  EXPECT_EQ(at(1000 + 350 * 7 + 120).loop, 7u);
  EXPECT_EQ(at(500).step, 0u);  // before the start: first note
  p.restart(5000);
  EXPECT_EQ(at(5010).step, 0u);
}

TEST(MelodyPlayer, EmptyMelodyIsSilent) {
  constexpr Melody empty{"empty", nullptr, 0};
  MelodyPlayer p(empty);
  EXPECT_EQ(p.at(10).frequency_hz, 0);
  EXPECT_GT(p.at(10).next_change, 10u);
}

TEST(Melodies, BuiltInsAreFoundByName) {
  ASSERT_NE(find_melody("twinkle"), nullptr);
  EXPECT_EQ(find_melody("ode_to_joy"), &default_melody());
  EXPECT_EQ(find_melody("nope"), nullptr);
  for (const Melody* m : kMelodies) EXPECT_GT(m->total_ms(), 0u) << m->name;
}

// ---- decisions --------------------------------------------------------------------------------

TEST(CrossLink, SilentUntilThePeerSaysItIsOverThreshold) {
  CrossLink link(kTest);
  EXPECT_FALSE(link.playing());
  EXPECT_EQ(link.mode(), Mode::automatic);
  EXPECT_EQ(link.reason(), Reason::no_peer_reading);

  auto c = link.peer_reading(false, 100);
  EXPECT_TRUE(c.peer);
  EXPECT_FALSE(c.playing);
  EXPECT_FALSE(link.playing());
  EXPECT_EQ(link.reason(), Reason::peer_under_threshold);

  c = link.peer_reading(true, 200);
  EXPECT_TRUE(c.playing);
  EXPECT_TRUE(c.restarted);
  EXPECT_TRUE(link.playing());
  EXPECT_EQ(link.reason(), Reason::peer_over_threshold);
  EXPECT_EQ(link.frequency_hz(), 440);
  EXPECT_EQ(link.since(), 200u);

  c = link.peer_reading(true, 250);  // same reading again: nothing to report
  EXPECT_FALSE(c.any());

  c = link.peer_reading(false, 300);
  EXPECT_TRUE(c.playing);
  EXPECT_FALSE(link.playing());
  EXPECT_EQ(link.frequency_hz(), 0);
}

TEST(CrossLink, TickStepsTheMelodyWhilePlaying) {
  CrossLink link(kTest);
  link.peer_reading(true, 1000);
  EXPECT_EQ(link.next_change(1000), 1100u);
  EXPECT_FALSE(link.tick(1050).any());
  auto c = link.tick(1100);
  EXPECT_TRUE(c.step);
  EXPECT_FALSE(c.decision());
  EXPECT_EQ(link.step(), 1u);
  EXPECT_EQ(link.frequency_hz(), 0);
  link.tick(1200);
  EXPECT_EQ(link.step(), 2u);
  EXPECT_EQ(link.frequency_hz(), 523);
  link.tick(1360);
  EXPECT_EQ(link.step(), 0u);  // looped
}

TEST(CrossLink, OverridesWinOverTheSensorsUntilResumed) {
  CrossLink link(kTest);
  link.peer_reading(false, 0);

  auto c = link.set_override(Override::on, 10);
  EXPECT_TRUE(c.mode);
  EXPECT_TRUE(c.playing);
  EXPECT_EQ(link.mode(), Mode::override_on);
  EXPECT_EQ(link.reason(), Reason::override_on);
  EXPECT_TRUE(link.playing());

  link.peer_presence(Presence::offline, 20);  // override on ignores the peer entirely
  EXPECT_TRUE(link.playing());

  c = link.set_override(Override::off, 30);
  EXPECT_EQ(link.mode(), Mode::override_off);
  EXPECT_FALSE(link.playing());
  link.peer_presence(Presence::online, 40);
  link.peer_reading(true, 50);
  EXPECT_FALSE(link.playing());

  c = link.set_override(Override::none, 60);  // resume: the peer is over threshold
  EXPECT_TRUE(c.mode);
  EXPECT_EQ(link.mode(), Mode::automatic);
  EXPECT_TRUE(link.playing());
  EXPECT_EQ(link.reason(), Reason::peer_over_threshold);

  c = link.set_override(Override::none, 70);  // resuming twice changes nothing
  EXPECT_FALSE(c.any());
  EXPECT_STREQ(mode_name(Mode::automatic), "auto");
  EXPECT_STREQ(mode_name(Mode::override_on), "override_on");
}

TEST(CrossLink, PeerOfflineSilencesAndForgetsItsReading) {
  CrossLink link(kTest);
  link.peer_presence(Presence::online, 0);
  link.peer_reading(true, 10);
  ASSERT_TRUE(link.playing());

  auto c = link.peer_presence(Presence::offline, 20);
  EXPECT_TRUE(c.playing);
  EXPECT_TRUE(c.peer);
  EXPECT_FALSE(link.playing());
  EXPECT_EQ(link.reason(), Reason::peer_offline);
  EXPECT_FALSE(link.peer_over_threshold().has_value());

  link.peer_reading(true, 30);  // a stray reading while marked offline does not make it play
  EXPECT_FALSE(link.playing());

  c = link.peer_presence(Presence::online, 40);
  EXPECT_TRUE(c.restarted);
  EXPECT_TRUE(link.playing());  // the reading from t=30 still counts now it is online
  EXPECT_EQ(link.step(), 0u);
}

TEST(CrossLink, PeerComingOnlineRestartsTheMelody) {
  CrossLink link(kTest);
  link.set_override(Override::on, 1000);
  link.tick(1160);
  ASSERT_EQ(link.step(), 2u);

  auto c = link.peer_presence(Presence::online, 1170);
  EXPECT_TRUE(c.restarted);
  EXPECT_TRUE(c.step);
  EXPECT_EQ(link.step(), 0u);
  EXPECT_EQ(link.since(), 1170u);
  EXPECT_EQ(link.frequency_hz(), 440);
  link.tick(1270);
  EXPECT_EQ(link.step(), 1u);  // stepping from the restart, not from the first start

  c = link.peer_presence(Presence::online, 1300);  // every "online" restarts (a reconnect)
  EXPECT_TRUE(c.restarted);
  EXPECT_EQ(link.step(), 0u);
}

TEST(CrossLink, UnknownPresenceFollowsReadings) {
  CrossLink link(kTest);
  link.peer_reading(true, 0);
  EXPECT_TRUE(link.playing());
  EXPECT_EQ(link.peer_presence(), Presence::unknown);
  link.peer_presence(Presence::unknown, 5);  // a cleared retained presence message
  EXPECT_TRUE(link.playing());
}

}  // namespace
}  // namespace weir::devices
