"""Topic filters: + and # matching, $-topics not matched by leading wildcards, invalid filters
and topic names refused."""
import pytest

import mqtt_raw as raw
from paho_client import Client

CASES = [
    # filter suffix, topic suffix, matches
    ("+", "a", True),
    ("+", "a/b", False),
    ("+/b", "a/b", True),
    ("a/+/c", "a/x/c", True),
    ("a/+/c", "a/x/y/c", False),
    ("#", "a/b/c", True),
    ("a/#", "a", True),          # '#' also matches the parent level
    ("a/#", "a/b/c", True),
    ("a/#", "ab/c", False),
    ("a/+", "a/", True),          # empty level
    ("+/+", "/x", True),
    ("a/b", "a/b/", False),
    ("A/b", "a/b", False),       # case-sensitive
]


@pytest.mark.parametrize("flt,name,matches", CASES)
def test_filter_matching(broker, topic, flt, name, matches):
    with Client(broker) as sub, Client(broker) as pub:
        sub.subscribe(f"{topic}/{flt}", 0)
        pub.publish(f"{topic}/{name}", b"m", qos=1)
        pub.publish(f"{topic}/zz-sync/never", b"sync", qos=1)
        if matches:
            assert sub.get().topic == f"{topic}/{name}"
        else:
            sub.expect_none(0.4)


def test_root_hash_does_not_match_dollar_topics(broker):
    with raw.RawClient(broker.port) as sub:
        sub.connect("no-dollar")
        sub.subscribe("#", 0)
        sub.subscribe("+/x", 0, mid=2)
        # $SYS traffic (if any) must not reach '#' subscribers.
        deadline_packets = []
        try:
            while True:
                p = sub.read(1.5)
                deadline_packets.append(p)
        except TimeoutError:
            pass
        assert not [p for p in deadline_packets if p.type == raw.PUBLISH and p.topic.startswith("$")]


@pytest.mark.parametrize("bad", ["a/#/b", "a#", "a/b#", "+a", "a/+b", "#/a"])
def test_invalid_filter_refused(broker, bad):
    with raw.RawClient(broker.port) as c:
        c.connect("bad-filter")
        c.send(raw.subscribe(1, [(bad, 0)]))
        try:
            p = c.read()
        except raw.Closed:
            return  # disconnecting is allowed (malformed packet)
        if p.type == raw.SUBACK:
            assert p.reasons[0] >= 0x80, p
        else:
            assert p.type == raw.DISCONNECT and p.reason in (0x81, 0x82, 0x8F), p


@pytest.mark.parametrize("bad", ["a/+", "a/#", "+"])
def test_wildcards_in_publish_topic_refused(broker, bad):
    with raw.RawClient(broker.port) as c:
        c.connect("bad-topic")
        c.send(raw.publish(bad, b"x", qos=1, mid=1))
        try:
            p = c.read()
        except raw.Closed:
            return
        assert (p.type == raw.PUBACK and p.reason >= 0x80) or p.type == raw.DISCONNECT, p


def test_many_subscribers_on_wildcards(broker, topic):
    subs = [Client(broker).connect() for _ in range(10)]
    try:
        for i, s in enumerate(subs):
            s.subscribe(f"{topic}/+/v" if i % 2 else f"{topic}/#", 1)
        with Client(broker) as pub:
            pub.publish(f"{topic}/dev7/v", b"42", qos=1)
        for s in subs:
            assert s.get().payload == b"42"
    finally:
        for s in subs:
            s.disconnect()
