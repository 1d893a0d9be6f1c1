#pragma once
// Internal: serving one accepted TCP connection (HTTP/1.1, optionally TLS, optionally upgraded to
// a WebSocket). Defined in http_session.cpp.
#include <boost/asio/ip/tcp.hpp>
#include <memory>

#include "net/server_state.hpp"

namespace weir::net {

// Takes one connection slot and serves the socket until it closes.
void start_http_session(const std::shared_ptr<HttpServer::State>& state,
                        boost::asio::ip::tcp::socket socket, std::string remote_address);

}  // namespace weir::net
