// Copy to config.h (git-ignored) and fill in. Never commit config.h: it holds your Wi-Fi and
// broker passwords.
#pragma once

#define WIFI_SSID "your-ssid"
#define WIFI_PASSWORD "your-wifi-password"

#define MQTT_HOST "192.168.1.10"  // the machine running Weir (or another broker)
#define MQTT_PORT 1883
#define MQTT_USER ""  // empty: connect anonymously
#define MQTT_PASSWORD ""
#define MQTT_KEEPALIVE_S 5
#define MQTT_TLS 0  // 1: mqtts (set MQTT_PORT to the TLS listener, e.g. 8883)
// #define MQTT_CA_CERT "-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----\n"

#define DEVICE_ID "esp32"
#define PEER_ID "raspberry"
#define MELODY "twinkle"  // ode_to_joy or twinkle
#define THRESHOLD_C 28.0

#define DHT_PIN 4              // DHT22 data pin
#define BUZZER_PIN 18          // passive buzzer (tone() drives it through LEDC PWM)
#define READ_INTERVAL_MS 3000  // a DHT22 needs at least 2 s between reads
#define STEP_REPORTS 1         // 1: a state report per note; 0: only on decisions
