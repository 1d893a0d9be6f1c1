#!/usr/bin/env bash
# Runs the same load against Mosquitto 2 and weir_mqtt_bench_server and prints a table.
#   bench/mqtt/compare.sh BUILD_DIR        (a release tree: cmake --preset release)
# Both brokers: loopback, persistence off, per-client queue limits lifted so nothing is
# dropped, QoS 0 included (we measure routing, not overload policy: Mosquitto's
# max_queued_messages 0 queues without limit, so Weir's QoS 0 backlog limit is lifted too). Scenario sizes: env MESSAGES, RATE,
# DURATION (latency run, seconds), IDLE_CONNECTIONS, WINDOW, FANIN. Both brokers get the same outbound window
# (env WINDOW in flight per client, 32 by default) and unlimited queues; each throughput row has the broker's CPU beside
# it (broker_cpu_pct: % of one core over the run), so a window-bound result shows as one that
# leaves CPU idle. Weir's QoS 1 throughput rows carry both sides of the window-bound round
# trip: the generator's SPLIT and the broker's BROKER_SPLIT (weir_mqtt_bench_server, SIGUSR1).
set -euo pipefail

BUILD_DIR=${1:?usage: compare.sh BUILD_DIR}
LOADGEN=$BUILD_DIR/bench/mqtt/weir_mqtt_loadgen
SERVER=$BUILD_DIR/bench/mqtt/weir_mqtt_bench_server
MOSQUITTO=$(command -v mosquitto || echo /usr/sbin/mosquitto)
MESSAGES=${MESSAGES:-200000}
RATE=${RATE:-2000}
SECONDS_LAT=${DURATION:-5}  # not SECONDS: bash keeps its own
IDLE_CONNECTIONS=${IDLE_CONNECTIONS:-10000}
WINDOW=${WINDOW:-32}  # QoS 1/2 in flight per client: both brokers' outbound window and the generator's
FANIN=${FANIN:-8}     # publishers of the fan-in rows
for f in "$LOADGEN" "$SERVER" "$MOSQUITTO"; do
  [[ -x $f ]] || { echo "missing $f (build weir_mqtt_loadgen and weir_mqtt_bench_server)" >&2; exit 1; }
done

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
TMP=$(mktemp -d)
chmod 777 "$TMP"  # Mosquitto started as root drops to its own user
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT

free_port() { /usr/bin/python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "port $1 did not open" >&2; exit 1
}

start_mosquitto() {
  MOSQ_PORT=$(free_port)
  cat > "$TMP/mosquitto.conf" <<CONF
listener $MOSQ_PORT 127.0.0.1
allow_anonymous true
persistence false
log_dest none
max_queued_messages 0
max_inflight_messages $WINDOW
max_connections -1
CONF
  "$MOSQUITTO" -c "$TMP/mosquitto.conf" & MOSQ_PID=$!
  PIDS+=("$MOSQ_PID")
  wait_port "$MOSQ_PORT"
}
start_weir() {
  WEIR_PORT=$(free_port)
  "$SERVER" --port "$WEIR_PORT" --max-queued 10000000 --max-queued-bytes 0 \
    --max-outgoing-bytes 4000000000 --max-inflight "$WINDOW" --sys-interval 0 --quiet > "$TMP/weir.log" 2>&1 & WEIR_PID=$!
  PIDS+=("$WEIR_PID")
  wait_port "$WEIR_PORT"
}

# CPU time (user + system, clock ticks) a process has used so far.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# The broker's side of the QoS 1 round trip: weir_mqtt_bench_server prints a BROKER_SPLIT line
# (PUBLISH read -> PUBACK handed to the socket; subscriber's PUBACK read -> the refilling
# PUBLISH handed to the socket) on SIGUSR1 and starts counting again. Prints the new line.
broker_split() {
  local before after
  before=$(grep -c '^BROKER_SPLIT' "$TMP/weir.log" || true)
  kill -USR1 "$WEIR_PID"
  for _ in $(seq 50); do
    after=$(grep -c '^BROKER_SPLIT' "$TMP/weir.log" || true)
    (( after > before )) && break
    sleep 0.1
  done
  grep '^BROKER_SPLIT' "$TMP/weir.log" | tail -1
}
# run PORT ARGS... -> prints the RESULT line of the generator, plus broker_cpu_pct: the broker's
# CPU use over the run, in % of one core (the broker is the process listening on PORT).
run() {
  local port=$1; shift
  local pid=$WEIR_PID
  [[ $port == "$MOSQ_PORT" ]] && pid=$MOSQ_PID
  local c0 t0 line c1 t1 split=
  # Weir's QoS 1 throughput rows also get the broker's side of the round trip (BROKER_SPLIT).
  local want_split=
  [[ $port == "$WEIR_PORT" && $1 == throughput && " $* " == *" --qos 1 "* ]] && want_split=1
  [[ -n $want_split ]] && broker_split > /dev/null
  c0=$(cpu_ticks "$pid"); t0=$(date +%s.%N)
  # RESULT, and for QoS 1 throughput the publishers' round-trip split (SPLIT), on one line.
  line=$(timeout 300 "$LOADGEN" "$@" --port "$port" --timeout 240 | grep -E '^(RESULT|SPLIT)' | tr '\n' ' ')
  c1=$(cpu_ticks "$pid" 2>/dev/null || echo "$c0"); t1=$(date +%s.%N)
  [[ -n $want_split ]] && split=" $(broker_split)"
  echo "${line% }${split} broker_cpu_pct=$(awk -v c="$((c1 - c0))" -v hz="$(getconf CLK_TCK)" -v t0="$t0" -v t1="$t1" \
    'BEGIN { printf "%.0f", 100 * c / hz / (t1 - t0) }')"
}
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }

declare -a ROWS
row() {  # label metric better(higher|lower) weir_line mosq_line
  local w m ratio
  w=$(field "$2" "$4"); m=$(field "$2" "$5")
  ratio=$(awk -v w="$w" -v m="$m" 'BEGIN { if (m+0 == 0) print "-"; else printf "%.2f", w / m }')
  ROWS+=("$(printf '%-34s %-20s %14s %14s %8s  (%s is better)' "$1" "$2" "$w" "$m" "$ratio" "$3")")
}

scenario() {  # label metric better args...
  local label=$1 metric=$2 better=$3; shift 3
  local wl ml
  wl=$(run "$WEIR_PORT" "$@"); ml=$(run "$MOSQ_PORT" "$@")
  echo "weir:      $wl"; echo "mosquitto: $ml"
  row "$label" "$metric" "$better" "$wl" "$ml"
  row "$label" broker_cpu_pct lower "$wl" "$ml"
}

start_mosquitto
start_weir
echo "weir_mqtt_bench_server pid $WEIR_PID port $WEIR_PORT; mosquitto pid $MOSQ_PID port $MOSQ_PORT"

scenario "QoS0 fan-in $FANIN pub -> 1 sub"  msgs_per_s higher throughput --qos 0 --publishers "$FANIN" --subscribers 1 --messages "$MESSAGES"
scenario "QoS1 fan-in $FANIN pub -> 1 sub"  msgs_per_s higher throughput --qos 1 --publishers "$FANIN" --subscribers 1 --messages "$MESSAGES" --window "$WINDOW"
scenario "QoS0 fan-out 1 pub -> 8 sub" msgs_per_s higher throughput --qos 0 --publishers 1 --subscribers 8 --messages "$((MESSAGES / 4))"
scenario "QoS1 fan-out 1 pub -> 8 sub" msgs_per_s higher throughput --qos 1 --publishers 1 --subscribers 8 --messages "$((MESSAGES / 4))" --window "$WINDOW"
for q in 0 1; do
  lat_w=$(run "$WEIR_PORT" latency --qos "$q" --rate "$RATE" --seconds "$SECONDS_LAT")
  lat_m=$(run "$MOSQ_PORT" latency --qos "$q" --rate "$RATE" --seconds "$SECONDS_LAT")
  echo "weir:      $lat_w"; echo "mosquitto: $lat_m"
  row "QoS$q latency @${RATE}/s" p50_us lower "$lat_w" "$lat_m"
  row "QoS$q latency @${RATE}/s" p99_us lower "$lat_w" "$lat_m"
done

# Memory: fresh brokers so earlier scenarios do not count.
kill "$WEIR_PID" "$MOSQ_PID"; wait "$WEIR_PID" "$MOSQ_PID" 2>/dev/null || true
start_mosquitto
start_weir
idle_w=$(run "$WEIR_PORT" idle --connections "$IDLE_CONNECTIONS" --pid "$WEIR_PID")
kill "$WEIR_PID"; wait "$WEIR_PID" 2>/dev/null || true
idle_m=$(run "$MOSQ_PORT" idle --connections "$IDLE_CONNECTIONS" --pid "$MOSQ_PID")
echo "weir:      $idle_w"; echo "mosquitto: $idle_m"
row "$IDLE_CONNECTIONS idle connections" rss_after_kb lower "$idle_w" "$idle_m"
row "$IDLE_CONNECTIONS idle connections" bytes_per_connection lower "$idle_w" "$idle_m"

echo
printf '%-34s %-20s %14s %14s %8s\n' scenario metric weir mosquitto ratio
for r in "${ROWS[@]}"; do echo "$r"; done
