#!/usr/bin/env python3
"""The broker soak (issue 16): idle connections beside publishers -> subscribers at a fixed QoS 1
rate, persistence on, persistent sessions, against the real `weir`; prints the delivery latency
(p50 / p99 / p99.9 / max, from the time each message was due), publish -> PUBACK, the broker's
CPU, and what the broker says about its event loop on /metrics (loop lag, longest handler).

    WEIR_BUILD_DIR=build/release python3 bench/mqtt/soak.py                # 60 s
    WEIR_BUILD_DIR=build/release python3 bench/mqtt/soak.py --seconds 600  # the issue's 10 minutes

The load generator is `weir_mqtt_loadgen soak` (one Asio thread, hand-encoded MQTT 3.1.1); its
`timer_lag` figures are its own lateness, the floor under what it can measure. On a machine
shared with other work, `--rt` runs the broker and the generator under SCHED_FIFO (`chrt -f`),
so other processes' compilers do not preempt them (needs root / CAP_SYS_NICE).
"""
import argparse
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tests", "lib"))
import weirproc  # noqa: E402

PASSWORD = "Bench-soak-Pw-5183"
SECURITY = {"groups": [], "users": [],
            "mqtt": {"allow_anonymous": True, "anonymous": {"publish": ["#"], "subscribe": ["#"]}}}


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def loop_metrics(server):
    """One line per histogram on /metrics that says where the io thread's time went: count,
    mean, the share above 1 ms and 5 ms (from the buckets), max."""
    h = weirproc.Http(server)
    h.login(password=PASSWORD)
    status, body, _ = h.get("/metrics")
    if status != 200:
        return f"/metrics: HTTP {status}"
    values, buckets = {}, {}
    for line in body.splitlines():
        m = re.match(r'(weir_mqtt_\w+?)_bucket\{le="([^"]+)"\} (\S+)', line)
        if m:
            buckets.setdefault(m.group(1), {})[m.group(2)] = float(m.group(3))
            continue
        m = re.match(r"(weir_mqtt_\w+) (\S+)$", line)
        if m:
            values[m.group(1)] = float(m.group(2))
    out = []
    for name in ("weir_mqtt_loop_lag_seconds", "weir_mqtt_loop_handler_seconds",
                 "weir_mqtt_commit_seconds", "weir_mqtt_persist_snapshot_seconds",
                 "weir_mqtt_checkpoint_seconds", "weir_mqtt_wal_catch_up_seconds",
                 "weir_mqtt_commit_write_seconds", "weir_mqtt_wal_restart_commit_seconds",
                 "weir_mqtt_wal_restart_seconds", "weir_mqtt_puback_turn_seconds",
                 "weir_mqtt_refill_turn_seconds"):
        b, n = buckets.get(name, {}), values.get(name + "_count", 0)
        if not n:
            continue
        over = lambda le: 100.0 * (n - b.get(le, n)) / n  # noqa: E731
        out.append(f"METRIC {name} count={n:.0f} mean_us={1e6 * values[name + '_sum'] / n:.0f} "
                   f"over_1ms_pct={over('0.001'):.3f} over_5ms_pct={over('0.005'):.3f} "
                   f"max_us={1e6 * values.get(name + '_max', 0):.0f}")
    for name in ("weir_mqtt_acks_held", "weir_mqtt_reads_paused_total", "weir_mqtt_wal_bytes",
                 "weir_mqtt_wal_max_bytes", "weir_mqtt_wal_file_bytes",
                 "weir_mqtt_wal_restarts_total", "weir_mqtt_wal_restarts_apart_total",
                 "weir_mqtt_wal_catch_ups_total", "weir_mqtt_busy_poll_hits_total",
                 "weir_mqtt_busy_poll_misses_total", "weir_mqtt_busy_poll_cut_total",
                 "weir_mqtt_wal_catch_ups_deferred_total", "weir_mqtt_wal_catch_ups_waited_total"):
        out.append(f"METRIC {name} {values.get(name, float('nan')):.0f}")
    out.append(f"METRIC weir_mqtt_busy_poll_seconds_total "
               f"{values.get('weir_mqtt_busy_poll_seconds_total', float('nan')):.3f}")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--rate", type=int, default=10000, help="messages per second, all publishers")
    ap.add_argument("--idle", type=int, default=900, help="idle connections beside the traffic")
    ap.add_argument("--publishers", type=int, default=10)
    ap.add_argument("--subscribers", type=int, default=10)
    ap.add_argument("--qos", type=int, default=1)
    ap.add_argument("--window", type=int, default=20, help="QoS 1 in flight per publisher")
    ap.add_argument("--payload", type=int, default=64)
    ap.add_argument("--no-persistence", action="store_true", help="persistence off")
    ap.add_argument("--ack-before-commit", action="store_true", help="ack_after_commit: false")
    ap.add_argument("--commit-interval-ms", type=int, default=None,
                    help="the broker's commit_interval_ms (default: weir's)")
    ap.add_argument("--busy-poll-us", type=int, default=None,
                    help="the listeners' busy_poll_us (default: weir's; 0 = never spin)")
    ap.add_argument("--clean", action="store_true", help="clean sessions (default: persistent)")
    ap.add_argument("--rt", action="store_true", help="broker and generator under chrt -f 10")
    ap.add_argument("--slow-us", type=int, default=5000)
    a = ap.parse_args()

    build = os.environ.get("WEIR_BUILD_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "build", "release"))
    loadgen = os.path.join(build, "bench", "mqtt", "weir_mqtt_loadgen")
    if not os.access(loadgen, os.X_OK):
        sys.exit(f"missing {loadgen} (cmake --build {build} --target weir weir_mqtt_loadgen)")
    config = {"persistence": not a.no_persistence, "ack_after_commit": not a.ack_before_commit,
              "max_queued_messages": 1000000, "sys_interval_s": 0,
              "max_connections": a.idle + a.publishers + a.subscribers + 100}
    if a.commit_interval_ms is not None:
        config["commit_interval_ms"] = a.commit_interval_ms
    if a.busy_poll_us is not None:
        config["listeners"] = {"busy_poll_us": a.busy_poll_us}
    system_config = {"dp_types": {}, "drivers": [], "modules": [{"name": "mqtt_broker", "config": config}]}
    rt = ["chrt", "-f", "10"] if a.rt else []
    with weirproc.WeirServer(system_config=system_config, security_config=SECURITY,
                             env={"WEIR_ADMIN_PASSWORD": PASSWORD}) as server:
        weirproc.wait_port(server.mqtt_port)
        pid = server.proc.pid
        if a.rt:
            subprocess.run(["chrt", "-f", "-a", "-p", "10", str(pid)], check=True)
        cmd = rt + [loadgen, "soak", "--port", str(server.mqtt_port), "--qos", str(a.qos),
                    "--publishers", str(a.publishers), "--subscribers", str(a.subscribers),
                    "--rate", str(a.rate), "--seconds", str(a.seconds), "--idle", str(a.idle),
                    "--persistent", "0" if a.clean else "1", "--window", str(a.window),
                    "--payload", str(a.payload), "--slow-us", str(a.slow_us),
                    "--timeout", str(a.seconds + 120)]
        print("#", " ".join(cmd), flush=True)
        c0, t0 = cpu_ticks(pid), time.time()
        out = subprocess.run(cmd, capture_output=True, text=True)
        c1, t1 = cpu_ticks(pid), time.time()
        sys.stdout.write(out.stdout)
        sys.stderr.write(out.stderr)
        cpu = 100.0 * (c1 - c0) / os.sysconf("SC_CLK_TCK") / (t1 - t0)
        print(f"BROKER cpu_pct={cpu:.0f} (over {t1 - t0:.0f} s, connecting included) "
              f"persistence={'off' if a.no_persistence else 'on'} "
              f"ack_after_commit={'false' if a.ack_before_commit else 'true'} "
              f"commit_interval_ms={a.commit_interval_ms if a.commit_interval_ms is not None else 'default'} "
              f"busy_poll_us={a.busy_poll_us if a.busy_poll_us is not None else 'default'} "
              f"rt={int(a.rt)}")
        print(loop_metrics(server))
        return out.returncode


if __name__ == "__main__":
    sys.exit(main())
