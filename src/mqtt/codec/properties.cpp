#include "mqtt/codec/properties.hpp"

namespace weir::mqtt {

bool Properties::empty() const noexcept {
  return *this == Properties{};
}

bool property_allowed(PropertyId id, PropertyContext ctx) noexcept {
  using C = PropertyContext;
  switch (id) {
    case PropertyId::payload_format_indicator:
    case PropertyId::message_expiry_interval:
    case PropertyId::content_type:
    case PropertyId::response_topic:
    case PropertyId::correlation_data:
      return ctx == C::publish || ctx == C::will;
    case PropertyId::subscription_identifier:
      return ctx == C::publish || ctx == C::subscribe;
    case PropertyId::session_expiry_interval:
      return ctx == C::connect || ctx == C::connack || ctx == C::disconnect;
    case PropertyId::assigned_client_identifier:
    case PropertyId::server_keep_alive:
    case PropertyId::response_information:
    case PropertyId::maximum_qos:
    case PropertyId::retain_available:
    case PropertyId::wildcard_subscription_available:
    case PropertyId::subscription_identifier_available:
    case PropertyId::shared_subscription_available:
      return ctx == C::connack;
    case PropertyId::authentication_method:
    case PropertyId::authentication_data:
      return ctx == C::connect || ctx == C::connack || ctx == C::auth;
    case PropertyId::request_problem_information:
    case PropertyId::request_response_information:
      return ctx == C::connect;
    case PropertyId::will_delay_interval:
      return ctx == C::will;
    case PropertyId::server_reference:
      return ctx == C::connack || ctx == C::disconnect;
    case PropertyId::reason_string:
      return ctx != C::connect && ctx != C::will && ctx != C::publish && ctx != C::subscribe &&
             ctx != C::unsubscribe;
    case PropertyId::receive_maximum:
    case PropertyId::topic_alias_maximum:
    case PropertyId::maximum_packet_size:
      return ctx == C::connect || ctx == C::connack;
    case PropertyId::topic_alias:
      return ctx == C::publish;
    case PropertyId::user_property:
      return true;
  }
  return false;
}

const char* to_string(PropertyId id) noexcept {
  switch (id) {
    case PropertyId::payload_format_indicator:
      return "Payload Format Indicator";
    case PropertyId::message_expiry_interval:
      return "Message Expiry Interval";
    case PropertyId::content_type:
      return "Content Type";
    case PropertyId::response_topic:
      return "Response Topic";
    case PropertyId::correlation_data:
      return "Correlation Data";
    case PropertyId::subscription_identifier:
      return "Subscription Identifier";
    case PropertyId::session_expiry_interval:
      return "Session Expiry Interval";
    case PropertyId::assigned_client_identifier:
      return "Assigned Client Identifier";
    case PropertyId::server_keep_alive:
      return "Server Keep Alive";
    case PropertyId::authentication_method:
      return "Authentication Method";
    case PropertyId::authentication_data:
      return "Authentication Data";
    case PropertyId::request_problem_information:
      return "Request Problem Information";
    case PropertyId::will_delay_interval:
      return "Will Delay Interval";
    case PropertyId::request_response_information:
      return "Request Response Information";
    case PropertyId::response_information:
      return "Response Information";
    case PropertyId::server_reference:
      return "Server Reference";
    case PropertyId::reason_string:
      return "Reason String";
    case PropertyId::receive_maximum:
      return "Receive Maximum";
    case PropertyId::topic_alias_maximum:
      return "Topic Alias Maximum";
    case PropertyId::topic_alias:
      return "Topic Alias";
    case PropertyId::maximum_qos:
      return "Maximum QoS";
    case PropertyId::retain_available:
      return "Retain Available";
    case PropertyId::user_property:
      return "User Property";
    case PropertyId::maximum_packet_size:
      return "Maximum Packet Size";
    case PropertyId::wildcard_subscription_available:
      return "Wildcard Subscription Available";
    case PropertyId::subscription_identifier_available:
      return "Subscription Identifier Available";
    case PropertyId::shared_subscription_available:
      return "Shared Subscription Available";
  }
  return "unknown property";
}

}  // namespace weir::mqtt
