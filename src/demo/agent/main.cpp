// weir-device: a demo device (SPEC §9) for any machine, simulated sensor or scripted readings,
// optionally a real buzzer on a Raspberry Pi GPIO line. See device_agent.hpp.
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <optional>

#include "demo/agent/device_agent.hpp"
#include "demo/shared/reading_script.hpp"
#include "demo/shared/simulated_sensor.hpp"

namespace {

volatile std::sig_atomic_t g_stop = 0;

extern "C" void on_signal(int) {
  g_stop = 1;
}

void install_signals() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

int fail(const std::string& message) {
  std::fprintf(stderr, "weir-device: %s\n", message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace weir;
  CLI::App app{
      "weir-device: one device of Weir's microcontroller demo. Publishes sensors/{id}, follows "
      "sensors/{peer}, presence/{peer}/status and commands/{id}/play, reports devices/{id}/state."};
  device_agent::AgentConfig cfg;
  std::string broker = "mqtt://127.0.0.1:1883";
  std::string password;
  std::string script;
  std::string gpio_chip = "/dev/gpiochip0";
  std::optional<unsigned> gpio_line;
  std::string melody = cfg.melody->name;
  std::optional<std::uint64_t> seed;
  double threshold = 28.0;
  std::string unit = "C";
  std::string mqtt_version = "3.1.1";
  bool no_step_reports = false;

  app.add_option("--id", cfg.id, "This device's id (MQTT client id and topic level)")->required();
  app.add_option("--peer", cfg.peer, "The device whose sensor drives this buzzer")->required();
  app.add_option("--broker", broker, "mqtt://host[:port] or mqtts://host[:port]")
      ->capture_default_str();
  app.add_option("--username", cfg.username, "MQTT username");
  app.add_option("--password", password, "MQTT password (prefer the environment: it shows in ps)")
      ->envname("WEIR_DEVICE_PASSWORD");
  app.add_option("--keepalive", cfg.keepalive_s,
                 "MQTT keep-alive, seconds (libmosquitto needs >= 5)")
      ->check(CLI::Range(1, 65535))
      ->capture_default_str();
  app.add_option("--mqtt-version", mqtt_version, "3.1.1 or 5")
      ->check(CLI::IsMember({"3.1.1", "311", "5"}))
      ->capture_default_str();
  app.add_option("--cafile", cfg.cafile, "CA certificate for mqtts:// (default: the system's CAs)")
      ->check(CLI::ExistingFile);
  app.add_flag("--tls-insecure", cfg.tls_insecure, "mqtts://: do not check the server's host name");
  app.add_option("--interval", cfg.interval_s, "Seconds between readings")
      ->check(CLI::Range(0.05, 3600.0))
      ->capture_default_str();
  app.add_option("--max-backoff", cfg.max_backoff_s, "Cap of the reconnect delay, seconds")
      ->check(CLI::Range(0.5, 3600.0))
      ->capture_default_str();
  app.add_option("--threshold", threshold, "Temperature threshold")->capture_default_str();
  app.add_option("--unit", unit, "Temperature unit")
      ->check(CLI::IsMember({"C", "F"}))
      ->capture_default_str();
  app.add_option("--seed", seed, "Seed of the simulated sensor (default: derived from --id)");
  app.add_option("--script", script,
                 "Readings to publish instead of the simulated sensor: lines of "
                 "'temperature humidity' or JSON readings, one per interval, looping")
      ->check(CLI::ExistingFile);
  app.add_option("--melody", melody, "ode_to_joy or twinkle")->capture_default_str();
  app.add_flag("--melody-log", cfg.melody_log, "Log a line per note played");
  app.add_flag("--no-step-reports", no_step_reports,
               "Report the state on decisions only, not on every note");
  app.add_option("--gpio-chip", gpio_chip, "GPIO chip of the buzzer")->capture_default_str();
  app.add_option("--gpio-line", gpio_line,
                 "GPIO line (offset) of an active buzzer; none = no buzzer");
  CLI11_PARSE(app, argc, argv);

  auto url = device_agent::parse_broker_url(broker);
  if (!url) return fail(url.error().message);
  cfg.broker = *url;
  if (!password.empty()) cfg.password = password;
  if (cfg.password && cfg.username.empty()) return fail("a password needs --username");
  cfg.mqtt_version = mqtt_version == "5" ? 5 : 311;
  cfg.step_reports = !no_step_reports;
  cfg.melody = devices::find_melody(melody);
  if (cfg.melody == nullptr) return fail("unknown melody '" + melody + "' (ode_to_joy, twinkle)");

  device_agent::SensorSource sensor;
  if (!script.empty()) {
    auto s = devices::ReadingScript::load(script, threshold, unit);
    if (!s) return fail(s.error().message);
    sensor = [s = std::make_shared<devices::ReadingScript>(std::move(*s))] { return s->next(); };
  } else {
    devices::SensorProfile profile;
    profile.threshold = threshold;
    profile.unit = unit;
    if (unit == "F")
      profile.base_temperature = threshold - 1.5 * 1.8, profile.swing *= 1.8;
    else
      profile.base_temperature = threshold - 1.5;
    auto sim = std::make_shared<devices::SimulatedSensor>(
        seed.value_or(devices::seed_from_id(cfg.id)), profile);
    sensor = [sim] { return sim->next(); };
  }

  std::unique_ptr<device_agent::Buzzer> buzzer;
  if (gpio_line) {
    auto b = device_agent::open_gpio_buzzer(gpio_chip, *gpio_line, "weir-device " + cfg.id);
    if (!b) return fail(b.error().message);
    buzzer = std::move(*b);
  }

  auto agent =
      device_agent::DeviceAgent::create(std::move(cfg), std::move(sensor), std::move(buzzer));
  if (!agent) return fail(agent.error().message);
  install_signals();
  return (*agent)->run(g_stop);
}
