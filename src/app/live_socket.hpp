#pragma once
// Binds the /ws WebSocket endpoint to the live feed hub: the upgrade is authorised with the
// session (cookie or bearer), every feed subscription is checked against its permission.
#include "api/live_feed.hpp"
#include "api/security_gateway.hpp"
#include "net/http_server.hpp"

namespace weir::app {

net::WsEndpoint live_feed_endpoint(api::LiveFeedHub& hub,
                                   std::shared_ptr<api::SecurityGateway> security);

}  // namespace weir::app
