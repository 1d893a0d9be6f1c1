#pragma once
// The rules of system_config.json's rules[], compiled once (conditions into expression trees,
// actions into action trees, every datapoint checked against the registry) and run on tag
// updates. Pure: values come from a ValueSource, actions go to an ActionSink.
//
// A dependency index maps each datapoint to the rules that read it (in their on or off
// condition), so an update evaluates only those rules, each once.
//
// Edges (SPEC §5): without an off_condition (or with an empty one, as the fixtures have), a rule
// fires its on_actions on false→true, and on true→false runs its off_actions and lowers the alarm
// it raises. With an off_condition it latches: on when inactive and the on condition holds, off
// when active and the off condition holds. A rule starts in an unknown state: its first
// evaluation fires when true; when false it only lowers its alarm (one restored from before a
// restart whose condition went away meanwhile).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/system_config.hpp"
#include "datapoint/registry.hpp"
#include "expression/action.hpp"
#include "expression/expression.hpp"

namespace weir::rule {

class ActionSink {
 public:
  virtual ~ActionSink() = default;
  virtual void send_command(const std::string& rule_id, const expression::SendCommand& c) = 0;
  virtual void alarm(const std::string& rule_id, bool raise) = 0;
  virtual void client_alert(const std::string& rule_id, const expression::ClientAlert& a) = 0;
};

enum class RuleState : std::uint8_t { unknown, inactive, active };

struct CompiledRule {
  std::string id;
  expression::Expression on;
  std::optional<expression::Expression> off;  // latching
  std::vector<expression::Action> on_actions;
  std::vector<expression::Action> off_actions;
  bool raises_alarm = false;
};

// Checks and compiles every rule; each problem is an issue naming its JSON path
// ("rules[3].on_condition", message "1:24: unknown datapoint WaterTank@TANKK").
std::vector<CompiledRule> compile_rules(const config::SystemConfig& config,
                                        const datapoint::Registry& registry,
                                        std::vector<config::ConfigIssue>& issues);

// Checks one action against the registry (send_command's and client_alert's datapoint must be a
// command datapoint, the value valid for its type). The error is "LINE:COLUMN: what".
Status check_action(const expression::Action& a, const datapoint::Registry& registry);

struct RuleStats {
  std::uint64_t evaluations = 0;
  std::uint64_t activations = 0;
  std::uint64_t deactivations = 0;
};

class RuleEngine {
 public:
  RuleEngine() = default;
  RuleEngine(std::vector<CompiledRule> rules, std::size_t datapoint_count);

  // A datapoint changed: evaluate the rules that read it.
  void on_update(expression::DatapointIndex i, const expression::ValueSource& values,
                 ActionSink& sink);
  // Evaluate one rule.
  void evaluate(std::uint32_t rule, const expression::ValueSource& values, ActionSink& sink);

  const std::vector<CompiledRule>& rules() const { return rules_; }
  RuleState state(std::uint32_t rule) const { return states_[rule]; }
  // Keeps the states of rules with the same id and the same conditions (a reload).
  void carry_states_from(const RuleEngine& previous);
  const RuleStats& stats() const { return stats_; }
  std::size_t readers_of(expression::DatapointIndex i) const {
    return i + 1 < offsets_.size() ? offsets_[i + 1] - offsets_[i] : 0;
  }

 private:
  void run(const CompiledRule& r, const std::vector<expression::Action>& actions, ActionSink& sink);

  std::vector<CompiledRule> rules_;
  std::vector<RuleState> states_;
  std::vector<std::uint32_t> offsets_;  // CSR: rules reading datapoint i are
  std::vector<std::uint32_t> readers_;  // readers_[offsets_[i] .. offsets_[i+1])
  RuleStats stats_;
};

}  // namespace weir::rule
