// The schedule module: modules[schedule].config.schedules[] fire their actions at their cron
// times (never at boot, at most once per time, across clock steps and reloads), commands through
// the command service as user "schedule:<id>". GET /api/schedules lists them with last and next
// run; an operator may disable and enable one (kept across restarts in the data directory).
#include <spdlog/spdlog.h>

#include <filesystem>

#include "api/system_routes.hpp"
#include "api/user_action.hpp"
#include "command/command_service.hpp"
#include "config/system_config.hpp"
#include "datapoint/datapoint_service.hpp"
#include "module/module_registry.hpp"
#include "schedule/schedule_book.hpp"

namespace weir::schedule {

struct ScheduleDto {
  std::string schedule_id;
  std::string cron;
  std::string time_zone;
  bool enabled = true;
  std::optional<std::string> last_run;
  std::optional<std::string> next_run;
  std::uint64_t fires = 0;  // since start (or the schedule's last change)
  std::vector<std::string> actions;
};
BOOST_DESCRIBE_STRUCT(ScheduleDto, (),
                      (schedule_id, cron, time_zone, enabled, last_run, next_run, fires, actions))
struct ScheduleList {
  std::vector<ScheduleDto> items;
};
BOOST_DESCRIBE_STRUCT(ScheduleList, (), (items))

// What survives a restart: the schedules an operator disabled.
struct ScheduleState {
  std::vector<std::string> disabled;
};
BOOST_DESCRIBE_STRUCT(ScheduleState, (), (disabled))

namespace {

std::string iso(std::chrono::sys_seconds t) {
  return to_iso8601(WallTime{std::chrono::duration_cast<WallTime::duration>(t.time_since_epoch())});
}

class ScheduleModule final : public module::ModuleWith<ScheduleSettings> {
 public:
  ScheduleModule(module::ModuleHost& host, const ScheduleSettings& s)
      : host_(host),
        values_(host.services.get<datapoint::DatapointService>()),
        settings_(s),
        state_file_((std::filesystem::path(host.options.data_dir) / "schedules.json").string()) {}

  static Result<std::unique_ptr<ScheduleModule>> create(module::ModuleHost& host,
                                                        const config::SystemConfig&,
                                                        const ScheduleSettings& s) {
    auto m = std::make_unique<ScheduleModule>(host, s);
    m->load_state();
    if (auto st = m->compile(s); !st) return st.error();
    m->add_routes();
    return m;
  }

  static void check(const module::ModuleRegistry&, const config::SystemConfig& config,
                    const ScheduleSettings& s, const std::string& path,
                    std::vector<config::ConfigIssue>& issues) {
    auto registry = datapoint::Registry::build(config);
    (void)compile_schedules(s, *registry, path, issues);
  }

  Status apply(const config::SystemConfig&, const ScheduleSettings& s) override {
    settings_ = s;
    return compile(s);
  }

  void tick() override {
    for (const auto& due : book_.tick(host_.clock.now())) run(*due.entry, due.fire);
  }

  void metrics(std::string& out) const override {
    api::metric(out, "weir_schedules", "gauge", "Schedules configured",
                static_cast<double>(book_.entries().size()));
    api::metric(out, "weir_schedules_disabled", "gauge", "Schedules disabled by an operator",
                static_cast<double>(book_.disabled().size()));
    api::metric(out, "weir_schedule_fires_total", "counter", "Schedule times fired",
                static_cast<double>(fires_));
    api::metric(out, "weir_schedule_actions_failed_total", "counter",
                "Schedule actions refused (a command the command service refused)",
                static_cast<double>(failed_));
  }

 private:
  Status compile(const ScheduleSettings& s) {
    std::vector<config::ConfigIssue> issues;
    auto compiled = compile_schedules(s, values_.registry(), "modules[schedule].config", issues);
    if (!issues.empty()) {
      std::string text;
      for (const auto& i : issues) text += i.to_string() + "\n";
      return bad_request("bad_schedules", text);
    }
    auto disabled = book_.entries().empty() ? disabled_at_start_ : book_.disabled();
    book_ = ScheduleBook(std::move(compiled), host_.clock.now(), &book_, disabled);
    return {};
  }

  void run(const ScheduleBook::Entry& e, const Fire& fire) {
    ++fires_;
    const std::string user = "schedule:" + e.schedule.id;
    const auto late = std::chrono::duration_cast<std::chrono::seconds>(
        host_.clock.now() - WallTime{std::chrono::duration_cast<WallTime::duration>(
                                fire.scheduled.time_since_epoch())});
    if (fire.first_due != fire.scheduled || late > std::chrono::minutes(1))
      spdlog::warn("schedule {}: the time {} fires {} s late{} (the clock stepped or stalled)",
                   e.schedule.id, iso(fire.scheduled), late.count(),
                   fire.first_due != fire.scheduled ? ", once for several times" : "");
    else
      spdlog::info("schedule {}: {} ({})", e.schedule.id, iso(fire.scheduled),
                   e.schedule.cron.text());
    for (const auto& a : e.schedule.actions) {
      if (const auto* c = std::get_if<expression::SendCommand>(&a)) {
        auto* commands = host_.services.find<command::CommandService>();
        if (!commands) {
          ++failed_;
          continue;
        }
        auto fb = commands->send(c->datapoint, c->value, user);
        if (!fb) {
          ++failed_;
          spdlog::warn("schedule {}: command {} refused: {}", e.schedule.id, c->datapoint,
                       fb.error().message);
        }
        host_.bus.publish(model::UserAction{
            user, "", "command", c->datapoint, fb.has_value(),
            fb ? std::string(json::enum_name(fb->status)) + " " + model::to_display(fb->value)
               : fb.error().message,
            host_.clock.now()});
      } else if (const auto* al = std::get_if<expression::ClientAlert>(&a)) {
        host_.bus.publish(model::AlertRequest{user, al->message, al->type,
                                              al->command_datapoint.value_or(""), al->command_value,
                                              al->timeout_s, host_.clock.now()});
      }
    }
  }

  void load_state() {
    if (!std::filesystem::exists(state_file_)) return;
    auto text = config::read_text_file(state_file_, 1 << 20);
    if (!text) return;
    auto j = json::parse(*text);
    ScheduleState st;
    if (!j || !json::from_json(*j, st)) {
      spdlog::warn("schedule: {} unreadable; every schedule starts enabled", state_file_);
      return;
    }
    disabled_at_start_.insert(st.disabled.begin(), st.disabled.end());
  }

  Status save_state() {
    ScheduleState st;
    for (const auto& id : book_.disabled()) st.disabled.push_back(id);
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(state_file_).parent_path(), ec);
    return config::write_file_atomically(state_file_, json::dump(json::to_json(st)), 0);
  }

  ScheduleDto dto(const ScheduleBook::Entry& e) const {
    ScheduleDto d;
    d.schedule_id = e.schedule.id;
    d.cron = e.schedule.cron.text();
    d.time_zone = e.schedule.zone.name();
    d.enabled = e.enabled;
    if (auto t = e.clock.last_run()) d.last_run = iso(*t);
    if (auto t = e.clock.next_run()) d.next_run = iso(*t);
    d.fires = e.fires;
    for (const auto& s : settings_.schedules)
      if (s.schedule_id == e.schedule.id) d.actions = s.actions;
    return d;
  }

  void add_routes() {
    host_.router.add({"GET",
                      "/api/schedules",
                      "view",
                      false,
                      "schedules",
                      "Every schedule with its cron, time zone, whether it is enabled, its last "
                      "and next run (UTC) and its actions",
                      {},
                      api::schema_of<ScheduleList>(),
                      "application/json",
                      200,
                      {},
                      {},
                      [this](const api::RequestContext&) {
                        ScheduleList out;
                        for (const auto& e : book_.entries()) out.items.push_back(dto(e));
                        return api::dto_response(200, out);
                      }});
    for (const bool enable : {true, false})
      host_.router.add(
          {"POST",
           enable ? "/api/schedules/{id}/enable" : "/api/schedules/{id}/disable",
           "edit_config",
           false,
           "schedules",
           enable ? "Enable a schedule: it fires from its next time on (missed times are not "
                    "caught up)"
                  : "Disable a schedule: its times pass without firing until it is enabled "
                    "(kept across restarts)",
           {},
           api::schema_of<ScheduleDto>(),
           "application/json",
           200,
           {},
           {404, 500},
           [this, enable](const api::RequestContext& ctx) {
             const std::string id(ctx.param("id"));
             if (!book_.set_enabled(id, enable))
               return api::error_response(Error::make(ErrorKind::not_found, "unknown_schedule",
                                                      "no schedule \"" + id + "\"", "id"));
             auto st = save_state();
             api::publish_user_action(host_.bus, host_.clock, ctx, "schedule_control", id,
                                      st.has_value(),
                                      std::string(enable ? "enable" : "disable") +
                                          (st ? "" : ": " + st.error().message));
             if (!st) return api::error_response(st.error());
             return api::dto_response(200, dto(*book_.find(id)));
           }});
  }

  module::ModuleHost& host_;
  datapoint::DatapointService& values_;
  ScheduleSettings settings_;
  std::string state_file_;
  std::set<std::string> disabled_at_start_;
  ScheduleBook book_;
  std::uint64_t fires_ = 0;
  std::uint64_t failed_ = 0;
};

}  // namespace
}  // namespace weir::schedule

void weir_register_schedule_module(weir::module::ModuleRegistry& registry) {
  registry.add(weir::module::module_type<weir::schedule::ScheduleModule>(
      "schedule", "Schedules: actions (commands, alerts) at cron times in a time zone",
      {"datapoint", "command"}));
}
