"""The broker's side of the QoS 1 round trip on /metrics (issue 16): a paho publisher sends 200
QoS 1 messages at once to a QoS 1 subscriber whose window (max_inflight 8) is smaller, so the
broker queues them and every PUBACK of the subscriber lets the next one out.
`weir_mqtt_puback_turn_seconds` counts one value per PUBACK sent on receipt of a PUBLISH (no
persistence here: none is held) and `weir_mqtt_refill_turn_seconds` one per PUBLISH a
subscriber's PUBACK let out of the queue (200 minus the first window at most).

Weir only (the histograms are weir's /metrics)."""
import pytest

from conftest import BROKER_KIND, qos1_stream, weir_broker, weir_metrics
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
        qos1_stream(server, topic, MESSAGES, MESSAGES, name="split")
        after = counts(server)
    pubacks = after["puback"] - before.get("puback", 0)
    refills = after["refill"] - before.get("refill", 0)
    assert pubacks == MESSAGES, after
    # The queue drains only through the subscriber's PUBACKs: all but the first window at most,
    # and some (the publisher's 200 arrive faster than a window of 8 is acknowledged).
    assert 0 < refills <= MESSAGES - WINDOW, after
