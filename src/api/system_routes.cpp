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
                auto& p = info.plant();
                h.datapoints = p.registry->size();
                for (const auto& d : p.drivers->list()) {
                  ++h.drivers_total;
                  if (d.state == model::DriverState::online) ++h.drivers_online;
                }
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
         auto& p = info.plant();
         metric(out, "weir_uptime_seconds", "gauge", "Seconds since start",
                std::chrono::duration<double>(info.clock->mono() - info.started).count());
         metric(out, "weir_datapoints", "gauge", "Configured datapoints",
                static_cast<double>(p.registry->size()));
         metric(out, "weir_datapoint_updates_accepted_total", "counter", "Raw updates accepted",
                static_cast<double>(p.datapoints->accepted()));
         out +=
             "# HELP weir_datapoint_updates_rejected_total Raw updates rejected, by reason\n"
             "# TYPE weir_datapoint_updates_rejected_total counter\n";
         for (auto r : {datapoint::Rejection::unknown_datapoint, datapoint::Rejection::config_error,
                        datapoint::Rejection::wrong_type, datapoint::Rejection::out_of_range,
                        datapoint::Rejection::not_in_enum, datapoint::Rejection::stale,
                        datapoint::Rejection::too_long})
           metric(out, "weir_datapoint_updates_rejected_total", "", "",
                  static_cast<double>(p.datapoints->rejected(r)),
                  fmt::format("reason=\"{}\"", datapoint::to_string(r)));
         out +=
             "# HELP weir_driver_online Driver connection state (1 online)\n# TYPE "
             "weir_driver_online gauge\n";
         for (const auto& d : p.drivers->list())
           metric(out, "weir_driver_online", "", "", d.state == model::DriverState::online ? 1 : 0,
                  fmt::format("driver=\"{}\"", d.name));
         if (info.metrics)
           for (const auto& w : *info.metrics) w(out);
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
