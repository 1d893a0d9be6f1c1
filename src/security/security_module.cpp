// The security module as a plug-in (registered as "security"; always runs): the SecurityGateway
// (sessions, logins, permissions, audit, the security configuration API) as the Router's access
// control, and the /ws live-feed WebSocket, authorised by session. It provides the gateway to
// the other modules (std::shared_ptr<SecurityGateway> in module::Services): the mqtt_broker
// module builds its MQTT policy (security/mqtt_auth_policy.hpp) on it, the demo provisions its
// device accounts through it.
#include "security/security_module.hpp"

#include <filesystem>

#include "api/system_routes.hpp"
#include "security/live_feed_socket.hpp"
#include "security/security_gateway.hpp"

namespace weir::security {

namespace {

class SecurityModule final : public module::ModuleWith<module::NoSettings> {
 public:
  SecurityModule(module::ModuleHost& host, std::shared_ptr<SecurityGateway> gateway)
      : host_(host), gateway_(std::move(gateway)) {
    host_.router.set_access(gateway_);
    gateway_->add_routes(host_.router);
    // Logins verify Argon2id on a worker thread; the io thread never waits for one.
    if (host_.post) gateway_->verify_off_thread(host_.post);
    gateway_->audit().set_post(host_.post);  // audit queries read off the io thread, answer on it
    host_.websockets.push_back(live_feed_endpoint(host_.hub, gateway_));
    host_.services.provide<std::shared_ptr<SecurityGateway>>(gateway_);
  }
  ~SecurityModule() override { host_.services.withdraw<std::shared_ptr<SecurityGateway>>(); }

  static Result<std::unique_ptr<SecurityModule>> create(module::ModuleHost& host,
                                                        const config::SystemConfig&,
                                                        const Settings&) {
    const auto& o = host.options;
    namespace fs = std::filesystem;
    SecurityGatewayOptions options;
    options.config_file = fs::path(o.config_dir) / "security_config.json";
    options.data_dir = fs::path(o.data_dir);
    options.admin_password = o.admin_password;
    options.tls = !o.tls_cert.empty();
    options.session_lifetime = std::chrono::seconds(o.session_lifetime_s);
    options.session_absolute_lifetime = std::chrono::seconds(o.session_max_lifetime_s);
    options.audit.max_age = std::chrono::days(o.audit_max_age_days);
    options.audit.max_bytes = o.audit_max_mib * 1024 * 1024;
    auto gateway = SecurityGateway::open(std::move(options), host.bus, host.clock);
    if (!gateway) return gateway.error();
    return std::make_unique<SecurityModule>(host, std::move(*gateway));
  }

  void stop() override { gateway_->stop_verifier(); }
  Status apply(const config::SystemConfig&, const Settings&) override { return {}; }
  void metrics(std::string& out) const override {
    const auto s = gateway_->audit().stats();
    api::metric(out, "weir_audit_rows_written_total", "counter", "Rows written to the audit log",
                static_cast<double>(s.written));
    api::metric(out, "weir_audit_rows_dropped_total", "counter",
                "Audit rows lost (queue full or the disk kept failing)",
                static_cast<double>(s.dropped));
    api::metric(out, "weir_audit_rows_pending", "gauge", "Audit rows waiting to be written",
                static_cast<double>(s.pending));
    api::metric(out, "weir_audit_write_errors_total", "counter", "Audit log flushes that failed",
                static_cast<double>(s.write_errors));
    api::metric(
        out, "weir_audit_rows_left_out_total", "counter",
        "Repeated refusals not written to the audit log (flood cap; counted in the next row)",
        static_cast<double>(gateway_->audit_left_out()));
    api::metric(out, "weir_audit_rows_expired_total", "counter",
                "Audit rows deleted by retention (age and row limits)",
                static_cast<double>(gateway_->audit().expired()));
    api::metric(out, "weir_login_throttle_keys", "gauge",
                "Usernames and addresses tracked by the login throttle (at most 10,000)",
                static_cast<double>(gateway_->throttle().tracked()));
    api::metric(out, "weir_login_verifications_in_flight", "gauge",
                "Password checks (HTTP and MQTT) reserved in the throttle, not yet settled",
                static_cast<double>(gateway_->throttle().in_flight()));
  }

 private:
  module::ModuleHost& host_;
  std::shared_ptr<SecurityGateway> gateway_;
};

}  // namespace

}  // namespace weir::security

void weir_register_security_module(weir::module::ModuleRegistry& registry) {
  registry.add(weir::module::module_type<weir::security::SecurityModule>(
      "security", "Users, sessions, permissions, audit log, MQTT credentials and ACLs", {}, true));
}
