"""MQTT 5 properties: reason codes, topic aliases, message expiry, user properties, receive
maximum, maximum packet size, assigned client id, server keep-alive, subscription identifiers,
no-local, retain-as-published, retain handling."""
import time

import mqtt_raw as raw

NL, RAP = 1 << 2, 1 << 3


def rh(n):
    return n << 4


def _pair(broker, name):
    sub = raw.RawClient(broker.port)
    sub.connect(f"{name}-sub")
    pub = raw.RawClient(broker.port)
    pub.connect(f"{name}-pub")
    return sub, pub


# --- reason codes -------------------------------------------------------------------------

def test_puback_no_matching_subscribers(broker, topic):
    with raw.RawClient(broker.port) as c:
        c.connect("rc-nomatch")
        assert c.publish(topic + "/nobody", b"x", qos=1).reason in (0x00, 0x10)  # 0x10 is a MAY
        # PUBREC: Mosquitto 2.0.11 answers 0x00; 0x10 is what MQTT 5 suggests.
        assert c.publish(topic + "/nobody", b"x", qos=2, mid=2).reason in (0x00, 0x10)


def test_suback_reason_codes_are_granted_qos(broker, topic):
    with raw.RawClient(broker.port) as c:
        c.connect("rc-suback")
        c.send(raw.subscribe(1, [(topic + "/0", 0), (topic + "/1", 1), (topic + "/2", 2)]))
        assert c.expect(raw.SUBACK).reasons == [0, 1, 2]


def test_disconnect_with_reason_is_accepted(broker):
    with raw.RawClient(broker.port) as c:
        c.connect("rc-disc")
        c.send(raw.disconnect(0x00, properties=raw.props((raw.REASON_STRING, "bye"))))
        c.expect_closed()


# --- topic aliases ------------------------------------------------------------------------

def test_inbound_topic_alias(broker, topic):
    sub, pub = _pair(broker, "alias")
    with sub, pub:
        sub.subscribe(topic, 0)
        pub.send(raw.publish(topic, b"first", properties=raw.props((raw.TOPIC_ALIAS, 1))))
        pub.send(raw.publish("", b"second", properties=raw.props((raw.TOPIC_ALIAS, 1))))
        for payload in (b"first", b"second"):
            p = sub.expect(raw.PUBLISH)
            assert (p.topic, p.payload) == (topic, payload)
            assert raw.TOPIC_ALIAS not in p.props  # aliases are per connection


def test_topic_alias_remapped(broker, topic):
    sub, pub = _pair(broker, "alias-remap")
    with sub, pub:
        sub.subscribe(topic + "/#", 0)
        pub.send(raw.publish(topic + "/a", b"1", properties=raw.props((raw.TOPIC_ALIAS, 2))))
        pub.send(raw.publish(topic + "/b", b"2", properties=raw.props((raw.TOPIC_ALIAS, 2))))
        pub.send(raw.publish("", b"3", properties=raw.props((raw.TOPIC_ALIAS, 2))))
        got = [(p.topic, p.payload) for p in (sub.expect(raw.PUBLISH) for _ in range(3))]
        assert got == [(topic + "/a", b"1"), (topic + "/b", b"2"), (topic + "/b", b"3")]


def test_topic_alias_over_maximum_disconnects(broker, topic):
    with raw.RawClient(broker.port) as c:
        ack = c.connect("alias-max")
        maximum = ack.props.get(raw.TOPIC_ALIAS_MAXIMUM, 0)
        c.send(raw.publish(topic, b"x", properties=raw.props((raw.TOPIC_ALIAS, maximum + 1))))
        d = c.expect_closed()
        assert d is not None and d.reason == 0x94, d


def test_unknown_topic_alias_is_protocol_error(broker):
    with raw.RawClient(broker.port) as c:
        c.connect("alias-unknown")
        c.send(raw.publish("", b"x", properties=raw.props((raw.TOPIC_ALIAS, 1))))
        d = c.expect_closed()
        assert d is not None and d.reason in (0x82, 0x94), d


# --- message expiry -----------------------------------------------------------------------

def test_expired_retained_message_not_delivered(broker, topic):
    with raw.RawClient(broker.port) as pub:
        pub.connect("expiry-ret-pub")
        pub.publish(topic, b"short", qos=1, retain=True, properties=raw.props((raw.MESSAGE_EXPIRY, 1)))
    time.sleep(2.2)
    with raw.RawClient(broker.port) as sub:
        sub.connect("expiry-ret-sub")
        sub.subscribe(topic, 1)
        sub.expect_nothing(0.5)


def test_queued_message_expires_and_remaining_interval_is_sent(broker, topic):
    cid = "expiry-queued"
    session = raw.props((raw.SESSION_EXPIRY, 60))
    with raw.RawClient(broker.port) as sub:
        sub.connect(cid, clean=False, properties=session)
        sub.subscribe(topic, 1)
        sub.send(raw.disconnect())
        sub.expect_closed()
    with raw.RawClient(broker.port) as pub:
        pub.connect("expiry-queued-pub")
        pub.publish(topic, b"dies", qos=1, mid=1, properties=raw.props((raw.MESSAGE_EXPIRY, 1)))
        pub.publish(topic, b"lives", qos=1, mid=2, properties=raw.props((raw.MESSAGE_EXPIRY, 100)))
    time.sleep(2.2)
    with raw.RawClient(broker.port) as sub:
        assert sub.connect(cid, clean=False, properties=session).session_present
        p = sub.expect(raw.PUBLISH)
        assert p.payload == b"lives"
        assert 90 <= p.props[raw.MESSAGE_EXPIRY] <= 100  # remaining lifetime
        sub.send(raw.ack(raw.PUBACK, p.mid))
        sub.expect_nothing(0.3)


# --- properties forwarded -----------------------------------------------------------------

def test_user_and_request_response_properties_forwarded(broker, topic):
    sub, pub = _pair(broker, "fwd")
    with sub, pub:
        sub.subscribe(topic, 1)
        pub.publish(topic, b"{}", qos=1, properties=raw.props(
            (raw.USER_PROPERTY, ("b", "2")), (raw.USER_PROPERTY, ("a", "1")), (raw.USER_PROPERTY, ("b", "3")),
            (raw.CONTENT_TYPE, "application/json"), (raw.RESPONSE_TOPIC, topic + "/reply"),
            (raw.CORRELATION_DATA, b"\x00\x01corr"), (raw.PAYLOAD_FORMAT, 1)))
        p = sub.expect(raw.PUBLISH)
        assert p.props[raw.USER_PROPERTY] == [("b", "2"), ("a", "1"), ("b", "3")]  # order kept
        assert p.props[raw.CONTENT_TYPE] == "application/json"
        assert p.props[raw.RESPONSE_TOPIC] == topic + "/reply"
        assert p.props[raw.CORRELATION_DATA] == b"\x00\x01corr"
        assert p.props[raw.PAYLOAD_FORMAT] == 1


# --- flow control and sizes ---------------------------------------------------------------

def test_receive_maximum_limits_unacked_deliveries(broker, topic):
    with raw.RawClient(broker.port) as sub, raw.RawClient(broker.port) as pub:
        sub.connect("rmax-sub", properties=raw.props((raw.RECEIVE_MAXIMUM, 2)))
        sub.subscribe(topic, 1)
        pub.connect("rmax-pub")
        for i in range(5):
            pub.publish(topic, str(i).encode(), qos=1, mid=i + 1)
        first = [sub.expect(raw.PUBLISH) for _ in range(2)]
        sub.expect_nothing(0.5)
        sub.send(raw.ack(raw.PUBACK, first[0].mid))
        third = sub.expect(raw.PUBLISH)
        assert [p.payload for p in first + [third]] == [b"0", b"1", b"2"]
        if broker.kind != "mosquitto":  # observed: Mosquitto 2.0.11 refills more than the freed slot
            sub.expect_nothing(0.3)


def test_server_receive_maximum_advertised(broker):
    with raw.RawClient(broker.port) as c:
        ack = c.connect("rmax-server")
        assert ack.props.get(raw.RECEIVE_MAXIMUM, 65535) >= 1


def test_client_maximum_packet_size_drops_larger_messages(broker, topic):
    with raw.RawClient(broker.port) as sub, raw.RawClient(broker.port) as pub:
        sub.connect("maxpkt-sub", properties=raw.props((raw.MAXIMUM_PACKET_SIZE, 200)))
        sub.subscribe(topic, 1)
        pub.connect("maxpkt-pub")
        pub.publish(topic, b"x" * 500, qos=1)
        pub.publish(topic, b"small", qos=1, mid=2)
        p = sub.expect(raw.PUBLISH)
        assert p.payload == b"small"


def test_server_maximum_packet_size(make_broker, topic):
    b = make_broker(max_packet_size=1000)
    with raw.RawClient(b.port) as c:
        ack = c.connect("maxpkt-server")
        assert ack.props.get(raw.MAXIMUM_PACKET_SIZE) == 1000
        c.publish(topic, b"y" * 500, qos=1)
        c.send(raw.publish(topic, b"z" * 2000, qos=1, mid=2))
        d = c.expect_closed()
        assert d is not None and d.reason == 0x95, d


# --- connection properties ----------------------------------------------------------------

def test_assigned_client_identifier(broker):
    with raw.RawClient(broker.port) as c:
        ack = c.connect("")
        cid = ack.props[raw.ASSIGNED_CLIENT_ID]
        assert len(cid) >= 1


def test_server_keep_alive(make_broker):
    b = make_broker(max_keepalive=30)
    with raw.RawClient(b.port) as c:
        assert c.connect("ska", keepalive=3600).props[raw.SERVER_KEEP_ALIVE] == 30


# --- subscription options and identifiers -------------------------------------------------

def test_subscription_identifier_delivered(broker, topic):
    sub, pub = _pair(broker, "subid")
    with sub, pub:
        sub.subscribe(topic + "/#", 1, properties=raw.props((raw.SUBSCRIPTION_ID, 7)))
        sub.subscribe(topic + "/+", 1, mid=2, properties=raw.props((raw.SUBSCRIPTION_ID, 300)))
        pub.publish(topic + "/x", b"v", qos=1)
        ids = []
        try:
            while True:
                p = sub.read(0.5)
                if p.type == raw.PUBLISH:
                    ids += p.props.get(raw.SUBSCRIPTION_ID, [])
                    sub.send(raw.ack(raw.PUBACK, p.mid))
        except TimeoutError:
            pass
        assert sorted(ids) == [7, 300]


def test_no_local(broker, topic):
    with raw.RawClient(broker.port) as c, raw.RawClient(broker.port) as other:
        c.connect("nolocal")
        c.subscribe(topic, 1 | NL)
        c.publish(topic, b"mine", qos=1)
        other.connect("nolocal-other")
        other.publish(topic, b"theirs", qos=1)
        p = c.expect(raw.PUBLISH)
        assert p.payload == b"theirs"


def test_retain_as_published(broker, topic):
    with raw.RawClient(broker.port) as sub, raw.RawClient(broker.port) as pub:
        sub.connect("rap-sub")
        sub.subscribe(topic + "/rap", 0 | RAP)
        sub.subscribe(topic + "/plain", 0, mid=2)
        pub.connect("rap-pub")
        pub.publish(topic + "/rap", b"r", qos=1, retain=True)
        pub.publish(topic + "/plain", b"p", qos=1, mid=2, retain=True)
        got = {p.topic: p.retain for p in (sub.expect(raw.PUBLISH), sub.expect(raw.PUBLISH))}
        assert got == {topic + "/rap": True, topic + "/plain": False}
        pub.publish(topic + "/rap", b"", qos=1, retain=True)
        pub.publish(topic + "/plain", b"", qos=1, retain=True)


def test_retain_handling(broker, topic):
    with raw.RawClient(broker.port) as pub:
        pub.connect("rh-pub")
        pub.publish(topic, b"kept", qos=1, retain=True)
    with raw.RawClient(broker.port) as sub:
        sub.connect("rh-sub")
        sub.subscribe(topic, rh(2))               # 2: never send retained
        sub.expect_nothing(0.4)
        sub.send(raw.unsubscribe(5, [topic]))
        sub.expect(raw.UNSUBACK)
        sub.subscribe(topic, rh(1), mid=2)        # 1: only for a new subscription
        assert sub.expect(raw.PUBLISH).payload == b"kept"
        sub.subscribe(topic, rh(1), mid=3)        # exists already: nothing
        sub.expect_nothing(0.4)
        sub.subscribe(topic, rh(0), mid=4)        # 0: always
        assert sub.expect(raw.PUBLISH).payload == b"kept"
    with raw.RawClient(broker.port) as pub:
        pub.connect("rh-pub")
        pub.publish(topic, b"", qos=1, retain=True)
