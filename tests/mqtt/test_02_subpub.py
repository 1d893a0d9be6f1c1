"""SUBSCRIBE/PUBLISH/UNSUBSCRIBE at every QoS, both protocol versions, ordering and overlap."""
import time

import pytest

import mqtt_raw as raw
from paho_client import Client, V311, V5


@pytest.mark.parametrize("version", [V311, V5])
@pytest.mark.parametrize("qos", [0, 1, 2])
def test_publish_reaches_subscriber(broker, topic, version, qos):
    with Client(broker, version=version) as sub, Client(broker, version=version) as pub:
        granted = sub.subscribe(topic, qos)
        assert granted == [qos]
        pub.publish(topic, b"hello", qos=qos)
        m = sub.get()
        assert (m.topic, m.payload, m.qos, m.retain) == (topic, b"hello", qos, False)


@pytest.mark.parametrize("sub_qos,pub_qos", [(0, 2), (1, 2), (2, 0), (1, 0), (0, 1)])
def test_delivery_qos_is_min_of_publish_and_subscription(broker, topic, sub_qos, pub_qos):
    with Client(broker) as sub, Client(broker) as pub:
        sub.subscribe(topic, sub_qos)
        pub.publish(topic, b"x", qos=pub_qos)
        assert sub.get().qos == min(sub_qos, pub_qos)


def test_unsubscribe_stops_delivery(broker, topic):
    with Client(broker) as sub, Client(broker) as pub:
        sub.subscribe(topic, 1)
        pub.publish(topic, b"1", qos=1)
        assert sub.get().payload == b"1"
        sub.unsubscribe(topic)
        pub.publish(topic, b"2", qos=1)
        sub.expect_none()


def test_order_is_preserved_per_publisher(broker, topic):
    with Client(broker) as sub, Client(broker) as pub:
        sub.subscribe(topic, 1)
        for i in range(200):
            pub.publish(topic, str(i).encode(), qos=1, wait=False)
        got = [int(m.payload) for m in sub.get_all(200, timeout=15)]
        assert got == list(range(200))


def test_overlapping_subscriptions_deliver_once_per_client_v311(broker, topic):
    # MQTT 3.1.1 allows one or several copies; MQTT 5 (without sub ids) delivers at least one.
    with Client(broker, version=V5) as sub, Client(broker) as pub:
        sub.subscribe(topic + "/#", 0)
        sub.subscribe(topic + "/+", 1)
        pub.publish(topic + "/a", b"x", qos=1)
        first = sub.get()
        assert first.payload == b"x"


def test_resubscribe_replaces_qos(broker, topic):
    with raw.RawClient(broker.port) as sub, raw.RawClient(broker.port) as pub:
        sub.connect("resub")
        assert sub.subscribe(topic, 0).reasons == [0]
        assert sub.subscribe(topic, 2, mid=2).reasons == [2]
        pub.connect("resub-pub")
        pub.publish(topic, b"x", qos=2)
        p = sub.expect(raw.PUBLISH)
        assert p.qos == 2
        sub.expect_nothing(0.3)


def test_subscribe_multiple_filters_in_one_packet(broker, topic):
    with raw.RawClient(broker.port) as sub:
        sub.connect("multi-sub")
        sub.send(raw.subscribe(7, [(topic + "/a", 0), (topic + "/b", 1), (topic + "/c", 2)]))
        ack = sub.expect(raw.SUBACK)
        assert ack.mid == 7 and ack.reasons == [0, 1, 2]
        sub.send(raw.unsubscribe(8, [topic + "/a", topic + "/zz"]))
        un = sub.expect(raw.UNSUBACK)
        assert un.mid == 8
        assert un.reasons == [0x00, 0x11]  # success, no subscription existed


def test_v311_unsuback(broker, topic):
    with raw.RawClient(broker.port, version=4) as sub:
        sub.connect("v311-unsub", version=4)
        sub.send(raw.subscribe(3, [(topic, 1)], version=4))
        assert sub.expect(raw.SUBACK).reasons == [1]
        sub.send(raw.unsubscribe(4, [topic], version=4))
        assert sub.expect(raw.UNSUBACK).mid == 4


def test_cross_version_delivery(broker, topic):
    with Client(broker, version=V311) as sub, Client(broker, version=V5) as pub:
        sub.subscribe(topic, 1)
        pub.publish(topic, b"five-to-three", qos=1)
        assert sub.get().payload == b"five-to-three"


def test_empty_and_large_payloads(broker, topic):
    with Client(broker) as sub, Client(broker) as pub:
        sub.subscribe(topic, 1)
        pub.publish(topic, b"", qos=1)
        assert sub.get().payload == b""
        big = bytes(range(256)) * 1024  # 256 KiB
        pub.publish(topic, big, qos=1)
        assert sub.get().payload == big


def test_publisher_receives_own_message_by_default(broker, topic):
    with Client(broker) as c:
        c.subscribe(topic, 0)
        c.publish(topic, b"echo")
        assert c.get().payload == b"echo"


def test_qos0_to_slow_reader_does_not_block_others(broker, topic):
    """A subscriber that stops reading must not stall delivery to others."""
    stalled = raw.RawClient(broker.port)
    try:
        stalled.connect("stalled-reader")
        stalled.subscribe(topic, 0)
        with Client(broker) as fast, Client(broker) as pub:
            fast.subscribe(topic, 0)
            payload = b"z" * 16384
            for i in range(400):  # ~6.5 MB to a reader that never reads
                pub.publish(topic, payload, qos=0, wait=False)
            pub.publish(topic, b"last", qos=1)
            deadline_msgs = 0
            while True:
                m = fast.get(timeout=20)
                deadline_msgs += 1
                if m.payload == b"last":
                    break
            assert deadline_msgs >= 1
    finally:
        stalled.close()


def test_paused_reader_catches_up_in_order(broker, topic):
    """A subscriber that stops reading while ~5 MB pile up (far past the kernel's socket
    buffers, so the broker's writes go partial and wait for the socket to drain) gets every
    message, whole and in order, once it reads again."""
    count, size = 320, 16384
    with raw.RawClient(broker.port, timeout=20) as paused:
        paused.connect("paused-reader")
        paused.subscribe(topic, 0)
        with Client(broker) as pub:
            for i in range(count):
                pub.publish(topic, i.to_bytes(4, "big") * (size // 4), qos=0, wait=False)
            pub.publish(topic, b"end", qos=1)  # acked: the broker has routed everything before it
        time.sleep(0.5)
        for i in range(count):
            p = paused.expect(raw.PUBLISH)
            assert len(p.payload) == size
            assert p.payload[:4] == i.to_bytes(4, "big") and p.payload[-4:] == i.to_bytes(4, "big"), f"message {i}"
        assert paused.expect(raw.PUBLISH).payload == b"end"

