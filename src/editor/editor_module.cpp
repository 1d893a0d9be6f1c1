// The editors' server side as a plug-in (registered as "editor"; always runs): the config editor
// (system_config.json versions, save, dry run, diff, revert), SVG layout uploads, the expression
// check, and the security editor (security_config.json versions, users, catalogue, topic check)
// on the security module's gateway. Settings: modules[] {"name": "editor", "config": {...}}.
#include <spdlog/spdlog.h>

#include "datapoint/datapoint_service.hpp"
#include "editor/config_editor.hpp"
#include "editor/editor_http.hpp"
#include "editor/expression_check.hpp"
#include "editor/security_editor.hpp"
#include "editor/svg_editor.hpp"
#include "module/module_registry.hpp"
#include "rule/datapoint_values.hpp"

namespace weir::editor {

struct EditorSettings {
  std::uint32_t keep_versions = 20;        // saved versions kept per file (1..1000)
  std::uint32_t max_svg_bytes = 1u << 20;  // an uploaded SVG layout (the HTTP body limit too)
};
BOOST_DESCRIBE_STRUCT(EditorSettings, (), (keep_versions, max_svg_bytes))

namespace {

constexpr std::size_t kMaxExpressionBytes = 16 * 1024;

class EditorModule final : public module::ModuleWith<EditorSettings> {
 public:
  EditorModule(module::ModuleHost& host, const EditorSettings& s,
               std::shared_ptr<security::SecurityGateway> gateway)
      : host_(host),
        config_(host, s.keep_versions),
        svg_(host, s.keep_versions, s.max_svg_bytes),
        security_(host, std::move(gateway), s.keep_versions) {}

  static Result<std::unique_ptr<EditorModule>> create(module::ModuleHost& host,
                                                      const config::SystemConfig& config,
                                                      const Settings& s) {
    auto* gateway = host.services.find<std::shared_ptr<security::SecurityGateway>>();
    if (!gateway)
      return Error::make(ErrorKind::internal, "no_security",
                         "editor: the security module is "
                         "not running");
    auto m = std::make_unique<EditorModule>(host, s, *gateway);
    if (auto st = m->config_.open(); !st) return st.error();
    if (auto st = m->security_.open(); !st) return st.error();
    m->svg_.configure(config, s.keep_versions, s.max_svg_bytes);
    m->config_.add_routes(host.router);
    m->svg_.add_routes(host.router);
    m->security_.add_routes(host.router);
    m->add_expression_route();
    return m;
  }

  static void check(const module::ModuleRegistry&, const config::SystemConfig&, const Settings& s,
                    const std::string& path, std::vector<config::ConfigIssue>& issues) {
    if (s.keep_versions < 1 || s.keep_versions > 1000)
      issues.push_back(
          {"system_config.json", path + ".keep_versions", "must be between 1 and 1000", true});
    if (s.max_svg_bytes < 1 || s.max_svg_bytes > (8u << 20))
      issues.push_back(
          {"system_config.json", path + ".max_svg_bytes", "must be between 1 and 8388608", true});
  }

  Status apply(const config::SystemConfig& config, const Settings& s) override {
    config_.set_keep(s.keep_versions);
    security_.set_keep(s.keep_versions);
    svg_.configure(config, s.keep_versions, s.max_svg_bytes);
    return {};
  }

 private:
  void add_expression_route() {
    host_.router.add(
        {"POST",
         "/api/expression/check",
         "view_config",
         false,
         "config",
         "Compile one expression with the server's own compiler: {expression, kind: "
         "rule|animation|action} → {ok, type} or {ok: false, error, line, column}. rule: a "
         "condition over the running datapoints; animation: an expression of `value`; action: "
         "send_command(...), raise_alarm(), ... Datapoint ids for completion: GET /api/datapoints.",
         api::schema_of<ExpressionCheckBody>(),
         api::schema_of<ExpressionCheck>(),
         "application/json",
         200,
         {},
         {400},
         [this](const api::RequestContext& ctx) {
           auto body = strict_body<ExpressionCheckBody>(ctx.request, {"expression"});
           if (!body) return api::error_response(body.error());
           if (body->expression.size() > kMaxExpressionBytes)
             return api::error_response(Error::make(
                 ErrorKind::too_large, "too_large",
                 "expression: at most " + std::to_string(kMaxExpressionBytes) + " bytes",
                 "expression"));
           auto* values = host_.services.find<datapoint::DatapointService>();
           if (!values)
             return api::error_response(Error::make(ErrorKind::unavailable, "no_datapoints",
                                                    "the datapoint module is not running"));
           auto out = check_expression(body->expression, body->kind.value_or(ExpressionKind::rule),
                                       rule::resolver_of(values->registry()));
           return api::dto_response(200, out);
         }});
  }

  module::ModuleHost& host_;
  ConfigEditor config_;
  SvgEditor svg_;
  SecurityEditor security_;
};

}  // namespace

}  // namespace weir::editor

void weir_register_editor_module(weir::module::ModuleRegistry& registry) {
  registry.add(weir::module::module_type<weir::editor::EditorModule>(
      "editor",
      "Config and security editors: versioned saves (If-Match), dry run, diff, revert, SVG "
      "uploads, expression check, users, topic checker",
      {"security", "datapoint"}, true));
}
