#pragma once
// The command module: validates a command against its datapoint's type, hands it to the driver
// that owns the datapoint (by the id's prefix), and follows its feedback
// pending → ok | nok | timeout, publishing every step.
#include <deque>
#include <map>
#include <unordered_map>

#include "bus/bus.hpp"
#include "core/clock.hpp"
#include "datapoint/registry.hpp"

namespace weir::command {

class CommandService {
 public:
  CommandService(std::shared_ptr<const datapoint::Registry> registry, bus::Bus& bus,
                 const Clock& clock, std::chrono::milliseconds timeout = std::chrono::seconds(5));

  // Validates and dispatches. The returned feedback is the `pending` step (or an error value:
  // unknown datapoint 404, not a command datapoint / wrong value 422).
  Result<model::CommandFeedback> send(std::string_view datapoint_id, model::Value value,
                                      std::string user, std::string command_id = {});
  void tick();  // times out commands without an answer

  // A configuration reload: the same commands against a new registry (indices are remapped by
  // datapoint id). A pending command whose datapoint still exists stays pending and ends ok, nok
  // or timeout as usual; one whose datapoint is gone ends nok unknown_datapoint at once.
  void rebind(std::shared_ptr<const datapoint::Registry> next);
  void set_timeout(std::chrono::milliseconds timeout) { timeout_ = timeout; }
  std::size_t pending_count() const { return pending_.size(); }

  // Latest feedback per command datapoint, and lookup by command id (recent ones).
  const model::CommandFeedback* latest(model::DatapointIndex i) const;
  const model::CommandFeedback* by_id(const std::string& command_id) const;
  std::vector<model::CommandFeedback> all_latest() const;
  const datapoint::Registry& registry() const { return *registry_; }

 private:
  void record(model::CommandFeedback fb);
  void on_driver_feedback(const model::DriverFeedback& f);

  std::shared_ptr<const datapoint::Registry> registry_;
  bus::Bus& bus_;
  const Clock& clock_;
  std::chrono::milliseconds timeout_;
  std::uint64_t next_id_ = 1;
  std::unordered_map<model::DatapointIndex, model::CommandFeedback> latest_;
  std::unordered_map<std::string, model::CommandFeedback> by_id_;
  std::deque<std::string> recent_ids_;       // bounded history for by_id_
  std::map<std::string, MonoTime> pending_;  // command id -> deadline
  bus::Subscription feedback_;
};

}  // namespace weir::command
