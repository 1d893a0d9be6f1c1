#pragma once
// MQTT credentials for the demo devices, with no default passwords (SPEC §11): every configured
// demo device without an mqtt.devices[] account gets one with a random password, confined to
// its own topics and its peer's:
//   publish:   sensors/{id}, presence/{id}/status, devices/{id}/state
//   subscribe: commands/{id}/play, sensors/+, presence/+/status
// The clear passwords go to <data_dir>/device-credentials.env (mode 0600; ESP32_PASSWORD=...),
// which scripts/run-demo.sh reads to start the simulated devices. Existing accounts are left
// alone (their passwords are not known here); existing lines of the file are kept.
#include <filesystem>
#include <string>
#include <vector>

#include "api/security_gateway.hpp"
#include "config/system_config.hpp"
#include "core/error.hpp"
#include "security/security_config.hpp"

namespace weir::demo {

struct GeneratedCredential {
  std::string device;
  std::string password;  // clear text: written to the credentials file, never logged
};

// The account a demo device gets (password_hash left empty).
security::MqttDevice demo_device_account(const std::string& id);

// Adds the missing accounts to `config` (hashing each password with Argon2id); returns them.
Result<std::vector<GeneratedCredential>> add_demo_device_accounts(
    security::SecurityConfig& config, const std::vector<std::string>& device_ids);

// "esp32" -> "ESP32_PASSWORD", "rasp-berry" -> "RASP_BERRY_PASSWORD".
std::string credential_variable(const std::string& device);

// Writes or updates <data_dir>/device-credentials.env atomically with mode 0600.
Status write_device_credentials(const std::filesystem::path& data_dir,
                                const std::vector<GeneratedCredential>& creds);

// The start-up step: the gateway applies the mutation and saves security_config.json, then the
// credentials file is written. Returns the devices that got a new account.
Result<std::vector<std::string>> ensure_demo_device_accounts(
    api::SecurityGateway& security, const std::filesystem::path& data_dir,
    const std::vector<std::string>& device_ids);

// The demo devices of a configuration: modules[] {"name": "devices", "config": {"devices": [...]}}
// when present, else the params.device (or name) of every MqttDeviceDriver, in order.
std::vector<std::string> demo_device_ids(const config::SystemConfig& config);

}  // namespace weir::demo
