#!/usr/bin/env bash
# make bench: the datapoint path, the live-feed latency over a real WebSocket, and the MQTT broker
# against Mosquitto on this machine. Figures and their meaning: bench/README.md.
set -euo pipefail
build=${1:-build/release}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
echo "== datapoint path (10,000 datapoints; 0 and 50 live-feed subscribers) =="
"$build/bench/weir_datapoint_bench" --benchmark_min_time=2
echo
echo "== logic path (100,000 datapoints, 10,000 rules, alarms) =="
"$build/bench/weir_logic_bench" --benchmark_min_time=2
echo
echo "== animation (250-element stress SVG, feed animation, 10 subscribers) =="
"$build/bench/weir_animation_bench" --benchmark_min_time=2
echo
echo "== live-feed latency: value written over REST -> update seen on /ws =="
WEIR_BUILD_DIR="$root/$build" /usr/bin/python3 bench/livefeed_latency.py
echo
echo "== tag update -> alarm on /ws =="
WEIR_BUILD_DIR="$root/$build" /usr/bin/python3 bench/alarm_latency.py
echo
echo "== historian: ingest, trend and bytes per value vs a naive one-row-per-value table =="
"$build/bench/weir_historian_bench"
echo
echo "== operator app: frame time in Chromium while 1,000 datapoint updates/s arrive (no long task > 50 ms) =="
WEIR_BUILD_DIR="$root/$build" /usr/bin/python3 bench/web_frame_time.py || echo "(over the 50 ms long-task budget: see bench/README.md, Operator app)"
echo "== historian on PostgreSQL: ingest and trend vs a naive one-row-per-value table =="
"$build/bench/weir_historian_pg_bench"
echo
echo "== MQTT broker: Weir vs Mosquitto =="
bench/mqtt/compare.sh "$build"
