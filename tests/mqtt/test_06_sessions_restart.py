"""Persistent sessions survive a broker restart: subscriptions, queued and in-flight messages,
retained messages (the data directory is kept across WeirServer.restart())."""
import pytest

import mqtt_raw as raw
from paho_client import Client, V5, V311

SESSION = raw.props((raw.SESSION_EXPIRY, 3600))


@pytest.fixture
def pbroker(make_broker):
    return make_broker(persistent=True)


def _wait_flushed():
    # Weir commits as soon as the previous commit ends (and a restart is a clean stop anyway);
    # Mosquitto writes its db on SIGTERM.
    import time
    time.sleep(0.5)


def test_retained_survives_restart(pbroker, topic):
    with Client(pbroker) as pub:
        pub.publish(topic, b"persisted", qos=1, retain=True)
    _wait_flushed()
    pbroker.restart()
    with Client(pbroker) as sub:
        sub.subscribe(topic, 1)
        m = sub.get()
        assert m.payload == b"persisted" and m.retain


@pytest.mark.parametrize("version", [4, 5])
def test_subscription_and_queued_messages_survive_restart(pbroker, topic, version):
    cid = f"restart-sub-{version}"
    kw = dict(version=version, clean=False)
    if version == 5:
        kw["properties"] = SESSION
    with raw.RawClient(pbroker.port, version=version) as r:
        r.connect(cid, **kw)
        r.subscribe(topic, 1)
        r.send(raw.disconnect(version=version))
        r.expect_closed()
    with raw.RawClient(pbroker.port, version=version) as pub:
        pub.connect(f"restart-pub-{version}", version=version)
        for i in range(5):
            pub.publish(topic, f"q{i}".encode(), qos=1, mid=i + 1)
    _wait_flushed()
    pbroker.restart()
    with raw.RawClient(pbroker.port, version=version) as r:
        ack = r.connect(cid, **kw)
        assert ack.session_present
        got = []
        for _ in range(5):
            p = r.expect(raw.PUBLISH)
            got.append(p.payload)
            r.send(raw.ack(raw.PUBACK, p.mid, version=version))
        assert got == [f"q{i}".encode() for i in range(5)]
        # The subscription itself survived: a new message is delivered live.
        with raw.RawClient(pbroker.port, version=version) as pub:
            pub.connect(f"restart-pub2-{version}", version=version)
            pub.publish(topic, b"live", qos=1)
        p = r.expect(raw.PUBLISH)
        assert p.payload == b"live"


def test_inflight_qos1_redelivered_after_restart(pbroker, topic):
    cid = "restart-inflight"
    r = raw.RawClient(pbroker.port)
    r.connect(cid, clean=False, properties=SESSION)
    r.subscribe(topic, 1)
    with raw.RawClient(pbroker.port) as pub:
        pub.connect("restart-inflight-pub")
        pub.publish(topic, b"unacked", qos=1)
    p = r.expect(raw.PUBLISH)
    assert p.payload == b"unacked"
    _wait_flushed()
    r.close()  # never acknowledged
    _wait_flushed()
    pbroker.restart()
    with raw.RawClient(pbroker.port) as r2:
        assert r2.connect(cid, clean=False, properties=SESSION).session_present
        p2 = r2.expect(raw.PUBLISH)
        assert p2.payload == b"unacked" and p2.dup


def test_qos2_pubrel_state_survives_restart(pbroker, topic):
    cid = "restart-q2"
    r = raw.RawClient(pbroker.port)
    r.connect(cid, clean=False, properties=SESSION)
    r.subscribe(topic, 2)
    with raw.RawClient(pbroker.port) as pub:
        pub.connect("restart-q2-pub")
        pub.publish(topic, b"q2", qos=2)
    p = r.expect(raw.PUBLISH)
    r.send(raw.ack(raw.PUBREC, p.mid))
    r.expect(raw.PUBREL)
    _wait_flushed()
    r.close()
    _wait_flushed()
    pbroker.restart()
    with raw.RawClient(pbroker.port) as r2:
        assert r2.connect(cid, clean=False, properties=SESSION).session_present
        rel = r2.expect(raw.PUBREL)
        assert rel.mid == p.mid
        r2.send(raw.ack(raw.PUBCOMP, rel.mid))
        r2.expect_nothing(0.5)


def test_clean_session_not_kept_across_restart(pbroker, topic):
    with raw.RawClient(pbroker.port, version=4) as r:
        r.connect("restart-clean", version=4, clean=True)
        r.subscribe(topic, 1)
    _wait_flushed()
    pbroker.restart()
    with raw.RawClient(pbroker.port, version=4) as r:
        assert not r.connect("restart-clean", version=4, clean=False).session_present


def test_paho_persistent_session_across_restart(pbroker, topic):
    cid = "restart-paho"
    c = Client(pbroker, client_id=cid, version=V311, clean=False).connect()
    c.subscribe(topic, 1)
    c.disconnect()
    _wait_flushed()
    pbroker.restart()
    with Client(pbroker, version=V5) as pub:
        pub.publish(topic, b"after-restart", qos=1)
    c2 = Client(pbroker, client_id=cid, version=V311, clean=False).connect()
    assert c2.session_present
    assert c2.get().payload == b"after-restart"
    c2.disconnect()
