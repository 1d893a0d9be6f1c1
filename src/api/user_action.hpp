#pragma once
// Publishes what an operator did (model::UserAction) on the bus: the security module writes it to
// the audit log, tracking and the historian follow it. Every control route calls this once.
#include "api/router.hpp"
#include "bus/bus.hpp"
#include "core/clock.hpp"
#include "model/messages.hpp"

namespace weir::api {

inline void publish_user_action(bus::Bus& bus, const Clock& clock, const RequestContext& ctx,
                                std::string action, std::string target, bool ok, std::string detail,
                                std::string correlation_id = {}) {
  bus.publish(model::UserAction{ctx.caller.user, ctx.request.remote_address, std::move(action),
                                std::move(target), ok, std::move(detail), clock.now(),
                                std::move(correlation_id)});
}

}  // namespace weir::api
