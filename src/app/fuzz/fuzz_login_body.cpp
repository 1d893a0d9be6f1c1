// libFuzzer target: the body of POST /api/auth/login and POST /api/auth/password, as the routes
// decode them (described structs from network JSON). Whatever decodes must be within the bounds
// the routes then check, and must encode back to something that decodes to the same.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/json.hpp"
#include "security/login.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace weir;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto b = json::decode<security::LoginBody>(text)) {
    auto again = json::decode<security::LoginBody>(json::dump(json::to_json(*b)));
    if (!again || again->username != b->username || again->password != b->password ||
        again->app != b->app)
      std::abort();
  }
  if (auto b = json::decode<security::OwnPasswordBody>(text)) {
    auto again = json::decode<security::OwnPasswordBody>(json::dump(json::to_json(*b)));
    if (!again || again->new_password != b->new_password) std::abort();
  }
  return 0;
}
