#include "security/live_feed_socket.hpp"

namespace weir::security {

namespace {

class SocketClient final : public api::LiveClient {
 public:
  explicit SocketClient(std::shared_ptr<net::WsConnection> c) : conn_(std::move(c)) {}
  bool send(std::string text) override { return conn_->send_text(std::move(text)); }
  std::size_t queued_bytes() const override { return conn_->queued_bytes(); }
  void close(std::uint16_t code, std::string reason) override {
    conn_->close(code, std::move(reason));
  }

 private:
  std::shared_ptr<net::WsConnection> conn_;
};

class SocketListener final : public net::WsListener {
 public:
  SocketListener(api::LiveFeedHub& hub, api::LiveFeedHub::ClientId id) : hub_(hub), id_(id) {}
  void on_text(std::string_view msg) override { hub_.on_message(id_, msg); }
  void on_close() override { hub_.disconnect(id_); }

 private:
  api::LiveFeedHub& hub_;
  api::LiveFeedHub::ClientId id_;
};

}  // namespace

net::WsEndpoint live_feed_endpoint(api::LiveFeedHub& hub,
                                   std::shared_ptr<SecurityGateway> security) {
  net::WsEndpoint ep;
  ep.path = "/ws";
  ep.accept = [&hub, security](const HttpRequest& req, std::shared_ptr<net::WsConnection> conn)
      -> std::variant<HttpResponse, std::shared_ptr<net::WsListener>> {
    auto caller = security->authenticate(req);
    if (!caller) return api::error_response(caller.error());
    auto perms = std::make_shared<std::vector<std::string>>(caller->permissions);
    auto id =
        hub.connect(std::make_shared<SocketClient>(std::move(conn)), [perms](std::string_view p) {
          for (const auto& x : *perms)
            if (x == p) return true;
          return false;
        });
    return std::shared_ptr<net::WsListener>(std::make_shared<SocketListener>(hub, id));
  };
  return ep;
}

}  // namespace weir::security
