#include "api/system_routes.hpp"

#include <fmt/format.h>

#include "api/dto.hpp"

namespace weir::api {

void metric(std::string& out, std::string_view name, std::string_view type, std::string_view help,
            double value, std::string_view labels) {
  if (!help.empty())
    fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  if (labels.empty())
    fmt::format_to(std::back_inserter(out), "{} {}\n", name, value);
  else
    fmt::format_to(std::back_inserter(out), "{}{{{}}} {}\n", name, labels, value);
}

void add_system_routes(Router& router, SystemInfo info) {
  router.add({"GET",
              "/api/health",
              "",
              true,
              "system",
              "Liveness and a one-line summary (public)",
              {},
              schema_of<Health>(),
              "application/json",
              200,
              {},
              {},
              [info](const RequestContext&) {
                Health h;
                h.status = "ok";
                h.version = info.version;
                h.uptime_s =
                    std::chrono::duration<double>(info.clock->mono() - info.started).count();
                if (info.health) info.health(h);
                return dto_response(200, h);
              }});

  router.add(
      {"GET",
       "/metrics",
       "view",
       false,
       "system",
       "Prometheus metrics (text exposition format)",
       {},
       {},
       "text/plain; version=0.0.4",
       200,
       {},
       {},
       [info](const RequestContext&) {
         std::string out;
         out.reserve(4096);
         metric(out, "weir_uptime_seconds", "gauge", "Seconds since start",
                std::chrono::duration<double>(info.clock->mono() - info.started).count());
         if (info.metrics) info.metrics(out);
         return HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8", std::move(out), {}};
       }});

  auto cache = std::make_shared<std::string>();
  router.add({"GET",
              "/api/openapi.json",
              "",
              true,
              "system",
              "This OpenAPI 3.1 document (public)",
              {},
              {},
              "application/json",
              200,
              {},
              {},
              [info, cache](const RequestContext&) {
                if (cache->empty()) *cache = json::dump(info.router->openapi(info.version));
                return HttpResponse::json(200, *cache);
              }});
}

}  // namespace weir::api
