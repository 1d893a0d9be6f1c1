"""Caps on what clients could grow without bound (issue 15 item 9), against the real weir:
retained messages by count and bytes (v5 PUBACK 0x97 beyond, on /metrics), the session expiry
(v5 CONNACK grants at most session_expiry_max), the v5 outbound window (max_inflight, whatever
the client's Receive Maximum)."""
import pytest

import mqtt_raw as raw
import weirproc
from conftest import BROKER_KIND

pytestmark = pytest.mark.skipif(BROKER_KIND != "weir", reason="weir's own caps and /metrics")

QUOTA_EXCEEDED = 0x97


@pytest.fixture(scope="module")
def cbroker():
    import conftest
    b = conftest.new_broker(max_retained_messages=3, max_retained_bytes=4096, max_inflight=4).start()
    yield b
    b.close()


def metric(b, name):
    h = weirproc.Http(b.server)
    h.login(password="Wire-tests-Pw-4821")
    status, body, _ = h.get("/metrics")
    assert status == 200
    for line in body.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not on /metrics")


def test_retained_caps(cbroker, topic):
    with raw.RawClient(cbroker.port) as c:
        c.connect("caps-retained")
        for i in range(3):
            assert c.publish(f"{topic}/{i}", b"v", qos=1, mid=i + 1, retain=True).reason == 0
        refused = c.publish(f"{topic}/new", b"v", qos=1, mid=10, retain=True)
        assert refused.reason == QUOTA_EXCEEDED
        assert c.publish(f"{topic}/0", b"replaced", qos=1, mid=11, retain=True).reason == 0
        assert c.publish(f"{topic}/1", b"", qos=1, mid=12, retain=True).reason == 0  # removal
        big = b"x" * 5000
        assert c.publish(f"{topic}/big", big, qos=1, mid=13, retain=True).reason == QUOTA_EXCEEDED
        assert c.publish(f"{topic}/1", b"back", qos=1, mid=14, retain=True).reason == 0
    assert metric(cbroker, "weir_mqtt_retained_messages") == 3
    assert metric(cbroker, "weir_mqtt_retained_refused_total") == 2
    assert metric(cbroker, "weir_mqtt_retained_bytes") > 0
    assert "new retained topics are refused" in cbroker.output()
    # Nothing refused was retained: a new subscriber gets the three that are.
    with raw.RawClient(cbroker.port) as s:
        s.connect("caps-retained-sub")
        s.subscribe(f"{topic}/#", 0)
        got = sorted(s.expect(raw.PUBLISH).topic for _ in range(3))
        assert got == [f"{topic}/0", f"{topic}/1", f"{topic}/2"]
        s.expect_nothing(0.3)


def test_session_expiry_is_capped_and_granted(cbroker):
    with raw.RawClient(cbroker.port) as c:
        ack = c.connect("caps-expiry", clean=False,
                        properties=raw.props((raw.SESSION_EXPIRY, 0xFFFFFFFF)))
        assert ack.props.get(raw.SESSION_EXPIRY) == 7 * 24 * 3600
        c.send(raw.disconnect(properties=raw.props((raw.SESSION_EXPIRY, 0))))


def test_v5_outbound_window_is_max_inflight(cbroker, topic):
    with raw.RawClient(cbroker.port) as sub, raw.RawClient(cbroker.port) as pub:
        sub.connect("caps-window", properties=raw.props((raw.RECEIVE_MAXIMUM, 1000)))
        sub.subscribe(topic, 1)
        pub.connect("caps-window-pub")
        for i in range(10):
            pub.publish(topic, str(i).encode(), qos=1, mid=i + 1)
        first = [sub.expect(raw.PUBLISH) for _ in range(4)]
        sub.expect_nothing(0.3)  # 4 in flight, however large the client's Receive Maximum
        sub.send(raw.ack(raw.PUBACK, first[0].mid))
        assert sub.expect(raw.PUBLISH).payload == b"4"
