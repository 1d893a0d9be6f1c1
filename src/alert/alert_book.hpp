#pragma once
// The alerts operators see pop up (client_alert of rules and schedules), pure: created from
// model::AlertRequest, answered once for everyone (a confirm_cancel alert waits for one
// operator's confirm or cancel; the first answer wins), and closed for everyone when their
// timeout passes. Time comes from the caller.
#include <boost/describe.hpp>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "model/messages.hpp"

namespace weir::alert {

enum class AlertState { open, confirmed, cancelled, expired };
BOOST_DESCRIBE_ENUM(AlertState, open, confirmed, cancelled, expired)

struct Alert {
  std::uint64_t id = 0;
  std::string source;  // the rule or schedule
  std::string message;
  std::string type;  // info, success, warning, error, confirm_cancel
  std::string command_datapoint;
  model::Value command_value;
  WallTime created{};
  WallTime expires{};
  AlertState state = AlertState::open;
  std::string answered_by;
  std::optional<WallTime> answered_at;
  std::string command_id;  // the command a confirm sent

  bool needs_answer() const { return type == "confirm_cancel"; }
};

class AlertBook {
 public:
  explicit AlertBook(std::size_t keep = 256) : keep_(keep) {}

  const Alert& add(const model::AlertRequest& r);
  // The first answer of a confirm_cancel alert: 404 unknown, 409 not open or not a question.
  Result<Alert*> answer(std::uint64_t id, bool confirm, const std::string& user, WallTime now);
  // Re-opens an alert whose confirm could not be carried out (the command was refused).
  void reopen(std::uint64_t id);
  // Expires open alerts past their time; returns the ids that changed.
  std::vector<std::uint64_t> expire(WallTime now);

  const Alert* find(std::uint64_t id) const;
  const std::deque<Alert>& recent() const { return alerts_; }  // oldest first, bounded
  std::size_t open_count() const;

 private:
  Alert* find_mutable(std::uint64_t id);
  std::size_t keep_;
  std::deque<Alert> alerts_;
  std::uint64_t next_id_ = 1;
};

}  // namespace weir::alert
