#include "module/module_registry.hpp"

#include <gtest/gtest.h>

#include "module/module_set.hpp"
#include "module/test_host.hpp"

namespace weir::module {
namespace {

std::vector<std::string>* g_log = nullptr;

struct CounterSettings {
  int step = 1;
};
BOOST_DESCRIBE_STRUCT(CounterSettings, (), (step))

// A module that counts ticks by `step`; a reload changes the step and keeps the count.
class Counter final : public ModuleWith<CounterSettings> {
 public:
  Counter(std::string name, int step) : name_(std::move(name)), step_(step) {
    if (g_log) g_log->push_back("create " + name_);
  }
  Status start() override {
    if (g_log) g_log->push_back("start " + name_);
    return {};
  }
  void stop() override {
    if (g_log) g_log->push_back("stop " + name_);
  }
  void tick() override { count_ += step_; }
  Status apply(const config::SystemConfig&, const CounterSettings& s) override {
    step_ = s.step;
    return {};
  }
  void metrics(std::string& out) const override {
    out += name_ + "_count " + std::to_string(count_) + "\n";
  }

 private:
  std::string name_;
  int step_;
  int count_ = 0;
};

template <const char* Name>
struct Named {
  using Settings = CounterSettings;
  static Result<std::unique_ptr<Counter>> create(ModuleHost&, const config::SystemConfig&,
                                                 const CounterSettings& s) {
    return std::make_unique<Counter>(Name, s.step);
  }
  static void check(const ModuleRegistry&, const config::SystemConfig&, const CounterSettings& s,
                    const std::string& path, std::vector<config::ConfigIssue>& issues) {
    if (s.step < 0) issues.push_back({"system_config.json", path + ".step", "must be >= 0", true});
  }
};
constexpr char kA[] = "a";
constexpr char kB[] = "b";
constexpr char kCore[] = "core";

ModuleRegistry registry() {
  ModuleRegistry r;
  r.add(module_type<Named<kA>>("a", "module a", {"b"}));  // after b
  r.add(module_type<Named<kB>>("b", "module b", {"core"}));
  r.add(module_type<Named<kCore>>("core", "always there", {}, true));
  return r;
}

config::SystemConfig parse(std::string_view text) {
  auto r = config::parse_system_config(text);
  EXPECT_TRUE(r.ok()) << r.errors_text();
  return *r.config;
}

std::vector<std::string> names(const ModulePlan& p) {
  std::vector<std::string> out;
  for (const auto& m : p.modules) out.push_back(m.type->name);
  return out;
}

TEST(ModulePlan, DependenciesFirstAlwaysModulesIncluded) {
  auto r = registry();
  auto plan = plan_modules(r, parse(R"({"modules": [{"name": "a"}, {"name": "b"}]})"));
  EXPECT_TRUE(plan.ok());
  EXPECT_EQ(names(plan), (std::vector<std::string>{"core", "b", "a"}));
}

TEST(ModulePlan, UnknownModuleIsAWarningDuplicateAnError) {
  auto r = registry();
  auto plan = plan_modules(r, parse(R"({"modules": [{"name": "alarm"}, {"name": "b"}]})"));
  EXPECT_TRUE(plan.ok());
  ASSERT_EQ(plan.issues.size(), 1u);
  EXPECT_FALSE(plan.issues[0].error);
  EXPECT_EQ(plan.issues[0].path, "modules[0].name");

  auto dup = plan_modules(r, parse(R"({"modules": [{"name": "b"}, {"name": "b"}]})"));
  EXPECT_FALSE(dup.ok());
}

TEST(ModulePlan, SettingsAreCheckedWithTheirPath) {
  auto r = registry();
  auto typo = plan_modules(r, parse(R"({"modules": [{"name": "b", "config": {"stpe": 2}}]})"));
  ASSERT_FALSE(typo.ok());
  EXPECT_EQ(typo.issues.back().to_string(),
            "system_config.json: modules[0].config.stpe: unknown setting (known: step)");
  auto bad = plan_modules(r, parse(R"({"modules": [{"name": "b", "config": {"step": -1}}]})"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.issues.back().path, "modules[0].config.step");
}

TEST(ModuleSet, StartsInOrderStopsInReverseReloadKeepsState) {
  std::vector<std::string> log;
  g_log = &log;
  ManualClock clock;
  TestHost t(clock);
  t.registry = registry();
  {
    auto cfg = parse(R"({"modules": [{"name": "a", "config": {"step": 2}}, {"name": "b"}]})");
    auto set = t.create(cfg);
    ASSERT_TRUE(set) << set.error().message;
    ASSERT_TRUE((*set)->start());
    (*set)->tick();
    auto next = parse(R"({"modules": [{"name": "a", "config": {"step": 10}}, {"name": "b"}]})");
    std::vector<config::ConfigIssue> issues;
    ASSERT_TRUE((*set)->reload(plan_modules(t.registry, next), next, issues));
    (*set)->tick();
    std::string metrics;
    (*set)->metrics(metrics);
    EXPECT_NE(metrics.find("a_count 12\n"), std::string::npos) << metrics;  // 2, then +10
    (*set)->stop();
  }
  g_log = nullptr;
  EXPECT_EQ(log, (std::vector<std::string>{"create core", "create b", "create a", "start core",
                                           "start b", "start a", "stop a", "stop b", "stop core"}));
}

TEST(SystemConfigSchema, HasEveryModulesSettings) {
  auto schema = system_config_schema(registry());
  const auto& cases = schema.at("properties").at("modules").at("items").at("allOf").as_array();
  ASSERT_EQ(cases.size(), 3u);
  EXPECT_EQ(cases[0].at("if").at("properties").at("name").at("const"), "a");
  EXPECT_EQ(
      cases[0].at("then").at("properties").at("config").at("properties").at("step").at("default"),
      1);
}

}  // namespace
}  // namespace weir::module
