#include "security/live_feed_socket.hpp"

#include <map>

namespace weir::security {

namespace {

// WebSocket close code for a session or right that ended (RFC 6455: policy violation).
constexpr std::uint16_t kRevokedCode = 1008;

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

// The open /ws sockets with the session each was opened with, so a revocation reaches them.
class OpenSockets {
 public:
  struct Socket {
    std::string user;
    std::string session_id;
    std::shared_ptr<std::vector<std::string>> permissions;  // what the hub's `can` reads
  };

  OpenSockets(api::LiveFeedHub& hub, std::weak_ptr<SecurityGateway> security)
      : hub_(hub), security_(std::move(security)) {}

  void add(api::LiveFeedHub::ClientId id, Socket s) { sockets_.emplace(id, std::move(s)); }
  void remove(api::LiveFeedHub::ClientId id) { sockets_.erase(id); }

  void on_revocation(const Revocation& r) {
    auto security = security_.lock();
    std::vector<std::pair<api::LiveFeedHub::ClientId, const char*>> closing;
    for (auto& [id, s] : sockets_) {
      switch (r.scope) {
        case Revocation::Scope::session:
          if (s.session_id == r.session_id) closing.emplace_back(id, "session ended");
          break;
        case Revocation::Scope::user:
          if (s.user == r.username) closing.emplace_back(id, "session revoked");
          break;
        case Revocation::Scope::configuration: {
          auto now = security ? security->current_permissions(s.user) : std::nullopt;
          if (!now) {
            closing.emplace_back(id, "session revoked");
          } else if (*now != *s.permissions) {
            *s.permissions = std::move(*now);
            hub_.recheck(id);
          }
          break;
        }
      }
    }
    for (auto [id, why] : closing) {
      sockets_.erase(id);
      hub_.revoke(id, kRevokedCode, why);
    }
  }

 private:
  api::LiveFeedHub& hub_;
  std::weak_ptr<SecurityGateway> security_;
  std::map<api::LiveFeedHub::ClientId, Socket> sockets_;
};

class SocketListener final : public net::WsListener {
 public:
  SocketListener(api::LiveFeedHub& hub, std::shared_ptr<OpenSockets> open,
                 api::LiveFeedHub::ClientId id)
      : hub_(hub), open_(std::move(open)), id_(id) {}
  void on_text(std::string_view msg) override { hub_.on_message(id_, msg); }
  void on_close() override {
    open_->remove(id_);
    hub_.disconnect(id_);
  }

 private:
  api::LiveFeedHub& hub_;
  std::shared_ptr<OpenSockets> open_;
  api::LiveFeedHub::ClientId id_;
};

}  // namespace

net::WsEndpoint live_feed_endpoint(api::LiveFeedHub& hub,
                                   std::shared_ptr<SecurityGateway> security) {
  auto open = std::make_shared<OpenSockets>(hub, security);
  security->add_revocation_listener([open](const Revocation& r) { open->on_revocation(r); });
  net::WsEndpoint ep;
  ep.path = "/ws";
  ep.accept = [&hub, security, open](const HttpRequest& req,
                                     std::shared_ptr<net::WsConnection> conn)
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
    open->add(id, {caller->user, caller->session_id, perms});
    return std::shared_ptr<net::WsListener>(std::make_shared<SocketListener>(hub, open, id));
  };
  return ep;
}

}  // namespace weir::security
