// The datapoint module as a plug-in: the registry built from drivers[] and dp_types, the
// DatapointService (provided to the other modules), REST routes under /api/datapoints and the
// live feed "datapoint" (key: datapoint index). A reload rebuilds the registry and keeps every
// value whose datapoint still exists with the same type.
#include "datapoint/datapoint_module.hpp"

#include <fmt/format.h>

#include "api/system_routes.hpp"
#include "api/user_action.hpp"

namespace weir::datapoint {

using api::RequestContext;

api::DatapointDto to_dto(const DatapointInfo& info, const DatapointState& s) {
  api::DatapointDto d;
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

void append_datapoint_update(std::string& out, const DatapointInfo& info, const DatapointState& s) {
  out += R"({"id":)";
  json::append_escaped(out, info.id);
  out += R"(,"value":)";
  model::append_json(out, s.value);
  out += R"(,"quality":")";
  out += json::enum_name(s.quality);
  out += R"(","reason":")";
  out += json::enum_name(s.reason);
  out += R"(","source_time":")";
  if (s.source_time != WallTime{}) out += to_iso8601(s.source_time);
  out += R"(","server_time":")";
  out += to_iso8601(s.server_time);
  out += "\"}";
}

namespace {

class DatapointModule final : public module::ModuleWith<module::NoSettings> {
 public:
  explicit DatapointModule(module::ModuleHost& host, const config::SystemConfig& cfg)
      : host_(host), service_(Registry::build(cfg), host.bus, host.clock) {
    host_.services.provide<DatapointService>(service_);
    add_routes();
    feed_ = host_.hub.add_feed(
        {"datapoint", "view",
         [this](std::string& out) {
           const auto& reg = service_.registry();
           for (std::size_t i = 0; i < reg.size(); ++i) {
             if (i) out.push_back(',');
             const auto idx = static_cast<model::DatapointIndex>(i);
             json::dump_to(out, json::to_json(to_dto(reg.info(idx), service_.state(idx))));
           }
         },
         [this](std::uint64_t key, std::string& out) {
           const auto& reg = service_.registry();
           if (key >= reg.size()) {
             out += "null";
             return;
           }
           const auto i = static_cast<model::DatapointIndex>(key);
           append_datapoint_update(out, reg.info(i), service_.state(i));
         }});
    tags_ = host_.bus.subscribe<model::TagUpdate>(
        [this](const model::TagUpdate& u) { host_.hub.mark(feed_, u.index); });
  }
  ~DatapointModule() override { host_.services.withdraw<DatapointService>(); }

  static Result<std::unique_ptr<DatapointModule>> create(module::ModuleHost& host,
                                                         const config::SystemConfig& cfg,
                                                         const Settings&) {
    return std::make_unique<DatapointModule>(host, cfg);
  }

  Status apply(const config::SystemConfig& cfg, const Settings&) override {
    service_.rebind(Registry::build(cfg));
    return {};
  }

  void metrics(std::string& out) const override {
    api::metric(out, "weir_datapoints", "gauge", "Configured datapoints",
                static_cast<double>(service_.registry().size()));
    api::metric(out, "weir_datapoint_updates_accepted_total", "counter", "Raw updates accepted",
                static_cast<double>(service_.accepted()));
    out +=
        "# HELP weir_datapoint_updates_rejected_total Raw updates rejected, by reason\n"
        "# TYPE weir_datapoint_updates_rejected_total counter\n";
    for (auto r :
         {Rejection::unknown_datapoint, Rejection::config_error, Rejection::wrong_type,
          Rejection::out_of_range, Rejection::not_in_enum, Rejection::stale, Rejection::too_long})
      api::metric(out, "weir_datapoint_updates_rejected_total", "", "",
                  static_cast<double>(service_.rejected(r)),
                  fmt::format("reason=\"{}\"", to_string(r)));
  }
  void health(api::Health& h) const override { h.datapoints = service_.registry().size(); }

 private:
  void add_routes();

  module::ModuleHost& host_;
  DatapointService service_;
  api::LiveFeedHub::FeedId feed_ = 0;
  bus::Subscription tags_;
};

void DatapointModule::add_routes() {
  using api::dto_response;
  using api::error_response;
  using api::schema_of;
  host_.router.add({"GET",
                    "/api/datapoints",
                    "view",
                    false,
                    "datapoints",
                    "List datapoints with their live value and quality",
                    {},
                    schema_of<api::DatapointList>(),
                    "application/json",
                    200,
                    {{"driver", "only this driver's datapoints"},
                     {"q", "substring of the id"},
                     {"quality", "good, uncertain or bad"},
                     {"command", "true: command datapoints only; false: no command datapoints"}},
                    {},
                    [this](const RequestContext& ctx) {
                      const auto& reg = service_.registry();
                      auto driver = ctx.request.query_param("driver");
                      auto q = ctx.request.query_param("q");
                      auto quality = ctx.request.query_param("quality");
                      auto command = ctx.request.query_param("command");
                      api::DatapointList out;
                      for (std::size_t i = 0; i < reg.size(); ++i) {
                        const auto& info = reg.info(static_cast<model::DatapointIndex>(i));
                        const auto& st = service_.state(static_cast<model::DatapointIndex>(i));
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

  host_.router.add({"GET",
                    "/api/datapoints/{id}",
                    "view",
                    false,
                    "datapoints",
                    "One datapoint",
                    {},
                    schema_of<api::DatapointDto>(),
                    "application/json",
                    200,
                    {},
                    {404},
                    [this](const RequestContext& ctx) {
                      const auto& reg = service_.registry();
                      auto idx = reg.find(ctx.param("id"));
                      if (!idx) return error_response(idx.error());
                      return dto_response(200, to_dto(reg.info(*idx), service_.state(*idx)));
                    }});

  host_.router.add(
      {"POST",
       "/api/datapoints/{id}/value",
       "write_datapoint",
       false,
       "datapoints",
       "Write a value by hand (manual override); validated against the datapoint's type and range",
       schema_of<api::DatapointWrite>(),
       schema_of<api::DatapointDto>(),
       "application/json",
       200,
       {},
       {400, 404, 422},
       [this](const RequestContext& ctx) {
         const auto& reg = service_.registry();
         auto idx = reg.find(ctx.param("id"));
         if (!idx) return error_response(idx.error());
         auto body = api::parse_body<api::DatapointWrite>(ctx.request);
         if (!body) return error_response(body.error());
         model::RawTagUpdate u;
         u.index = *idx;
         u.value = model::value_from_json(body->value);
         u.quality = model::Quality::good;
         u.reason = model::QualityReason::manual_override;
         u.origin = "api";
         std::string why;
         auto r = service_.apply(u, &why);
         api::publish_user_action(host_.bus, host_.clock, ctx, "write_datapoint",
                                  std::string(ctx.param("id")), r == Rejection::none, why);
         if (r != Rejection::none) return error_response(unprocessable(to_string(r), why, "value"));
         return dto_response(200, to_dto(reg.info(*idx), service_.state(*idx)));
       }});
}

}  // namespace

}  // namespace weir::datapoint

void weir_register_datapoint_module(weir::module::ModuleRegistry& registry) {
  registry.add(weir::module::module_type<weir::datapoint::DatapointModule>(
      "datapoint", "Datapoints: values, quality and timestamps of every tag", {}, true));
}
