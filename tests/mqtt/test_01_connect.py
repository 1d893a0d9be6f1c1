"""CONNECT/CONNACK: both protocol versions, client ids, session present, takeover, refusals."""
import pytest

import mqtt_raw as raw
from paho_client import Client, V311, V5


@pytest.mark.parametrize("version", [V311, V5])
def test_connect_and_disconnect(broker, version):
    with Client(broker, version=version) as c:
        assert c.connack[1] == 0
        assert not c.session_present


@pytest.mark.parametrize("version", [4, 5])
def test_raw_connack_success(broker, version):
    with raw.RawClient(broker.port, version=version) as r:
        ack = r.connect("raw-connack-%d" % version, version=version)
        assert ack.reason == 0
        assert not ack.session_present
        r.ping()
        r.send(raw.disconnect(version=version))
        assert r.expect_closed() is None


def test_v5_empty_client_id_gets_assigned_id(broker):
    with raw.RawClient(broker.port) as r:
        ack = r.connect("")
        assert ack.reason == 0
        assigned = ack.props.get(raw.ASSIGNED_CLIENT_ID)
        assert assigned, f"no assigned client id in {ack!r}"


def test_v311_empty_client_id_with_clean_session(broker):
    with raw.RawClient(broker.port, version=4) as r:
        assert r.connect("", version=4, clean=True).reason == 0


def test_v311_empty_client_id_without_clean_session_is_rejected(broker):
    with raw.RawClient(broker.port, version=4) as r:
        ack = r.connect("", version=4, clean=False)
        assert ack.reason == 2  # identifier rejected
        r.expect_closed()


def test_v5_empty_client_id_without_clean_start(broker):
    # MQTT 5 allows it (the server assigns an id); Mosquitto rejects with 0x85 unless configured.
    with raw.RawClient(broker.port) as r:
        ack = r.connect("", clean=False)
        assert ack.reason in (0x00, 0x85)
        if ack.reason == 0:
            assert ack.props.get(raw.ASSIGNED_CLIENT_ID)


def test_unknown_protocol_version_is_refused(broker):
    with raw.RawClient(broker.port, version=4) as r:
        r.send(raw.connect("bad-version", version=4)[:0] + _connect_with_version("bad-version", 7))
        try:
            p = r.read()
        except raw.Closed:
            return
        assert p.type == raw.CONNACK and p.body[1] in (0x01, 0x84)
        r.expect_closed()


def _connect_with_version(cid, level):
    body = raw.utf8("MQTT") + bytes([level, 0x02]) + b"\x00\x3c" + raw.utf8(cid)
    return raw.packet(raw.CONNECT, 0, body)


def test_wrong_protocol_name_is_refused(broker):
    with raw.RawClient(broker.port, version=4) as r:
        body = raw.utf8("MQTX") + bytes([4, 0x02]) + b"\x00\x3c" + raw.utf8("bad-name")
        r.send(raw.packet(raw.CONNECT, 0, body))
        try:
            p = r.read()
            assert p.type == raw.CONNACK and p.body[1] != 0
        except raw.Closed:
            pass


def test_first_packet_must_be_connect(broker):
    with raw.RawClient(broker.port) as r:
        r.send(raw.PINGREQ_BYTES)
        r.expect_closed()


@pytest.mark.parametrize("version", [4, 5])
def test_second_connect_is_a_protocol_error(broker, version):
    with raw.RawClient(broker.port, version=version) as r:
        r.connect("twice-%d" % version, version=version)
        r.send(raw.connect("twice-%d" % version, version=version))
        d = r.expect_closed()
        if version == 5 and d is not None:
            assert d.reason == 0x82


@pytest.mark.parametrize("version", [4, 5])
def test_session_takeover_disconnects_old_connection(broker, version):
    cid = "takeover-%d" % version
    with raw.RawClient(broker.port, version=version) as first:
        first.connect(cid, version=version)
        with raw.RawClient(broker.port, version=version) as second:
            assert second.connect(cid, version=version).reason == 0
            d = first.expect_closed()
            if version == 5 and (d is not None or broker.kind == "weir"):
                # Mosquitto 2.0.11 just closes; MQTT 5 §3.1.4 says DISCONNECT 0x8E first.
                assert d is not None and d.reason == 0x8E, d  # session taken over
            second.ping()


@pytest.mark.parametrize("version", [V311, V5])
def test_session_present_on_reconnect(broker, version):
    cid = "persist-%d" % version
    kw = dict(clean=False) if version == V311 else dict(clean=False, session_expiry=60)
    c = Client(broker, client_id=cid, version=version, **kw).connect()
    c.disconnect()
    c2 = Client(broker, client_id=cid, version=version, **kw).connect()
    assert c2.session_present
    c2.disconnect()
    # A clean start throws the session away.
    c3 = Client(broker, client_id=cid, version=version, clean=True).connect()
    assert not c3.session_present
    c3.disconnect()


def test_v5_connack_advertises_capabilities(broker):
    with raw.RawClient(broker.port) as r:
        ack = r.connect("caps")
        # Absent means "available"; when present they must say so for a full-featured broker.
        for pid in (raw.RETAIN_AVAILABLE, raw.WILDCARD_AVAILABLE, raw.SUB_ID_AVAILABLE, raw.SHARED_AVAILABLE):
            assert ack.props.get(pid, 1) == 1, f"property {pid:#x} says unavailable: {ack!r}"
        assert ack.props.get(raw.MAXIMUM_QOS, 2) == 2


def test_many_clients_connect(broker):
    clients = [raw.RawClient(broker.port) for _ in range(50)]
    try:
        for i, r in enumerate(clients):
            assert r.connect(f"many-{i}").reason == 0
        for r in clients:
            r.ping()
    finally:
        for r in clients:
            r.close()
