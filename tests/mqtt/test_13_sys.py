"""$SYS statistics: Mosquitto-compatible topics under $SYS/broker/, published every
sys_interval, retained for late subscribers, counting what clients did."""
import time

from paho_client import Client


def _collect(c, within):
    values = {}
    deadline = time.time() + within
    while time.time() < deadline:
        try:
            m = c.get(timeout=max(0.05, deadline - time.time()))
        except AssertionError:
            break
        values[m.topic] = m.payload.decode(errors="replace")
    return values


def test_sys_topics_published(make_broker):
    b = make_broker(sys_interval=1)
    with Client(b) as c:
        c.subscribe("$SYS/broker/#", 0)
        values = _collect(c, 2.5)
    for t in ("$SYS/broker/uptime", "$SYS/broker/clients/connected", "$SYS/broker/messages/received",
              "$SYS/broker/messages/sent", "$SYS/broker/bytes/received", "$SYS/broker/bytes/sent",
              "$SYS/broker/subscriptions/count", "$SYS/broker/retained messages/count"):
        assert t in values, f"{t} missing; got {sorted(values)}"
    assert int(values["$SYS/broker/clients/connected"]) >= 1
    assert "seconds" in values["$SYS/broker/uptime"]


def test_sys_counts_follow_activity(make_broker, topic):
    b = make_broker(sys_interval=1)
    others = [Client(b).connect() for _ in range(3)]
    try:
        with Client(b) as pub:
            for i in range(10):
                pub.publish(topic, b"x", qos=1)
            with Client(b) as c:
                c.subscribe("$SYS/broker/clients/connected", 0)
                c.subscribe("$SYS/broker/messages/received", 0)
                values = _collect(c, 2.5)
        assert int(values["$SYS/broker/clients/connected"]) >= 5
        assert int(values["$SYS/broker/messages/received"]) >= 10
    finally:
        for o in others:
            o.disconnect()


def test_clients_cannot_publish_to_sys(make_broker):
    b = make_broker(sys_interval=1)
    with Client(b) as c:
        c.subscribe("$SYS/broker/uptime", 0)
        c.publish("$SYS/broker/uptime", b"forged", qos=1)
        values = [m.payload for m in (c.get(timeout=3), c.get(timeout=3))]
        assert b"forged" not in values
