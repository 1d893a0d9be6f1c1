#pragma once
// Process settings: command-line flags, each with an environment-variable equivalent
// (src/app/main.cpp declares them). Modules read what concerns them (directories, ports, TLS).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace weir {

struct ProcessOptions {
  std::string config_dir = "config";  // WEIR_CONFIG_DIR
  std::string data_dir = "data";      // WEIR_DATA_DIR
  std::string bind = "127.0.0.1";     // WEIR_BIND
  std::uint16_t http_port = 8080;     // WEIR_HTTP_PORT
  std::uint16_t mqtt_port = 1883;     // WEIR_MQTT_PORT (0 disables the TCP listener)
  std::uint16_t mqtt_ws_port = 8083;  // WEIR_MQTT_WS_PORT (0 disables)
  // WEIR_MQTT_TLS_PORT (with a certificate; 0: from the config, else 8883)
  std::uint16_t mqtt_tls_port = 0;
  std::string tls_cert;  // WEIR_TLS_CERT: PEM certificate -> HTTPS and MQTT over TLS
  std::string tls_key;   // WEIR_TLS_KEY
  std::string web_root;  // WEIR_WEB_ROOT: built web apps (default: web/dist beside config)
  std::string log_level = "info";  // WEIR_LOG_LEVEL
  int session_lifetime_s = 900;    // WEIR_SESSION_LIFETIME: seconds a login session lasts
  // WEIR_SESSION_MAX_LIFETIME: seconds from the login after which no renewal keeps a session
  int session_max_lifetime_s = 12 * 3600;
  // WEIR_ALLOWED_ORIGINS: origins (scheme://host[:port]) a browser may open a WebSocket from,
  // besides the server's own (same Host); every upgrade (/ws, /mqtt, the MQTT WebSocket port)
  std::vector<std::string> allowed_origins;
  int audit_max_age_days = 90;        // WEIR_AUDIT_MAX_AGE_DAYS: audit.db rows older go (0: keep)
  std::uint64_t audit_max_mib = 256;  // WEIR_AUDIT_MAX_MIB: audit.db kept below this (0: no limit)
  std::optional<std::string> admin_password;  // WEIR_ADMIN_PASSWORD (first start only)
};

}  // namespace weir
