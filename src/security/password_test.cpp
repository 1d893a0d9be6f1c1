#include "security/password.hpp"

#include <gtest/gtest.h>

#include "security/account_password.hpp"

namespace weir::security {
namespace {

TEST(Password, Argon2idRoundTrip) {
  auto h = hash_password("Correct-Horse-9");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->rfind("$argon2id$", 0), 0u);
  EXPECT_EQ(classify_hash(*h), HashKind::argon2id);
  auto ok = verify_password("Correct-Horse-9", *h);
  EXPECT_TRUE(ok.ok);
  EXPECT_FALSE(ok.upgraded_hash);
  EXPECT_FALSE(verify_password("correct-horse-9", *h).ok);
  EXPECT_FALSE(needs_rehash(*h));
  auto h2 = hash_password("Correct-Horse-9");
  ASSERT_TRUE(h2);
  EXPECT_NE(*h, *h2);  // salted
}

TEST(Password, LegacySha256VerifiesOnceAndIsUpgraded) {
  const std::string legacy = "8c6976e5b5410415bde908bd4dee15dfb167a9c873fc4bb8a81f6f2ab448a918";
  EXPECT_EQ(legacy_sha256_hex("admin"), legacy);
  EXPECT_EQ(classify_hash(legacy), HashKind::legacy_sha256);
  EXPECT_TRUE(needs_rehash(legacy));
  auto v = verify_password("admin", legacy);
  ASSERT_TRUE(v.ok);
  ASSERT_TRUE(v.upgraded_hash);
  EXPECT_EQ(classify_hash(*v.upgraded_hash), HashKind::argon2id);
  EXPECT_TRUE(verify_password("admin", *v.upgraded_hash).ok);
  EXPECT_FALSE(verify_password("admin2", legacy).ok);
  EXPECT_FALSE(verify_password("admin2", legacy).upgraded_hash);
  // upper-case hex verifies too
  std::string upper = legacy;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_TRUE(verify_password("admin", upper).ok);
}

TEST(Password, EmptyOrUnknownHashNeverVerifies) {
  EXPECT_FALSE(verify_password("", "").ok);
  EXPECT_FALSE(verify_password("anything", "").ok);
  EXPECT_FALSE(verify_password("x", "$2b$10$abcdefghijklmnopqrstuv").ok);
  EXPECT_EQ(classify_hash("$2b$10$abc"), HashKind::unknown);
  EXPECT_EQ(classify_hash(std::string(64, 'z')), HashKind::unknown);
}

TEST(Password, Rules) {
  EXPECT_TRUE(check_password_rules("olga", "Tank-level-42"));
  auto short_pw = check_password_rules("olga", "Ab1-short");
  ASSERT_FALSE(short_pw);
  EXPECT_EQ(short_pw.error().code, "weak_password");
  EXPECT_NE(short_pw.error().message.find("at least 10"), std::string::npos);
  EXPECT_FALSE(check_password_rules("olga", "abcdefghijkl"));       // one class
  EXPECT_FALSE(check_password_rules("olga", "123456789012"));       // one class
  EXPECT_FALSE(check_password_rules("operator1", "Operator1"));     // too short anyway
  EXPECT_FALSE(check_password_rules("operator", "my-OPERATOR-9"));  // contains the username
  EXPECT_FALSE(check_password_rules("u", "Password123"));           // notorious
  EXPECT_FALSE(check_password_rules("u", std::string(2000, 'a') + "B"));
  EXPECT_FALSE(check_password_rules("u", "Tab\there-1234"));
}

TEST(Password, GeneratedPasswordsPassTheRules) {
  for (int i = 0; i < 20; ++i) {
    auto pw = generate_password();
    EXPECT_EQ(pw.size(), 20u);
    EXPECT_TRUE(check_password_rules("admin", pw)) << pw;
  }
  EXPECT_NE(generate_password(), generate_password());
}

TEST(Password, SetUserAndDevicePassword) {
  SecurityConfig c;
  c.users.push_back(User{"olga", "", {}, {}});
  c.mqtt = MqttSecurity{};
  c.mqtt->devices.push_back(MqttDevice{"esp32", "", {}, {}});
  EXPECT_FALSE(set_user_password(c, "olga", "short"));
  EXPECT_EQ(c.users[0].password_hash, "");
  ASSERT_TRUE(set_user_password(c, "olga", "Tank-level-42"));
  EXPECT_TRUE(verify_password("Tank-level-42", c.users[0].password_hash).ok);
  EXPECT_EQ(set_user_password(c, "ghost", "Tank-level-42").error().code, "unknown_user");
  ASSERT_TRUE(set_device_password(c, "esp32", "Buzzer-Melody-7"));
  EXPECT_TRUE(verify_password("Buzzer-Melody-7", c.mqtt->devices[0].password_hash).ok);
}

}  // namespace
}  // namespace weir::security
