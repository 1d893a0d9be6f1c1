#include "demo/shared/asyncapi.hpp"

#include <string_view>

#include "core/json_schema.hpp"
#include "demo/shared/payloads_json.hpp"

namespace weir::devices {
namespace {

using boost::json::array;
using boost::json::object;

array names(const char* const* first, std::size_t n) {
  array a;
  for (std::size_t i = 0; i < n; ++i) a.emplace_back(first[i]);
  return a;
}

// Member descriptions for the derived schemas.
void describe_members(json::SchemaRegistry& reg) {
  reg.describe("SensorReading.temperature", "Temperature, in `unit`.");
  reg.describe("SensorReading.humidity", "Relative humidity, %.");
  reg.describe("SensorReading.threshold", "The device's temperature threshold, in `unit`.");
  reg.describe("SensorReading.over_threshold",
               "temperature > threshold: makes the peer play in cross-linked mode.");
  reg.describe("SensorReading.unit", "Temperature unit: C or F.");
  reg.describe("BuzzerState.playing", "Whether the buzzer is playing its melody.");
  reg.describe("BuzzerState.mode", "auto (cross-linked), override_on or override_off.");
  reg.describe("BuzzerState.step", "Index of the note sounding; 0 while silent.");
  reg.describe("BuzzerState.melody", "Name of the melody the device plays.");
  reg.describe("BuzzerState.peer", "What the device knows of its peer.");
  reg.describe("BuzzerState.since",
               "When playing or mode last changed, or the melody restarted (ISO 8601 UTC; empty "
               "when the device has no wall clock).");
  reg.describe("BuzzerState.reason", "Why the buzzer plays or is silent.");
  reg.describe("PeerView.id", "The peer's device id.");
  reg.describe("PeerView.presence", "The peer's last presence status.");
  reg.describe("PeerView.over_threshold",
               "over_threshold of the peer's last reading; absent when there is none.");
}

// Text enumerations the structs hold as strings get their allowed values from crosslink.hpp.
void add_enums(object& schemas) {
  auto prop = [&](std::string_view type, std::string_view member) -> object& {
    return schemas.at(type).as_object().at("properties").as_object().at(member).as_object();
  };
  prop("BuzzerState", "mode")["enum"] = names(kModeNames, std::size(kModeNames));
  prop("BuzzerState", "reason")["enum"] = names(kReasonNames, std::size(kReasonNames));
  prop("PeerView", "presence")["enum"] = names(kPresenceNames, std::size(kPresenceNames));
  prop("SensorReading", "unit")["enum"] = array{"C", "F"};
}

object message(std::string_view name, std::string_view title, std::string_view summary,
               std::string_view content_type, boost::json::value payload, array examples) {
  return object{{"name", name},
                {"title", title},
                {"summary", summary},
                {"contentType", content_type},
                {"payload", std::move(payload)},
                {"examples", std::move(examples)}};
}

object example(std::string_view name, boost::json::value payload) {
  return object{{"name", name}, {"payload", std::move(payload)}};
}

object channel(const TopicPattern& t, std::string_view message_name) {
  return object{
      {"address", t.pattern},
      {"title", t.name},
      {"description", t.summary},
      {"parameters",
       object{{"device", object{{"description", "Device id, e.g. raspberry or esp32."},
                                {"examples", array{"raspberry", "esp32"}}}}}},
      {"messages", object{{message_name, object{{"$ref", std::string("#/components/messages/") +
                                                             std::string(message_name)}}}}}};
}

object operation(std::string_view action, const TopicPattern& t, std::string_view message_name,
                 std::string_view summary) {
  const std::string ch = std::string("#/channels/") + t.name;
  return object{
      {"action", action},
      {"channel", object{{"$ref", ch}}},
      {"summary", summary},
      {"messages", array{object{{"$ref", ch + "/messages/" + std::string(message_name)}}}},
      {"bindings",
       object{
           {"mqtt", object{{"qos", t.qos}, {"retain", t.retained}, {"bindingVersion", "0.2.0"}}}}}};
}

object server(const std::string& host, std::uint16_t port, std::string_view protocol,
              std::string_view description) {
  return object{{"host", host + ":" + std::to_string(port)},
                {"protocol", protocol},
                {"description", description}};
}

}  // namespace

boost::json::object asyncapi_document(const AsyncApiServers& s) {
  json::SchemaRegistry reg;
  describe_members(reg);
  boost::json::value reading_schema = reg.schema<SensorReading>();
  boost::json::value state_schema = reg.schema<BuzzerState>();
  object schemas = reg.components();
  add_enums(schemas);

  object servers;
  if (s.mqtt_port)
    servers["mqtt"] = server(s.host, *s.mqtt_port, "mqtt", "MQTT 3.1.1/5.0 over TCP.");
  if (s.mqtts_port)
    servers["mqtts"] = server(s.host, *s.mqtts_port, "secure-mqtt", "MQTT 3.1.1/5.0 over TLS.");
  if (s.ws_port) {
    object ws = server(s.host, *s.ws_port, "ws", "MQTT over WebSocket (subprotocol mqtt).");
    ws["pathname"] = s.ws_path;
    servers["mqtt-ws"] = std::move(ws);
  }
  if (s.wss_port) {
    object wss =
        server(s.host, *s.wss_port, "wss", "MQTT over secure WebSocket (subprotocol mqtt).");
    wss["pathname"] = s.ws_path;
    servers["mqtt-wss"] = std::move(wss);
  }

  object messages{
      {"SensorReading", message("SensorReading", "Sensor reading", topics::sensors.summary,
                                "application/json", reading_schema,
                                array{example("warm", object{{"temperature", 29.5},
                                                             {"humidity", 41.2},
                                                             {"threshold", 28},
                                                             {"over_threshold", true},
                                                             {"unit", "C"}})})},
      {"PlayCommand",
       message("PlayCommand", "Play command", topics::play_command.summary, "text/plain",
               object{{"type", "string"},
                      {"enum", array{"true", "false", ""}},
                      {"description",
                       "Devices also accept 1/0, on/off, any case, surrounding "
                       "whitespace and JSON-quoted strings; anything else is "
                       "ignored and logged."}},
               array{example("play", "true"), example("stop", "false"), example("resume", "")})},
      {"PresenceStatus",
       message("PresenceStatus", "Presence", topics::presence.summary, "text/plain",
               object{{"type", "string"}, {"enum", array{"online", "offline"}}},
               array{example("online", "online"), example("lost", "offline")})},
      {"BuzzerState",
       message("BuzzerState", "Buzzer state", topics::state.summary, "application/json",
               state_schema,
               array{example("playing", object{{"playing", true},
                                               {"mode", "auto"},
                                               {"step", 3},
                                               {"melody", "ode_to_joy"},
                                               {"peer", object{{"id", "raspberry"},
                                                               {"presence", "online"},
                                                               {"over_threshold", true}}},
                                               {"since", "2026-01-01T12:00:00.000Z"},
                                               {"reason", "peer over threshold"}})})},
  };

  object channels{
      {topics::sensors.name, channel(topics::sensors, "SensorReading")},
      {topics::play_command.name, channel(topics::play_command, "PlayCommand")},
      {topics::presence.name, channel(topics::presence, "PresenceStatus")},
      {topics::state.name, channel(topics::state, "BuzzerState")},
  };

  object operations{
      {"publishReading", operation("send", topics::sensors, "SensorReading",
                                   "A device publishes its reading every few seconds.")},
      {"receivePeerReading",
       operation("receive", topics::sensors, "SensorReading",
                 "A device follows its peer's readings (cross-linked mode).")},
      {"receivePlayCommand", operation("receive", topics::play_command, "PlayCommand",
                                       "A device obeys play/stop/resume overrides (QoS 1).")},
      {"publishPresence",
       operation("send", topics::presence, "PresenceStatus",
                 "A device announces itself online; its Last Will says offline.")},
      {"receivePeerPresence",
       operation("receive", topics::presence, "PresenceStatus",
                 "A device restarts its melody when its peer comes online.")},
      {"publishBuzzerState",
       operation("send", topics::state, "BuzzerState",
                 "A device reports its buzzer whenever it changes (retained).")},
  };

  object doc{
      {"asyncapi", "3.0.0"},
      {"info",
       object{{"title", "Weir microcontroller demo (MQTT)"},
              {"version", s.version},
              {"description",
               "Two devices, raspberry and esp32, each with a temperature/humidity sensor and a "
               "buzzer. In cross-linked mode each plays its melody while the other's reading is "
               "over its threshold; commands override that. Operations are written from a "
               "device's point of view: Weir and the dashboard do the mirror image."}}},
      {"defaultContentType", "application/json"},
      {"channels", std::move(channels)},
      {"operations", std::move(operations)},
      {"components", object{{"messages", std::move(messages)}, {"schemas", std::move(schemas)}}},
  };
  if (!servers.empty()) doc["servers"] = std::move(servers);
  return doc;
}

}  // namespace weir::devices
