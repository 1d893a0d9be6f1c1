#include "demo/server/device_routes.hpp"

#include "core/json.hpp"
#include "model/messages.hpp"

namespace weir::demo {

using api::RequestContext;
using api::Route;
using api::schema_of;

namespace {

void audit(const DeviceRoutesAccess& a, const RequestContext& ctx, std::string target, bool ok,
           std::string detail) {
  if (!a.bus) return;
  a.bus->publish(model::UserAction{ctx.caller.user, ctx.request.remote_address, "device_control",
                                   std::move(target), ok, std::move(detail),
                                   a.clock ? a.clock->now() : WallTime{}});
}

Result<LogQuery> log_query(const RequestContext& ctx) {
  LogQuery q;
  q.device = std::string(ctx.param("device"));
  if (auto l = ctx.request.query_param("limit"); !l.empty()) {
    std::size_t n = 0;
    for (char c : l) {
      if (c < '0' || c > '9' || n > 100000)
        return bad_request("bad_limit", "limit: expected a number from 1 to 1000", "limit");
      n = n * 10 + static_cast<std::size_t>(c - '0');
    }
    if (n < 1 || n > 1000)
      return bad_request("bad_limit", "limit: expected a number from 1 to 1000", "limit");
    q.limit = n;
  }
  for (const char* key : {"from", "to"}) {
    auto v = ctx.request.query_param(key);
    if (v.empty()) continue;
    WallTime t;
    if (!parse_iso8601(std::string(v), t))
      return bad_request(
          "bad_time", std::string(key) + ": expected an ISO 8601 UTC time (2026-01-31T12:00:00Z)",
          key);
    (std::string_view(key) == "from" ? q.from : q.to) = t;
  }
  return q;
}

const std::vector<api::QueryParam> kLogParams = {
    {"limit", "at most this many rows, newest first (1-1000, default 100)"},
    {"from", "ISO 8601 UTC: rows at or after this time"},
    {"to", "ISO 8601 UTC: rows before this time"}};

template <class Dto, class Rows>
void add_log_route(api::Router& router, const DeviceRoutesAccess& a, const char* what,
                   const char* summary, Rows rows) {
  router.add({"GET",
              std::string("/api/devices/{device}/") + what,
              "view",
              false,
              "devices",
              summary,
              {},
              schema_of<Dto>(),
              "application/json",
              200,
              kLogParams,
              {400, 404, 503},
              [a, rows](const RequestContext& ctx) {
                if (!a.monitor->find(ctx.param("device")))
                  return api::error_response(not_found(
                      "unknown_device", "no device \"" + std::string(ctx.param("device")) + "\"",
                      "device"));
                if (!a.log)
                  return api::error_response(Error::make(ErrorKind::unavailable, "no_device_log",
                                                         "the device log is not open"));
                auto q = log_query(ctx);
                if (!q) return api::error_response(q.error());
                // Read on the log's thread; the rows come back through its Post.
                return HttpResponse::later([log = a.log, rows, q = *q](HttpResponse::Reply reply) {
                  rows(*log, q, [reply](auto r) {
                    if (!r) return reply(api::error_response(r.error()));
                    Dto out;
                    out.items = std::move(*r);
                    reply(api::dto_response(200, out));
                  });
                });
              }});
}

}  // namespace

void add_device_routes(api::Router& router, DeviceRoutesAccess a) {
  router.add({"GET",
              "/api/devices",
              "view",
              false,
              "devices",
              "The demo devices: presence, latest reading, mode and buzzer",
              {},
              schema_of<DeviceList>(),
              "application/json",
              200,
              {},
              {},
              [a](const RequestContext&) {
                DeviceList out;
                for (const auto& d : a.monitor->devices())
                  out.items.push_back(a.monitor->to_dto(d));
                return api::dto_response(200, out);
              }});
  router.add({"GET",
              "/api/devices/{device}",
              "view",
              false,
              "devices",
              "One demo device",
              {},
              schema_of<DeviceDto>(),
              "application/json",
              200,
              {},
              {404},
              [a](const RequestContext& ctx) {
                const auto* d = a.monitor->find(ctx.param("device"));
                if (!d)
                  return api::error_response(not_found(
                      "unknown_device", "no device \"" + std::string(ctx.param("device")) + "\"",
                      "device"));
                return api::dto_response(200, a.monitor->to_dto(*d));
              }});
  router.add({"POST",
              "/api/devices/{device}/{action}",
              "device_control",
              false,
              "devices",
              "Send play (override on), stop (override off) or resume (cross-linked mode) to a "
              "device: a command on {driver}@PLAY_CMD (PLAY / STOP / RESUME), which its "
              "MqttDeviceDriver publishes as \"true\" / \"false\" / \"\" to "
              "commands/{device}/play at QoS 1; its feedback follows in /api/commands",
              {},
              schema_of<DeviceActionResult>(),
              "application/json",
              200,
              {},
              {400, 404},
              [a](const RequestContext& ctx) {
                const std::string device(ctx.param("device"));
                const std::string action_text(ctx.param("action"));
                const DemoDevice* d = a.monitor->find(device);
                if (!d) {
                  audit(a, ctx, device, false, "unknown device");
                  return api::error_response(
                      not_found("unknown_device", "Unknown device \"" + device + "\"", "device"));
                }
                auto action = parse_action(action_text);
                if (!action) {
                  audit(a, ctx, device, false,
                        "unknown action \"" + action_text.substr(0, 64) + "\"");
                  return api::error_response(bad_request(
                      "unknown_action",
                      "Unknown action \"" + action_text + "\" (play, stop or resume)", "action"));
                }
                auto fb = a.monitor->send(*d, *action, ctx.caller.user);
                if (!fb) {
                  audit(a, ctx, device, false, fb.error().message);
                  return api::error_response(fb.error());
                }
                const std::string topic = "commands/" + device + "/play";
                DeviceActionResult out{
                    device,
                    action_name(*action),
                    action_payload(*action),
                    topic,
                    1,
                    std::string("Sent '") + action_name(*action) + "' command to " + device,
                    fb->command_id,
                    json::enum_name(fb->status)};
                audit(a, ctx, device, true,
                      out.action + ": \"" + out.payload + "\" to " + topic + " (" + fb->command_id +
                          " " + out.status + ")");
                return api::dto_response(200, out);
              }});
  add_log_route<ReadingLog>(
      router, a, "readings", "Logged sensor readings of a device (sensor_readings)",
      [](DeviceLog& l, const LogQuery& q, auto done) { l.readings(q, std::move(done)); });
  add_log_route<PresenceLog>(
      router, a, "presence", "Logged presence changes of a device (device_presence)",
      [](DeviceLog& l, const LogQuery& q, auto done) { l.presence_log(q, std::move(done)); });
  add_log_route<CommandLog>(
      router, a, "commands", "Logged play commands to a device (play_command_log)",
      [](DeviceLog& l, const LogQuery& q, auto done) { l.commands(q, std::move(done)); });
  add_log_route<RejectedLog>(
      router, a, "rejected", "Messages of a device that could not be used (rejected_messages)",
      [](DeviceLog& l, const LogQuery& q, auto done) { l.rejected_messages(q, std::move(done)); });
}

void add_dashboard_route(api::Router& router, DeviceRoutesAccess a) {
  router.add(
      {"POST",
       "/{action}/{device}",
       "device_control",
       false,
       "devices",
       "The demo dashboard's route, unchanged: play / stop / resume a device (plain-text answers)",
       {},
       {},
       "text/plain",
       200,
       {},
       {400},
       [a](const RequestContext& ctx) {
         const std::string device(ctx.param("device"));
         const std::string action_text(ctx.param("action"));
         const DemoDevice* d = a.monitor->find(device);
         if (!d) {
           audit(a, ctx, device, false, "unknown device");
           return HttpResponse::text(400, "Unknown device");
         }
         auto action = parse_action(action_text);
         if (!action) {
           audit(a, ctx, device, false, "unknown action \"" + action_text.substr(0, 64) + "\"");
           return HttpResponse::text(400, "Unknown action");
         }
         auto fb = a.monitor->send(*d, *action, ctx.caller.user);
         if (!fb) {
           audit(a, ctx, device, false, fb.error().message);
           return HttpResponse::text(409, fb.error().message);
         }
         audit(a, ctx, device, true,
               std::string(action_name(*action)) + ": \"" + action_payload(*action) +
                   "\" to commands/" + device + "/play (" + fb->command_id + " " +
                   json::enum_name(fb->status) + ")");
         return HttpResponse::text(
             200, std::string("Sent '") + action_name(*action) + "' command to " + device);
       }});
}

void add_asyncapi_route(api::Router& router, std::function<devices::AsyncApiServers()> servers) {
  router.add(
      {"GET",
       "/mqtt/asyncapi.json",
       "",
       true,
       "docs",
       "AsyncAPI 3.0 document of the demo's MQTT topics and payloads, with the broker's listeners",
       {},
       {},
       "application/json",
       200,
       {},
       {},
       [servers](const RequestContext&) {
         return api::json_response(200, devices::asyncapi_document(servers()));
       }});
}

}  // namespace weir::demo
