#include "net/message_conversion.hpp"

#include <gtest/gtest.h>

#include "net/error_body.hpp"

namespace http = boost::beast::http;
using namespace weir::net;

TEST(MessageConversion, RequestHeadersAreLowerCased) {
  RequestMessage req{http::verb::post, "/api/x?a=1", 11};
  req.set("X-Custom-Thing", "v");
  req.set(http::field::content_type, "application/json");
  req.body() = "{}";
  auto target = parse_request_target(req.target());
  ASSERT_TRUE(target);
  auto r = to_http_request(req, std::move(*target), "10.0.0.1", true);
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path, "/api/x");
  EXPECT_EQ(r.query_param("a"), "1");
  EXPECT_EQ(r.header("x-custom-thing"), "v");
  EXPECT_EQ(r.header("content-type"), "application/json");
  EXPECT_EQ(r.body, "{}");
  EXPECT_EQ(r.remote_address, "10.0.0.1");
  EXPECT_TRUE(r.secure);
}

TEST(MessageConversion, ResponsePolicy) {
  auto res = weir::HttpResponse::json(201, "{\"ok\":true}");
  res.headers.emplace_back("Set-Cookie", "a=1");
  res.headers.emplace_back("Set-Cookie", "b=2");
  res.headers.emplace_back("Content-Length", "999");         // framing is ours
  res.headers.emplace_back("X-Evil", "a\r\nInjected: yes");  // never split a response
  ResponseContext ctx;
  ctx.api = true;
  ctx.secure = true;
  auto out = to_beast_response(std::move(res), ctx);
  EXPECT_EQ(out.result_int(), 201u);
  EXPECT_EQ(out[http::field::content_length], "11");
  EXPECT_EQ(out.count(http::field::set_cookie), 2u);
  EXPECT_EQ(out.count("X-Evil"), 0u);
  EXPECT_EQ(out[http::field::cache_control], "no-store");
  EXPECT_EQ(out["X-Frame-Options"], "DENY");
  EXPECT_EQ(out["X-Content-Type-Options"], "nosniff");
  EXPECT_EQ(out["Referrer-Policy"], "no-referrer");
  EXPECT_NE(out["Content-Security-Policy"].find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_EQ(out["Strict-Transport-Security"], "max-age=31536000");
}

TEST(MessageConversion, HeadKeepsLengthDropsBody) {
  ResponseContext ctx;
  ctx.head = true;
  auto out = to_beast_response(weir::HttpResponse::text(200, "hello"), ctx);
  EXPECT_EQ(out[http::field::content_length], "5");
  EXPECT_TRUE(out.body().empty());
  EXPECT_EQ(out.count("Strict-Transport-Security"), 0u);
  EXPECT_EQ(out.count(http::field::cache_control), 0u);
}

TEST(MessageConversion, HandlerMayOverrideSecurityHeader) {
  auto res = weir::HttpResponse::text(200, "docs");
  res.headers.emplace_back("Content-Security-Policy", "default-src 'self' 'unsafe-inline'");
  auto out = to_beast_response(std::move(res), ResponseContext{});
  EXPECT_EQ(out.count("Content-Security-Policy"), 1u);
  EXPECT_EQ(out["Content-Security-Policy"], "default-src 'self' 'unsafe-inline'");
}

TEST(MessageConversion, SubprotocolOffer) {
  EXPECT_TRUE(offers_subprotocol("mqtt", "mqtt"));
  EXPECT_TRUE(offers_subprotocol("mqttv3.1, mqtt", "mqtt"));
  EXPECT_FALSE(offers_subprotocol("mqttv3.1", "mqtt"));
  EXPECT_FALSE(offers_subprotocol("", "mqtt"));
}

TEST(ErrorBody, Shape) {
  EXPECT_EQ(error_body("too_large", "request body exceeds 1048576 bytes"),
            R"({"error":{"code":"too_large","message":"request body exceeds 1048576 bytes"}})");
}
