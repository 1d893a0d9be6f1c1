#pragma once
// /api/health (public), /metrics (Prometheus text format), /api/openapi.json (public: docs).
#include <functional>
#include <memory>

#include "api/dto.hpp"
#include "api/router.hpp"
#include "core/clock.hpp"

namespace weir::api {

// Appends Prometheus exposition lines ("# HELP", "# TYPE", samples).
using MetricsWriter = std::function<void(std::string& out)>;

struct SystemInfo {
  std::string version;
  const Clock* clock = nullptr;
  MonoTime started{};
  std::function<void(Health&)> health;  // the running modules fill in their part
  MetricsWriter metrics;                // every module's metrics, and the HTTP edge's
  const Router* router = nullptr;       // for the OpenAPI document
};

void add_system_routes(Router& router, SystemInfo info);

// Helpers for writers.
void metric(std::string& out, std::string_view name, std::string_view type, std::string_view help,
            double value, std::string_view labels = {});

}  // namespace weir::api
