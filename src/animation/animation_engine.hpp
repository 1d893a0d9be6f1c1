#pragma once
// The animation core (SPEC §6): the SVG elements bound to animations, and what each shows now.
// Bound once per configuration (every element of the process images carrying data-datapoint +
// data-animation); fed datapoint values, alarm states and driver statuses; it recomputes only the
// elements those inputs drive and reports which ones changed. `revert_after` runs on the
// injected monotonic time given to each call (tick()). Pure: no bus, no feed, no clock of its own.
//
// What an element shows is one frame: {svg, element, attr:{name: value...}, text?, duration}.
//   - datapoint trigger: the entry's expression of `value`, or its case for the value's display
//     form ("OPENED", "TRUE"; exact, then ignoring case), else `default`; a value that is not
//     good (bad, uncertain, never received) shows `quality.unknown`.
//   - alarm trigger: the state of the alarms of the rules whose condition reads the bound
//     datapoint (ACTIVE before ACK before INACTIVE; none: FINISHED), as the case key or `value`.
//   - connection trigger: the bound driver's (or the bound datapoint's driver's) status, ONLINE,
//     OFFLINE or CONNECTING; a driver never heard of shows `quality.unknown`.
// An entry with revert_after > 0 returns to `default` (else `quality.unknown`) that many seconds
// after the input that set it.
#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "animation/animation_config.hpp"
#include "core/clock.hpp"
#include "model/messages.hpp"

namespace weir::animation {

// One bound element, as the process images declare it.
struct BindingSpec {
  std::string svg;        // "1.tank.svg"
  std::string element;    // the element's id
  std::string target;     // data-datapoint: a datapoint id, or a driver name (connection)
  std::string animation;  // data-animation
};

// What the configuration knows.
struct References {
  std::function<std::optional<model::DatapointIndex>(std::string_view id)> datapoint;
  std::function<bool(std::string_view name)> driver;
  // Rules reading a datapoint (for alarm-triggered animations).
  std::function<std::vector<std::string>(model::DatapointIndex)> rules_reading;
};

struct Frame {
  boost::json::object attr;
  std::optional<std::string> text;
  double duration = 0;
  bool operator==(const Frame&) const = default;
};

class AnimationEngine {
 public:
  using Key = std::uint32_t;  // a binding's index: the key of feed `animation`

  AnimationEngine() = default;
  // Binds every spec whose animation and target are known; the others are warnings naming the
  // file and the element ("svg/1.tank.svg: element tank_fill: ..."). Every binding starts with
  // its unknown frame (connection bindings: OFFLINE, drivers start offline).
  AnimationEngine(Animations animations, const std::vector<BindingSpec>& specs,
                  const References& refs, std::vector<std::string>& warnings);

  // Inputs; each appends the bindings whose frame changed to `changed`.
  void on_value(model::DatapointIndex dp, const model::Value* value, bool good, MonoTime now,
                std::vector<Key>& changed);
  void on_connection(std::string_view driver, model::DriverState state, MonoTime now,
                     std::vector<Key>& changed);
  void on_alarm(std::string_view rule_id, std::optional<model::AlarmState> state, MonoTime now,
                std::vector<Key>& changed);
  // Reverts whose time has come.
  void tick(MonoTime now, std::vector<Key>& changed);

  std::size_t size() const { return bindings_.size(); }
  const Frame& frame(Key k) const { return bindings_[k].frame; }
  const std::string& svg(Key k) const { return bindings_[k].svg; }
  const std::string& element(Key k) const { return bindings_[k].element; }
  // {"svg":..,"element":..,"attr":{..},"text":..,"duration":..} (text only when the animation
  // sets it).
  void encode(Key k, std::string& out) const;
  // Datapoints that drive datapoint-triggered bindings (the module seeds them at load).
  std::vector<model::DatapointIndex> bound_datapoints() const;
  std::vector<std::string> bound_drivers() const;

 private:
  struct Binding {
    std::string svg, element;
    const Animation* animation = nullptr;
    model::DatapointIndex dp = 0;
    std::string driver;                              // connection
    std::vector<std::string> rules;                  // alarm
    std::vector<std::optional<MonoTime>> revert_at;  // per entry
    Frame frame;
  };
  // Recomputes binding k from its input (null: unknown); `now` null: no revert is scheduled.
  void show(Key k, const model::Value* value, const MonoTime* now, std::vector<Key>* changed);
  model::Value alarm_state_of(const Binding& b) const;

  Animations animations_;
  std::vector<Binding> bindings_;
  std::unordered_map<model::DatapointIndex, std::vector<Key>> by_datapoint_;
  std::map<std::string, std::vector<Key>, std::less<>> by_driver_;
  std::map<std::string, std::vector<Key>, std::less<>> by_rule_;
  std::map<std::string, model::AlarmState, std::less<>> alarms_;
  std::vector<Key> reverting_;  // bindings with a revert pending
};

}  // namespace weir::animation
