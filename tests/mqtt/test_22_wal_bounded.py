"""The persistence's WAL stays bounded under a stream of commits (issue 16): with
`persistence_wal_max_mb: 1`, a paho publisher writes ~12 MB of retained QoS 1 messages (each
acknowledged after its commit); the WAL file on disk, sampled after every window, and the
broker's own `weir_mqtt_wal_max_bytes` stay under twice the maximum plus one commit
(wal_policy.hpp), and the WAL restarted many times. SQLite's old automatic checkpoint let it
reach ~4 MB here.

Weir only (Mosquitto has no WAL)."""
import os
import threading

import paho.mqtt.client as mqtt
import pytest

from conftest import BROKER_KIND, weir_broker, weir_metrics
import weirproc

pytestmark = pytest.mark.skipif(BROKER_KIND != "weir", reason="weir's persistence")

MB = 1024 * 1024
PAYLOAD = 40 * 1024
MESSAGES = 300  # 12 MB through a 1 MB WAL
WINDOW = 20


def metrics(server):
    return weir_metrics(server, r"^(weir_mqtt_wal_\w+) (\S+)$")


def test_wal_stays_under_its_maximum(topic):
    config = {"persistence": True, "persistence_wal_max_mb": 1, "sys_interval_s": 0}
    with weir_broker(config) as server:
        weirproc.wait_port(server.mqtt_port)
        wal = os.path.join(server.data_dir, "mqtt_broker.db-wal")
        acked = threading.Semaphore(0)
        c = mqtt.Client(client_id="wal-streamer", protocol=mqtt.MQTTv311)
        c.on_publish = lambda client, userdata, mid: acked.release()
        c.connect("127.0.0.1", server.mqtt_port, keepalive=60)
        c.loop_start()
        largest = 0
        try:
            for start in range(0, MESSAGES, WINDOW):
                for i in range(start, start + WINDOW):
                    c.publish(f"{topic}/r{i % 10}", bytes([i % 256]) * PAYLOAD, qos=1, retain=True)
                for _ in range(WINDOW):
                    assert acked.acquire(timeout=20), "a PUBACK did not come"
                largest = max(largest, os.path.getsize(wal) if os.path.exists(wal) else 0)
        finally:
            c.loop_stop()
            c.disconnect()
        m = metrics(server)
    # Twice the maximum (wal_must_wait_for_pass) plus one commit of a window's messages.
    bound = 2 * MB + WINDOW * (PAYLOAD + 4096) + 64 * 1024
    assert MESSAGES * PAYLOAD > 10 * MB
    assert largest <= bound, f"WAL file reached {largest} bytes (bound {bound}); metrics {m}"
    assert m["weir_mqtt_wal_max_bytes"] <= bound, m
    assert m["weir_mqtt_wal_restarts_total"] >= 3, m
