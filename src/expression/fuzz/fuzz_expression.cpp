// libFuzzer target: the rule language. Any text either compiles or is refused with a positioned
// error; what compiles evaluates (against values of every kind) without crashing; actions parse
// or are refused the same way.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "expression/action.hpp"
#include "expression/expression.hpp"

namespace {

struct Values : weir::expression::ValueSource {
  weir::model::Value v[4] = {2.5, std::string("OPENED"), true, std::int64_t{-3}};
  const weir::model::Value* value(std::uint32_t i) const override {
    return i < 4 ? &v[i] : nullptr;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace weir::expression;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  static weir::model::DatapointType level{"LEVEL", weir::model::ValueType::float_};
  static weir::model::DatapointType oc{
      "OC", weir::model::ValueType::enum_, {}, {}, {"OPENED", "CLOSED"}};
  Resolver resolve = [](std::string_view id) -> std::optional<DatapointRef> {
    if (id == "A@X") return DatapointRef{0, &level};
    if (id == "A@DOOR") return DatapointRef{1, &oc};
    if (id == "A@B") return DatapointRef{2, nullptr};
    if (id == "A@I") return DatapointRef{3, nullptr};
    if (id == "A@BAD") return DatapointRef{7, nullptr};
    return std::nullopt;
  };
  auto x = Expression::compile(text, resolve);
  if (x) {
    Values values;
    (void)x->evaluate(values);
    for (auto dp : x->datapoints())
      if (dp > 7) std::abort();
  } else if (x.error().message.find(':') == std::string::npos) {
    std::abort();  // every error names its position
  }
  auto a = parse_action(text);
  if (!a && a.error().message.find(':') == std::string::npos) std::abort();
  return 0;
}
