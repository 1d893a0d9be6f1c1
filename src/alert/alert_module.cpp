#include "alert/alert_module.hpp"

#include "alert/alert_book.hpp"
#include "api/system_routes.hpp"
#include "api/user_action.hpp"
#include "command/command_service.hpp"

namespace weir::alert {

struct AlertSettings {
  std::uint32_t keep = 256;
};
BOOST_DESCRIBE_STRUCT(AlertSettings, (), (keep))

struct AlertDto {
  std::uint64_t id = 0;
  std::string source;
  std::string message;
  std::string type;
  std::optional<std::string> command_datapoint;
  boost::json::value command_value;
  std::string created;
  std::string expires;
  AlertState state = AlertState::open;
  std::optional<std::string> answered_by;
  std::optional<std::string> answered_time;
  std::optional<std::string> command_id;
};
BOOST_DESCRIBE_STRUCT(AlertDto, (),
                      (id, source, message, type, command_datapoint, command_value, created,
                       expires, state, answered_by, answered_time, command_id))
struct AlertList {
  std::vector<AlertDto> items;
};
BOOST_DESCRIBE_STRUCT(AlertList, (), (items))
struct AlertFeedback {
  bool confirm = false;
};
BOOST_DESCRIBE_STRUCT(AlertFeedback, (), (confirm))

namespace {

constexpr std::uint64_t kFeedKeys = 4096;  // feed keys: id modulo this (dense, bounded)

AlertDto to_dto(const Alert& a) {
  AlertDto d;
  d.id = a.id;
  d.source = a.source;
  d.message = a.message;
  d.type = a.type;
  if (!a.command_datapoint.empty()) d.command_datapoint = a.command_datapoint;
  d.command_value = model::to_json(a.command_value);
  d.created = to_iso8601(a.created);
  d.expires = to_iso8601(a.expires);
  d.state = a.state;
  if (!a.answered_by.empty()) d.answered_by = a.answered_by;
  if (a.answered_at) d.answered_time = to_iso8601(*a.answered_at);
  if (!a.command_id.empty()) d.command_id = a.command_id;
  return d;
}

using api::RequestContext;

class AlertModule final : public module::ModuleWith<AlertSettings> {
 public:
  AlertModule(module::ModuleHost& host, const AlertSettings& s) : host_(host), book_(s.keep) {
    requests_ = host_.bus.subscribe<model::AlertRequest>([this](const model::AlertRequest& r) {
      const Alert& a = book_.add(r);
      host_.hub.mark(feed_, a.id % kFeedKeys);
    });
    feed_ = host_.hub.add_feed({"alert", "view",
                                [this](std::string& out) {
                                  bool first = true;
                                  for (const auto& a : book_.recent()) {
                                    if (a.state != AlertState::open) continue;
                                    if (!first) out.push_back(',');
                                    first = false;
                                    json::dump_to(out, json::to_json(to_dto(a)));
                                  }
                                },
                                [this](std::uint64_t key, std::string& out) {
                                  // The newest alert with this key.
                                  const Alert* found = nullptr;
                                  for (const auto& a : book_.recent())
                                    if (a.id % kFeedKeys == key) found = &a;
                                  if (!found)
                                    out += "null";
                                  else
                                    json::dump_to(out, json::to_json(to_dto(*found)));
                                }});
    add_routes();
  }

  static Result<std::unique_ptr<AlertModule>> create(module::ModuleHost& host,
                                                     const config::SystemConfig&,
                                                     const AlertSettings& s) {
    return std::make_unique<AlertModule>(host, s);
  }
  static void check(const module::ModuleRegistry&, const config::SystemConfig&,
                    const AlertSettings& s, const std::string& path,
                    std::vector<config::ConfigIssue>& issues) {
    if (s.keep < 1 || s.keep > 4096)
      issues.push_back({"system_config.json", path + ".keep", "must be between 1 and 4096", true});
  }
  Status apply(const config::SystemConfig&, const AlertSettings&) override { return {}; }

  void tick() override {
    for (auto id : book_.expire(host_.clock.now())) host_.hub.mark(feed_, id % kFeedKeys);
  }
  void metrics(std::string& out) const override {
    api::metric(out, "weir_alerts_open", "gauge", "Alerts shown to operators, not yet closed",
                static_cast<double>(book_.open_count()));
  }

 private:
  void add_routes();

  module::ModuleHost& host_;
  AlertBook book_;
  api::LiveFeedHub::FeedId feed_ = 0;
  bus::Subscription requests_;
};

void AlertModule::add_routes() {
  using api::dto_response;
  using api::error_response;
  host_.router.add(
      {"GET",
       "/api/alerts",
       "view",
       false,
       "alerts",
       "Recent alerts (at most `keep`, open ones kept longest), oldest first",
       {},
       api::schema_of<AlertList>(),
       "application/json",
       200,
       {{"state", "only alerts in this state: open, confirmed, cancelled, expired"}},
       {400},
       [this](const RequestContext& ctx) {
         std::optional<AlertState> only;
         if (auto s = ctx.request.query_param("state"); !s.empty()) {
           AlertState st{};
           if (!json::enum_from_name(s, st))
             return error_response(bad_request(
                 "bad_state", "state: expected open, confirmed, cancelled or expired", "state"));
           only = st;
         }
         AlertList out;
         for (const auto& a : book_.recent())
           if (!only || a.state == *only) out.items.push_back(to_dto(a));
         return dto_response(200, out);
       }});
  host_.router.add(
      {"POST",
       "/api/alerts/{id}/feedback",
       "alert_feedback",
       false,
       "alerts",
       "Answer a confirm_cancel alert, once for everyone: confirm sends its command (as the "
       "answering user), cancel closes it",
       api::schema_of<AlertFeedback>(),
       api::schema_of<AlertDto>(),
       "application/json",
       200,
       {},
       {400, 404, 409, 422},
       [this](const RequestContext& ctx) {
         const std::string_view raw = ctx.param("id");
         std::uint64_t id = 0;
         for (char c : raw) {
           if (c < '0' || c > '9' || id > 1'000'000'000'000ull)
             return error_response(not_found("unknown_alert", "no alert " + std::string(raw)));
           id = id * 10 + static_cast<std::uint64_t>(c - '0');
         }
         auto body = api::parse_body<AlertFeedback>(ctx.request);
         if (!body) return error_response(body.error());
         const std::string target = "alert " + std::to_string(id);
         auto a = book_.answer(id, body->confirm, ctx.caller.user, host_.clock.now());
         if (!a) {
           api::publish_user_action(host_.bus, host_.clock, ctx, "alert_feedback", target, false,
                                    a.error().message);
           return error_response(a.error());
         }
         Alert& alert = **a;
         if (body->confirm && !alert.command_datapoint.empty()) {
           auto* commands = host_.services.find<command::CommandService>();
           Result<model::CommandFeedback> fb =
               commands
                   ? commands->send(alert.command_datapoint, alert.command_value, ctx.caller.user)
                   : Result<model::CommandFeedback>(Error::make(
                         ErrorKind::unavailable, "no_commands", "no command module runs"));
           api::publish_user_action(
               host_.bus, host_.clock, ctx, "command", alert.command_datapoint, fb.has_value(),
               fb ? std::string(json::enum_name(fb->status)) + " " + model::to_display(fb->value)
                  : fb.error().message);
           if (!fb) {
             book_.reopen(id);
             api::publish_user_action(host_.bus, host_.clock, ctx, "alert_feedback", target, false,
                                      "confirm: " + fb.error().message);
             return error_response(fb.error());
           }
           alert.command_id = fb->command_id;
         }
         api::publish_user_action(host_.bus, host_.clock, ctx, "alert_feedback", target, true,
                                  body->confirm ? "confirmed" : "cancelled");
         host_.hub.mark(feed_, id % kFeedKeys);
         return dto_response(200, to_dto(alert));
       }});
}

}  // namespace
}  // namespace weir::alert

void weir_register_alert_module(weir::module::ModuleRegistry& registry) {
  registry.add(weir::module::module_type<weir::alert::AlertModule>(
      "alert", "Alerts popping up in operators' browsers, answered once for everyone",
      {"datapoint", "command"}));
}
