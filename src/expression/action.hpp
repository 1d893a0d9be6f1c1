#pragma once
// The action syntax of rules and schedules (SPEC §5), parsed into a closed tree — no evaluation,
// only literal arguments:
//   send_command('Driver@TAG', value)
//   raise_alarm()    lower_alarm()
//   client_alert(message, type[, command_datapoint, command_value[, timeout_s]])
// type is one of info, success, warning, error, confirm_cancel; command_datapoint may be None.
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "core/error.hpp"
#include "expression/lexer.hpp"
#include "model/value.hpp"

namespace weir::expression {

struct SendCommand {
  std::string datapoint;  // "WaterTank@PUMP_CMD" (checked by the caller against the registry)
  model::Value value;     // a string, number or boolean literal (bare symbols are strings)
  Position datapoint_pos;
  Position value_pos;
};
struct RaiseAlarm {};
struct LowerAlarm {};
struct ClientAlert {
  std::string message;
  std::string type = "info";
  std::optional<std::string> command_datapoint;
  model::Value command_value;
  double timeout_s = 30;
  Position command_pos;
};

using Action = std::variant<SendCommand, RaiseAlarm, LowerAlarm, ClientAlert>;

// Errors: "LINE:COLUMN: what" as for expressions (code "expression").
Result<Action> parse_action(std::string_view text);

}  // namespace weir::expression
