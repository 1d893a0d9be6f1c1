#include "editor/expression_check.hpp"

#include <cctype>
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

// Animation expressions read `value`, the bound datapoint's value. The compiler knows datapoints
// by their id (a token with '@'), so each bare word `value` outside string literals becomes the
// same-length id "v@lue" (columns unchanged), resolved as a datapoint of unknown type.
constexpr std::string_view kValueId = "v@lue";

std::string with_value_id(std::string_view text) {
  std::string out(text);
  auto word = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '@' || c == '.';
  };
  char quote = 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const char c = out[i];
    if (quote) {
      if (c == quote) quote = 0;
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
      continue;
    }
    if (out.compare(i, 5, "value") == 0 && (i == 0 || !word(out[i - 1])) &&
        (i + 5 == out.size() || !word(out[i + 5]))) {
      out.replace(i, 5, kValueId);
      i += 4;
    }
  }
  return out;
}

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  for (auto p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size()))
    s.replace(p, from.size(), to);
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
    expression::Resolver value_only =
        [](std::string_view id) -> std::optional<expression::DatapointRef> {
      if (id == kValueId) return expression::DatapointRef{0, nullptr};
      return std::nullopt;
    };
    auto x = expression::Expression::compile(with_value_id(text), value_only);
    if (!x) {
      auto out = failure(x.error().message);
      if (out.error) replace_all(*out.error, kValueId, "value");
      return out;
    }
    return ExpressionCheck{true, std::string(expression::to_string(x->type())), {}, {}, {}};
  }
  auto x = expression::Expression::compile(text, resolve);
  if (!x) return failure(x.error().message);
  return ExpressionCheck{true, std::string(expression::to_string(x->type())), {}, {}, {}};
}

}  // namespace weir::editor
