#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "security/password.hpp"
#include "security/session_manager.hpp"
#include "security/session_secret.hpp"
#include "security/session_token_transport.hpp"

namespace weir::security {
namespace {

using namespace std::chrono_literals;

SecurityConfig make_config() {
  SecurityConfig c;
  c.groups.push_back(Group{"operators", {"view", "send_command"}});
  c.groups.push_back(Group{"engineers", {"view", "edit_config"}});
  c.users.push_back(User{"olga", legacy_sha256_hex("pw"), {"operators"}, {"scada"}});
  c.users.push_back(
      User{"erik", legacy_sha256_hex("pw"), {"engineers"}, {"scada", "config_editor"}});
  return c;
}

class SessionTest : public ::testing::Test {
 protected:
  ManualClock clock;
  SecurityConfig config = make_config();
  SessionManager sessions{std::string(32, 'k'), clock};
};

TEST_F(SessionTest, IssueAndVerify) {
  auto s = sessions.issue(config, "olga", App::scada);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->claims.expires_at - s->claims.issued_at, 15min);
  EXPECT_EQ(s->max_age(), 900s);
  EXPECT_EQ(s->claims.jti.size(), 32u);
  auto v = sessions.verify(config, s->token);
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->claims.subject, "olga");
  EXPECT_EQ(v->claims.app, App::scada);
  EXPECT_EQ(v->principal.username, "olga");
  EXPECT_EQ(v->principal.app, App::scada);
  EXPECT_TRUE(v->principal.can(Permission::send_command));
  EXPECT_FALSE(v->principal.can(Permission::edit_config));
  EXPECT_EQ(v->claims.jti, s->claims.jti);
}

TEST_F(SessionTest, AppMustBeAllowed) {
  auto s = sessions.issue(config, "olga", App::config_editor);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().kind, ErrorKind::forbidden);
  EXPECT_FALSE(sessions.issue(config, "nobody", App::scada));
}

TEST_F(SessionTest, Expiry) {
  auto s = sessions.issue(config, "olga", App::scada);
  ASSERT_TRUE(s);
  clock.advance(15min - 1s);
  EXPECT_TRUE(sessions.verify(config, s->token));
  clock.advance(1s);
  auto v = sessions.verify(config, s->token);
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, "session_expired");
  EXPECT_EQ(v.error().kind, ErrorKind::unauthorized);
}

TEST_F(SessionTest, TamperedForeignAndUnsignedTokensAreRefused) {
  auto s = sessions.issue(config, "olga", App::scada);
  ASSERT_TRUE(s);
  const auto& t = s->token;
  auto dot1 = t.find('.');
  auto dot2 = t.rfind('.');

  // Flip one character of the payload.
  std::string tampered = t;
  tampered[dot1 + 5] = tampered[dot1 + 5] == 'A' ? 'B' : 'A';
  EXPECT_EQ(sessions.verify(config, tampered).error().code, "invalid_token");

  // Same claims, signed with another key.
  SessionManager other(std::string(32, 'x'), clock);
  auto foreign = other.issue(config, "olga", App::scada);
  ASSERT_TRUE(foreign);
  EXPECT_FALSE(sessions.verify(config, foreign->token));

  // alg "none" with the original payload and no signature.
  std::string none = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0" + t.substr(dot1, dot2 - dot1) + ".";
  EXPECT_FALSE(sessions.verify(config, none));
  EXPECT_FALSE(sessions.verify(config, t.substr(0, dot2 + 1)));  // signature stripped

  EXPECT_FALSE(sessions.verify(config, ""));
  EXPECT_FALSE(sessions.verify(config, "not a token"));
  EXPECT_FALSE(sessions.verify(config, std::string(5000, 'a')));
}

TEST_F(SessionTest, LogoutRevokesThatTokenOnly) {
  auto a = sessions.issue(config, "olga", App::scada);
  auto b = sessions.issue(config, "olga", App::scada);
  ASSERT_TRUE(a && b);
  sessions.revoke(a->claims);
  EXPECT_EQ(sessions.verify(config, a->token).error().code, "session_revoked");
  EXPECT_TRUE(sessions.verify(config, b->token));
  EXPECT_EQ(sessions.revoked_count(), 1u);
  // The deny-list forgets entries once they expire.
  clock.advance(16min);
  auto c = sessions.issue(config, "olga", App::scada);
  ASSERT_TRUE(c);
  sessions.revoke(c->claims);
  EXPECT_EQ(sessions.revoked_count(), 1u);
}

TEST_F(SessionTest, RevokeUserBumpsTheVersion) {
  auto olga = sessions.issue(config, "olga", App::scada);
  auto erik = sessions.issue(config, "erik", App::scada);
  ASSERT_TRUE(olga && erik);
  sessions.revoke_user("olga");
  EXPECT_EQ(sessions.verify(config, olga->token).error().code, "session_revoked");
  EXPECT_TRUE(sessions.verify(config, erik->token));
  auto fresh = sessions.issue(config, "olga", App::scada);
  ASSERT_TRUE(fresh);
  EXPECT_EQ(fresh->claims.version, 1);
  EXPECT_TRUE(sessions.verify(config, fresh->token));
}

TEST_F(SessionTest, PasswordGroupOrUserChangesEndSessionsWithoutExplicitRevocation) {
  auto s = sessions.issue(config, "olga", App::scada);
  ASSERT_TRUE(s);
  auto changed = config;
  changed.users[0].password_hash = legacy_sha256_hex("new");
  EXPECT_EQ(sessions.verify(changed, s->token).error().code, "session_revoked");

  changed = config;
  changed.users[0].groups = {"engineers"};
  EXPECT_FALSE(sessions.verify(changed, s->token));

  changed = config;
  changed.users.erase(changed.users.begin());
  EXPECT_FALSE(sessions.verify(changed, s->token));

  // A permission change on the group applies at once, without ending the session.
  changed = config;
  changed.groups[0].permissions = {"view"};
  auto v = sessions.verify(changed, s->token);
  ASSERT_TRUE(v);
  EXPECT_FALSE(v->principal.can(Permission::send_command));
}

TEST_F(SessionTest, SlidingRenewal) {
  auto s = sessions.issue(config, "olga", App::scada);
  ASSERT_TRUE(s);
  clock.advance(7min);
  EXPECT_FALSE(sessions.renew_if_due(config, s->claims));
  clock.advance(1min + 1s);  // less than half of 15 min left
  auto renewed = sessions.renew_if_due(config, s->claims);
  ASSERT_TRUE(renewed);
  EXPECT_NE(renewed->token, s->token);
  EXPECT_EQ(renewed->claims.expires_at, clock.now() + 15min);  // the clock is on whole seconds
  clock.advance(10min);
  EXPECT_FALSE(sessions.verify(config, s->token));
  EXPECT_TRUE(sessions.verify(config, renewed->token));
}

TEST_F(SessionTest, RenewalsNeverPassTheAbsoluteLifetime) {
  SessionManager m(std::string(32, 'k'), clock,
                   SessionOptions{.lifetime = 15min, .absolute_lifetime = 1h});
  auto s = m.issue(config, "olga", App::scada);
  ASSERT_TRUE(s);
  auto current = *s;
  int renewals = 0;
  for (int i = 0; i < 20; ++i) {  // a browser using the session every 8 minutes
    clock.advance(8min);
    if (!m.verify(config, current.token)) break;
    if (auto fresh = m.renew_if_due(config, current.claims)) {
      EXPECT_LE(fresh->claims.expires_at, s->claims.issued_at + 1h);
      EXPECT_EQ(fresh->claims.authenticated_at, s->claims.authenticated_at);
      current = std::move(*fresh);
      ++renewals;
    }
  }
  EXPECT_GE(renewals, 3);
  EXPECT_LE(clock.now() - s->claims.issued_at, 1h + 8min);
  auto v = m.verify(config, current.token);
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, "session_expired");
  // A fresh login starts a new absolute lifetime.
  EXPECT_TRUE(m.verify(config, m.issue(config, "olga", App::scada)->token));
}

TEST_F(SessionTest, ConfigurableLifetime) {
  SessionManager short_lived(std::string(32, 'k'), clock, SessionOptions{60s});
  auto s = short_lived.issue(config, "olga", App::scada);
  ASSERT_TRUE(s);
  clock.advance(61s);
  EXPECT_FALSE(short_lived.verify(config, s->token));
}

TEST(SessionTokenTransport, Extraction) {
  EXPECT_EQ(bearer_token("Bearer abc.def.ghi"), "abc.def.ghi");
  EXPECT_EQ(bearer_token("bearer   abc "), "abc");
  EXPECT_FALSE(bearer_token("Basic dXNlcjpwdw=="));
  EXPECT_FALSE(bearer_token("Bearer"));
  EXPECT_FALSE(bearer_token("Bearerabc"));
  EXPECT_EQ(cookie_value("theme=dark; weir_session=tok.en; x=1", "weir_session"), "tok.en");
  EXPECT_EQ(cookie_value("weir_session=\"q\"", "weir_session"), "q");
  EXPECT_FALSE(cookie_value("my_weir_session=a", "weir_session"));
  EXPECT_FALSE(cookie_value("weir_session=", "weir_session"));
  EXPECT_EQ(extract_session_token("Bearer from-header", "weir_session=from-cookie"), "from-header");
  EXPECT_EQ(extract_session_token("", "weir_session=from-cookie"), "from-cookie");
  EXPECT_FALSE(extract_session_token("", ""));
}

TEST(SessionTokenTransport, CookieFlags) {
  auto c = session_cookie("a.b.c", std::chrono::seconds(900), false);
  EXPECT_EQ(c, "weir_session=a.b.c; Path=/; Max-Age=900; HttpOnly; SameSite=Strict");
  auto tls = session_cookie("a.b.c", std::chrono::seconds(900), true);
  EXPECT_NE(tls.find("; Secure"), std::string::npos);
  auto gone = expired_session_cookie(true);
  EXPECT_EQ(gone, "weir_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict; Secure");
}

class SessionSecretTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = std::filesystem::temp_directory_path() /
          ("weir_secret_" + std::to_string(::getpid()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir);
  }
  void TearDown() override { std::filesystem::remove_all(dir); }
  std::filesystem::path dir;
};

TEST_F(SessionSecretTest, CreatedWithMode0600ThenReused) {
  auto a = load_or_create_session_secret(dir / "data");
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_TRUE(a->created);
  EXPECT_EQ(a->key.size(), 32u);
  struct stat st {};
  ASSERT_EQ(::stat((dir / "data" / "jwt_secret").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto b = load_or_create_session_secret(dir / "data");
  ASSERT_TRUE(b);
  EXPECT_FALSE(b->created);
  EXPECT_EQ(b->key, a->key);
  EXPECT_FALSE(b->warning);
}

TEST_F(SessionSecretTest, WidePermissionsAreTightenedWithAWarning) {
  ASSERT_TRUE(load_or_create_session_secret(dir));
  auto path = dir / "jwt_secret";
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  auto r = load_or_create_session_secret(dir);
  ASSERT_TRUE(r);
  ASSERT_TRUE(r->warning);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(SessionSecretTest, GarbageIsRefused) {
  std::filesystem::create_directories(dir);
  { std::ofstream(dir / "jwt_secret") << "tooshort\n"; }
  ::chmod((dir / "jwt_secret").c_str(), 0600);
  auto r = load_or_create_session_secret(dir);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("jwt_secret"), std::string::npos);
}

}  // namespace
}  // namespace weir::security

#include "security/http_session.hpp"

namespace weir::security {
namespace {

TEST_F(SessionTest, FromAnHttpRequest) {
  HttpRequest req;
  auto none = authenticate_request(req, sessions, config);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, "no_session");

  auto s = sessions.issue(config, "erik", App::config_editor);
  ASSERT_TRUE(s);
  req.headers.emplace_back("cookie", "theme=dark; weir_session=" + s->token);
  auto v = authenticate_request(req, sessions, config);
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->principal.username, "erik");
  EXPECT_EQ(v->principal.app, App::config_editor);

  req.headers.clear();
  req.headers.emplace_back("authorization", "Bearer " + s->token);
  EXPECT_TRUE(authenticate_request(req, sessions, config));

  req.secure = true;
  EXPECT_NE(set_cookie_for(*s, req).find("; Secure"), std::string::npos);
  EXPECT_NE(set_cookie_for(*s, req).find("Max-Age=900"), std::string::npos);
}

}  // namespace
}  // namespace weir::security
