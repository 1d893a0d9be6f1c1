// libFuzzer target: system_config.json as the config editor sends it (and as a reload reads it).
// A refusal lists at least one error; an accepted file has none.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "config/system_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto r = weir::config::parse_system_config(text);
  bool any_error = false;
  for (const auto& i : r.issues) any_error = any_error || i.error;
  if (r.ok() == any_error) std::abort();
  return 0;
}
