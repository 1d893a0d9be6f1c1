"""Retained messages: stored per topic, delivered on subscribe with the retain flag, replaced,
cleared by an empty payload, matched by wildcards."""
import pytest

from paho_client import Client, V311, V5


@pytest.mark.parametrize("version", [V311, V5])
def test_retained_delivered_to_late_subscriber(broker, topic, version):
    with Client(broker, version=version) as pub:
        pub.publish(topic, b"kept", qos=1, retain=True)
    with Client(broker, version=version) as sub:
        sub.subscribe(topic, 1)
        m = sub.get()
        assert (m.payload, m.retain, m.qos) == (b"kept", True, 1)
        sub.expect_none(0.3)


def test_live_message_has_retain_flag_cleared_v311(broker, topic):
    with Client(broker, version=V311) as sub, Client(broker) as pub:
        sub.subscribe(topic, 0)
        pub.publish(topic, b"live", qos=0, retain=True)
        m = sub.get()
        assert m.payload == b"live" and not m.retain


def test_retained_is_replaced(broker, topic):
    with Client(broker) as pub:
        pub.publish(topic, b"v1", qos=1, retain=True)
        pub.publish(topic, b"v2", qos=1, retain=True)
    with Client(broker) as sub:
        sub.subscribe(topic, 0)
        assert sub.get().payload == b"v2"
        sub.expect_none(0.3)


def test_empty_payload_clears_retained(broker, topic):
    with Client(broker) as pub:
        pub.publish(topic, b"v1", qos=1, retain=True)
        pub.publish(topic, b"", qos=1, retain=True)
    with Client(broker) as sub:
        sub.subscribe(topic, 0)
        sub.expect_none(0.5)


def test_retained_matched_by_wildcards(broker, topic):
    with Client(broker) as pub:
        for leaf in ("a", "b", "c/d"):
            pub.publish(f"{topic}/{leaf}", leaf.encode(), qos=1, retain=True)
    with Client(broker) as sub:
        sub.subscribe(topic + "/+", 0)
        got = sorted(m.payload for m in sub.get_all(2))
        assert got == [b"a", b"b"]
        sub.expect_none(0.3)
    with Client(broker) as sub:
        sub.subscribe(topic + "/#", 0)
        got = sorted(m.payload for m in sub.get_all(3))
        assert got == [b"a", b"b", b"c/d"]


def test_retained_delivery_qos_is_min(broker, topic):
    with Client(broker) as pub:
        pub.publish(topic, b"q2", qos=2, retain=True)
    with Client(broker) as sub:
        sub.subscribe(topic, 1)
        assert sub.get().qos == 1


def test_retained_qos0_is_stored(broker, topic):
    with Client(broker) as pub:
        pub.publish(topic, b"q0", qos=0, retain=True)
        pub.publish(topic + "/sync", b"", qos=1)  # ordering barrier
    with Client(broker) as sub:
        sub.subscribe(topic, 2)
        m = sub.get()
        assert m.payload == b"q0" and m.qos == 0 and m.retain


def test_resubscribe_sends_retained_again(broker, topic):
    with Client(broker) as pub:
        pub.publish(topic, b"again", qos=1, retain=True)
    with Client(broker) as sub:
        sub.subscribe(topic, 0)
        assert sub.get().payload == b"again"
        sub.subscribe(topic, 0)  # MQTT 5 retain handling 0 (default): send on every subscribe
        assert sub.get().payload == b"again"
