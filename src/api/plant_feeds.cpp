#include "api/plant_feeds.hpp"

#include "api/plant_routes.hpp"

namespace weir::api {

void append_datapoint_update(std::string& out, const datapoint::DatapointInfo& info,
                             const datapoint::DatapointState& s) {
  out += R"({"id":)";
  json::append_escaped(out, info.id);
  out += R"(,"value":)";
  model::append_json(out, s.value);
  out += R"(,"quality":")";
  out += json::enum_name(s.quality);
  out += R"(","reason":")";
  out += json::enum_name(s.reason);
  out += R"(","source_time":")";
  if (s.source_time != WallTime{}) out += to_iso8601(s.source_time);
  out += R"(","server_time":")";
  out += to_iso8601(s.server_time);
  out += "\"}";
}

PlantFeeds::PlantFeeds(LiveFeedHub& hub, bus::Bus& bus, std::function<Plant&()> plant)
    : hub_(hub), plant_(std::move(plant)) {
  datapoint_ = hub_.add_feed(
      {"datapoint", "view",
       [this](std::string& out) {
         auto& p = plant_();
         for (std::size_t i = 0; i < p.registry->size(); ++i) {
           if (i) out.push_back(',');
           json::dump_to(out, json::to_json(to_dto(
                                  p.registry->info(static_cast<model::DatapointIndex>(i)),
                                  p.datapoints->state(static_cast<model::DatapointIndex>(i)))));
         }
       },
       [this](std::uint64_t key, std::string& out) {
         auto& p = plant_();
         if (key >= p.registry->size()) {
           out += "null";
           return;
         }
         const auto i = static_cast<model::DatapointIndex>(key);
         append_datapoint_update(out, p.registry->info(i), p.datapoints->state(i));
       }});
  command_ = hub_.add_feed({"command", "view",
                            [this](std::string& out) {
                              auto& p = plant_();
                              bool first = true;
                              for (const auto& fb : p.commands->all_latest()) {
                                if (!first) out.push_back(',');
                                first = false;
                                json::dump_to(out, json::to_json(to_dto(*p.registry, fb)));
                              }
                            },
                            [this](std::uint64_t key, std::string& out) {
                              auto& p = plant_();
                              const auto* fb =
                                  p.commands->latest(static_cast<model::DatapointIndex>(key));
                              if (!fb)
                                out += "null";
                              else
                                json::dump_to(out, json::to_json(to_dto(*p.registry, *fb)));
                            }});
  communication_ = hub_.add_feed({"communication", "view",
                                  [this](std::string& out) {
                                    bool first = true;
                                    for (const auto& d : plant_().drivers->list()) {
                                      if (!first) out.push_back(',');
                                      first = false;
                                      json::dump_to(out, json::to_json(to_dto(d)));
                                    }
                                  },
                                  [this](std::uint64_t key, std::string& out) {
                                    auto list = plant_().drivers->list();
                                    if (key >= list.size())
                                      out += "null";
                                    else
                                      json::dump_to(out, json::to_json(to_dto(list[key])));
                                  }});
  tags_ = bus.subscribe<model::TagUpdate>(
      [this](const model::TagUpdate& u) { hub_.mark(datapoint_, u.index); });
  feedback_ = bus.subscribe<model::CommandFeedback>(
      [this](const model::CommandFeedback& f) { hub_.mark(command_, f.index); });
  drivers_ = bus.subscribe<model::DriverStatusChanged>([this](const model::DriverStatusChanged& s) {
    auto list = plant_().drivers->list();
    for (std::size_t i = 0; i < list.size(); ++i)
      if (list[i].name == s.driver) hub_.mark(communication_, i);
  });
}

}  // namespace weir::api
