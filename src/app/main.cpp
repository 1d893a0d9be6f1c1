// weir — SCADA + GIS server with an embedded MQTT broker. See README.md and ARCHITECTURE.md.
#include <CLI/CLI.hpp>

#include "app/server.hpp"

int main(int argc, char** argv) {
  weir::app::Options o;
  CLI::App cli{"weir — SCADA + GIS server with an embedded MQTT broker"};
  cli.set_version_flag("--version", std::string(WEIR_VERSION));
  cli.add_option("--config-dir", o.config_dir,
                 "Configuration directory (system_config.json, security_config.json, svg/)")
      ->envname("WEIR_CONFIG_DIR")
      ->capture_default_str();
  cli.add_option("--data-dir", o.data_dir,
                 "Data directory (database, secrets, broker persistence, logs)")
      ->envname("WEIR_DATA_DIR")
      ->capture_default_str();
  cli.add_option("--bind", o.bind, "Address every listener binds to")
      ->envname("WEIR_BIND")
      ->capture_default_str();
  cli.add_option("--http-port", o.http_port, "HTTP port (REST, /ws, /mqtt, web apps)")
      ->envname("WEIR_HTTP_PORT")
      ->capture_default_str();
  cli.add_option("--mqtt-port", o.mqtt_port, "MQTT TCP port (0: off)")
      ->envname("WEIR_MQTT_PORT")
      ->capture_default_str();
  cli.add_option("--mqtt-ws-port", o.mqtt_ws_port, "MQTT over WebSocket port (0: off)")
      ->envname("WEIR_MQTT_WS_PORT")
      ->capture_default_str();
  cli.add_option(
         "--mqtt-tls-port", o.mqtt_tls_port,
         "MQTT over TLS port (with --tls-cert; default 8883 or the config's listeners.tls_port)")
      ->envname("WEIR_MQTT_TLS_PORT")
      ->capture_default_str();
  cli.add_option("--tls-cert", o.tls_cert, "PEM certificate: enables HTTPS and MQTT over TLS")
      ->envname("WEIR_TLS_CERT");
  cli.add_option("--tls-key", o.tls_key, "PEM private key for --tls-cert")->envname("WEIR_TLS_KEY");
  cli.add_option("--web-root", o.web_root, "Directory of the built web apps")
      ->envname("WEIR_WEB_ROOT");
  cli.add_option("--log-level", o.log_level, "trace, debug, info, warn, error")
      ->envname("WEIR_LOG_LEVEL")
      ->capture_default_str();
  cli.add_option("--session-lifetime", o.session_lifetime_s,
                 "Seconds a login session lasts (renewed while in use)")
      ->envname("WEIR_SESSION_LIFETIME")
      ->check(CLI::Range(10, 86400))
      ->capture_default_str();
  cli.add_option("--session-max-lifetime", o.session_max_lifetime_s,
                 "Seconds from the login after which a session ends, however it was renewed")
      ->envname("WEIR_SESSION_MAX_LIFETIME")
      ->check(CLI::Range(10, 30 * 86400))
      ->capture_default_str();
  cli.add_option("--allowed-origin", o.allowed_origins,
                 "An origin (scheme://host[:port]) allowed to open WebSockets besides the "
                 "server's own (repeat the flag; the variable takes a comma-separated list)")
      ->envname("WEIR_ALLOWED_ORIGINS")
      ->delimiter(',');
  cli.add_option("--audit-max-age-days", o.audit_max_age_days,
                 "Days the audit log keeps a record (0: no age limit)")
      ->envname("WEIR_AUDIT_MAX_AGE_DAYS")
      ->check(CLI::Range(0, 36500))
      ->capture_default_str();
  cli.add_option("--audit-max-mib", o.audit_max_mib,
                 "Size the audit log is kept below, in MiB; the oldest records go (0: no limit)")
      ->envname("WEIR_AUDIT_MAX_MIB")
      ->capture_default_str();
  std::string check;
  cli.add_option("--check-config", check,
                 "Validate a configuration directory, list every error, and exit");
  CLI11_PARSE(cli, argc, argv);
  if (!check.empty()) return weir::app::check_config(check);
  // The first start's administrator password: from the environment only (never a flag: it would
  // show in `ps`).
  if (const char* p = std::getenv("WEIR_ADMIN_PASSWORD")) o.admin_password = p;
  return weir::app::run_server(o);
}
