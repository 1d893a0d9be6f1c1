#pragma once
// Binds the /ws WebSocket endpoint to the live feed hub: the upgrade is authorised with the
// session (cookie or bearer), every feed subscription is checked against its permission.
#include "api/live_feed.hpp"
#include "net/http_server.hpp"
#include "security/security_gateway.hpp"

namespace weir::security {

net::WsEndpoint live_feed_endpoint(api::LiveFeedHub& hub,
                                   std::shared_ptr<SecurityGateway> security);

}  // namespace weir::security
