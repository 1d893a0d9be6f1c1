#pragma once
// A compiled expression of the rule language (SPEC §5): the Python platform's syntax parsed once
// into a closed tree. What it can reach: datapoint values (`WaterTank@TANK`), bare enum symbols
// (`OPENED`, `TRUE`), number/string literals, `and or not`, `== != < <= > >=`, `+ - * / %`, unary
// minus, parentheses and the functions float, int, str, abs, min, max, round. Nothing else.
//
// Types are checked at compile time where the datapoint's type is known (`TANK > 'x'` and
// `DOOR == OPNED` are errors, with line and column). Evaluation reads values through a
// ValueSource and allocates nothing.
//
// Unusable inputs: a datapoint whose value the source says is unusable (bad quality, never
// received) evaluates to "unknown", and so does a failed conversion (`float('abc')`) or a division
// by zero. Unknown propagates through operators; `and`/`or` follow three-valued logic (`unknown and
// false` is false, `unknown or true` is true); a condition is true only when it evaluates to true.
#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "model/value.hpp"

namespace weir::expression {

using DatapointIndex = std::uint32_t;

// What the compiler knows about a datapoint id.
struct DatapointRef {
  DatapointIndex index = 0;
  const model::DatapointType* type = nullptr;  // null: unknown type (no static checks)
};
// Resolves "Driver@TAG"; nullopt: unknown datapoint (a compile error).
using Resolver = std::function<std::optional<DatapointRef>(std::string_view id)>;

// Values as the evaluator sees them.
class ValueSource {
 public:
  virtual ~ValueSource() = default;
  // Null (or a monostate value) when the datapoint's value is not usable.
  virtual const model::Value* value(DatapointIndex i) const = 0;
};

enum class Type : std::uint8_t { any, boolean, number, string };
const char* to_string(Type t);

// A value during evaluation: strings are views (into literals, the source or scratch space).
struct Scalar {
  enum class Kind : std::uint8_t { unknown, boolean, number, string } kind = Kind::unknown;
  bool b = false;
  double n = 0;
  std::string_view s;

  static Scalar none() { return {}; }
  static Scalar of(bool v) { return {Kind::boolean, v, 0, {}}; }
  static Scalar of(double v) { return {Kind::number, false, v, {}}; }
  static Scalar of(std::string_view v) { return {Kind::string, false, 0, v}; }
  bool is_true() const { return kind == Kind::boolean && b; }
};

enum class Op : std::uint8_t {
  number,
  string,
  symbol,  // a bare name: an enum symbol, or TRUE/FALSE
  datapoint,
  not_,
  neg,
  and_,
  or_,
  eq,
  ne,
  lt,
  le,
  gt,
  ge,
  add,
  sub,
  mul,
  div,
  mod,
  call_float,
  call_int,
  call_str,
  call_abs,
  call_min,
  call_max,
  call_round,
};

struct Node {
  Op op = Op::number;
  Type type = Type::any;
  std::uint32_t a = 0;  // first child / first argument (into args) / string index / datapoint
  std::uint32_t b = 0;  // second child / argument count / scratch slot
  double number = 0;
};

class Expression {
 public:
  // Parses and type-checks `text`. The error's message is "LINE:COLUMN: what" (code
  // "expression"); callers prefix where the text came from. `names` (optional) turns bare names
  // into values read like datapoints (animations bind `value` to the element's datapoint);
  // a name it does not know stays a symbol.
  static Result<Expression> compile(std::string_view text, const Resolver& resolve,
                                    const Resolver& names = {});

  Scalar evaluate(const ValueSource& source) const;
  // True only when the expression evaluates to true (unknown is not true).
  bool holds(const ValueSource& source) const { return evaluate(source).is_true(); }

  Type type() const { return nodes_.empty() ? Type::any : nodes_[root_].type; }
  // Every datapoint the expression reads, each once, in order of first use.
  const std::vector<DatapointIndex>& datapoints() const { return datapoints_; }
  const std::string& source() const { return source_; }

 private:
  friend class Parser;
  Scalar eval(std::uint32_t n, const ValueSource& src) const;

  std::string source_;
  std::vector<Node> nodes_;
  std::vector<std::uint32_t> args_;   // call arguments (node indices)
  std::vector<std::string> strings_;  // literals and symbols
  std::vector<DatapointIndex> datapoints_;
  std::uint32_t root_ = 0;
  mutable std::vector<std::array<char, 32>> scratch_;  // str() results, one slot per call
};

}  // namespace weir::expression
