#!/usr/bin/env bash
# Starts the demo: the weir server with config/ and data/, then the two simulated
# microcontrollers (weir-device), whose chatter goes to data/devices.log. Ctrl-C stops everything.
set -euo pipefail
build=${1:-build/release}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
mkdir -p data
pids=()
# Weir prints the administrator password it generates on the first start once, on stdout; it is
# also caught here (in a private temporary file, removed at once) to repeat it beside the URL.
pwfile=$(mktemp)
cleanup() {
  rm -f "$pwfile"
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

"$build/src/app/weir" --config-dir config --data-dir data --web-root web/dist > >(
  while IFS= read -r line; do
    printf '%s\n' "$line"
    case "$line" in "    password: "*) printf '%s' "${line#    password: }" >"$pwfile" ;; esac
  done
) &
pids+=($!)
up=""
for _ in $(seq 1 200); do
  if curl -fsS -o /dev/null http://127.0.0.1:8080/api/health 2>/dev/null; then up=1; break; fi
  kill -0 "${pids[0]}" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$up" ]; then
  echo "run-demo: weir did not come up on http://127.0.0.1:8080 (see its messages above)" >&2
  exit 1
fi

# Weir gives each demo device an MQTT account and writes its password to
# data/device-credentials.env before it answers on HTTP (a new one whenever this data directory
# lacks it), so the devices can always be started here.
devices_note="not started (build/release/src/demo/agent/weir-device is missing)"
if [ -x "$build/src/demo/agent/weir-device" ]; then
  # shellcheck disable=SC1091
  . data/device-credentials.env
  : > data/devices.log
  for pair in "esp32 raspberry ${ESP32_PASSWORD:-}" "raspberry esp32 ${RASPBERRY_PASSWORD:-}"; do
    set -- $pair
    if [ -z "${3:-}" ]; then
      echo "run-demo: no password for $1 in data/device-credentials.env; not starting it" >&2
      continue
    fi
    WEIR_DEVICE_PASSWORD="$3" "$build/src/demo/agent/weir-device" --id "$1" --peer "$2" \
      --broker mqtt://127.0.0.1:1883 --username "$1" >>data/devices.log 2>&1 &
    pids+=($!)
  done
  devices_note="esp32 and raspberry (simulated; their output: data/devices.log)"
fi
sleep 0.2 # the reader above may still be on weir's first lines
admin_password=$(cat "$pwfile" 2>/dev/null || true)
rm -f "$pwfile"
if [ -n "$admin_password" ]; then
  login_note="user admin, password $admin_password (generated now: keep it)"
elif [ -n "${WEIR_ADMIN_PASSWORD:-}" ]; then
  login_note="user admin, password from WEIR_ADMIN_PASSWORD"
else
  login_note="user admin, the password printed on the first start"
fi
cat <<MSG

Weir is running:
  Operator app  http://localhost:8080/scada/   ($login_note)
  REST API      http://localhost:8080/api/datapoints   (log in first at /api/auth/login)
  API docs      http://localhost:8080/api/docs/
  MQTT docs     http://localhost:8080/mqtt/docs/
  MQTT broker   mqtt://localhost:1883
  Devices       $devices_note
Press Ctrl-C to stop.
MSG
wait "${pids[0]}"
