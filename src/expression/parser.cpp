// The rule language's parser: precedence climbing over the tokens (Python's precedence: or < and <
// not < comparisons < + - < * / % < unary minus < calls and atoms) into Expression's flat tree,
// type-checking each node as it is built.
#include <algorithm>

#include "expression/expression.hpp"
#include "expression/lexer.hpp"

namespace weir::expression {

const char* to_string(Type t) {
  switch (t) {
    case Type::any:
      return "any";
    case Type::boolean:
      return "boolean";
    case Type::number:
      return "number";
    case Type::string:
      return "string";
  }
  return "any";
}

namespace {

constexpr int kMaxDepth = 64;
constexpr std::size_t kMaxNodes = 1024;

bool is_bool_symbol(std::string_view s) {
  return s == "TRUE" || s == "FALSE";
}

Type type_of(const model::DatapointType* t) {
  if (!t) return Type::any;
  switch (t->type) {
    case model::ValueType::float_:
    case model::ValueType::int_:
      return Type::number;
    case model::ValueType::string:
    case model::ValueType::enum_:
      return Type::string;
    case model::ValueType::bool_:
      return Type::boolean;
  }
  return Type::any;
}

struct Function {
  std::string_view name;
  Op op;
  std::uint32_t min_args, max_args;
};
constexpr Function kFunctions[] = {
    {"float", Op::call_float, 1, 1}, {"int", Op::call_int, 1, 1}, {"str", Op::call_str, 1, 1},
    {"abs", Op::call_abs, 1, 1},     {"min", Op::call_min, 2, 8}, {"max", Op::call_max, 2, 8},
    {"round", Op::call_round, 1, 2},
};

}  // namespace

class Parser {
 public:
  Parser(std::vector<Token> tokens, const Resolver& resolve, const Resolver& names, Expression& out)
      : toks_(std::move(tokens)), resolve_(resolve), names_(names), x_(out) {}

  Result<std::uint32_t> parse_all() {
    auto root = parse_or();
    if (!root) return root;
    if (peek().kind != TokenKind::end) return expected("an operator or the end", peek());
    return root;
  }

 private:
  // The type information of a node kept beside it while parsing (for messages).
  struct Info {
    Position pos;
    const model::DatapointType* dp_type = nullptr;  // a datapoint node: its type
    std::string dp_id;
  };

  const Token& peek() const { return toks_[i_]; }
  const Token& take() { return toks_[i_ < toks_.size() - 1 ? i_++ : i_]; }
  bool accept(TokenKind k) {
    if (peek().kind != k) return false;
    take();
    return true;
  }
  bool accept_name(std::string_view n) {
    if (peek().kind != TokenKind::name || peek().text != n) return false;
    take();
    return true;
  }
  static Error expected(std::string what, const Token& got) {
    std::string shown = got.kind == TokenKind::end      ? "the end"
                        : got.kind == TokenKind::string ? "'" + got.text + "'"
                                                        : "\"" + got.text + "\"";
    return syntax_error(got.pos, "expected " + what + ", got " + shown);
  }

  Result<std::uint32_t> add(Node n, Info info) {
    if (x_.nodes_.size() >= kMaxNodes)
      return syntax_error(
          info.pos, "expression too large (more than " + std::to_string(kMaxNodes) + " parts)");
    x_.nodes_.push_back(n);
    info_.push_back(std::move(info));
    return static_cast<std::uint32_t>(x_.nodes_.size() - 1);
  }
  Type type(std::uint32_t n) const { return x_.nodes_[n].type; }

  struct Depth {
    explicit Depth(int& d) : d_(d) { ++d_; }
    ~Depth() { --d_; }
    int& d_;
  };

  Result<std::uint32_t> parse_or() {
    Depth guard(depth_);
    if (depth_ > kMaxDepth) return syntax_error(peek().pos, "expression nested too deeply");
    return parse_logical("or", Op::or_, &Parser::parse_and);
  }
  Result<std::uint32_t> parse_and() { return parse_logical("and", Op::and_, &Parser::parse_not); }

  // `operand (word operand)*`, left-associative: `or` over `and` over `not`.
  Result<std::uint32_t> parse_logical(std::string_view word, Op op,
                                      Result<std::uint32_t> (Parser::*operand)()) {
    auto lhs = (this->*operand)();
    if (!lhs) return lhs;
    while (peek().kind == TokenKind::name && peek().text == word) {
      const Position pos = take().pos;
      auto rhs = (this->*operand)();
      if (!rhs) return rhs;
      lhs = add({op, Type::boolean, *lhs, *rhs, 0}, {pos});
      if (!lhs) return lhs;
    }
    return lhs;
  }

  Result<std::uint32_t> parse_not() {
    if (peek().kind == TokenKind::name && peek().text == "not") {
      Depth guard(depth_);
      if (depth_ > kMaxDepth) return syntax_error(peek().pos, "expression nested too deeply");
      const Position pos = take().pos;
      auto operand = parse_not();
      if (!operand) return operand;
      return add({Op::not_, Type::boolean, *operand, 0, 0}, {pos});
    }
    return parse_comparison();
  }

  static Op comparison_op(TokenKind k) {
    switch (k) {
      case TokenKind::eq:
        return Op::eq;
      case TokenKind::ne:
        return Op::ne;
      case TokenKind::lt:
        return Op::lt;
      case TokenKind::le:
        return Op::le;
      case TokenKind::gt:
        return Op::gt;
      default:
        return Op::ge;
    }
  }
  static bool is_comparison(TokenKind k) {
    return k == TokenKind::eq || k == TokenKind::ne || k == TokenKind::lt || k == TokenKind::le ||
           k == TokenKind::gt || k == TokenKind::ge;
  }

  // An enum datapoint compared with a symbol or a string literal: the value must be one of the
  // type's symbols.
  Status check_enum_value(std::uint32_t dp, std::uint32_t lit) {
    const Info& d = info_[dp];
    const Node& l = x_.nodes_[lit];
    if (x_.nodes_[dp].op != Op::datapoint || !d.dp_type ||
        d.dp_type->type != model::ValueType::enum_ || d.dp_type->values.empty())
      return {};
    if (l.op != Op::symbol && l.op != Op::string) return {};
    const std::string& v = x_.strings_[l.a];
    const auto& values = d.dp_type->values;
    if (std::find(values.begin(), values.end(), v) != values.end()) return {};
    std::string known;
    for (const auto& s : values) known += (known.empty() ? "" : ", ") + s;
    return syntax_error(info_[lit].pos, "\"" + v + "\" is not a value of " + d.dp_id + " (" +
                                            d.dp_type->name + ": " + known + ")");
  }

  Result<std::uint32_t> parse_comparison() {
    auto lhs = parse_sum();
    if (!lhs) return lhs;
    if (!is_comparison(peek().kind)) return lhs;
    const Token& op_tok = take();
    const Op op = comparison_op(op_tok.kind);
    const Position pos = op_tok.pos;
    const std::string spelling = op_tok.text;
    auto rhs = parse_sum();
    if (!rhs) return rhs;
    if (is_comparison(peek().kind))
      return syntax_error(peek().pos, "chained comparisons are not supported (use 'and')");
    Type l = type(*lhs), r = type(*rhs);
    const Node &ln = x_.nodes_[*lhs], &rn = x_.nodes_[*rhs];
    auto bool_symbol = [&](const Node& n) {
      return n.op == Op::symbol && is_bool_symbol(x_.strings_[n.a]);
    };
    if (l != Type::any && r != Type::any && l != r) {
      const bool number_bool =
          (l == Type::number && r == Type::boolean) || (l == Type::boolean && r == Type::number);
      const bool symbol_bool =
          (l == Type::boolean && bool_symbol(rn)) || (r == Type::boolean && bool_symbol(ln));
      if (!(symbol_bool || (number_bool && (op == Op::eq || op == Op::ne))))
        return syntax_error(pos, "cannot compare " + std::string(to_string(l)) + " with " +
                                     to_string(r) + " using '" + spelling + "'");
    }
    if ((op != Op::eq && op != Op::ne) && (l == Type::boolean || r == Type::boolean))
      return syntax_error(pos, "'" + spelling + "' cannot order booleans");
    if (auto st = check_enum_value(*lhs, *rhs); !st) return st.error();
    if (auto st = check_enum_value(*rhs, *lhs); !st) return st.error();
    return add({op, Type::boolean, *lhs, *rhs, 0}, {pos});
  }

  Status need_number(std::uint32_t n, std::string_view what, Position pos) {
    const Type t = type(n);
    if (t == Type::number || t == Type::any) return {};
    return syntax_error(pos, std::string(what) + " needs numbers, got " + to_string(t));
  }

  static std::optional<Op> sum_op(TokenKind k) {
    if (k == TokenKind::plus) return Op::add;
    if (k == TokenKind::minus) return Op::sub;
    return std::nullopt;
  }
  static std::optional<Op> product_op(TokenKind k) {
    if (k == TokenKind::star) return Op::mul;
    if (k == TokenKind::slash) return Op::div;
    if (k == TokenKind::percent) return Op::mod;
    return std::nullopt;
  }
  Result<std::uint32_t> parse_sum() { return parse_arithmetic(&sum_op, &Parser::parse_product); }
  Result<std::uint32_t> parse_product() {
    return parse_arithmetic(&product_op, &Parser::parse_unary);
  }

  // `operand (op operand)*`, left-associative, both sides numbers.
  Result<std::uint32_t> parse_arithmetic(std::optional<Op> (*op_of)(TokenKind),
                                         Result<std::uint32_t> (Parser::*operand)()) {
    auto lhs = (this->*operand)();
    if (!lhs) return lhs;
    while (auto op = op_of(peek().kind)) {
      const Token& t = take();
      const Position pos = t.pos;
      const std::string what = "'" + t.text + "'";
      auto rhs = (this->*operand)();
      if (!rhs) return rhs;
      if (auto st = need_number(*lhs, what, pos); !st) return st.error();
      if (auto st = need_number(*rhs, what, pos); !st) return st.error();
      lhs = add({*op, Type::number, *lhs, *rhs, 0}, {pos});
      if (!lhs) return lhs;
    }
    return lhs;
  }

  Result<std::uint32_t> parse_unary() {
    if (peek().kind == TokenKind::minus || peek().kind == TokenKind::plus) {
      Depth guard(depth_);
      if (depth_ > kMaxDepth) return syntax_error(peek().pos, "expression nested too deeply");
      const Token& t = take();
      const bool minus = t.kind == TokenKind::minus;
      const Position pos = t.pos;
      auto operand = parse_unary();
      if (!operand) return operand;
      if (auto st = need_number(*operand, minus ? "unary '-'" : "unary '+'", pos); !st)
        return st.error();
      if (!minus) return operand;
      return add({Op::neg, Type::number, *operand, 0, 0}, {pos});
    }
    return parse_primary();
  }

  Result<std::uint32_t> parse_call(const Function& f, Position pos) {
    take();  // '('
    std::vector<std::uint32_t> args;
    if (peek().kind != TokenKind::rparen) {
      for (;;) {
        auto a = parse_or();
        if (!a) return a;
        args.push_back(*a);
        if (accept(TokenKind::comma)) continue;
        break;
      }
    }
    if (!accept(TokenKind::rparen)) return expected("',' or ')'", peek());
    const auto n = static_cast<std::uint32_t>(args.size());
    if (n < f.min_args || n > f.max_args) {
      std::string want = f.min_args == f.max_args
                             ? std::to_string(f.min_args)
                             : std::to_string(f.min_args) + " to " + std::to_string(f.max_args);
      return syntax_error(pos, std::string(f.name) + "() takes " + want + " argument" +
                                   (f.max_args == 1 ? "" : "s") + ", got " + std::to_string(n));
    }
    Type result = Type::number;
    switch (f.op) {
      case Op::call_float:
      case Op::call_int:
        if (type(args[0]) == Type::boolean)
          return syntax_error(pos, std::string(f.name) + "() of a boolean");
        break;
      case Op::call_str:
        result = Type::string;
        break;
      default:
        for (auto a : args)
          if (auto st = need_number(a, std::string(f.name) + "()", info_[a].pos); !st)
            return st.error();
    }
    Node node{f.op, result, static_cast<std::uint32_t>(x_.args_.size()), n, 0};
    x_.args_.insert(x_.args_.end(), args.begin(), args.end());
    if (f.op == Op::call_str) {
      node.number = static_cast<double>(x_.scratch_.size());
      x_.scratch_.emplace_back();
    }
    return add(node, {pos});
  }

  Result<std::uint32_t> parse_primary() {
    const Token& t = peek();
    switch (t.kind) {
      case TokenKind::number: {
        take();
        return add({Op::number, Type::number, 0, 0, t.number}, {t.pos});
      }
      case TokenKind::string: {
        take();
        x_.strings_.push_back(t.text);
        return add(
            {Op::string, Type::string, static_cast<std::uint32_t>(x_.strings_.size() - 1), 0, 0},
            {t.pos});
      }
      case TokenKind::datapoint: {
        take();
        auto ref = resolve_ ? resolve_(t.text) : std::nullopt;
        if (!ref) return syntax_error(t.pos, "unknown datapoint " + t.text);
        if (std::find(x_.datapoints_.begin(), x_.datapoints_.end(), ref->index) ==
            x_.datapoints_.end())
          x_.datapoints_.push_back(ref->index);
        return add({Op::datapoint, type_of(ref->type), ref->index, 0, 0},
                   {t.pos, ref->type, t.text});
      }
      case TokenKind::lparen: {
        take();
        auto inner = parse_or();
        if (!inner) return inner;
        if (!accept(TokenKind::rparen)) return expected("')'", peek());
        return inner;
      }
      case TokenKind::name: {
        const Position pos = t.pos;
        const std::string name = t.text;
        if (name == "and" || name == "or" || name == "not") return expected("a value", t);
        take();
        if (peek().kind == TokenKind::lparen) {
          for (const auto& f : kFunctions)
            if (f.name == name) return parse_call(f, pos);
          return syntax_error(
              pos, "unknown function " + name + " (known: float, int, str, abs, min, max, round)");
        }
        if (auto ref = names_ ? names_(name) : std::nullopt) {
          if (std::find(x_.datapoints_.begin(), x_.datapoints_.end(), ref->index) ==
              x_.datapoints_.end())
            x_.datapoints_.push_back(ref->index);
          return add({Op::datapoint, type_of(ref->type), ref->index, 0, 0}, {pos, ref->type, name});
        }
        if (name == "True" || name == "False" || name == "true" || name == "false") {
          x_.strings_.push_back(name == "True" || name == "true" ? "TRUE" : "FALSE");
          return add(
              {Op::symbol, Type::boolean, static_cast<std::uint32_t>(x_.strings_.size() - 1), 0, 0},
              {pos});
        }
        x_.strings_.push_back(name);
        return add(
            {Op::symbol, Type::string, static_cast<std::uint32_t>(x_.strings_.size() - 1), 0, 0},
            {pos});
      }
      default:
        return expected("a value", t);
    }
  }

  std::vector<Token> toks_;
  std::size_t i_ = 0;
  const Resolver& resolve_;
  const Resolver& names_;
  Expression& x_;
  std::vector<Info> info_;
  int depth_ = 0;
};

Result<Expression> Expression::compile(std::string_view text, const Resolver& resolve,
                                       const Resolver& names) {
  auto tokens = tokenize(text);
  if (!tokens) return tokens.error();
  if (tokens->size() == 1) return syntax_error(tokens->front().pos, "empty expression");
  Expression x;
  x.source_ = std::string(text);
  Parser p(std::move(*tokens), resolve, names, x);
  auto root = p.parse_all();
  if (!root) return root.error();
  x.root_ = *root;
  return x;
}

}  // namespace weir::expression
