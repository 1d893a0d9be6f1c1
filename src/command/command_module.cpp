#include "command/command_module.hpp"

#include <algorithm>

#include "api/system_routes.hpp"
#include "api/user_action.hpp"
#include "datapoint/datapoint_service.hpp"

namespace weir::command {

using api::RequestContext;

api::CommandFeedbackDto to_dto(const datapoint::Registry& reg, const model::CommandFeedback& fb) {
  api::CommandFeedbackDto d;
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

namespace {

class CommandModule final : public module::ModuleWith<CommandSettings> {
 public:
  CommandModule(module::ModuleHost& host, const CommandSettings& s)
      : host_(host),
        values_(host.services.get<datapoint::DatapointService>()),
        service_(values_.registry_ptr(), host.bus, host.clock,
                 std::chrono::milliseconds(s.timeout_ms)) {
    host_.services.provide<CommandService>(service_);
    add_routes();
    feed_ =
        host_.hub.add_feed({"command", "view",
                            [this](std::string& out) {
                              bool first = true;
                              for (const auto& fb : service_.all_latest()) {
                                if (!first) out.push_back(',');
                                first = false;
                                json::dump_to(out, json::to_json(to_dto(service_.registry(), fb)));
                              }
                            },
                            [this](std::uint64_t key, std::string& out) {
                              const auto* fb =
                                  service_.latest(static_cast<model::DatapointIndex>(key));
                              if (!fb)
                                out += "null";
                              else
                                json::dump_to(out, json::to_json(to_dto(service_.registry(), *fb)));
                            }});
    feedback_ = host_.bus.subscribe<model::CommandFeedback>(
        [this](const model::CommandFeedback& f) { host_.hub.mark(feed_, f.index); });
  }
  ~CommandModule() override { host_.services.withdraw<CommandService>(); }

  static Result<std::unique_ptr<CommandModule>> create(module::ModuleHost& host,
                                                       const config::SystemConfig&,
                                                       const CommandSettings& s) {
    return std::make_unique<CommandModule>(host, s);
  }
  static void check(const module::ModuleRegistry&, const config::SystemConfig&,
                    const CommandSettings& s, const std::string& path,
                    std::vector<config::ConfigIssue>& issues) {
    if (s.timeout_ms < 100 || s.timeout_ms > 600'000)
      issues.push_back({"system_config.json", path + ".timeout_ms",
                        "must be between 100 and 600000 (ms)", true});
  }

  // The datapoint module reloads first: its registry is the new one.
  Status apply(const config::SystemConfig&, const CommandSettings& s) override {
    service_.set_timeout(std::chrono::milliseconds(s.timeout_ms));
    service_.rebind(values_.registry_ptr());
    return {};
  }
  void tick() override { service_.tick(); }
  void metrics(std::string& out) const override {
    api::metric(out, "weir_commands_pending", "gauge", "Commands waiting for their driver's answer",
                static_cast<double>(service_.pending_count()));
  }

 private:
  void add_routes();

  module::ModuleHost& host_;
  datapoint::DatapointService& values_;
  CommandService service_;
  api::LiveFeedHub::FeedId feed_ = 0;
  bus::Subscription feedback_;
};

void CommandModule::add_routes() {
  using api::dto_response;
  using api::error_response;
  using api::schema_of;
  host_.router.add({"POST",
                    "/api/commands",
                    "send_command",
                    false,
                    "commands",
                    "Send a command; answers with its first feedback (pending, or ok/nok when the "
                    "driver answered at once)",
                    schema_of<api::CommandRequest>(),
                    schema_of<api::CommandFeedbackDto>(),
                    "application/json",
                    202,
                    {},
                    {400, 404, 409, 422},
                    [this](const RequestContext& ctx) {
                      auto body = api::parse_body<api::CommandRequest>(ctx.request);
                      if (!body) return error_response(body.error());
                      auto fb = service_.send(body->datapoint, model::value_from_json(body->value),
                                              ctx.caller.user, body->command_id.value_or(""));
                      api::publish_user_action(host_.bus, host_.clock, ctx, "command",
                                               body->datapoint, fb.has_value(),
                                               fb ? std::string(json::enum_name(fb->status)) + " " +
                                                        model::to_display(fb->value)
                                                  : fb.error().message,
                                               fb ? fb->command_id : std::string());
                      if (!fb) return error_response(fb.error());
                      return dto_response(202, to_dto(service_.registry(), *fb));
                    }});

  host_.router.add({"GET",
                    "/api/commands",
                    "view",
                    false,
                    "commands",
                    "Latest feedback of every command datapoint",
                    {},
                    schema_of<api::CommandFeedbackList>(),
                    "application/json",
                    200,
                    {},
                    {},
                    [this](const RequestContext&) {
                      api::CommandFeedbackList out;
                      for (const auto& fb : service_.all_latest())
                        out.items.push_back(to_dto(service_.registry(), fb));
                      std::sort(
                          out.items.begin(), out.items.end(),
                          [](const auto& x, const auto& y) { return x.datapoint < y.datapoint; });
                      return dto_response(200, out);
                    }});

  host_.router.add(
      {"GET",
       "/api/commands/{command_id}",
       "view",
       false,
       "commands",
       "Feedback of one command by its id",
       {},
       schema_of<api::CommandFeedbackDto>(),
       "application/json",
       200,
       {},
       {404},
       [this](const RequestContext& ctx) {
         const auto* fb = service_.by_id(std::string(ctx.param("command_id")));
         if (!fb)
           return error_response(not_found(
               "unknown_command", "no command \"" + std::string(ctx.param("command_id")) + "\""));
         return dto_response(200, to_dto(service_.registry(), *fb));
       }});
}

}  // namespace

}  // namespace weir::command

void weir_register_command_module(weir::module::ModuleRegistry& registry) {
  registry.add(weir::module::module_type<weir::command::CommandModule>(
      "command", "Commands: validation, dispatch to drivers, feedback and timeouts", {"datapoint"},
      true));
}
