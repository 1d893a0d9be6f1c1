#pragma once
// The demo's HTTP routes (SPEC §7, §9):
//   GET  /api/devices                              view            every device, live
//   GET  /api/devices/{device}                     view
//   POST /api/devices/{device}/{action}            device_control  play / stop / resume (JSON)
//   GET  /api/devices/{device}/readings?limit=&from=&to=   view    sensor_readings, newest first
//   GET  /api/devices/{device}/presence?...        view            device_presence
//   GET  /api/devices/{device}/commands?...        view            play_command_log
//   GET  /api/devices/{device}/rejected?...        view            rejected_messages
//   POST /{action}/{device}                        device_control  the seed's dashboard route,
//        unchanged: text/plain "Sent 'play' command to esp32" | 400 "Unknown device" | 400 "Unknown
//        action"
//   GET  /mqtt/asyncapi.json                       public          the AsyncAPI 3 document
// Every control action (accepted or refused) is published as model::UserAction "device_control"
// on the bus, which the security gateway audits.
#include <functional>

#include "api/router.hpp"
#include "bus/bus.hpp"
#include "demo/server/device_log.hpp"
#include "demo/server/device_monitor.hpp"
#include "demo/shared/asyncapi.hpp"

namespace weir::demo {

struct DeviceRoutesAccess {
  DeviceMonitor* monitor = nullptr;
  DeviceLog* log = nullptr;  // null: the log routes answer 503
  bus::Bus* bus = nullptr;
  const Clock* clock = nullptr;
};

void add_device_routes(api::Router& router, DeviceRoutesAccess access);

// POST /{action}/{device}. Its pattern matches any two-segment POST path, so add it after every
// other route (the router takes the first route whose path and method match).
void add_dashboard_route(api::Router& router, DeviceRoutesAccess access);

// GET /mqtt/asyncapi.json; servers() is called per request (the listeners' bound ports).
void add_asyncapi_route(api::Router& router, std::function<devices::AsyncApiServers()> servers);

}  // namespace weir::demo
