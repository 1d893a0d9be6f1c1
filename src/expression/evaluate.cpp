// Evaluation of a compiled expression: a walk over the flat tree with values as Scalars (strings
// as views), no allocation. Unknown (unusable input, failed conversion, division by zero)
// propagates; and/or use three-valued logic.
#include <charconv>
#include <cmath>
#include <cstring>

#include "expression/expression.hpp"

namespace weir::expression {
namespace {

using Kind = Scalar::Kind;

// Python's truthiness; unknown stays unknown.
Scalar truth(const Scalar& v) {
  switch (v.kind) {
    case Kind::boolean:
      return v;
    case Kind::number:
      return Scalar::of(v.n != 0);
    case Kind::string:
      return Scalar::of(!v.s.empty());
    case Kind::unknown:
      break;
  }
  return Scalar::none();
}

bool as_number(const Scalar& v, double& out) {
  if (v.kind == Kind::number) {
    out = v.n;
    return true;
  }
  if (v.kind == Kind::boolean) {
    out = v.b ? 1 : 0;
    return true;
  }
  return false;
}

bool symbol_is_true(std::string_view s) {
  return s == "TRUE" || s == "True" || s == "true";
}
bool symbol_is_false(std::string_view s) {
  return s == "FALSE" || s == "False" || s == "false";
}

// nullopt: unknown (an input was unusable).
std::optional<bool> equal(const Scalar& x, const Scalar& y) {
  if (x.kind == Kind::unknown || y.kind == Kind::unknown) return std::nullopt;
  if (x.kind == Kind::string && y.kind == Kind::string) return x.s == y.s;
  if (x.kind == Kind::string || y.kind == Kind::string) {
    const Scalar& s = x.kind == Kind::string ? x : y;
    const Scalar& o = x.kind == Kind::string ? y : x;
    if (o.kind == Kind::boolean) return o.b ? symbol_is_true(s.s) : symbol_is_false(s.s);
    return false;
  }
  double a = 0, b = 0;
  as_number(x, a);
  as_number(y, b);
  return a == b;
}

// <0, 0, >0; nullopt when the two cannot be ordered.
std::optional<int> order(const Scalar& x, const Scalar& y) {
  if (x.kind == Kind::number && y.kind == Kind::number)
    return x.n < y.n ? -1 : (x.n > y.n ? 1 : (x.n == y.n ? 0 : 2));
  if (x.kind == Kind::string && y.kind == Kind::string) {
    const int c = x.s.compare(y.s);
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  return std::nullopt;
}

std::optional<double> parse_number(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

Scalar Expression::evaluate(const ValueSource& source) const {
  if (nodes_.empty()) return Scalar::none();
  return eval(root_, source);
}

Scalar Expression::eval(std::uint32_t i, const ValueSource& src) const {
  const Node& n = nodes_[i];
  switch (n.op) {
    case Op::number:
      return Scalar::of(n.number);
    case Op::string:
      return Scalar::of(std::string_view(strings_[n.a]));
    case Op::symbol:
      if (n.type == Type::boolean) return Scalar::of(strings_[n.a] == "TRUE");
      return Scalar::of(std::string_view(strings_[n.a]));
    case Op::datapoint: {
      const model::Value* v = src.value(n.a);
      if (!v) return Scalar::none();
      switch (v->index()) {
        case 1:
          return Scalar::of(std::get<bool>(*v));
        case 2:
          return Scalar::of(static_cast<double>(std::get<std::int64_t>(*v)));
        case 3:
          return Scalar::of(std::get<double>(*v));
        case 4:
          return Scalar::of(std::string_view(std::get<std::string>(*v)));
        default:
          return Scalar::none();
      }
    }
    case Op::not_: {
      const Scalar t = truth(eval(n.a, src));
      return t.kind == Kind::unknown ? t : Scalar::of(!t.b);
    }
    case Op::and_: {
      const Scalar l = truth(eval(n.a, src));
      if (l.kind == Kind::boolean && !l.b) return l;
      const Scalar r = truth(eval(n.b, src));
      if (r.kind == Kind::boolean && !r.b) return r;
      if (l.kind == Kind::unknown || r.kind == Kind::unknown) return Scalar::none();
      return Scalar::of(true);
    }
    case Op::or_: {
      const Scalar l = truth(eval(n.a, src));
      if (l.kind == Kind::boolean && l.b) return l;
      const Scalar r = truth(eval(n.b, src));
      if (r.kind == Kind::boolean && r.b) return r;
      if (l.kind == Kind::unknown || r.kind == Kind::unknown) return Scalar::none();
      return Scalar::of(false);
    }
    case Op::eq:
    case Op::ne: {
      auto e = equal(eval(n.a, src), eval(n.b, src));
      if (!e) return Scalar::none();
      return Scalar::of(n.op == Op::eq ? *e : !*e);
    }
    case Op::lt:
    case Op::le:
    case Op::gt:
    case Op::ge: {
      auto c = order(eval(n.a, src), eval(n.b, src));
      if (!c || *c == 2) return c ? Scalar::of(false) : Scalar::none();  // 2: NaN
      switch (n.op) {
        case Op::lt:
          return Scalar::of(*c < 0);
        case Op::le:
          return Scalar::of(*c <= 0);
        case Op::gt:
          return Scalar::of(*c > 0);
        default:
          return Scalar::of(*c >= 0);
      }
    }
    case Op::neg: {
      double v = 0;
      if (!as_number(eval(n.a, src), v)) return Scalar::none();
      return Scalar::of(-v);
    }
    case Op::add:
    case Op::sub:
    case Op::mul:
    case Op::div:
    case Op::mod: {
      double a = 0, b = 0;
      if (!as_number(eval(n.a, src), a) || !as_number(eval(n.b, src), b)) return Scalar::none();
      switch (n.op) {
        case Op::add:
          return Scalar::of(a + b);
        case Op::sub:
          return Scalar::of(a - b);
        case Op::mul:
          return Scalar::of(a * b);
        case Op::div:
          if (b == 0) return Scalar::none();
          return Scalar::of(a / b);
        default: {
          if (b == 0) return Scalar::none();
          double r = std::fmod(a, b);
          if (r != 0 && ((r < 0) != (b < 0))) r += b;  // Python: the sign of the divisor
          return Scalar::of(r);
        }
      }
    }
    case Op::call_float:
    case Op::call_int: {
      const Scalar v = eval(args_[n.a], src);
      double d = 0;
      if (v.kind == Kind::string) {
        auto p = parse_number(v.s);
        if (!p) return Scalar::none();
        d = *p;
      } else if (!as_number(v, d)) {
        return Scalar::none();
      }
      if (n.op == Op::call_int) {
        if (!std::isfinite(d)) return Scalar::none();
        d = std::trunc(d);
      }
      return Scalar::of(d);
    }
    case Op::call_str: {
      const Scalar v = eval(args_[n.a], src);
      auto& slot = scratch_[static_cast<std::size_t>(n.number)];
      switch (v.kind) {
        case Kind::string:
          return v;
        case Kind::boolean:
          return Scalar::of(std::string_view(v.b ? "True" : "False"));
        case Kind::number: {
          auto [p, ec] = std::to_chars(slot.data(), slot.data() + slot.size(), v.n);
          if (ec != std::errc()) return Scalar::none();
          return Scalar::of(
              std::string_view(slot.data(), static_cast<std::size_t>(p - slot.data())));
        }
        case Kind::unknown:
          break;
      }
      return Scalar::none();
    }
    case Op::call_abs: {
      double v = 0;
      if (!as_number(eval(args_[n.a], src), v)) return Scalar::none();
      return Scalar::of(std::fabs(v));
    }
    case Op::call_min:
    case Op::call_max: {
      double best = 0;
      for (std::uint32_t k = 0; k < n.b; ++k) {
        double v = 0;
        if (!as_number(eval(args_[n.a + k], src), v)) return Scalar::none();
        if (k == 0 || (n.op == Op::call_min ? v < best : v > best)) best = v;
      }
      return Scalar::of(best);
    }
    case Op::call_round: {
      double v = 0;
      if (!as_number(eval(args_[n.a], src), v)) return Scalar::none();
      if (n.b == 1) return Scalar::of(std::nearbyint(v));  // half to even, as Python
      double digits = 0;
      if (!as_number(eval(args_[n.a + 1], src), digits)) return Scalar::none();
      if (digits > 15 || digits < -15) return Scalar::of(v);
      const double scale = std::pow(10.0, std::trunc(digits));
      return Scalar::of(std::nearbyint(v * scale) / scale);
    }
  }
  return Scalar::none();
}

}  // namespace weir::expression
