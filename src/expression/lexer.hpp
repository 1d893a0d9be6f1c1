#pragma once
// The tokens of the rule language (the Python platform's expression syntax, SPEC §5): datapoint
// ids (`Driver@TAG`), names, numbers, quoted strings, operators and punctuation. Positions are
// 1-based line and byte column, so every error can say where it is.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace weir::expression {

enum class TokenKind : std::uint8_t {
  end,
  number,     // 10, 2.5, 1e3
  string,     // 'OPEN' or "OPEN" (text holds the unescaped value)
  name,       // OPENED, float, and, TRUE
  datapoint,  // WaterTank@TANK
  lparen,
  rparen,
  comma,
  eq,  // ==
  ne,  // !=
  lt,
  le,
  gt,
  ge,
  plus,
  minus,
  star,
  slash,
  percent,
};

struct Position {
  std::uint32_t line = 1;
  std::uint32_t column = 1;
};

struct Token {
  TokenKind kind = TokenKind::end;
  std::string text;  // the name, id, unescaped string or number spelling
  double number = 0;
  Position pos;
};

inline constexpr std::size_t kMaxSourceBytes = 4096;

// "1:24: message": the error every parse or type check returns (code "expression").
Error syntax_error(Position pos, std::string message);

// The whole text as tokens, ending with `end`. Errors: unterminated string, unexpected character,
// a bad number, text longer than kMaxSourceBytes.
Result<std::vector<Token>> tokenize(std::string_view text);

const char* describe(TokenKind k);  // "')'", "a number", ...

}  // namespace weir::expression
