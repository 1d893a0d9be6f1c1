"""Acknowledgements held for commits are bounded (issue 16): with ack_after_commit a v3.1.1
client (no Receive Maximum) could pile up any number of PUBACKs waiting for commits. Past
max_held_acks the broker stops reading that client's socket and resumes once commits have
released them; every PUBACK still comes, in order, and the pauses are counted on /metrics — over
TCP, TLS, the MQTT listener's WebSocket and MQTT over WebSocket at /mqtt on the HTTP port."""
import re
import struct

import pytest

import mqtt_raw as raw
from conftest import BROKER_KIND, weir_metrics
from paho_client import Client, V5
from test_15_tls import cert  # noqa: F401  (the module's certificate fixture)

pytestmark = pytest.mark.skipif(BROKER_KIND != "weir", reason="weir's ack_after_commit and /metrics")

MESSAGES = 600
CAP = 8


def metric(b, name):
    values = weir_metrics(b.server, rf"^({re.escape(name)}) (\S+)$")
    assert name in values, f"{name} not on /metrics"
    return values[name]


@pytest.mark.parametrize("transport", ["tcp", "tls", "ws", "http-ws"])
def test_flood_of_qos1_is_paused_not_piled_up(make_broker, topic, cert, transport):  # noqa: F811
    b = make_broker(persistent=True, tls=cert, max_queued=100000, max_held_acks=CAP)
    # A persistent session that keeps what is published: every PUBACK waits for a commit.
    with Client(b, client_id="held-keeper", version=V5, clean=False, session_expiry=3600) as sub:
        assert sub.subscribe(f"{topic}/#", 1) == [1]
    assert metric(b, "weir_mqtt_reads_paused_total") == 0
    with raw.open_client(b, transport) as c:
        c.timeout, c.version = 30, 4
        c.connect("held-flood", version=4)
        # Everything at once, without waiting for a single PUBACK (one read for the broker).
        c.send(b"".join(raw.publish(f"{topic}/m", b"x" * 16, qos=1, mid=i + 1, version=4)
                        for i in range(MESSAGES)))
        mids = [struct.unpack("!H", c.expect(raw.PUBACK).body[:2])[0] for _ in range(MESSAGES)]
        assert mids == list(range(1, MESSAGES + 1)), "PUBACKs missing or out of order"
        # The client was paused (more than once: CAP is far below MESSAGES) and is usable after.
        assert c.publish(f"{topic}/after", b"y", qos=1, mid=MESSAGES + 1, version=4) is not None
    assert metric(b, "weir_mqtt_reads_paused_total") >= 2
    assert metric(b, "weir_mqtt_acks_held") == 0
    # The kept session has every message.
    with Client(b, client_id="held-keeper", version=V5, clean=False, session_expiry=3600) as sub:
        got = 0
        while got < MESSAGES + 1:
            sub.messages.get(timeout=10)
            got += 1
