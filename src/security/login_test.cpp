#include "security/login.hpp"

#include <gtest/gtest.h>

#include "security/password.hpp"

namespace weir::security {
namespace {

using namespace std::chrono_literals;

SecurityConfig make_config() {
  SecurityConfig c;
  c.groups.push_back(Group{"operators", {"view", "ack_alarm"}});
  c.users.push_back(User{"olga", *hash_password("Tank-level-42"), {"operators"}, {"scada"}});
  c.users.push_back(User{"admin", legacy_sha256_hex("admin"), {"operators"}, {"scada"}});
  c.users.push_back(User{"nopw", "", {"operators"}, {"scada"}});
  return c;
}

TEST(Login, SuccessGivesThePrincipal) {
  ManualClock clock;
  LoginThrottle throttle(clock);
  auto c = make_config();
  auto r = attempt_login(c, throttle, {"olga", "Tank-level-42", App::scada, "127.0.0.1"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.principal->username, "olga");
  EXPECT_TRUE(r.principal->can(Permission::ack_alarm));
  EXPECT_FALSE(r.upgraded_hash);
  EXPECT_FALSE(r.password_change_required);
}

TEST(Login, LegacyHashIsUpgradedAndAWeakPasswordFlagged) {
  ManualClock clock;
  LoginThrottle throttle(clock);
  auto c = make_config();
  auto r = attempt_login(c, throttle, {"admin", "admin", App::scada, "127.0.0.1"});
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r.upgraded_hash);
  EXPECT_TRUE(r.password_change_required);
  find_user(c, "admin")->password_hash = *r.upgraded_hash;
  auto again = attempt_login(c, throttle, {"admin", "admin", App::scada, "127.0.0.1"});
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again.upgraded_hash);
}

TEST(Login, FailuresAreGenericAndThrottled) {
  ManualClock clock;
  LoginThrottle throttle(clock);
  auto c = make_config();
  auto unknown = attempt_login(c, throttle, {"ghost", "whatever", App::scada, "10.0.0.1"});
  auto wrong = attempt_login(c, throttle, {"olga", "nope", App::scada, "10.0.0.1"});
  auto nopw = attempt_login(c, throttle, {"nopw", "", App::scada, "10.0.0.1"});
  for (const auto* r : {&unknown, &wrong, &nopw}) {
    EXPECT_EQ(r->status, LoginStatus::invalid_credentials);
    EXPECT_EQ(r->error().message, "invalid username or password");
    EXPECT_EQ(r->error().kind, ErrorKind::unauthorized);
  }
  LoginOutcome r;
  for (int i = 0; i < 4; ++i)
    r = attempt_login(c, throttle, {"olga", "nope", App::scada, "10.0.0.1"});
  EXPECT_TRUE(r.lockout_started);
  EXPECT_EQ(r.retry_after, 300s);
  // Even the right password is refused while locked.
  auto locked = attempt_login(c, throttle, {"olga", "Tank-level-42", App::scada, "10.0.0.1"});
  EXPECT_EQ(locked.status, LoginStatus::throttled);
  EXPECT_EQ(locked.error().kind, ErrorKind::too_many);
  EXPECT_EQ(locked.retry_after, 300s);
  clock.advance(300s);
  EXPECT_TRUE(attempt_login(c, throttle, {"olga", "Tank-level-42", App::scada, "10.0.0.1"}).ok());
}

TEST(Login, AppNotAllowed) {
  ManualClock clock;
  LoginThrottle throttle(clock);
  auto c = make_config();
  auto r = attempt_login(c, throttle, {"olga", "Tank-level-42", App::security_editor, "127.0.0.1"});
  EXPECT_EQ(r.status, LoginStatus::app_not_allowed);
  EXPECT_EQ(r.error().kind, ErrorKind::forbidden);
}

}  // namespace
}  // namespace weir::security
