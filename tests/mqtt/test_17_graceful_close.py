"""Graceful close (issue 15 item 12, paho's test_flow_control2): a client keeps sending after its
21st unacknowledged QoS 2 PUBLISH (Receive Maximum 20); the broker answers DISCONNECT 0x93,
shuts the connection down for writing and discards what still arrives for a bounded time, so
the client's writes do not fail and it reads the DISCONNECT (not a reset) — over TCP, TLS and
WebSocket (the MQTT listener's, and /mqtt on the HTTP port)."""
import socket
import struct
import time

import pytest

import conftest
import mqtt_raw as raw
from test_15_tls import cert  # noqa: F401  (the module's certificate fixture)

RECEIVE_MAXIMUM = 20
RECEIVE_MAXIMUM_EXCEEDED = 0x93


@pytest.fixture(scope="module")
def fbroker(cert):  # noqa: F811
    b = conftest.new_broker(tls=cert, max_inflight=RECEIVE_MAXIMUM).start()
    yield b
    b.close()


# MQTT over WebSocket at /mqtt on the HTTP port exists only in weir (not in Mosquitto).
TRANSPORTS = ["tcp", "tls", "ws"] + (["http-ws"] if conftest.BROKER_KIND == "weir" else [])


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_receive_maximum_exceeded_is_read_by_a_client_still_sending(fbroker, topic, transport):
    c = raw.open_client(fbroker, transport)
    try:
        ack = c.connect(f"flow2-{transport}")
        assert ack.reason == 0
        assert ack.props.get(raw.RECEIVE_MAXIMUM, 65535) == RECEIVE_MAXIMUM
        for mid in range(1, RECEIVE_MAXIMUM + 1):
            c.send(raw.publish(topic, b"x", qos=2, mid=mid))
            assert c.expect(raw.PUBREC).mid == mid
        # The 21st, and then more: PUBRELs and PUBLISHes as a client that has not noticed yet.
        c.send(raw.publish(topic, b"x", qos=2, mid=RECEIVE_MAXIMUM + 1))
        deadline = time.time() + 0.5
        mid = RECEIVE_MAXIMUM + 2
        while time.time() < deadline:
            c.send(raw.ack(raw.PUBREL, 1) + raw.publish(topic, b"y" * 100, qos=2, mid=mid))
            mid += 1
            time.sleep(0.01)
        # The writes above did not fail (no reset); the DISCONNECT is there to read.
        disconnect = c.expect_closed()
        assert disconnect is not None, "no DISCONNECT read before the close"
        assert disconnect.reason == RECEIVE_MAXIMUM_EXCEEDED
    finally:
        c.close()
