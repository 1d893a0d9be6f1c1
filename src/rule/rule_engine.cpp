#include "rule/rule_engine.hpp"

#include <algorithm>
#include <unordered_map>

#include "core/json.hpp"
#include "datapoint/validate.hpp"
#include "rule/datapoint_values.hpp"

namespace weir::rule {
namespace {

bool blank(const std::string& s) {
  return s.find_first_not_of(" \t\r\n") == std::string::npos;
}

Status check_command(const std::string& id, expression::Position id_pos, model::Value value,
                     expression::Position value_pos, const datapoint::Registry& registry) {
  auto i = registry.find(id);
  if (!i) return expression::syntax_error(id_pos, "unknown datapoint " + id);
  const auto& info = registry.info(*i);
  if (!info.is_command) return expression::syntax_error(id_pos, id + " is not a command datapoint");
  if (!info.type) return {};  // an unknown type: the datapoint carries config_error already
  std::string why;
  if (datapoint::validate_value(*info.type, value, &why) != datapoint::Rejection::none)
    return expression::syntax_error(value_pos, "bad value for " + id + ": " + why);
  return {};
}

}  // namespace

Status check_action(const expression::Action& a, const datapoint::Registry& registry) {
  if (const auto* c = std::get_if<expression::SendCommand>(&a))
    return check_command(c->datapoint, c->datapoint_pos, c->value, c->value_pos, registry);
  if (const auto* al = std::get_if<expression::ClientAlert>(&a); al && al->command_datapoint)
    return check_command(*al->command_datapoint, al->command_pos, al->command_value,
                         al->command_pos, registry);
  return {};
}

std::vector<CompiledRule> compile_rules(const config::SystemConfig& config,
                                        const datapoint::Registry& registry,
                                        std::vector<config::ConfigIssue>& issues) {
  std::vector<CompiledRule> out;
  const auto resolve = resolver_of(registry);
  for (std::size_t i = 0; i < config.rules.size(); ++i) {
    const auto& rc = config.rules[i];
    const std::string base = json::index_path("rules", i);
    auto issue = [&](const std::string& path, const Error& e) {
      issues.push_back({"system_config.json", path, e.message, true});
    };
    bool ok = true;
    CompiledRule r;
    r.id = rc.rule_id;
    auto on = expression::Expression::compile(rc.on_condition, resolve);
    if (!on) {
      issue(json::join_path(base, "on_condition"), on.error());
      ok = false;
    } else {
      r.on = std::move(*on);
    }
    if (!blank(rc.off_condition)) {
      auto off = expression::Expression::compile(rc.off_condition, resolve);
      if (!off) {
        issue(json::join_path(base, "off_condition"), off.error());
        ok = false;
      } else {
        r.off = std::move(*off);
      }
    }
    auto actions = [&](const std::vector<std::string>& texts, const char* key,
                       std::vector<expression::Action>& into) {
      for (std::size_t k = 0; k < texts.size(); ++k) {
        const std::string path = json::index_path(json::join_path(base, key), k);
        auto a = expression::parse_action(texts[k]);
        if (!a) {
          issue(path, a.error());
          ok = false;
          continue;
        }
        if (auto st = check_action(*a, registry); !st) {
          issue(path, st.error());
          ok = false;
          continue;
        }
        if (std::holds_alternative<expression::RaiseAlarm>(*a)) r.raises_alarm = true;
        into.push_back(std::move(*a));
      }
    };
    actions(rc.on_actions, "on_actions", r.on_actions);
    actions(rc.off_actions, "off_actions", r.off_actions);
    if (ok) out.push_back(std::move(r));
  }
  return out;
}

RuleEngine::RuleEngine(std::vector<CompiledRule> rules, std::size_t datapoint_count)
    : rules_(std::move(rules)), states_(rules_.size(), RuleState::unknown) {
  std::vector<std::vector<std::uint32_t>> by_dp(datapoint_count);
  for (std::uint32_t r = 0; r < rules_.size(); ++r) {
    auto note = [&](const expression::Expression& x) {
      for (auto dp : x.datapoints())
        if (dp < datapoint_count && (by_dp[dp].empty() || by_dp[dp].back() != r))
          by_dp[dp].push_back(r);
    };
    note(rules_[r].on);
    if (rules_[r].off) note(*rules_[r].off);
  }
  offsets_.assign(datapoint_count + 1, 0);
  for (std::size_t i = 0; i < datapoint_count; ++i) {
    offsets_[i + 1] = offsets_[i] + static_cast<std::uint32_t>(by_dp[i].size());
    readers_.insert(readers_.end(), by_dp[i].begin(), by_dp[i].end());
  }
}

void RuleEngine::on_update(expression::DatapointIndex i, const expression::ValueSource& values,
                           ActionSink& sink) {
  if (i + 1 >= offsets_.size()) return;
  for (std::uint32_t k = offsets_[i]; k < offsets_[i + 1]; ++k) evaluate(readers_[k], values, sink);
}

void RuleEngine::run(const CompiledRule& r, const std::vector<expression::Action>& actions,
                     ActionSink& sink) {
  for (const auto& a : actions) {
    if (const auto* c = std::get_if<expression::SendCommand>(&a))
      sink.send_command(r.id, *c);
    else if (std::holds_alternative<expression::RaiseAlarm>(a))
      sink.alarm(r.id, true);
    else if (std::holds_alternative<expression::LowerAlarm>(a))
      sink.alarm(r.id, false);
    else if (const auto* al = std::get_if<expression::ClientAlert>(&a))
      sink.client_alert(r.id, *al);
  }
}

void RuleEngine::evaluate(std::uint32_t idx, const expression::ValueSource& values,
                          ActionSink& sink) {
  const CompiledRule& r = rules_[idx];
  RuleState& st = states_[idx];
  ++stats_.evaluations;
  if (!r.off) {
    const bool on = r.on.holds(values);
    if (on && st != RuleState::active) {
      st = RuleState::active;
      ++stats_.activations;
      run(r, r.on_actions, sink);
    } else if (!on && st != RuleState::inactive) {
      const RuleState was = st;
      st = RuleState::inactive;
      if (was == RuleState::active) {
        ++stats_.deactivations;
        run(r, r.off_actions, sink);
      }
      if (r.raises_alarm) sink.alarm(r.id, false);
    }
    return;
  }
  if (st != RuleState::active) {
    if (r.on.holds(values)) {
      st = RuleState::active;
      ++stats_.activations;
      run(r, r.on_actions, sink);
    } else {
      st = RuleState::inactive;
    }
  } else if (r.off->holds(values)) {
    st = RuleState::inactive;
    ++stats_.deactivations;
    run(r, r.off_actions, sink);
  }
}

void RuleEngine::carry_states_from(const RuleEngine& previous) {
  std::unordered_map<std::string_view, std::uint32_t> before;
  for (std::uint32_t j = 0; j < previous.rules_.size(); ++j)
    before.emplace(previous.rules_[j].id, j);
  for (std::uint32_t i = 0; i < rules_.size(); ++i) {
    auto it = before.find(rules_[i].id);
    if (it == before.end()) continue;
    const auto &a = rules_[i], &b = previous.rules_[it->second];
    if (a.on.source() == b.on.source() &&
        (a.off ? a.off->source() : "") == (b.off ? b.off->source() : ""))
      states_[i] = previous.states_[it->second];
  }
}

}  // namespace weir::rule
