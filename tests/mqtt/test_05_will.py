"""Last Will and Testament: published on abrupt loss and keep-alive expiry, not on a clean
DISCONNECT; v5 DISCONNECT 0x04 publishes it; will delay; retained will."""
import time

import pytest

import mqtt_raw as raw
from paho_client import Client, V311, V5, props, PacketTypes


@pytest.mark.parametrize("version", [V311, V5])
def test_will_published_on_abrupt_close(broker, topic, version):
    with Client(broker, version=version) as watcher:
        watcher.subscribe(topic, 1)
        c = Client(broker, version=version, will={"topic": topic, "payload": b"gone", "qos": 1}).connect()
        c.drop()
        m = watcher.get()
        assert (m.payload, m.qos) == (b"gone", 1)


@pytest.mark.parametrize("version", [V311, V5])
def test_no_will_on_clean_disconnect(broker, topic, version):
    with Client(broker, version=version) as watcher:
        watcher.subscribe(topic, 1)
        c = Client(broker, version=version, will={"topic": topic, "payload": b"gone"}).connect()
        c.disconnect()
        watcher.expect_none(1.0)


def test_v5_disconnect_with_will_message_reason(broker, topic):
    with Client(broker) as watcher:
        watcher.subscribe(topic, 0)
        with raw.RawClient(broker.port) as r:
            r.connect("will-0x04", will={"topic": topic, "payload": b"by-request"})
            r.send(raw.disconnect(0x04))
            r.expect_closed()
        assert watcher.get().payload == b"by-request"


def test_will_on_keepalive_timeout(broker, topic):
    with Client(broker) as watcher:
        watcher.subscribe(topic, 0)
        r = raw.RawClient(broker.port)
        r.connect("will-keepalive", keepalive=1, will={"topic": topic, "payload": b"silent"})
        start = time.time()
        m = watcher.get(timeout=5)  # 1.5 x keep-alive, plus the broker's timer resolution
        assert m.payload == b"silent"
        assert time.time() - start >= 1.0
        r.close()


def test_retained_will(broker, topic):
    r = raw.RawClient(broker.port)
    r.connect("will-retained", will={"topic": topic, "payload": b"offline", "retain": True, "qos": 1})
    r.close()
    time.sleep(0.3)
    with Client(broker) as late:
        late.subscribe(topic, 1)
        m = late.get()
        assert m.payload == b"offline" and m.retain


def test_will_delay_cancelled_by_reconnect(broker, topic):
    with Client(broker) as watcher:
        watcher.subscribe(topic, 0)
        will = {"topic": topic, "payload": b"delayed", "properties": raw.props((raw.WILL_DELAY, 2))}
        session = raw.props((raw.SESSION_EXPIRY, 60))
        r = raw.RawClient(broker.port)
        r.connect("will-delay", clean=False, properties=session, will=will)
        r.close()
        watcher.expect_none(0.8)
        with raw.RawClient(broker.port) as r2:
            assert r2.connect("will-delay", clean=False, properties=session).session_present
            watcher.expect_none(2.5)


def test_will_delay_elapses(broker, topic):
    with Client(broker) as watcher:
        watcher.subscribe(topic, 0)
        will = {"topic": topic, "payload": b"late", "properties": raw.props((raw.WILL_DELAY, 1))}
        r = raw.RawClient(broker.port)
        r.connect("will-delay-2", clean=False, properties=raw.props((raw.SESSION_EXPIRY, 60)), will=will)
        t0 = time.time()
        r.close()
        m = watcher.get(timeout=5)
        assert m.payload == b"late" and time.time() - t0 >= 0.8


def test_will_user_properties_forwarded(broker, topic):
    with Client(broker) as watcher:
        watcher.subscribe(topic, 0)
        will_props = raw.props((raw.USER_PROPERTY, ("site", "tank-1")), (raw.CONTENT_TYPE, "text/plain"))
        r = raw.RawClient(broker.port)
        r.connect("will-props", will={"topic": topic, "payload": b"x", "properties": will_props})
        r.close()
        m = watcher.get()
        assert ("site", "tank-1") in m.properties.UserProperty
        assert m.properties.ContentType == "text/plain"


def test_takeover_publishes_will_v311(broker, topic):
    with Client(broker) as watcher:
        watcher.subscribe(topic, 0)
        r = raw.RawClient(broker.port, version=4)
        r.connect("will-takeover", version=4, will={"topic": topic, "payload": b"replaced"})
        with raw.RawClient(broker.port, version=4) as r2:
            r2.connect("will-takeover", version=4)
            assert watcher.get().payload == b"replaced"
        r.close()
