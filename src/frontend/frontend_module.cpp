// The `frontend` module: the operator app's tab list (modules[frontend].config.tabs, SPEC §6) at
// GET /api/frontend/tabs. The app maps each name to a view; a name it has no view for is a load
// warning (the tab is still listed, the app skips it).
#include <algorithm>
#include <array>
#include <boost/describe.hpp>
#include <memory>
#include <string_view>

#include "module/module.hpp"
#include "module/module_registry.hpp"

namespace weir::frontend {

struct FrontendSettings {
  std::vector<std::string> tabs;
};
BOOST_DESCRIBE_STRUCT(FrontendSettings, (), (tabs))

struct TabsDto {
  std::vector<std::string> tabs;  // in configured order
};
BOOST_DESCRIBE_STRUCT(TabsDto, (), (tabs))

namespace {

using namespace std::string_view_literals;

// The views of the operator app (web/), by the names the Python platform's files use.
constexpr std::array kKnownTabs = {"Image"sv,          "Main"sv,   "Map"sv,      "Datapoints"sv,
                                   "Communications"sv, "Alarms"sv, "Commands"sv, "Tracking"sv,
                                   "Streams"sv,        "Trends"sv, "Devices"sv};

constexpr std::size_t kMaxTabs = 64;

class FrontendModule final : public module::ModuleWith<FrontendSettings> {
 public:
  FrontendModule(module::ModuleHost& host, const FrontendSettings& s) : tabs_{s.tabs} {
    host.router.add({"GET",
                     "/api/frontend/tabs",
                     "view",
                     false,
                     "frontend",
                     "The operator app's tabs, in order (modules[frontend].config.tabs)",
                     {},
                     api::schema_of<TabsDto>(),
                     "application/json",
                     200,
                     {},
                     {},
                     [this](const api::RequestContext&) { return api::dto_response(200, tabs_); }});
  }
  static Result<std::unique_ptr<FrontendModule>> create(module::ModuleHost& host,
                                                        const config::SystemConfig&,
                                                        const FrontendSettings& s) {
    return std::make_unique<FrontendModule>(host, s);
  }
  static void check(const module::ModuleRegistry&, const config::SystemConfig&,
                    const FrontendSettings& s, const std::string& path,
                    std::vector<config::ConfigIssue>& issues) {
    if (s.tabs.size() > kMaxTabs)
      issues.push_back({"system_config.json", path + ".tabs",
                        "more than " + std::to_string(kMaxTabs) + " tabs", true});
    for (std::size_t i = 0; i < s.tabs.size(); ++i)
      if (std::find(kKnownTabs.begin(), kKnownTabs.end(), s.tabs[i]) == kKnownTabs.end())
        issues.push_back({"system_config.json", path + ".tabs[" + std::to_string(i) + "]",
                          "unknown tab \"" + s.tabs[i] + "\": the operator app has no such view",
                          false});
  }
  Status apply(const config::SystemConfig&, const FrontendSettings& s) override {
    tabs_.tabs = s.tabs;
    return {};
  }

 private:
  TabsDto tabs_;
};

}  // namespace

}  // namespace weir::frontend

void weir_register_frontend_module(weir::module::ModuleRegistry& registry) {
  registry.add(weir::module::module_type<weir::frontend::FrontendModule>(
      "frontend", "The operator app's tab list"));
}
