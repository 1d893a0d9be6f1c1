#include "command/command_service.hpp"

#include "datapoint/validate.hpp"

namespace weir::command {

using model::CommandStatus;

CommandService::CommandService(std::shared_ptr<const datapoint::Registry> registry, bus::Bus& bus,
                               const Clock& clock, std::chrono::milliseconds timeout)
    : registry_(std::move(registry)), bus_(bus), clock_(clock), timeout_(timeout) {
  feedback_ = bus_.subscribe<model::DriverFeedback>(
      [this](const model::DriverFeedback& f) { on_driver_feedback(f); });
}

Result<model::CommandFeedback> CommandService::send(std::string_view datapoint_id,
                                                    model::Value value, std::string user,
                                                    std::string command_id) {
  auto idx = registry_->find(datapoint_id);
  if (!idx) return idx.error();
  const auto& info = registry_->info(*idx);
  if (!info.is_command)
    return unprocessable("not_a_command", "\"" + info.id + "\" is not a command datapoint",
                         "datapoint");
  if (!info.type)
    return unprocessable("config_error",
                         info.id + " has undeclared type \"" + info.type_name + "\"", "datapoint");
  std::string why;
  if (datapoint::validate_value(*info.type, value, &why) != datapoint::Rejection::none)
    return unprocessable("wrong_value", info.id + ": " + why, "value");
  if (command_id.empty())
    command_id =
        "cmd-" + std::to_string(to_unix_ms(clock_.now())) + "-" + std::to_string(next_id_++);
  if (command_id.size() > 128)
    return bad_request("invalid_command_id", "command_id longer than 128 characters", "command_id");
  if (by_id_.count(command_id))
    return Error::make(ErrorKind::conflict, "duplicate_command_id",
                       "command_id \"" + command_id + "\" was already used", "command_id");

  model::CommandFeedback fb{
      command_id, *idx,         value, CommandStatus::pending, model::CommandReason::none,
      "",         clock_.now(), user};
  record(fb);
  pending_[command_id] = clock_.mono() + timeout_;
  bus_.publish(fb);
  bus_.publish(model::DriverCommand{command_id, *idx, info.driver, info.tag, std::move(value)});
  // The driver may have answered synchronously: return the latest state of this command.
  return *by_id(command_id);
}

void CommandService::record(model::CommandFeedback fb) {
  if (!by_id_.count(fb.command_id)) {
    recent_ids_.push_back(fb.command_id);
    if (recent_ids_.size() > 1000) {
      by_id_.erase(recent_ids_.front());
      recent_ids_.pop_front();
    }
  }
  latest_[fb.index] = fb;
  by_id_[fb.command_id] = std::move(fb);
}

void CommandService::on_driver_feedback(const model::DriverFeedback& f) {
  auto it = pending_.find(f.feedback.command_id);
  if (it == pending_.end()) return;  // unknown, or already timed out: a late answer changes nothing
  pending_.erase(it);
  model::CommandFeedback fb = f.feedback;
  if (auto prev = by_id_.find(fb.command_id); prev != by_id_.end()) {
    fb.user = prev->second.user;
    fb.index = prev->second.index;  // ours: the driver's may predate a configuration reload
  }
  fb.time = clock_.now();
  record(fb);
  bus_.publish(fb);
}

void CommandService::tick() {
  const MonoTime now = clock_.mono();
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (now < it->second) {
      ++it;
      continue;
    }
    auto prev = by_id_.find(it->first);
    it = pending_.erase(it);
    if (prev == by_id_.end()) continue;
    model::CommandFeedback fb = prev->second;
    fb.status = CommandStatus::timeout;
    fb.detail = "no answer from the driver within " + std::to_string(timeout_.count()) + " ms";
    fb.time = clock_.now();
    record(fb);
    bus_.publish(fb);
  }
}

void CommandService::rebind(std::shared_ptr<const datapoint::Registry> next) {
  constexpr auto kGone = static_cast<model::DatapointIndex>(-1);
  auto remap = [&](model::DatapointIndex i) -> model::DatapointIndex {
    if (i >= registry_->size()) return kGone;
    auto found = next->find(registry_->info(i).id);
    return found && next->info(*found).is_command ? *found : kGone;
  };
  std::vector<model::CommandFeedback> ended;
  for (auto& [id, fb] : by_id_) {
    fb.index = remap(fb.index);
    if (fb.index == kGone && pending_.erase(id)) {
      fb.status = CommandStatus::nok;
      fb.reason = model::CommandReason::unknown_datapoint;
      fb.detail = "the datapoint was removed by a configuration reload";
      fb.time = clock_.now();
      ended.push_back(fb);
    }
  }
  std::unordered_map<model::DatapointIndex, model::CommandFeedback> latest;
  for (auto& [i, fb] : latest_) {
    const auto j = remap(i);
    if (j == kGone) continue;
    fb.index = j;
    latest.emplace(j, std::move(fb));
  }
  latest_ = std::move(latest);
  registry_ = std::move(next);
  // Only now: subscribers read the new registry.
  for (auto& fb : ended) bus_.publish(fb);
}

const model::CommandFeedback* CommandService::latest(model::DatapointIndex i) const {
  auto it = latest_.find(i);
  return it == latest_.end() ? nullptr : &it->second;
}

const model::CommandFeedback* CommandService::by_id(const std::string& id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &it->second;
}

std::vector<model::CommandFeedback> CommandService::all_latest() const {
  std::vector<model::CommandFeedback> out;
  out.reserve(latest_.size());
  for (const auto& [i, fb] : latest_) out.push_back(fb);
  return out;
}

}  // namespace weir::command
