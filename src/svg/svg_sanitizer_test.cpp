#include "svg/svg_sanitizer.hpp"

#include <gtest/gtest.h>

namespace weir::svg {
namespace {

std::string clean(std::string_view in) {
  auto r = sanitize_svg(in);
  EXPECT_TRUE(r) << (r ? "" : r.error().message);
  return r ? r->text : std::string();
}

std::string error_of(std::string_view in, const SvgLimits& limits = {}) {
  auto r = sanitize_svg(in, limits);
  EXPECT_FALSE(r);
  return r ? std::string() : r.error().message;
}

TEST(SvgSanitizer, KeepsDrawingAndDropsScriptEventsAndForeignObjects) {
  const auto out = clean(
      R"svg(<?xml version="1.0"?><!-- made by hand --><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)" width="10">)svg"
      R"svg(<script>alert(2)</script><rect id="r" x="1" onclick='x()' fill="red"/>)svg"
      R"svg(<foreignObject><div xmlns="http://www.w3.org/1999/xhtml">hi</div></foreignObject>)svg"
      R"svg(<a href="https://evil.example/"><text>click</text></a><text x="1">A &amp; B &#65;</text></svg>)svg");
  EXPECT_EQ(
      out,
      R"svg(<svg xmlns="http://www.w3.org/2000/svg" width="10"><rect id="r" x="1" fill="red"/>)svg"
      R"svg(<text x="1">A &amp; B A</text></svg>)svg");
}

TEST(SvgSanitizer, ExternalReferencesGoLocalOnesAndEmbeddedImagesStay) {
  const auto out = clean(
      R"svg(<svg><use xlink:href="#tank"/><use href="http://x/y.svg#a"/>)svg"
      R"svg(<image href="data:image/png;base64,AAAA"/><image xlink:href="data:text/html;base64,AAAA"/>)svg"
      R"svg(<image href="javascript:alert(1)"/><rect fill="url(#grad)" style="fill:url(https://x/t.png);stroke:red"/>)svg"
      R"svg(<rect style="background:url('data:image/svg+xml,x')"/><g inkscape:label="Layer" xml:base="http://x/"/></svg>)svg");
  EXPECT_EQ(
      out,
      R"svg(<svg><use xlink:href="#tank"/><use/><image href="data:image/png;base64,AAAA"/><image/>)svg"
      R"svg(<image/><rect fill="url(#grad)" style="fill:none;stroke:red"/>)svg"
      R"svg(<rect style="background:none"/><g/></svg>)svg");
}

TEST(SvgSanitizer, StyleTextLosesImportsAndRemoteUrls) {
  const auto out = clean(
      R"svg(<svg><style>@import url(http://x/a.css); .a{fill:url(#g)} .b{background:url(//x/t.png)}</style>)svg"
      R"svg(<style><![CDATA[.c{fill:blue}]]></style></svg>)svg");
  EXPECT_EQ(out, R"svg(<svg><style>/*removed*/; .a{fill:url(#g)} .b{background:none}</style>)svg"
                 R"svg(<style>.c{fill:blue}</style></svg>)svg");
}

TEST(SvgSanitizer, CollectsBindingsAndCommands) {
  auto r = sanitize_svg(
      R"svg(<svg><rect id="fill" data-datapoint="WaterTank@TANK" data-animation="fill_level"/>)svg"
      R"svg(<g id="pump" data-datapoint="WaterTank@PUMP" data-animation="toggle" )svg"
      R"svg(command-datapoint="WaterTank@PUMP_CMD" command-value="TOGGLE"/>)svg"
      R"svg(<script><rect id="hidden" data-datapoint="X@Y"/></script></svg>)svg");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->bindings.size(), 2u);
  EXPECT_EQ(r->bindings[0].element, "fill");
  EXPECT_EQ(r->bindings[0].animation, "fill_level");
  ASSERT_EQ(r->commands.size(), 1u);
  EXPECT_EQ(r->commands[0].element, "pump");
  EXPECT_EQ(r->commands[0].value, "TOGGLE");
  EXPECT_EQ(r->removed_elements, 1u);
}

TEST(SvgSanitizer, AClickableDriverIndicatorControlsItsDriver) {
  // The fixtures' connection indicators: bound to a driver's name, command-value only.
  auto r = sanitize_svg(
      R"svg(<svg><use id="conn" data-datapoint="WaterTank" data-animation="driver_connection" )svg"
      R"svg(command-value="toggle"/><use id="odd" data-datapoint="W@T" command-value="x"/></svg>)svg");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->commands.size(), 1u);
  EXPECT_EQ(r->commands[0].datapoint, "WaterTank");
  EXPECT_EQ(r->commands[0].value, "toggle");
  EXPECT_TRUE(r->commands[0].driver);
}

TEST(SvgSanitizer, BadInputIsAnErrorSayingWhereAndWhy) {
  EXPECT_EQ(error_of("<html/>"), "1:1: not an SVG: the root element is <html>");
  EXPECT_EQ(error_of("<svg>\n<g></svg>"), "2:10: </svg> does not close <g>");
  EXPECT_EQ(error_of("<svg a='1' a='2'/>"), "1:17: attribute a appears twice");
  EXPECT_EQ(error_of("<svg>&nbsp;</svg>"),
            "1:6: unknown entity &nbsp; (no DTD: only the XML five)");
  EXPECT_EQ(error_of(R"svg(<!DOCTYPE svg [<!ENTITY a "aaaa">]><svg/>)svg"),
            "1:1: a DTD internal subset (entity declarations) is not accepted");
  EXPECT_EQ(error_of("<svg><g>"), "1:9: element <g> is not closed");
  EXPECT_EQ(error_of("<svg/><svg/>"), "1:7: a second root element");
  EXPECT_EQ(error_of("<svg><!-- x"), "1:6: comment is not closed");
  EXPECT_EQ(error_of("<svg x=\"a<b\"/>"), "1:9: '<' in an attribute value");
  EXPECT_EQ(error_of("<svg>&#0;</svg>"), "1:6: character reference to an invalid code point");
}

TEST(SvgSanitizer, Bounded) {
  SvgLimits small;
  small.max_bytes = 10;
  EXPECT_EQ(error_of("<svg>            </svg>", small), "SVG is 23 bytes; the limit is 10");
  SvgLimits shallow;
  shallow.max_depth = 2;
  EXPECT_EQ(error_of("<svg><g><g/></g></svg>", shallow), "1:9: nested deeper than 2");
  SvgLimits few;
  few.max_elements = 2;
  EXPECT_EQ(error_of("<svg><g/><g/></svg>", few), "1:10: more than 2 elements");
}

TEST(SvgSanitizer, OutputIsAFixedPoint) {
  const std::string in =
      R"svg(<svg a="&quot;q&quot; &lt;"><text>1 &lt; 2 &gt; 0 "x"</text><style>.a{}</style></svg>)svg";
  const auto once = clean(in);
  EXPECT_EQ(clean(once), once);
}

}  // namespace
}  // namespace weir::svg
