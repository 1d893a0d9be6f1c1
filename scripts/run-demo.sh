#!/usr/bin/env bash
# Starts the demo: the weir server with config/ and data/ (and, when built, the two simulated
# microcontrollers). Ctrl-C stops everything.
set -euo pipefail
build=${1:-build/release}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
mkdir -p data
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

"$build/src/app/weir" --config-dir config --data-dir data --web-root web/dist &
pids+=($!)
for _ in $(seq 1 100); do
  curl -fsS -o /dev/null http://127.0.0.1:8080/api/health 2>/dev/null && break
  sleep 0.1
done
if [ -x "$build/src/device_agent/weir-device" ] && [ -f data/device-credentials.env ]; then
  # shellcheck disable=SC1091
  . data/device-credentials.env
  WEIR_DEVICE_PASSWORD="$ESP32_PASSWORD" "$build/src/device_agent/weir-device" --id esp32 --peer raspberry \
    --broker mqtt://127.0.0.1:1883 --username esp32 &
  pids+=($!)
  WEIR_DEVICE_PASSWORD="$RASPBERRY_PASSWORD" "$build/src/device_agent/weir-device" --id raspberry --peer esp32 \
    --broker mqtt://127.0.0.1:1883 --username raspberry &
  pids+=($!)
fi
cat <<MSG

Weir is running:
  REST API      http://localhost:8080/api/datapoints   (log in first at /api/auth/login)
  API docs      http://localhost:8080/api/docs/
  MQTT docs     http://localhost:8080/mqtt/docs/
  MQTT broker   mqtt://localhost:1883
Press Ctrl-C to stop.
MSG
wait "${pids[0]}"
