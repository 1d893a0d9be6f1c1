// libFuzzer target: topic filter / topic name validation, shared-subscription parsing and
// matching. Whatever validates must behave: a valid name matches itself and "#" (unless '$').
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "mqtt/codec/topic.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace weir::mqtt;
  std::string_view all(reinterpret_cast<const char*>(data), size);
  auto nl = all.find('\n');
  std::string_view filter = all.substr(0, nl);
  std::string_view topic = nl == std::string_view::npos ? std::string_view{} : all.substr(nl + 1);
  TopicLimits limits{1024, 32};
  bool fvalid = valid_topic_filter(filter, limits);
  if (is_shared_filter(filter)) {
    auto s = parse_shared_filter(filter, limits);
    if (s.has_value() != fvalid) std::abort();
    if (s && (s->group.empty() || s->filter.empty())) std::abort();
  }
  if (valid_topic_name(topic, limits)) {
    if (!topic_matches(topic, topic)) std::abort();
    if (topic[0] != '$' && !topic_matches("#", topic)) std::abort();
    if (fvalid && !is_shared_filter(filter)) (void)topic_matches(filter, topic);
  }
  // Every topic name is a filter, except names starting "$share/" which filters treat as shared.
  if (valid_topic_name(filter, limits) && !is_shared_filter(filter) && !fvalid) std::abort();
  return 0;
}
