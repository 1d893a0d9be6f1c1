#include "demo/shared/reading_script.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/json.hpp"

namespace weir::devices {
namespace {

Error line_error(std::size_t line, const std::string& why) {
  return bad_request("bad_script", "line " + std::to_string(line) + ": " + why);
}

bool parse_double(std::string_view token, double& out) {
  const std::string s(token);
  char* end = nullptr;
  out = std::strtod(s.c_str(), &end);
  return !s.empty() && end == s.c_str() + s.size() && std::isfinite(out);
}

Result<SensorReading> parse_json_line(std::string_view text, std::size_t line, double threshold,
                                      const std::string& unit) {
  auto v = json::parse(text);
  if (!v) return line_error(line, v.error().message);
  if (!v->is_object()) return line_error(line, "expected a JSON object");
  const auto& o = v->get_object();
  SensorReading r;
  r.threshold = threshold;
  r.unit = unit;
  auto number = [&](const char* name, double& out, bool required) -> Status {
    auto it = o.find(name);
    if (it == o.end()) {
      if (required) return line_error(line, std::string(name) + " is required");
      return {};
    }
    if (!it->value().is_number()) return line_error(line, std::string(name) + " must be a number");
    out = it->value().to_number<double>();
    return {};
  };
  if (auto st = number("temperature", r.temperature, true); !st) return st.error();
  if (auto st = number("humidity", r.humidity, true); !st) return st.error();
  if (auto st = number("threshold", r.threshold, false); !st) return st.error();
  r.over_threshold = r.temperature > r.threshold;
  if (auto it = o.find("over_threshold"); it != o.end()) {
    if (!it->value().is_bool()) return line_error(line, "over_threshold must be a boolean");
    r.over_threshold = it->value().get_bool();
  }
  if (auto it = o.find("unit"); it != o.end()) {
    if (!it->value().is_string()) return line_error(line, "unit must be a string");
    r.unit = std::string(it->value().get_string());
  }
  return r;
}

}  // namespace

Result<ReadingScript> ReadingScript::parse(std::string_view text, double threshold,
                                           const std::string& unit) {
  ReadingScript script;
  std::size_t line_no = 0;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    std::string_view line = detail::trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++line_no;
    if (line.empty() || line.front() == '#') continue;
    if (line.front() == '{') {
      auto r = parse_json_line(line, line_no, threshold, unit);
      if (!r) return r.error();
      script.readings_.push_back(std::move(*r));
      continue;
    }
    std::istringstream in{std::string(line)};
    std::string t, h, extra;
    in >> t >> h >> extra;
    SensorReading r;
    if (!parse_double(t, r.temperature) || !parse_double(h, r.humidity) || !extra.empty())
      return line_error(line_no, "expected 'temperature humidity' or a JSON reading");
    r.threshold = threshold;
    r.over_threshold = r.temperature > threshold;
    r.unit = unit;
    script.readings_.push_back(std::move(r));
  }
  if (script.readings_.empty()) return bad_request("bad_script", "the script has no readings");
  return script;
}

Result<ReadingScript> ReadingScript::load(const std::string& path, double threshold,
                                          const std::string& unit) {
  std::ifstream f(path);
  if (!f) return bad_request("bad_script", "cannot read " + path);
  std::ostringstream text;
  text << f.rdbuf();
  auto r = parse(text.str(), threshold, unit);
  if (!r) return bad_request("bad_script", path + ": " + r.error().message);
  return r;
}

const SensorReading& ReadingScript::next() {
  const SensorReading& r = readings_[next_];
  next_ = (next_ + 1) % readings_.size();
  return r;
}

}  // namespace weir::devices
