#include "expression/action.hpp"

#include <array>
#include <cmath>
#include <vector>

namespace weir::expression {
namespace {

constexpr std::array<std::string_view, 5> kAlertTypes{"info", "success", "warning", "error",
                                                      "confirm_cancel"};

struct Arg {
  model::Value value;
  bool is_none = false;
  bool is_string = false;
  Position pos;
};

Error got_error(const Token& t, std::string what) {
  std::string shown = t.kind == TokenKind::end ? "the end" : "\"" + t.text + "\"";
  return syntax_error(t.pos, "expected " + std::move(what) + ", got " + shown);
}

// A literal argument: a string, a number (with an optional sign), True/False, None or a bare
// symbol (as a string, like rule conditions' enum symbols).
Result<Arg> literal(const std::vector<Token>& toks, std::size_t& i) {
  Arg a;
  a.pos = toks[i].pos;
  double sign = 1;
  if (toks[i].kind == TokenKind::minus || toks[i].kind == TokenKind::plus) {
    sign = toks[i].kind == TokenKind::minus ? -1 : 1;
    ++i;
    if (toks[i].kind != TokenKind::number) return got_error(toks[i], "a number");
  }
  const Token& t = toks[i];
  switch (t.kind) {
    case TokenKind::string:
      a.value = t.text;
      a.is_string = true;
      break;
    case TokenKind::number: {
      const double v = sign * t.number;
      const bool integral =
          t.text.find_first_of(".eE") == std::string::npos && std::fabs(v) < 9.0e15;
      if (integral)
        a.value = static_cast<std::int64_t>(v);
      else
        a.value = v;
      break;
    }
    case TokenKind::name:
      if (t.text == "True" || t.text == "true")
        a.value = true;
      else if (t.text == "False" || t.text == "false")
        a.value = false;
      else if (t.text == "None")
        a.is_none = true;
      else
        a.value = t.text;
      break;
    default:
      return got_error(t, "a literal (string, number, True, False or None)");
  }
  ++i;
  return a;
}

}  // namespace

Result<Action> parse_action(std::string_view text) {
  auto tokens = tokenize(text);
  if (!tokens) return tokens.error();
  const auto& toks = *tokens;
  std::size_t i = 0;
  if (toks[i].kind != TokenKind::name)
    return got_error(toks[i], "an action (send_command, raise_alarm, lower_alarm, client_alert)");
  const std::string name = toks[i].text;
  const Position name_pos = toks[i].pos;
  ++i;
  if (name != "send_command" && name != "raise_alarm" && name != "lower_alarm" &&
      name != "client_alert")
    return syntax_error(name_pos, "unknown action " + name +
                                      " (known: send_command, raise_alarm, lower_alarm, "
                                      "client_alert)");
  if (toks[i].kind != TokenKind::lparen) return got_error(toks[i], "'('");
  ++i;
  std::vector<Arg> args;
  if (toks[i].kind != TokenKind::rparen) {
    for (;;) {
      if (args.size() >= 8) return syntax_error(toks[i].pos, "too many arguments");
      auto a = literal(toks, i);
      if (!a) return a.error();
      args.push_back(std::move(*a));
      if (toks[i].kind == TokenKind::comma) {
        ++i;
        continue;
      }
      break;
    }
  }
  if (toks[i].kind != TokenKind::rparen) return got_error(toks[i], "',' or ')'");
  const Position close = toks[i].pos;
  ++i;
  if (toks[i].kind != TokenKind::end) return got_error(toks[i], "the end of the action");

  auto count = [&](std::size_t lo, std::size_t hi) -> Status {
    if (args.size() >= lo && args.size() <= hi) return {};
    std::string want =
        lo == hi ? std::to_string(lo) : std::to_string(lo) + " to " + std::to_string(hi);
    return syntax_error(args.size() > hi ? args[hi].pos : close,
                        name + "() takes " + want + " argument" + (hi == 1 ? "" : "s") + ", got " +
                            std::to_string(args.size()));
  };
  auto text_arg = [&](std::size_t k, const char* what) -> Result<std::string> {
    if (!args[k].is_string)
      return syntax_error(args[k].pos, std::string(what) + " must be a string");
    return std::get<std::string>(args[k].value);
  };

  if (name == "raise_alarm" || name == "lower_alarm") {
    if (auto st = count(0, 0); !st) return st.error();
    if (name == "raise_alarm") return Action{RaiseAlarm{}};
    return Action{LowerAlarm{}};
  }
  if (name == "send_command") {
    if (auto st = count(2, 2); !st) return st.error();
    auto dp = text_arg(0, "the datapoint");
    if (!dp) return dp.error();
    if (args[1].is_none) return syntax_error(args[1].pos, "the value cannot be None");
    return Action{SendCommand{std::move(*dp), args[1].value, args[0].pos, args[1].pos}};
  }
  // client_alert
  if (auto st = count(1, 5); !st) return st.error();
  ClientAlert a;
  auto msg = text_arg(0, "the message");
  if (!msg) return msg.error();
  a.message = std::move(*msg);
  if (args.size() > 1) {
    auto type = text_arg(1, "the type");
    if (!type) return type.error();
    bool known = false;
    for (auto k : kAlertTypes) known = known || k == *type;
    if (!known)
      return syntax_error(args[1].pos, "unknown alert type \"" + *type +
                                           "\" (known: info, success, warning, error, "
                                           "confirm_cancel)");
    a.type = std::move(*type);
  }
  if (args.size() > 2 && !args[2].is_none) {
    auto dp = text_arg(2, "the command datapoint");
    if (!dp) return dp.error();
    a.command_datapoint = std::move(*dp);
    a.command_pos = args[2].pos;
    if (args.size() < 4 || args[3].is_none)
      return syntax_error(args.size() < 4 ? close : args[3].pos,
                          "a command datapoint needs a command value");
    a.command_value = args[3].value;
  }
  if (args.size() > 4) {
    const auto& t = args[4];
    double s = 0;
    if (const auto* i64 = std::get_if<std::int64_t>(&t.value))
      s = static_cast<double>(*i64);
    else if (const auto* d = std::get_if<double>(&t.value))
      s = *d;
    else
      return syntax_error(t.pos, "the timeout must be a number of seconds");
    if (!(s > 0 && s <= 86'400))
      return syntax_error(t.pos, "the timeout must be between 0 and 86400 seconds");
    a.timeout_s = s;
  }
  if (a.type == "confirm_cancel" && !a.command_datapoint)
    return syntax_error(close, "a confirm_cancel alert needs a command datapoint and value");
  return Action{std::move(a)};
}

}  // namespace weir::expression
