#include "expression/expression.hpp"

#include <gtest/gtest.h>

#include <map>

#include "expression/action.hpp"

namespace weir::expression {
namespace {

model::DatapointType make_type(std::string name, model::ValueType t,
                               std::vector<std::string> values = {}) {
  model::DatapointType d;
  d.name = std::move(name);
  d.type = t;
  d.values = std::move(values);
  return d;
}

// Datapoints by id, with a value each (monostate: unusable).
struct Plant : ValueSource {
  model::DatapointType level = make_type("LEVEL", model::ValueType::float_);
  model::DatapointType count = make_type("COUNT", model::ValueType::int_);
  model::DatapointType oc =
      make_type("OPENED_CLOSED", model::ValueType::enum_, {"OPENED", "CLOSED"});
  model::DatapointType boolean = make_type("BOOL", model::ValueType::enum_, {"TRUE", "FALSE"});
  model::DatapointType flag = make_type("FLAG", model::ValueType::bool_);
  model::DatapointType text = make_type("TEXT", model::ValueType::string);
  std::map<std::string, std::pair<DatapointIndex, const model::DatapointType*>> ids{
      {"WaterTank@TANK", {0, &level}}, {"WaterTank@DOOR", {1, &oc}},   {"Cam@ALARM", {2, &boolean}},
      {"Dev@FLAG", {3, &flag}},        {"Dev@TEXT", {4, &text}},       {"Dev@COUNT", {5, &count}},
      {"Dev@LEVEL2", {6, &level}},     {"Other@UNTYPED", {7, nullptr}}};
  std::vector<model::Value> values{5.0,   std::string("CLOSED"), std::string("FALSE"),
                                   false, std::string("12.5"),   std::int64_t{3},
                                   20.0,  std::string("x")};

  const model::Value* value(DatapointIndex i) const override {
    if (i >= values.size() || std::holds_alternative<std::monostate>(values[i])) return nullptr;
    return &values[i];
  }
  Resolver resolver() const {
    return [this](std::string_view id) -> std::optional<DatapointRef> {
      auto it = ids.find(std::string(id));
      if (it == ids.end()) return std::nullopt;
      return DatapointRef{it->second.first, it->second.second};
    };
  }
};

class ExpressionTest : public ::testing::Test {
 protected:
  Scalar eval(std::string_view text) {
    auto x = Expression::compile(text, plant.resolver());
    EXPECT_TRUE(x) << text << ": " << (x ? "" : x.error().message);
    if (!x) return {};
    return x->evaluate(plant);
  }
  bool holds(std::string_view text) { return eval(text).is_true(); }
  double number(std::string_view text) {
    auto v = eval(text);
    EXPECT_EQ(v.kind, Scalar::Kind::number) << text;
    return v.n;
  }
  std::string error(std::string_view text) {
    auto x = Expression::compile(text, plant.resolver());
    EXPECT_FALSE(x) << text << " compiled";
    return x ? "" : x.error().message;
  }
  Plant plant;
};

TEST_F(ExpressionTest, FixtureConditions) {
  EXPECT_TRUE(holds("float(WaterTank@TANK) < 10"));
  plant.values[0] = 50.0;
  EXPECT_FALSE(holds("float(WaterTank@TANK) < 10"));
  EXPECT_FALSE(holds("WaterTank@DOOR == OPENED"));
  plant.values[1] = std::string("OPENED");
  EXPECT_TRUE(holds("WaterTank@DOOR == OPENED"));
  EXPECT_TRUE(holds("WaterTank@DOOR == 'OPENED' and WaterTank@TANK > 40"));
  EXPECT_FALSE(holds("Cam@ALARM == TRUE"));
  plant.values[2] = std::string("TRUE");
  EXPECT_TRUE(holds("Cam@ALARM == TRUE"));
}

TEST_F(ExpressionTest, Arithmetic) {
  EXPECT_EQ(number("1 + 2 * 3"), 7);
  EXPECT_EQ(number("(1 + 2) * 3"), 9);
  EXPECT_EQ(number("10 - 4 - 3"), 3);  // left associative
  EXPECT_EQ(number("12 / 4 / 3"), 1);
  EXPECT_EQ(number("7 % 3"), 1);
  EXPECT_EQ(number("-7 % 3"), 2);  // Python: the sign of the divisor
  EXPECT_EQ(number("7 % -3"), -2);
  EXPECT_EQ(number("-2 * -3"), 6);
  EXPECT_EQ(number("+4"), 4);
  EXPECT_EQ(number("- - 4"), 4);
  EXPECT_EQ(number("2 * -WaterTank@TANK"), -10);
  EXPECT_EQ(number("WaterTank@TANK + Dev@COUNT"), 8);
  EXPECT_EQ(number("1_000 + 1e3 + .5"), 2000.5);
}

TEST_F(ExpressionTest, Comparisons) {
  EXPECT_TRUE(holds("1 < 2"));
  EXPECT_FALSE(holds("2 < 2"));
  EXPECT_TRUE(holds("2 <= 2"));
  EXPECT_TRUE(holds("3 > 2"));
  EXPECT_FALSE(holds("2 > 2"));
  EXPECT_TRUE(holds("2 >= 2"));
  EXPECT_TRUE(holds("2 == 2.0"));
  EXPECT_TRUE(holds("2 != 3"));
  EXPECT_TRUE(holds("'abc' < 'abd'"));
  EXPECT_TRUE(holds("'a' == 'a'"));
  EXPECT_TRUE(holds("Dev@FLAG == False"));
  EXPECT_TRUE(holds("Dev@FLAG == FALSE"));
  EXPECT_TRUE(holds("Dev@FLAG != TRUE"));
  EXPECT_TRUE(holds("Dev@FLAG == 0"));
}

TEST_F(ExpressionTest, LogicAndPrecedence) {
  EXPECT_TRUE(holds("True or False and False"));  // and binds tighter than or
  EXPECT_FALSE(holds("(True or False) and False"));
  EXPECT_TRUE(holds("not False and True"));  // not binds tighter than and
  EXPECT_FALSE(holds("not (False or True)"));
  EXPECT_TRUE(holds("not 1 > 2"));  // comparison binds tighter than not
  EXPECT_TRUE(holds("1 + 1 == 2 and 2 * 3 > 5"));
  EXPECT_TRUE(holds("not not True"));
  EXPECT_TRUE(holds("WaterTank@TANK and 'x'"));  // truthiness
  EXPECT_FALSE(holds("0 or ''"));
}

TEST_F(ExpressionTest, Functions) {
  EXPECT_EQ(number("float('2.5')"), 2.5);
  EXPECT_EQ(number("float(Dev@TEXT)"), 12.5);
  EXPECT_EQ(number("int(2.9)"), 2);
  EXPECT_EQ(number("int(-2.9)"), -2);
  EXPECT_EQ(number("abs(-3)"), 3);
  EXPECT_EQ(number("min(3, 1, 2)"), 1);
  EXPECT_EQ(number("max(3, WaterTank@TANK, 2)"), 5);
  EXPECT_EQ(number("round(2.5)"), 2);  // half to even
  EXPECT_EQ(number("round(3.5)"), 4);
  EXPECT_DOUBLE_EQ(number("round(2.345, 2)"), 2.35);
  EXPECT_TRUE(holds("str(5) == '5'"));
  EXPECT_TRUE(holds("str(2.5) == '2.5'"));
  EXPECT_TRUE(holds("str(WaterTank@DOOR) == 'CLOSED'"));
  EXPECT_TRUE(holds("str(True) == 'True'"));
}

TEST_F(ExpressionTest, UnusableValuesAreNotTrue) {
  plant.values[0] = std::monostate{};  // bad quality
  EXPECT_FALSE(holds("WaterTank@TANK < 10"));
  EXPECT_FALSE(holds("not (WaterTank@TANK < 10)"));
  EXPECT_FALSE(holds("WaterTank@TANK != 3"));
  EXPECT_EQ(eval("WaterTank@TANK < 10 and True").kind, Scalar::Kind::unknown);
  EXPECT_TRUE(eval("WaterTank@TANK < 10 and False").kind == Scalar::Kind::boolean);
  EXPECT_TRUE(holds("WaterTank@TANK < 10 or True"));
  EXPECT_FALSE(holds("float('abc') < 10"));
  EXPECT_FALSE(holds("1 / 0 > 0"));
  EXPECT_FALSE(holds("1 % 0 == 0"));
}

TEST_F(ExpressionTest, DynamicTypesOfUntypedDatapoints) {
  EXPECT_TRUE(holds("Other@UNTYPED == 'x'"));
  EXPECT_FALSE(holds("Other@UNTYPED == 1"));
  EXPECT_FALSE(holds("Other@UNTYPED > 1"));  // string vs number: unknown
  EXPECT_FALSE(holds("Other@UNTYPED + 1 > 0"));
}

TEST_F(ExpressionTest, DatapointsReadOnceEach) {
  auto x = Expression::compile(
      "WaterTank@TANK > 1 and WaterTank@TANK < 9 or WaterTank@DOOR == OPENED", plant.resolver());
  ASSERT_TRUE(x);
  EXPECT_EQ(x->datapoints(), (std::vector<DatapointIndex>{0, 1}));
  EXPECT_EQ(x->type(), Type::boolean);
}

TEST_F(ExpressionTest, ErrorsNameLineAndColumn) {
  EXPECT_EQ(error("float(WaterTank@TANK) < 10 and WaterTank@TANKK > 1"),
            "1:32: unknown datapoint WaterTank@TANKK");
  EXPECT_EQ(error("WaterTank@DOOR == OPNED"),
            "1:19: \"OPNED\" is not a value of WaterTank@DOOR (OPENED_CLOSED: OPENED, CLOSED)");
  EXPECT_EQ(error("'CLOSD' != WaterTank@DOOR"),
            "1:1: \"CLOSD\" is not a value of WaterTank@DOOR (OPENED_CLOSED: OPENED, CLOSED)");
  EXPECT_EQ(error("WaterTank@TANK > 'x'"), "1:16: cannot compare number with string using '>'");
  EXPECT_EQ(error("WaterTank@DOOR + 1"), "1:16: '+' needs numbers, got string");
  EXPECT_EQ(error("-'a'"), "1:1: unary '-' needs numbers, got string");
  EXPECT_EQ(error("Dev@FLAG < True"), "1:10: '<' cannot order booleans");
  EXPECT_EQ(error("1 <"), "1:4: expected a value, got the end");
  EXPECT_EQ(error("(1 < 2"), "1:7: expected ')', got the end");
  EXPECT_EQ(error("1 < 2 3"), "1:7: expected an operator or the end, got \"3\"");
  EXPECT_EQ(error("1 < 2 < 3"), "1:7: chained comparisons are not supported (use 'and')");
  EXPECT_EQ(error("eval('1')"),
            "1:1: unknown function eval (known: float, int, str, abs, min, max, round)");
  EXPECT_EQ(error("min(1)"), "1:1: min() takes 2 to 8 arguments, got 1");
  EXPECT_EQ(error("abs('x')"), "1:5: abs() needs numbers, got string");
  EXPECT_EQ(error("float(True)"), "1:1: float() of a boolean");
  EXPECT_EQ(error("1 = 1"), "1:3: '=' is not an operator here (use '==')");
  EXPECT_EQ(error("a.b"), "1:2: unexpected character '.'");
  EXPECT_EQ(error("'open"), "1:1: unterminated string");
  EXPECT_EQ(error("x@"), "1:3: expected a tag name after '@'");
  EXPECT_EQ(error(""), "1:1: empty expression");
  EXPECT_EQ(error("1 and\n  Dev@NOPE"), "2:3: unknown datapoint Dev@NOPE");
  EXPECT_EQ(error("12abc"), "1:1: bad number \"12a\"");
  EXPECT_EQ(error("not"), "1:4: expected a value, got the end");
}

TEST_F(ExpressionTest, NamesReadLikeDatapoints) {
  // An animation's `value`: a bare name bound to a value slot; other names stay symbols.
  Resolver names = [](std::string_view n) -> std::optional<DatapointRef> {
    if (n == "value") return DatapointRef{0, nullptr};
    return std::nullopt;
  };
  auto x = Expression::compile("280 - ((value/100) * 120)", plant.resolver(), names);
  ASSERT_TRUE(x) << x.error().message;
  plant.values[0] = 50.0;
  EXPECT_EQ(x->evaluate(plant).n, 220);
  EXPECT_EQ(x->datapoints(), std::vector<DatapointIndex>{0});
  plant.values[0] = std::monostate{};
  EXPECT_EQ(x->evaluate(plant).kind, Scalar::Kind::unknown);
  auto sym = Expression::compile("valve == OPENED", plant.resolver(), names);
  ASSERT_TRUE(sym);
  EXPECT_TRUE(sym->evaluate(plant).kind == Scalar::Kind::boolean && !sym->evaluate(plant).b);
  EXPECT_FALSE(Expression::compile("value + 1", plant.resolver()));  // without names: a symbol
}

TEST_F(ExpressionTest, BoundedInput) {
  std::string deep(200, '(');
  EXPECT_EQ(error(deep + "1" + std::string(200, ')')), "1:65: expression nested too deeply");
  EXPECT_EQ(error(std::string(5000, '1')), "1:1: longer than 4096 bytes");
  std::string wide = "1";
  for (int i = 0; i < 1100; ++i) wide += "+1";
  EXPECT_NE(error(wide).find("expression too large"), std::string::npos);
}

TEST(ActionTest, ParsesTheFixtureActions) {
  auto a = parse_action("send_command('WaterTank@PUMP_CMD', 'OPEN')");
  ASSERT_TRUE(a);
  const auto& s = std::get<SendCommand>(*a);
  EXPECT_EQ(s.datapoint, "WaterTank@PUMP_CMD");
  EXPECT_EQ(std::get<std::string>(s.value), "OPEN");
  a = parse_action("send_command('AuxServer@VALVE', 0)");
  ASSERT_TRUE(a);
  EXPECT_EQ(std::get<std::int64_t>(std::get<SendCommand>(*a).value), 0);
  a = parse_action("send_command('X@Y', -2.5)");
  ASSERT_TRUE(a);
  EXPECT_EQ(std::get<double>(std::get<SendCommand>(*a).value), -2.5);
  EXPECT_TRUE(std::holds_alternative<RaiseAlarm>(*parse_action("raise_alarm()")));
  EXPECT_TRUE(std::holds_alternative<LowerAlarm>(*parse_action(" lower_alarm( ) ")));
  a = parse_action(
      "client_alert('Switches are in an invalid state!\\nSolve?', 'confirm_cancel', "
      "'TrainTestDriver@RIGHT_SWITCH_CONTROL_CMD', 'TURN', 30)");
  ASSERT_TRUE(a) << a.error().message;
  const auto& c = std::get<ClientAlert>(*a);
  EXPECT_EQ(c.message, "Switches are in an invalid state!\nSolve?");
  EXPECT_EQ(c.type, "confirm_cancel");
  EXPECT_EQ(*c.command_datapoint, "TrainTestDriver@RIGHT_SWITCH_CONTROL_CMD");
  EXPECT_EQ(std::get<std::string>(c.command_value), "TURN");
  EXPECT_EQ(c.timeout_s, 30);
  a = parse_action("client_alert('hello')");
  ASSERT_TRUE(a);
  EXPECT_EQ(std::get<ClientAlert>(*a).type, "info");
  EXPECT_FALSE(std::get<ClientAlert>(*a).command_datapoint);
}

TEST(ActionTest, ErrorsNameTheColumn) {
  auto err = [](std::string_view t) {
    auto a = parse_action(t);
    EXPECT_FALSE(a) << t;
    return a ? std::string() : a.error().message;
  };
  EXPECT_EQ(err("os.system('x')"), "1:3: unexpected character '.'");
  EXPECT_EQ(err("exec('x')"),
            "1:1: unknown action exec (known: send_command, raise_alarm, lower_alarm, "
            "client_alert)");
  EXPECT_EQ(err("send_command('A@B')"), "1:19: send_command() takes 2 arguments, got 1");
  EXPECT_EQ(err("send_command(A@B, 1)"),
            "1:14: expected a literal (string, number, True, False or None), got \"A@B\"");
  EXPECT_EQ(err("send_command(1, 1)"), "1:14: the datapoint must be a string");
  EXPECT_EQ(err("raise_alarm(1)"), "1:13: raise_alarm() takes 0 arguments, got 1");
  EXPECT_EQ(err("raise_alarm() x"), "1:15: expected the end of the action, got \"x\"");
  EXPECT_EQ(err("client_alert('m', 'popup')"),
            "1:19: unknown alert type \"popup\" (known: info, success, warning, error, "
            "confirm_cancel)");
  EXPECT_EQ(err("client_alert('m', 'info', 'A@B')"),
            "1:32: a command datapoint needs a command value");
  EXPECT_EQ(err("client_alert('m', 'info', 'A@B', 1, -1)"),
            "1:37: the timeout must be between 0 and 86400 seconds");
  EXPECT_EQ(err("client_alert('m', 'confirm_cancel')"),
            "1:35: a confirm_cancel alert needs a command datapoint and value");
}

}  // namespace
}  // namespace weir::expression
