#pragma once
// A strict, allow-list SVG sanitiser. The text is tokenised by a small XML reader of its own
// (elements, attributes, text, comments, CDATA, processing instructions; the five predefined
// entities and character references only: no DTD, so no entity expansion) and written back
// with only what is safe in a browser's <svg> or <img>:
//   - elements on the allow-list (shapes, text, groups, gradients, filters, ...); any other
//     element goes with everything inside it (script, foreignObject, iframe, a, animate, set,
//     Inkscape/Sodipodi metadata);
//   - no event attribute (on*), no href/xlink:href other than a local "#id" or an embedded
//     raster image (data:image/png|jpeg|gif|webp), no url(...) other than url(#id) and no
//     @import in style attributes or <style> text, nothing mentioning "javascript:";
//   - bounded: size, depth, element and attribute counts (SvgLimits).
// It also collects what Weir binds: elements with data-datapoint (+ data-animation) and
// clickable ones with command-datapoint + command-value. Bad input is an error saying where
// (line:column) and why.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace weir::svg {

struct SvgLimits {
  std::size_t max_bytes = 8u << 20;
  std::size_t max_depth = 128;
  std::size_t max_elements = 200'000;
  std::size_t max_attributes = 256;  // per element
};

struct SvgBinding {
  std::string element;    // the element's id ("" when it has none)
  std::string datapoint;  // data-datapoint
  std::string animation;  // data-animation ("" when absent)
};

struct SvgCommand {
  std::string element;
  std::string datapoint;  // command-datapoint; for a driver control: the driver (data-datapoint)
  std::string value;      // command-value ("TOGGLE"; a driver control: "toggle", "connect", ...)
  bool driver = false;    // command-value without command-datapoint on an element bound to a
                          // driver's name (a connection animation): connects/disconnects it
};

struct SanitizedSvg {
  std::string text;                    // the sanitised document
  std::vector<SvgBinding> bindings;    // in document order
  std::vector<SvgCommand> commands;    // in document order
  std::size_t removed_elements = 0;    // dropped subtrees (counted at their root)
  std::size_t removed_attributes = 0;  // dropped or emptied attributes
};

Result<SanitizedSvg> sanitize_svg(std::string_view text, const SvgLimits& limits = {});

}  // namespace weir::svg
