#pragma once
// One bounded HTTP HEAD request (is a stream's playlist there?): resolve, connect, TLS when
// asked (peer verified against the system's CAs and the host name), HEAD, read the status line
// and headers (at most 8 KiB, no body) — all asynchronous on the io thread, the whole exchange
// cut off after `timeout`. `done` is called once, on the io thread.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <functional>

#include "stream/stream_status.hpp"

namespace weir::stream {

void head_probe(boost::asio::io_context& io, boost::asio::ssl::context& tls,
                const ProbeTarget& target, Millis timeout, std::function<void(ProbeResult)> done);

}  // namespace weir::stream
