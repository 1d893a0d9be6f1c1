#!/usr/bin/env python3
"""The operator app's frame time while 1,000 datapoint updates/s arrive (issue 20's figure: no
long task over 50 ms). Starts weir with --tags numeric datapoints on one MQTT driver
(MqttDeviceDriver over the embedded broker: groups of 10 tags per topic, JSON fields), publishes
--rate values/s to it over MQTT (paho, every tag in turn), and runs bench/web_frame_time.mjs in
Debian's Chromium: first render after login, then per view (Overview, Datapoints) the frame
interval p50/p99/max, long tasks, the updates that reached the page and the renderer's
main-thread time per update. Exits non-zero when a long task exceeded 50 ms.

Usage: WEIR_BUILD_DIR=build/release python3 bench/web_frame_time.py [--tags 1000] [--rate 1000]
         [--seconds 10] [--views overview,datapoints] [--no-scroll] [--web-root DIR]"""
import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
sys.path.insert(0, os.path.join(ROOT, "tests", "web"))
import paho.mqtt.client as mqtt  # noqa: E402
from weirproc import WeirServer  # noqa: E402
from operator_support import CHROMIUM, ensure_dist  # noqa: E402

PASSWORD = "Bench-Frame-Pw-4821"
GROUP = 10  # tags per MQTT topic (one JSON object per publish)


def load_config(tags):
    return {
        "dp_types": {"LOAD": {"type": "float", "min": -1000000, "max": 1000000, "default": 0, "unit": "m³/h"}},
        "drivers": [{
            "name": "Load", "driver_class": "MqttDeviceDriver",
            "params": {"device": "load", "presence_topic": "",
                       "topics": [{"tag": f"L{i:05d}", "topic": f"bench/load/{i // GROUP}", "field": f"v{i % GROUP}"}
                                  for i in range(tags)]},
            "datapoints": [{"name": f"L{i:05d}", "type": "LOAD"} for i in range(tags)],
        }],
        "modules": [{"name": "datapoint"}, {"name": "command"}, {"name": "communication"},
                    {"name": "alarm"}, {"name": "mqtt_broker"},
                    {"name": "frontend", "config": {"tabs": ["Main", "Datapoints", "Alarms"]}}],
    }


SECURITY = {"groups": [], "users": [],
            "mqtt": {"allow_anonymous": True, "anonymous": {"publish": ["bench/#"], "subscribe": []}}}


def publish(port, tags, rate, stop, sent):
    """rate values/s: one topic (GROUP tags) every GROUP/rate seconds, each tag in turn."""
    c = mqtt.Client(client_id="bench-load", protocol=mqtt.MQTTv311)
    c.connect("127.0.0.1", port)
    c.loop_start()
    rnd = random.Random(20)
    values = [rnd.uniform(0, 100) for _ in range(tags)]
    groups = (tags + GROUP - 1) // GROUP
    gap = GROUP / rate
    nxt = time.monotonic()
    g = 0
    while not stop.is_set():
        payload = {}
        for k in range(GROUP):
            i = g * GROUP + k
            if i < tags:
                values[i] += rnd.uniform(-1, 1)
                payload[f"v{k}"] = round(values[i], 3)
        c.publish(f"bench/load/{g}", json.dumps(payload), qos=0)
        sent[0] += len(payload)
        g = (g + 1) % groups
        nxt += gap
        delay = nxt - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    c.loop_stop()
    c.disconnect()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tags", type=int, default=1000)
    ap.add_argument("--rate", type=int, default=1000, help="datapoint updates per second")
    ap.add_argument("--seconds", type=int, default=10, help="measured per view")
    ap.add_argument("--views", default="overview,datapoints")
    ap.add_argument("--no-scroll", action="store_true", help="keep the Datapoints table still")
    ap.add_argument("--web-root", help="a built web/dist (default: this tree's, built if missing)")
    args = ap.parse_args()
    node = shutil.which("node")
    assert node and os.access(CHROMIUM, os.X_OK), "node and Debian's chromium are needed"
    with WeirServer(system_config=load_config(args.tags), security_config=SECURITY,
                    args=["--web-root", args.web_root or ensure_dist()], env={"WEIR_ADMIN_PASSWORD": PASSWORD}) as w:
        stop, sent = threading.Event(), [0]
        pub = threading.Thread(target=publish, args=(w.mqtt_port, args.tags, args.rate, stop, sent), daemon=True)
        pub.start()
        t0 = time.monotonic()
        try:
            run = subprocess.run([node, os.path.join(HERE, "web_frame_time.mjs"), "--base", w.url(""),
                                  "--user", "admin", "--password", PASSWORD, "--views", args.views,
                                  "--seconds", str(args.seconds), "--chromium", CHROMIUM]
                                 + (["--no-scroll"] if args.no_scroll else []),
                                 capture_output=True, text=True, timeout=600)
        finally:
            stop.set()
            pub.join(5)
        published = sent[0] / (time.monotonic() - t0)
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        sys.exit(f"no report (exit {run.returncode}):\n{run.stdout}\n{run.stderr}")
    if not report.get("ok"):
        sys.exit(f"failed: {report.get('error')}")
    load = os.getloadavg()
    print(f"{args.tags} datapoints, {published:.0f} updates/s published over MQTT; load average "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"first render after login: {report['firstRenderAfterLoginMs']} ms")
    worst = 0
    for view, r in report["views"].items():
        worst = max(worst, r["longestTaskMs"])
        print(f"{view:>11}: {r['updatesPerSecond']} updates/s reached the page; frame p50 {r['frameP50Ms']} ms, "
              f"p99 {r['frameP99Ms']} ms, max {r['frameMaxMs']} ms ({r['frames']} frames in {r['seconds']} s); "
              f"long tasks > 50 ms: {r['longTasksOver50Ms']} (longest {r['longestTaskMs']} ms); main thread "
              f"{r['mainThreadMsPerSecond']} ms/s wall (script {r['msPerSecond']['script']}, style "
              f"{r['msPerSecond']['style']}, layout {r['msPerSecond']['layout']}, other {r['msPerSecond']['other']}); "
              f"CPU: main thread {r['mainThreadCpuMsPerSecond']} ms/s = {r['mainThreadCpuUsPerUpdate']} µs per update, "
              f"renderer {r['rendererCpuMsPerSecond']} ms/s")
    print(f"{'PASS' if worst <= 50 else 'FAIL'}: longest task {worst} ms (budget 50 ms)")
    sys.exit(0 if worst <= 50 else 1)


if __name__ == "__main__":
    main()
