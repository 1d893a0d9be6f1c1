#pragma once
// The check behind the editors' "as you type" marks: the server's own compiler on one
// expression, answering ok (with its type) or the error with its line and column (1-based, as
// the compiler counts them). Pure: the resolver says which datapoints exist.
#include <boost/describe.hpp>
#include <optional>
#include <string>

#include "expression/expression.hpp"

namespace weir::editor {

enum class ExpressionKind { rule, animation, action };
BOOST_DESCRIBE_ENUM(ExpressionKind, rule, animation, action)

struct ExpressionCheckBody {
  std::string expression;
  std::optional<ExpressionKind> kind;  // default rule
};
BOOST_DESCRIBE_STRUCT(ExpressionCheckBody, (), (expression, kind))

struct ExpressionCheck {
  bool ok = false;
  std::optional<std::string> type;   // ok: "boolean", "number", "string" or "any"
  std::optional<std::string> error;  // the compiler's message, without the position
  std::optional<std::uint32_t> line;
  std::optional<std::uint32_t> column;
};
BOOST_DESCRIBE_STRUCT(ExpressionCheck, (), (ok, type, error, line, column))

// rule: a condition over datapoint ids (resolve); animation: an expression of `value` (the
// bound datapoint's value, of any type); action: send_command(...), raise_alarm(), ...
// (send_command's datapoint must resolve).
ExpressionCheck check_expression(std::string_view text, ExpressionKind kind,
                                 const expression::Resolver& resolve);

}  // namespace weir::editor
