// Weir demo device for an ESP32 (SPEC §9): a DHT22 sensor and a buzzer, cross-linked with a peer
// through MQTT. The decisions (override payloads, play or not, melody steps, restarts) are Weir's
// own cross-link logic, the same headers weir-device, weir and their tests compile: they live
// here, in src/weir_demo/ (crosslink.hpp, payloads.hpp), because an Arduino build only compiles
// files inside the sketch folder. See ../README.md.
//
// Topics: publishes sensors/{id} (JSON reading), presence/{id}/status ("online" retained, Last
// Will "offline" retained QoS 1) and devices/{id}/state (buzzer state, retained); subscribes to
// commands/{id}/play, sensors/{peer}, presence/{peer}/status.
#include <DHT.h>
#include <PubSubClient.h>
#include <WiFi.h>
#include <WiFiClientSecure.h>
#include <esp_timer.h>
#include <time.h>

#if __has_include("config.h")
#include "config.h"
#else
#error \
    "Copy config.example.h to config.h and fill in Wi-Fi, broker and device settings (see README.md)."
#endif

#include <string>
#include <string_view>

#include "src/weir_demo/crosslink.hpp"
#include "src/weir_demo/payloads.hpp"

using namespace weir::devices;

#if MQTT_TLS
WiFiClientSecure net;
#else
WiFiClient net;
#endif
PubSubClient mqtt(net);
DHT dht(DHT_PIN, DHT22);

const Melody* melody = find_melody(MELODY) ? find_melody(MELODY) : &default_melody();
CrossLink crosslink(*melody);

const std::string commandTopic = topic_for(topics::play_command, DEVICE_ID);
const std::string sensorTopic = topic_for(topics::sensors, DEVICE_ID);
const std::string presenceTopic = topic_for(topics::presence, DEVICE_ID);
const std::string stateTopic = topic_for(topics::state, DEVICE_ID);
const std::string peerSensorTopic = topic_for(topics::sensors, PEER_ID);
const std::string peerPresenceTopic = topic_for(topics::presence, PEER_ID);

uint32_t backoffMs = 500;  // reconnect delay: doubles up to 30 s, reset on success
uint64_t nextConnectAttempt = 0;
uint64_t nextReading = 0;
uint16_t buzzerHz = 0;
TimeMs sinceMono = ~TimeMs{0};
std::string sinceWall;

// Monotonic milliseconds since boot (64-bit: millis() wraps after 49 days).
TimeMs nowMs() {
  return static_cast<TimeMs>(esp_timer_get_time() / 1000);
}

// ISO 8601 UTC once NTP has set the clock; empty before.
std::string isoNow() {
  time_t t = time(nullptr);
  if (t < 1600000000) return "";
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

void publishState() {
  if (!mqtt.connected()) return;
  const std::string json = encode_state(buzzer_state(crosslink, PEER_ID, sinceWall));
  mqtt.publish(stateTopic.c_str(), json.c_str(), /*retained=*/true);
}

// After every input: drive the buzzer, log decisions, report the state.
void apply(const Change& c, const char* cause) {
  if (crosslink.since() != sinceMono) {
    sinceMono = crosslink.since();
    sinceWall = isoNow();
  }
  if (crosslink.frequency_hz() != buzzerHz) {
    buzzerHz = crosslink.frequency_hz();
    if (buzzerHz != 0) {
      tone(BUZZER_PIN, buzzerHz);
    } else {
      noTone(BUZZER_PIN);
    }
  }
  if (c.decision()) {
    Serial.printf("decision playing=%d mode=%s step=%u reason=\"%s\" peer=%s cause=%s\n",
                  crosslink.playing(), mode_name(crosslink.mode()),
                  static_cast<unsigned>(crosslink.step()), reason_text(crosslink.reason()),
                  presence_name(crosslink.peer_presence()), cause);
  }
  if (c.decision() || (c.step && STEP_REPORTS)) publishState();
}

void onMessage(char* topic, byte* payload, unsigned int length) {
  // PubSubClient reuses this buffer for publishing: everything is parsed before apply() publishes.
  const std::string_view t(topic);
  const std::string_view p(reinterpret_cast<const char*>(payload), length);
  const TimeMs now = nowMs();
  if (t == commandTopic) {
    const OverrideParse r = parse_override(p);
    if (!r.ok) {
      Serial.printf("ignored command: %s\n", r.reason);
      return;
    }
    apply(crosslink.set_override(r.value, now), topic);
  } else if (t == peerSensorTopic) {
    const ReadingParse r = parse_reading(p);
    if (!r.ok) {
      Serial.printf("ignored reading: %s\n", r.error.c_str());
      return;
    }
    apply(crosslink.peer_reading(r.value.over_threshold, now), topic);
  } else if (t == peerPresenceTopic) {
    const PresenceParse r = parse_presence(p);
    if (!r.ok) {
      Serial.printf("ignored presence: %s\n", r.reason);
      return;
    }
    apply(crosslink.peer_presence(r.value, now), topic);
  }
}

bool connectMqtt() {
  Serial.printf("connecting to mqtt%s://%s:%d as %s\n", MQTT_TLS ? "s" : "", MQTT_HOST, MQTT_PORT,
                DEVICE_ID);
  const bool anonymous = std::string_view(MQTT_USER).empty();
  const bool ok = anonymous ? mqtt.connect(DEVICE_ID, presenceTopic.c_str(), 1, true, "offline")
                            : mqtt.connect(DEVICE_ID, MQTT_USER, MQTT_PASSWORD,
                                           presenceTopic.c_str(), 1, true, "offline");
  if (!ok) {
    Serial.printf("mqtt connect failed, state %d\n", mqtt.state());
    return false;
  }
  mqtt.publish(presenceTopic.c_str(), "online", /*retained=*/true);
  mqtt.subscribe(commandTopic.c_str(), 1);
  mqtt.subscribe(peerSensorTopic.c_str(), 0);
  mqtt.subscribe(peerPresenceTopic.c_str(), 1);
  publishState();
  Serial.println("mqtt connected");
  return true;
}

void publishReading() {
  const float t = dht.readTemperature();
  const float h = dht.readHumidity();
  if (isnan(t) || isnan(h)) {
    Serial.println("DHT22 read failed; no reading this time");
    return;
  }
  SensorReading r;
  r.temperature = t;
  r.humidity = h;
  r.threshold = THRESHOLD_C;
  r.over_threshold = r.temperature > r.threshold;
  r.unit = "C";
  const std::string json = encode_reading(r);
  mqtt.publish(sensorTopic.c_str(), json.c_str());
  Serial.printf("reading %s\n", json.c_str());
}

void setup() {
  Serial.begin(115200);
  pinMode(BUZZER_PIN, OUTPUT);
  dht.begin();
  WiFi.mode(WIFI_STA);
  WiFi.setAutoReconnect(true);
  WiFi.begin(WIFI_SSID, WIFI_PASSWORD);
  configTime(0, 0, "pool.ntp.org", "time.google.com");
#if MQTT_TLS
  net.setCACert(MQTT_CA_CERT);
#endif
  mqtt.setServer(MQTT_HOST, MQTT_PORT);
  mqtt.setCallback(onMessage);
  mqtt.setKeepAlive(MQTT_KEEPALIVE_S);
  mqtt.setBufferSize(768);  // the state report is ~250 bytes; the default 256 is too small
  sinceMono = crosslink.since();
  Serial.printf("weir_esp32 %s, peer %s, melody %s\n", DEVICE_ID, PEER_ID, crosslink.melody().name);
}

void loop() {
  const TimeMs now = nowMs();
  if (WiFi.status() == WL_CONNECTED) {
    if (!mqtt.connected() && now >= nextConnectAttempt) {
      if (connectMqtt()) {
        backoffMs = 500;
        nextReading = now;
      } else {
        nextConnectAttempt = now + backoffMs;
        backoffMs = backoffMs * 2 > 30000 ? 30000 : backoffMs * 2;
      }
    }
    mqtt.loop();
    if (mqtt.connected() && now >= nextReading) {
      publishReading();
      nextReading = now + READ_INTERVAL_MS;
    }
  }
  apply(crosslink.tick(now), "melody");
  delay(5);
}
