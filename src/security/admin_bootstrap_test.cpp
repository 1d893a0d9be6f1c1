#include "security/admin_bootstrap.hpp"

#include <gtest/gtest.h>

#include "security/password.hpp"

namespace weir::security {
namespace {

TEST(AdminBootstrap, FreshConfigGetsAnAdminWithARandomPassword) {
  SecurityConfig c;
  auto r = ensure_admin(c, std::nullopt);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->created);
  ASSERT_TRUE(r->generated_password);
  EXPECT_EQ(r->generated_password->size(), 20u);
  const auto* admin = find_user(c, "admin");
  ASSERT_NE(admin, nullptr);
  EXPECT_TRUE(verify_password(*r->generated_password, admin->password_hash).ok);
  EXPECT_EQ(permissions_of(c, *admin), PermissionSet::all());
  EXPECT_EQ(admin->allowed_apps.size(), 3u);
  EXPECT_TRUE(validate_security_config(c));

  // Second start: nothing changes.
  auto again = ensure_admin(c, std::nullopt);
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->created);
  EXPECT_FALSE(again->generated_password);
}

TEST(AdminBootstrap, PasswordFromEnvironmentIsValidated) {
  SecurityConfig c;
  auto weak = ensure_admin(c, std::string_view("admin"));
  ASSERT_FALSE(weak);
  EXPECT_EQ(weak.error().code, "weak_password");
  EXPECT_NE(weak.error().message.find("WEIR_ADMIN_PASSWORD"), std::string::npos);
  EXPECT_TRUE(c.users.empty());

  auto r = ensure_admin(c, std::string_view("Plant-Boss-2024"));
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->created);
  EXPECT_FALSE(r->generated_password);
  EXPECT_TRUE(verify_password("Plant-Boss-2024", find_user(c, "admin")->password_hash).ok);
}

TEST(AdminBootstrap, ExistingAdministratorIsLeftAlone) {
  SecurityConfig c;
  c.groups.push_back(Group{"sec", {"security_editor_access"}});
  c.users.push_back(User{"root", legacy_sha256_hex("x"), {"sec"}, {"security_editor"}});
  auto r = ensure_admin(c, std::nullopt);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->created);
  EXPECT_EQ(c.users.size(), 1u);
}

TEST(AdminBootstrap, ExistingAdminUserWithoutRightsIsPromoted) {
  SecurityConfig c;
  c.groups.push_back(Group{"ops", {"view"}});
  c.users.push_back(User{"admin", legacy_sha256_hex("admin"), {"ops"}, {"scada"}});
  auto r = ensure_admin(c, std::nullopt);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->created);
  const auto* admin = find_user(c, "admin");
  EXPECT_FALSE(verify_password("admin", admin->password_hash).ok);  // old password gone
  EXPECT_TRUE(permissions_of(c, *admin).has(Permission::edit_security));
}

}  // namespace
}  // namespace weir::security
