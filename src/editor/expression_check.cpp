#include "editor/expression_check.hpp"

#include <charconv>

#include "expression/action.hpp"

namespace weir::editor {
namespace {

// "LINE:COLUMN: what" → its parts (the whole message when it has no position).
ExpressionCheck failure(const std::string& message) {
  ExpressionCheck out;
  std::uint32_t line = 0, column = 0;
  const char* p = message.data();
  const char* end = p + message.size();
  auto r1 = std::from_chars(p, end, line);
  if (r1.ec == std::errc() && r1.ptr < end && *r1.ptr == ':') {
    auto r2 = std::from_chars(r1.ptr + 1, end, column);
    if (r2.ec == std::errc() && r2.ptr + 1 < end && r2.ptr[0] == ':' && r2.ptr[1] == ' ') {
      out.line = line;
      out.column = column;
      out.error = std::string(r2.ptr + 2, end);
      return out;
    }
  }
  out.error = message;
  return out;
}

}  // namespace

ExpressionCheck check_expression(std::string_view text, ExpressionKind kind,
                                 const expression::Resolver& resolve) {
  if (kind == ExpressionKind::action) {
    auto a = expression::parse_action(text);
    if (!a) return failure(a.error().message);
    if (const auto* send = std::get_if<expression::SendCommand>(&*a))
      if (!resolve(send->datapoint)) {
        ExpressionCheck out;
        out.error = "unknown datapoint \"" + send->datapoint + "\"";
        out.line = send->datapoint_pos.line;
        out.column = send->datapoint_pos.column;
        return out;
      }
    return ExpressionCheck{true, std::string("action"), {}, {}, {}};
  }
  if (kind == ExpressionKind::animation) {
    // Animation expressions read only `value`, the bound datapoint's value: a name (the
    // compiler's `names` resolver), not a datapoint id; no datapoint id resolves.
    expression::Resolver value_name =
        [](std::string_view name) -> std::optional<expression::DatapointRef> {
      if (name == "value") return expression::DatapointRef{0, nullptr};
      return std::nullopt;
    };
    auto x = expression::Expression::compile(text, {}, value_name);
    if (!x) return failure(x.error().message);
    return ExpressionCheck{true, std::string(expression::to_string(x->type())), {}, {}, {}};
  }
  auto x = expression::Expression::compile(text, resolve);
  if (!x) return failure(x.error().message);
  return ExpressionCheck{true, std::string(expression::to_string(x->type())), {}, {}, {}};
}

}  // namespace weir::editor
