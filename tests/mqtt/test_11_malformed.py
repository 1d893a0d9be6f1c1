"""Malformed and oversized input over raw sockets: the offender is disconnected (v5 with the
right reason code when one is sent) and everybody else carries on."""
import socket
import time

import pytest

import mqtt_raw as raw
from paho_client import Client


@pytest.fixture
def bystander(broker, topic):
    """A subscribed client that must keep working while others misbehave."""
    c = Client(broker).connect()
    c.subscribe(topic + "/bystander", 1)
    yield c
    with Client(broker) as pub:
        pub.publish(topic + "/bystander", b"still-here", qos=1)
    assert c.get().payload == b"still-here"
    c.disconnect()


def _refused(r, reasons=(0x81, 0x82)):
    d = r.expect_closed()
    if d is not None:
        assert d.reason in reasons, d


def _connected(broker, version=5):
    r = raw.RawClient(broker.port, version=version)
    r.connect(f"bad-{time.monotonic_ns()}", version=version)
    return r


def test_reserved_packet_type(broker, bystander):
    with _connected(broker) as r:
        r.send(bytes([0x00, 0x00]))
        _refused(r)


def test_remaining_length_too_long(broker, bystander):
    with _connected(broker) as r:
        r.send(bytes([0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]))
        _refused(r, (0x81, 0x82, 0x95))


def test_publish_qos3(broker, bystander, topic):
    with _connected(broker) as r:
        r.send(raw.packet(raw.PUBLISH, 0b0110, raw.utf8(topic) + b"\x00\x01\x00"))
        _refused(r)


def test_publish_qos1_packet_id_zero(broker, bystander, topic):
    with _connected(broker) as r:
        r.send(raw.publish(topic, b"x", qos=1, mid=0))
        _refused(r)


def test_subscribe_wrong_fixed_header_flags(broker, bystander, topic):
    with _connected(broker) as r:
        pkt = bytearray(raw.subscribe(1, [(topic, 0)]))
        pkt[0] = (raw.SUBSCRIBE << 4)  # flags must be 0b0010
        r.send(bytes(pkt))
        _refused(r)


def test_subscribe_without_filters(broker, bystander):
    with _connected(broker) as r:
        r.send(raw.packet(raw.SUBSCRIBE, 2, b"\x00\x01\x00"))
        _refused(r)


def test_subscribe_bad_options(broker, bystander, topic):
    with _connected(broker) as r:
        r.send(raw.subscribe(1, [(topic, 0xC0)]))  # reserved bits set
        _refused(r)


def test_topic_with_nul(broker, bystander):
    with _connected(broker) as r:
        r.send(raw.publish("a\x00b", b"x"))
        _refused(r, (0x81, 0x82, 0x90))


def test_invalid_utf8_topic(broker, bystander):
    with _connected(broker) as r:
        body = b"\x00\x03a\xff\xfe" + b"\x00"
        r.send(raw.packet(raw.PUBLISH, 0, body))
        _refused(r, (0x81, 0x82, 0x90))


def test_truncated_property_block(broker, bystander, topic):
    with _connected(broker) as r:
        r.send(raw.packet(raw.PUBLISH, 0, raw.utf8(topic) + b"\x05\x02\x00"))
        _refused(r)


def test_length_longer_than_content_then_silence(broker, bystander):
    """A half-sent CONNECT must not hold anything up (others keep working meanwhile)."""
    with raw.RawClient(broker.port) as r:
        r.send(bytes([0x10, 0x40]) + b"\x00\x04MQ")
        with Client(broker) as other:
            other.subscribe("x/partial", 0)


def test_http_request_instead_of_connect(broker, bystander):
    with raw.RawClient(broker.port) as r:
        r.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        r.expect_closed()


def test_bad_utf8_client_id(broker, bystander):
    with raw.RawClient(broker.port) as r:
        body = raw.utf8("MQTT") + bytes([5, 0x02]) + b"\x00\x3c\x00" + b"\x00\x02\xc3\x28"
        r.send(raw.packet(raw.CONNECT, 0, body))
        try:
            p = r.read()
        except raw.Closed:
            return
        assert p.type == raw.CONNACK and p.body[1] in (0x80, 0x81, 0x85), p
        r.expect_closed()


def test_connect_reserved_flag(broker, bystander):
    with raw.RawClient(broker.port) as r:
        body = raw.utf8("MQTT") + bytes([5, 0x03]) + b"\x00\x3c\x00" + raw.utf8("reserved")
        r.send(raw.packet(raw.CONNECT, 0, body))
        try:
            p = r.read()
        except raw.Closed:
            return
        assert p.type == raw.CONNACK and p.body[1] >= 0x80, p


def test_oversized_packet_refused_from_header(make_broker, topic):
    b = make_broker(max_packet_size=1024)
    with Client(b) as other:
        other.subscribe(topic, 1)
        with raw.RawClient(b.port) as r:
            r.connect("oversized")
            # Announce 100 kB and send only the start: the broker must not wait for the rest.
            r.send(bytes([0x30]) + raw.varint(100_000) + raw.utf8(topic) + b"\x00" + b"x" * 100)
            d = r.expect_closed(timeout=3)
            if d is not None:
                assert d.reason == 0x95, d
        with Client(b) as pub:
            pub.publish(topic, b"fine", qos=1)
        assert other.get().payload == b"fine"


def test_byte_by_byte_delivery_works(broker, topic):
    with raw.RawClient(broker.port) as sub:
        sub.connect("bytewise-sub")
        sub.subscribe(topic, 0)
        s = socket.create_connection(("127.0.0.1", broker.port), timeout=5)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            data = raw.connect("bytewise") + raw.publish(topic, b"slow")
            for i in range(len(data)):
                s.send(data[i:i + 1])
                time.sleep(0.002)
            assert sub.expect(raw.PUBLISH).payload == b"slow"
        finally:
            s.close()


def test_many_packets_in_one_write(broker, topic):
    with raw.RawClient(broker.port) as sub, raw.RawClient(broker.port) as pub:
        sub.connect("batched-sub")
        sub.subscribe(topic, 0)
        pub.send(raw.connect("batched") + b"".join(raw.publish(topic, str(i)) for i in range(100)))
        pub.expect(raw.CONNACK)
        assert [int(sub.expect(raw.PUBLISH).payload) for _ in range(100)] == list(range(100))


def test_connection_flood_does_not_break_broker(broker, bystander):
    socks = []
    try:
        for _ in range(100):
            s = socket.create_connection(("127.0.0.1", broker.port), timeout=5)
            s.send(b"\x10\xff")  # incomplete CONNECT
            socks.append(s)
    finally:
        for s in socks:
            s.close()
