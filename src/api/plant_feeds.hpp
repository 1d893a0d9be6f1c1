#pragma once
// Live feeds of the foundation modules: "datapoint" (key: datapoint index), "command" (key:
// command datapoint index) and "communication" (key: driver position).
#include <functional>

#include "api/live_feed.hpp"
#include "api/plant.hpp"
#include "bus/bus.hpp"

namespace weir::api {

class PlantFeeds {
 public:
  PlantFeeds(LiveFeedHub& hub, bus::Bus& bus, std::function<Plant&()> plant);

 private:
  LiveFeedHub& hub_;
  std::function<Plant&()> plant_;
  LiveFeedHub::FeedId datapoint_ = 0, command_ = 0, communication_ = 0;
  bus::Subscription tags_, feedback_, drivers_;
};

// {"id":..,"value":..,"quality":..,"reason":..,"source_time":..,"server_time":..}
void append_datapoint_update(std::string& out, const datapoint::DatapointInfo& info,
                             const datapoint::DatapointState& s);

}  // namespace weir::api
