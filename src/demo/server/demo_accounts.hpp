#pragma once
// MQTT credentials for the demo devices, with no default passwords (SPEC §11): every configured
// demo device without an mqtt.devices[] account gets one with a random password, confined to
// its own topics and its peer's:
//   publish:   sensors/{id}, presence/{id}/status, devices/{id}/state
//   subscribe: commands/{id}/play, sensors/+, presence/+/status
// The clear passwords go to <data_dir>/device-credentials.env (mode 0600; ESP32_PASSWORD=...),
// which scripts/run-demo.sh reads to start the simulated devices. An existing demo account whose
// password is not in that file (made by a run with another data directory) gets a new one, so
// `make run` can always start the devices; an account changed by hand is left alone; existing
// lines of the file are kept.
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "config/system_config.hpp"
#include "core/error.hpp"
#include "security/security_config.hpp"
#include "security/security_gateway.hpp"

namespace weir::demo {

struct GeneratedCredential {
  std::string device;
  std::string password;  // clear text: written to the credentials file, never logged
};

// The account a demo device gets (password_hash left empty).
security::MqttDevice demo_device_account(const std::string& id);

// Adds the missing accounts to `config` (hashing each password with Argon2id), and gives a new
// password to a demo account (unchanged ACLs) whose password is not in `passwords_known` (the
// devices of this data directory's credentials file); returns the new credentials.
Result<std::vector<GeneratedCredential>> add_demo_device_accounts(
    security::SecurityConfig& config, const std::vector<std::string>& device_ids,
    const std::set<std::string>& passwords_known = {});

// The devices whose password <data_dir>/device-credentials.env holds.
std::set<std::string> devices_with_credentials(const std::filesystem::path& data_dir,
                                               const std::vector<std::string>& device_ids);

// "esp32" -> "ESP32_PASSWORD", "rasp-berry" -> "RASP_BERRY_PASSWORD".
std::string credential_variable(const std::string& device);

// Writes or updates <data_dir>/device-credentials.env atomically with mode 0600.
Status write_device_credentials(const std::filesystem::path& data_dir,
                                const std::vector<GeneratedCredential>& creds);

// The start-up step: the gateway applies the mutation and saves security_config.json, then the
// credentials file is written. Returns the devices that got a new account.
Result<std::vector<std::string>> ensure_demo_device_accounts(
    security::SecurityGateway& security, const std::filesystem::path& data_dir,
    const std::vector<std::string>& device_ids);

}  // namespace weir::demo
