// libFuzzer target: the security configuration as PUT /api/security/config and
// /api/security/config/validate receive it. A configuration that parses must validate and save
// back to text that parses to the same.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "security/security_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace weir::security;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = parse_security_config(text, "request body");
  if (!parsed) {
    if (parsed.error().message.empty()) std::abort();  // every refusal says why
    return 0;
  }
  if (!validate_security_config(*parsed)) std::abort();
  const auto saved = serialize_security_config(*parsed);
  auto again = parse_security_config(saved, "request body");
  if (!again || serialize_security_config(*again) != saved) std::abort();
  return 0;
}
