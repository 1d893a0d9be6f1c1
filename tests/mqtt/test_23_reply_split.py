"""The broker's side of the QoS 1 round trip on /metrics (issue 16): a paho publisher sends 200
QoS 1 messages at once to a QoS 1 subscriber whose window (max_inflight 8) is smaller, so the
broker queues them and every PUBACK of the subscriber lets the next one out.
`weir_mqtt_puback_turn_seconds` counts one value per PUBACK sent on receipt of a PUBLISH (no
persistence here: none is held) and `weir_mqtt_refill_turn_seconds` one per PUBLISH a
subscriber's PUBACK let out of the queue (200 minus the first window at most).

Weir only (the histograms are weir's /metrics)."""
import threading

import paho.mqtt.client as mqtt
import pytest

from conftest import BROKER_KIND, weir_broker, weir_metrics
import weirproc

pytestmark = pytest.mark.skipif(BROKER_KIND != "weir", reason="weir's /metrics")

MESSAGES = 200
WINDOW = 8


def counts(server):
    return weir_metrics(server, r"^weir_mqtt_(puback|refill)_turn_seconds_count (\S+)$")


def test_puback_and_refill_turns_are_counted(topic):
    config = {"persistence": False, "max_inflight": WINDOW, "sys_interval_s": 0}
    with weir_broker(config) as server:
        weirproc.wait_port(server.mqtt_port)
        before = counts(server)
        got, all_in = [0], threading.Event()

        def on_message(client, userdata, msg):
            got[0] += 1
            if got[0] == MESSAGES:
                all_in.set()

        sub = mqtt.Client(client_id="split-sub", protocol=mqtt.MQTTv311)
        sub.on_message = on_message
        sub.connect("127.0.0.1", server.mqtt_port)
        subscribed = threading.Event()
        sub.on_subscribe = lambda *a: subscribed.set()
        sub.loop_start()
        sub.subscribe(f"{topic}/#", 1)
        assert subscribed.wait(10)
        acked = threading.Semaphore(0)
        pub = mqtt.Client(client_id="split-pub", protocol=mqtt.MQTTv311)
        pub.on_publish = lambda client, userdata, mid: acked.release()
        pub.max_inflight_messages_set(MESSAGES)
        pub.connect("127.0.0.1", server.mqtt_port)
        pub.loop_start()
        try:
            for i in range(MESSAGES):
                pub.publish(f"{topic}/m", str(i).encode(), qos=1)
            for _ in range(MESSAGES):
                assert acked.acquire(timeout=20), "a PUBACK did not come"
            assert all_in.wait(20), f"the subscriber got {got[0]} of {MESSAGES}"
        finally:
            pub.loop_stop()
            sub.loop_stop()
            pub.disconnect()
            sub.disconnect()
        after = counts(server)
    pubacks = after["puback"] - before.get("puback", 0)
    refills = after["refill"] - before.get("refill", 0)
    assert pubacks == MESSAGES, after
    # The queue drains only through the subscriber's PUBACKs: all but the first window at most,
    # and some (the publisher's 200 arrive faster than a window of 8 is acknowledged).
    assert 0 < refills <= MESSAGES - WINDOW, after
