#include "api/router.hpp"

#include <gtest/gtest.h>

namespace weir::api {
namespace {

struct Body {
  int n = 0;
};
BOOST_DESCRIBE_STRUCT(Body, (), (n))

// Grants "view" to token "viewer" and everything to "admin".
struct FakeAccess : AccessControl {
  Result<Caller> authorize(const HttpRequest& req, std::string_view perm) override {
    auto auth = req.header("authorization");
    if (auth == "Bearer admin") return Caller{"admin", req.remote_address, {"view", "edit"}, {}};
    if (auth == "Bearer viewer") {
      Caller c{"viewer", req.remote_address, {"view"}, {}};
      if (!perm.empty() && !c.can(perm))
        return Error::make(ErrorKind::forbidden, "forbidden", "needs " + std::string(perm));
      return c;
    }
    return Error::make(ErrorKind::unauthorized, "unauthorized", "no session");
  }
};

HttpRequest req(std::string method, std::string path, std::string token = {},
                std::string body = {}) {
  HttpRequest r;
  r.method = std::move(method);
  r.path = r.target = std::move(path);
  if (!token.empty()) r.headers.emplace_back("authorization", "Bearer " + token);
  if (!body.empty()) r.headers.emplace_back("content-type", "application/json");
  r.body = std::move(body);
  return r;
}

Router make() {
  Router r(std::make_shared<FakeAccess>());
  r.add({"GET",
         "/api/things/{id}",
         "view",
         false,
         "things",
         "One thing",
         {},
         {},
         "application/json",
         200,
         {},
         {404},
         [](const RequestContext& c) {
           return HttpResponse::json(200, "{\"id\":\"" + std::string(c.param("id")) + "\"}");
         }});
  r.add({"POST",
         "/api/things",
         "edit",
         false,
         "things",
         "Make",
         schema_of<Body>(),
         schema_of<Body>(),
         "application/json",
         201,
         {},
         {400},
         [](const RequestContext& c) {
           auto b = parse_body<Body>(c.request);
           if (!b) return error_response(b.error());
           return dto_response(201, *b);
         }});
  r.add({"GET",
         "/api/open",
         "",
         true,
         "x",
         "Public",
         {},
         {},
         "application/json",
         200,
         {},
         {},
         [](const RequestContext&) { return HttpResponse::json(200, "{}"); }});
  return r;
}

TEST(Router, DispatchesWithParams) {
  auto r = make();
  auto resp = r.handle(req("GET", "/api/things/WaterTank@TANK", "viewer"));
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(resp.body, R"({"id":"WaterTank@TANK"})");
}

TEST(Router, JsonBodiesOnlyAsApplicationJson) {
  auto r = make();
  auto plain = req("POST", "/api/things", "admin", R"({"n":1})");
  plain.headers.back().second = "text/plain";
  EXPECT_EQ(r.handle(plain).status, 415);
  plain.headers.back().second = "Application/JSON; charset=utf-8";
  EXPECT_EQ(r.handle(plain).status, 201);
}

TEST(Router, EnforcesSessionAndPermission) {
  auto r = make();
  EXPECT_EQ(r.handle(req("GET", "/api/things/x")).status, 401);
  EXPECT_EQ(r.handle(req("POST", "/api/things", "viewer", R"({"n":1})")).status, 403);
  EXPECT_EQ(r.handle(req("POST", "/api/things", "admin", R"({"n":1})")).status, 201);
  EXPECT_EQ(r.handle(req("GET", "/api/open")).status, 200);
}

TEST(Router, ErrorsHaveTheSpecShape) {
  auto r = make();
  auto resp = r.handle(req("POST", "/api/things", "admin", R"({"n":"x"})"));
  EXPECT_EQ(resp.status, 400);
  EXPECT_NE(resp.body.find(R"("field":"n")"), std::string::npos) << resp.body;
  EXPECT_EQ(r.handle(req("GET", "/api/nothing", "admin")).status, 404);
  EXPECT_EQ(r.handle(req("DELETE", "/api/things/1", "admin")).status, 400);
}

TEST(Router, OpenApiStatesPermissions) {
  auto r = make();
  auto doc = r.openapi("1.0");
  EXPECT_EQ(doc.at("openapi").as_string(), "3.1.0");
  const auto& op = doc.at("paths").at("/api/things").at("post").as_object();
  EXPECT_EQ(op.at("x-weir-permission").as_string(), "edit");
  EXPECT_TRUE(op.at("responses").as_object().contains("403"));
  EXPECT_EQ(
      op.at("requestBody").at("content").at("application/json").at("schema").at("$ref").as_string(),
      "#/components/schemas/Body");
  EXPECT_EQ(doc.at("paths").at("/api/open").at("get").at("x-weir-permission").as_string(),
            "public");
  EXPECT_TRUE(doc.at("components").at("schemas").as_object().contains("ErrorBody"));
}

// A handler that adds routes while it runs (the table grows, its storage moves) still runs on
// intact state: the router calls a copy of the handler, not the one inside the moving table. The
// handler's captures (two pointers) fit std::function's own storage, so they live inside the
// table: without the copy, ASan reports them read after the table's old storage was freed.
TEST(Router, HandlerMayAddRoutesWhileItRuns) {
  Router r(std::make_shared<FakeAccess>());
  const std::string greeting(64, 'x');
  r.add({"GET",
         "/api/grow",
         "view",
         false,
         "things",
         "Adds routes",
         {},
         {},
         "application/json",
         200,
         {},
         {},
         [router = &r, text = &greeting](const RequestContext&) {
           for (int i = 0; i < 100; ++i)
             router->add({"GET",
                          "/api/added/" + std::to_string(i),
                          "view",
                          false,
                          "things",
                          "Added",
                          {},
                          {},
                          "application/json",
                          200,
                          {},
                          {},
                          [](const RequestContext&) { return HttpResponse::json(200, "{}"); }});
           // Reads the captures after the table moved.
           return HttpResponse::json(200, "{\"g\":\"" + *text + "\",\"n\":" +
                                              std::to_string(router->routes().size()) + "}");
         }});
  auto resp = r.handle(req("GET", "/api/grow", "viewer"));
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(resp.body, "{\"g\":\"" + greeting + "\",\"n\":101}");
  EXPECT_EQ(r.routes().size(), 101u);
  EXPECT_EQ(r.handle(req("GET", "/api/added/99", "viewer")).status, 200);
}

}  // namespace
}  // namespace weir::api
