#!/usr/bin/env python3
"""The cost of group commit: a paho publisher streams QoS 1 messages (paho's window of 20 in
flight) to a persistent MQTT 5 session that is online and subscribed, against the real `weir`
in three configurations: persistence off, persistence on with the acknowledgement after the
commit (the default), and on with `ack_after_commit: false`. Prints throughput (acknowledged
messages per second at the publisher, everything queued at once) and the publish-to-PUBACK
latency (p50, p99, max) of a second run at a fixed rate, one message at a time.

    WEIR_BUILD_DIR=build/release python3 bench/mqtt/group_commit.py [--messages 20000]
"""
import argparse
import os
import re
import sys
import threading
import time

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tests", "lib"))
import weirproc  # noqa: E402

PASSWORD = "Bench-group-commit-Pw-7391"
# Anonymous clients on every topic: set in the security configuration, as in production.
SECURITY = {"groups": [], "users": [],
            "mqtt": {"allow_anonymous": True, "anonymous": {"publish": ["#"], "subscribe": ["#"]}}}


def commit_metrics(server):
    """The broker's commits so far (count and mean from its `weir_mqtt_commit_seconds`, the
    take to the answer, and `weir_mqtt_commit_write_seconds`, the transaction alone)."""
    h = weirproc.Http(server)
    h.login(password=PASSWORD)
    status, body, _ = h.get("/metrics")
    values = {}
    for line in body.splitlines() if status == 200 else []:
        m = re.match(r"(weir_mqtt_commit(?:_write)?_seconds)_(count|sum) (\S+)$", line)
        if m:
            values[m.group(1) + "_" + m.group(2)] = float(m.group(3))
    return values


def run(config, messages, rate):
    system_config = {"dp_types": {}, "drivers": [],
                     "modules": [{"name": "mqtt_broker", "config": dict(config, max_queued_messages=1000000,
                                                                         sys_interval_s=0)}]}
    with weirproc.WeirServer(system_config=system_config, security_config=SECURITY,
                             env={"WEIR_ADMIN_PASSWORD": PASSWORD}) as server:
        weirproc.wait_port(server.mqtt_port)
        got = threading.Event()
        received = [0]

        def on_message(client, userdata, msg):
            received[0] += 1
            if received[0] == messages:
                got.set()

        sub = mqtt.Client(client_id="gc-keeper", protocol=mqtt.MQTTv5)
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 3600
        sub.on_message = on_message
        sub.connect("127.0.0.1", server.mqtt_port, clean_start=False, properties=props)
        sub.loop_start()
        sub.subscribe("gc/#", 1)
        time.sleep(0.5)

        pub = mqtt.Client(client_id="gc-pub", protocol=mqtt.MQTTv311)
        pub.max_queued_messages_set(0)
        # Never hold our lock around publish(): paho calls on_publish holding its own.
        sent_at, acked_at = {}, {}
        lock = threading.Lock()
        done = threading.Event()
        target = [messages]

        def on_publish(client, userdata, mid):
            now = time.perf_counter()
            with lock:
                acked_at[mid] = now
                if len(acked_at) >= target[0]:
                    done.set()

        pub.on_publish = on_publish
        pub.connect("127.0.0.1", server.mqtt_port)
        pub.loop_start()
        # Throughput: everything queued in paho at once, its window of 20 in flight.
        before = commit_metrics(server)
        start = time.perf_counter()
        for i in range(messages):
            pub.publish("gc/m", b"x" * 64, qos=1)
        done.wait(300)
        seconds = time.perf_counter() - start
        after = commit_metrics(server)
        delta = {k: after.get(k, 0) - before.get(k, 0) for k in after}
        commits = delta.get("weir_mqtt_commit_seconds_count", 0)
        commit_note = (f"commits={commits:.0f} msgs_per_commit={messages / commits:.1f} "
                       f"commit_mean_us={1e6 * delta['weir_mqtt_commit_seconds_sum'] / commits:.0f} "
                       f"write_mean_us={1e6 * delta.get('weir_mqtt_commit_write_seconds_sum', 0) / commits:.0f} "
                       if commits else "")
        with lock:
            acked = len(acked_at)
            acked_at.clear()
            done.clear()
            target[0] = rate * 3
        got.wait(30)
        # Latency: one message at a time at `rate` per second, publish to PUBACK.
        for i in range(rate * 3):
            t = time.perf_counter()
            info = pub.publish("gc/l", b"x" * 64, qos=1)
            with lock:
                sent_at[info.mid] = t
            time.sleep(max(0.0, t + 1.0 / rate - time.perf_counter()))
        done.wait(30)
        pub.loop_stop()
        sub.loop_stop()
        with lock:
            latencies = [acked_at[m] - t for m, t in sent_at.items() if m in acked_at]
        latencies.sort()
        pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1e6  # noqa: E731
        return (f"acked={acked} delivered={received[0]} msgs_per_s={acked / seconds:.0f} rate={rate} "
                f"p50_us={pick(0.5):.0f} p99_us={pick(0.99):.0f} max_us={latencies[-1] * 1e6:.0f} "
                f"{commit_note}").rstrip()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=20000)
    ap.add_argument("--rate", type=int, default=500, help="messages per second in the latency run")
    ap.add_argument("--only", choices=["off", "after", "before"], default=None,
                    help="one configuration: persistence off, ack after commit, ack before it")
    ap.add_argument("--commit-interval-ms", type=int, default=None,
                    help="the broker's commit_interval_ms (default: weir's)")
    a = ap.parse_args()
    pace = {} if a.commit_interval_ms is None else {"commit_interval_ms": a.commit_interval_ms}
    for key, name, config in [("off", "persistence off", {"persistence": False}),
                              ("after", "persistence on, ack after commit", {"persistence": True, **pace}),
                              ("before", "persistence on, ack_after_commit false",
                               {"persistence": True, "ack_after_commit": False, **pace})]:
        if a.only not in (None, key):
            continue
        print(f"RESULT {name:40s} {run(config, a.messages, a.rate)}", flush=True)


if __name__ == "__main__":
    main()
