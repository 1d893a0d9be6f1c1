#include "api/plant_routes.hpp"

namespace weir::api {

using boost::json::object;

DatapointDto to_dto(const datapoint::DatapointInfo& info, const datapoint::DatapointState& s) {
  DatapointDto d;
  d.id = info.id;
  d.driver = info.driver;
  d.tag = info.tag;
  d.type = info.type_name;
  d.value = model::to_json(s.value);
  d.quality = s.quality;
  d.reason = s.reason;
  d.source_time = s.source_time == WallTime{} ? "" : to_iso8601(s.source_time);
  d.server_time = to_iso8601(s.server_time);
  d.command = info.is_command;
  if (info.type && !info.type->unit.empty()) d.unit = info.type->unit;
  return d;
}

CommandFeedbackDto to_dto(const datapoint::Registry& reg, const model::CommandFeedback& fb) {
  CommandFeedbackDto d;
  d.command_id = fb.command_id;
  d.datapoint = fb.index < reg.size() ? reg.info(fb.index).id : "";
  d.value = model::to_json(fb.value);
  d.status = fb.status;
  d.reason = fb.reason;
  d.detail = fb.detail;
  d.time = to_iso8601(fb.time);
  d.user = fb.user;
  return d;
}

DriverDto to_dto(const communication::DriverInfo& d) {
  return DriverDto{d.name,
                   d.driver_class,
                   d.state,
                   d.enabled,
                   d.available,
                   d.detail,
                   to_iso8601(d.since),
                   d.reconnect_attempts,
                   d.datapoints};
}

namespace {

void audit(const PlantAccess& a, const RequestContext& ctx, std::string action, std::string target,
           bool ok, std::string detail) {
  if (!a.bus) return;
  a.bus->publish(model::UserAction{ctx.caller.user, ctx.request.remote_address, std::move(action),
                                   std::move(target), ok, std::move(detail),
                                   a.clock ? a.clock->now() : WallTime{}});
}

}  // namespace

void add_plant_routes(Router& router, PlantAccess a) {
  router.add({"GET",
              "/api/datapoints",
              "view",
              false,
              "datapoints",
              "List datapoints with their live value and quality",
              {},
              schema_of<DatapointList>(),
              "application/json",
              200,
              {{"driver", "only this driver's datapoints"},
               {"q", "substring of the id"},
               {"quality", "good, uncertain or bad"},
               {"command", "true: command datapoints only; false: no command datapoints"}},
              {},
              [a](const RequestContext& ctx) {
                auto& p = a.plant();
                auto driver = ctx.request.query_param("driver");
                auto q = ctx.request.query_param("q");
                auto quality = ctx.request.query_param("quality");
                auto command = ctx.request.query_param("command");
                DatapointList out;
                for (std::size_t i = 0; i < p.registry->size(); ++i) {
                  const auto& info = p.registry->info(static_cast<model::DatapointIndex>(i));
                  const auto& st = p.datapoints->state(static_cast<model::DatapointIndex>(i));
                  if (!driver.empty() && info.driver != driver) continue;
                  if (!q.empty() && info.id.find(q) == std::string::npos) continue;
                  if (!quality.empty() && quality != json::enum_name(st.quality)) continue;
                  if (command == "true" && !info.is_command) continue;
                  if (command == "false" && info.is_command) continue;
                  out.items.push_back(to_dto(info, st));
                }
                out.count = out.items.size();
                return dto_response(200, out);
              }});

  router.add({"GET",
              "/api/datapoints/{id}",
              "view",
              false,
              "datapoints",
              "One datapoint",
              {},
              schema_of<DatapointDto>(),
              "application/json",
              200,
              {},
              {404},
              [a](const RequestContext& ctx) {
                auto& p = a.plant();
                auto idx = p.registry->find(ctx.param("id"));
                if (!idx) return error_response(idx.error());
                return dto_response(200, to_dto(p.registry->info(*idx), p.datapoints->state(*idx)));
              }});

  router.add(
      {"POST",
       "/api/datapoints/{id}/value",
       "write_datapoint",
       false,
       "datapoints",
       "Write a value by hand (manual override); validated against the datapoint's type and range",
       schema_of<DatapointWrite>(),
       schema_of<DatapointDto>(),
       "application/json",
       200,
       {},
       {400, 404, 422},
       [a](const RequestContext& ctx) {
         auto& p = a.plant();
         auto idx = p.registry->find(ctx.param("id"));
         if (!idx) return error_response(idx.error());
         auto body = parse_body<DatapointWrite>(ctx.request);
         if (!body) return error_response(body.error());
         model::RawTagUpdate u;
         u.index = *idx;
         u.value = model::value_from_json(body->value);
         u.quality = model::Quality::good;
         u.reason = model::QualityReason::manual_override;
         u.origin = "api";
         std::string why;
         auto r = p.datapoints->apply(u, &why);
         const std::string id(ctx.param("id"));
         audit(a, ctx, "write_datapoint", id, r == datapoint::Rejection::none, why);
         if (r != datapoint::Rejection::none)
           return error_response(unprocessable(datapoint::to_string(r), why, "value"));
         return dto_response(200, to_dto(p.registry->info(*idx), p.datapoints->state(*idx)));
       }});

  router.add({"POST",
              "/api/commands",
              "send_command",
              false,
              "commands",
              "Send a command; answers with its first feedback (pending, or ok/nok when the driver "
              "answered at once)",
              schema_of<CommandRequest>(),
              schema_of<CommandFeedbackDto>(),
              "application/json",
              202,
              {},
              {400, 404, 409, 422},
              [a](const RequestContext& ctx) {
                auto& p = a.plant();
                auto body = parse_body<CommandRequest>(ctx.request);
                if (!body) return error_response(body.error());
                auto fb = p.commands->send(body->datapoint, model::value_from_json(body->value),
                                           ctx.caller.user, body->command_id.value_or(""));
                audit(a, ctx, "command", body->datapoint, fb.has_value(),
                      fb ? std::string(json::enum_name(fb->status)) + " " +
                               model::to_display(fb->value)
                         : fb.error().message);
                if (!fb) return error_response(fb.error());
                return dto_response(202, to_dto(*p.registry, *fb));
              }});

  router.add({"GET",
              "/api/commands",
              "view",
              false,
              "commands",
              "Latest feedback of every command datapoint",
              {},
              schema_of<CommandFeedbackList>(),
              "application/json",
              200,
              {},
              {},
              [a](const RequestContext&) {
                auto& p = a.plant();
                CommandFeedbackList out;
                for (const auto& fb : p.commands->all_latest())
                  out.items.push_back(to_dto(*p.registry, fb));
                std::sort(out.items.begin(), out.items.end(),
                          [](const auto& x, const auto& y) { return x.datapoint < y.datapoint; });
                return dto_response(200, out);
              }});

  router.add({"GET",
              "/api/commands/{command_id}",
              "view",
              false,
              "commands",
              "Feedback of one command by its id",
              {},
              schema_of<CommandFeedbackDto>(),
              "application/json",
              200,
              {},
              {404},
              [a](const RequestContext& ctx) {
                auto& p = a.plant();
                const auto* fb = p.commands->by_id(std::string(ctx.param("command_id")));
                if (!fb)
                  return error_response(
                      not_found("unknown_command",
                                "no command \"" + std::string(ctx.param("command_id")) + "\""));
                return dto_response(200, to_dto(*p.registry, *fb));
              }});

  router.add({"GET",
              "/api/drivers",
              "view",
              false,
              "drivers",
              "Drivers and their connection status",
              {},
              schema_of<DriverList>(),
              "application/json",
              200,
              {},
              {},
              [a](const RequestContext&) {
                DriverList out;
                for (const auto& d : a.plant().drivers->list()) out.items.push_back(to_dto(d));
                return dto_response(200, out);
              }});

  router.add({"GET",
              "/api/drivers/{name}",
              "view",
              false,
              "drivers",
              "One driver",
              {},
              schema_of<DriverDto>(),
              "application/json",
              200,
              {},
              {404},
              [a](const RequestContext& ctx) {
                const auto* d = a.plant().drivers->find(ctx.param("name"));
                if (!d)
                  return error_response(
                      not_found("unknown_driver",
                                "unknown driver \"" + std::string(ctx.param("name")) + "\""));
                return dto_response(200, to_dto(*d));
              }});

  for (auto action : {model::DriverAction::connect, model::DriverAction::disconnect,
                      model::DriverAction::toggle}) {
    const std::string verb = json::enum_name(action);
    router.add({"POST",
                "/api/drivers/{name}/" + verb,
                "control_driver",
                false,
                "drivers",
                verb == "toggle"
                    ? "Connect the driver if offline, else disconnect it"
                    : (verb == "connect"
                           ? "Connect the driver (and re-enable automatic reconnection)"
                           : "Disconnect the driver (no automatic reconnection until connected)"),
                {},
                schema_of<DriverDto>(),
                "application/json",
                200,
                {},
                {404, 409},
                [a, action, verb](const RequestContext& ctx) {
                  auto& p = a.plant();
                  const std::string name(ctx.param("name"));
                  auto st = p.drivers->control(name, action);
                  audit(a, ctx, "driver_control", name, st.has_value(),
                        st ? verb : st.error().message);
                  if (!st) return error_response(st.error());
                  return dto_response(200, to_dto(*p.drivers->find(name)));
                }});
  }

  router.add({"POST",
              "/api/config/reload",
              "edit_config",
              false,
              "config",
              "Re-read system_config.json and apply it without a restart; a bad file changes "
              "nothing and is reported",
              {},
              schema_of<ReloadResult>(),
              "application/json",
              200,
              {},
              {422},
              [a](const RequestContext& ctx) {
                auto r = a.reload();
                audit(a, ctx, "config_reload", "system_config.json", r.applied,
                      r.applied ? "applied" : "refused");
                return dto_response(r.applied ? 200 : 422, r);
              }});
}

}  // namespace weir::api
