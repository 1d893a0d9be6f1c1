// libFuzzer target: the SVG sanitiser. Whatever it accepts comes out as a fixed point (sanitising
// the output again gives the same text) with no script, event attribute or remote reference;
// whatever it refuses says why.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "svg/svg_sanitizer.hpp"

namespace {

std::string lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  weir::svg::SvgLimits limits;
  limits.max_bytes = 1 << 20;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  auto once = weir::svg::sanitize_svg(in, limits);
  if (!once) {
    if (once.error().message.empty()) std::abort();
    return 0;
  }
  auto twice = weir::svg::sanitize_svg(once->text, limits);
  if (!twice || twice->text != once->text) {
    std::fprintf(stderr, "not a fixed point:\n%s\n%s\n", once->text.c_str(),
                 twice ? twice->text.c_str() : twice.error().message.c_str());
    std::abort();
  }
  // Inside every tag of the output (values escape '<' and '>', so tags are plain to find):
  // no event attribute, no script URL, references only to "#id" or an embedded image.
  const auto low = lower(once->text);
  for (std::size_t lt = low.find('<'); lt != std::string::npos; lt = low.find('<', lt + 1)) {
    const auto tag = std::string_view(low).substr(lt, low.find('>', lt) - lt);
    const char* bad = nullptr;
    if (tag.starts_with("<script") || tag.starts_with("<foreignobject")) bad = "element";
    if (tag.find(" on") != std::string_view::npos) bad = "event attribute";
    if (tag.find("javascript:") != std::string_view::npos) bad = "script URL";
    for (auto at = tag.find("href=\""); at != std::string_view::npos;
         at = tag.find("href=\"", at + 1))
      if (tag.substr(at + 6, 1) != "#" && !tag.substr(at + 6).starts_with("data:image/"))
        bad = "href";
    for (auto at = tag.find("url("); at != std::string_view::npos; at = tag.find("url(", at + 1))
      if (tag.substr(at + 4, 1) != "#") bad = "url(";
    if (bad) {
      std::fprintf(stderr, "%s left in:\n%s\n", bad, once->text.c_str());
      std::abort();
    }
  }
  return 0;
}
