"""QoS 1 and QoS 2 handshakes, including flows interrupted by a reconnect (session resumed)."""
import pytest

import mqtt_raw as raw

SESSION = raw.props((raw.SESSION_EXPIRY, 300))


def _persistent(r, cid, version):
    if version == 5:
        return r.connect(cid, version=5, clean=False, properties=SESSION)
    return r.connect(cid, version=4, clean=False)


def _reconnect(broker, cid, version):
    r = raw.RawClient(broker.port, version=version)
    ack = _persistent(r, cid, version)
    assert ack.reason == 0 and ack.session_present, ack
    return r


def _publisher(broker, version=5):
    p = raw.RawClient(broker.port, version=version)
    p.connect(f"pub-{id(p)}", version=version)
    return p


@pytest.mark.parametrize("version", [4, 5])
def test_qos1_unacked_is_redelivered_with_dup_after_reconnect(broker, topic, version):
    cid = f"q1-redeliver-{version}"
    sub = raw.RawClient(broker.port, version=version)
    _persistent(sub, cid, version)
    sub.subscribe(topic, 1)
    with _publisher(broker, version) as pub:
        pub.publish(topic, b"m1", qos=1, mid=11)
    p = sub.expect(raw.PUBLISH)
    assert (p.payload, p.qos, p.dup) == (b"m1", 1, False)
    sub.close()  # no PUBACK
    with _reconnect(broker, cid, version) as sub2:
        again = sub2.expect(raw.PUBLISH)
        assert again.payload == b"m1" and again.qos == 1 and again.dup and again.mid == p.mid
        sub2.send(raw.ack(raw.PUBACK, again.mid, version=version))
        sub2.expect_nothing(0.3)
        sub2.send(raw.disconnect(version=version))
    # Acknowledged: not delivered a third time.
    with _reconnect(broker, cid, version) as sub3:
        sub3.expect_nothing(0.3)


@pytest.mark.parametrize("version", [4, 5])
def test_qos2_outgoing_pubrel_resent_after_reconnect(broker, topic, version):
    cid = f"q2-pubrel-{version}"
    sub = raw.RawClient(broker.port, version=version)
    _persistent(sub, cid, version)
    sub.subscribe(topic, 2)
    with _publisher(broker, version) as pub:
        pub.publish(topic, b"exactly-once", qos=2, mid=3)
    p = sub.expect(raw.PUBLISH)
    assert p.qos == 2
    sub.send(raw.ack(raw.PUBREC, p.mid, version=version))
    rel = sub.expect(raw.PUBREL)
    assert rel.mid == p.mid
    sub.close()  # no PUBCOMP
    with _reconnect(broker, cid, version) as sub2:
        rel2 = sub2.expect(raw.PUBREL)
        assert rel2.mid == p.mid
        sub2.send(raw.ack(raw.PUBCOMP, p.mid, version=version))
        sub2.expect_nothing(0.3)


@pytest.mark.parametrize("version", [4, 5])
def test_qos2_outgoing_publish_resent_before_pubrec(broker, topic, version):
    cid = f"q2-republish-{version}"
    sub = raw.RawClient(broker.port, version=version)
    _persistent(sub, cid, version)
    sub.subscribe(topic, 2)
    with _publisher(broker, version) as pub:
        pub.publish(topic, b"again", qos=2, mid=4)
    p = sub.expect(raw.PUBLISH)
    sub.close()
    with _reconnect(broker, cid, version) as sub2:
        p2 = sub2.expect(raw.PUBLISH)
        assert p2.payload == b"again" and p2.dup and p2.mid == p.mid
        sub2.send(raw.ack(raw.PUBREC, p2.mid, version=version))
        sub2.expect(raw.PUBREL)
        sub2.send(raw.ack(raw.PUBCOMP, p2.mid, version=version))
        sub2.expect_nothing(0.3)


@pytest.mark.parametrize("version", [4, 5])
def test_qos2_incoming_completed_after_publisher_reconnect(broker, topic, version):
    """The broker keeps the publisher's PUBREC state across a reconnect; exactly one delivery."""
    with raw.RawClient(broker.port, version=version) as sub:
        sub.connect(f"q2-in-sub-{version}", version=version)
        sub.subscribe(topic, 2)
        cid = f"q2-in-pub-{version}"
        pub = raw.RawClient(broker.port, version=version)
        _persistent(pub, cid, version)
        pub.send(raw.publish(topic, b"once", qos=2, mid=42, version=version))
        assert pub.expect(raw.PUBREC).mid == 42
        # A duplicate before PUBREL must not produce a second delivery.
        pub.send(raw.publish(topic, b"once", qos=2, mid=42, dup=True, version=version))
        assert pub.expect(raw.PUBREC).mid == 42
        pub.close()
        with _reconnect(broker, cid, version) as pub2:
            pub2.send(raw.ack(raw.PUBREL, 42, version=version))
            assert pub2.expect(raw.PUBCOMP).mid == 42
        got = []
        try:
            while True:
                p = sub.read(0.5)
                if p.type == raw.PUBLISH:
                    got.append(p.payload)
                    if p.qos == 2:
                        sub.send(raw.ack(raw.PUBREC, p.mid, version=version))
                elif p.type == raw.PUBREL:
                    sub.send(raw.ack(raw.PUBCOMP, p.mid, version=version))
        except TimeoutError:
            pass
        assert got == [b"once"]


@pytest.mark.parametrize("version", [4, 5])
def test_messages_queued_while_offline_arrive_in_order(broker, topic, version):
    cid = f"offline-{version}"
    sub = raw.RawClient(broker.port, version=version)
    _persistent(sub, cid, version)
    sub.subscribe(topic, 2)
    sub.send(raw.disconnect(version=version))
    sub.expect_closed()
    with _publisher(broker, version) as pub:
        for i in range(20):
            pub.publish(topic, f"{i}".encode(), qos=1 + i % 2, mid=i + 1)
    with _reconnect(broker, cid, version) as sub2:
        got = []
        while len(got) < 20:
            p = sub2.expect(raw.PUBLISH)
            got.append(int(p.payload))
            if p.qos == 1:
                sub2.send(raw.ack(raw.PUBACK, p.mid, version=version))
            else:
                sub2.send(raw.ack(raw.PUBREC, p.mid, version=version))
                # PUBREL may interleave with later PUBLISHes; handled below.
        assert got == list(range(20))
        pending = 10
        while pending:
            rel = sub2.expect(raw.PUBREL)
            sub2.send(raw.ack(raw.PUBCOMP, rel.mid, version=version))
            pending -= 1


def test_clean_start_discards_queued_messages(broker, topic):
    cid = "discard-queue"
    sub = raw.RawClient(broker.port)
    _persistent(sub, cid, 5)
    sub.subscribe(topic, 1)
    sub.send(raw.disconnect())
    sub.expect_closed()
    with _publisher(broker) as pub:
        pub.publish(topic, b"lost", qos=1)
    with raw.RawClient(broker.port) as sub2:
        ack = sub2.connect(cid, clean=True)
        assert not ack.session_present
        sub2.expect_nothing(0.5)


def test_session_expiry_zero_ends_session_on_disconnect(broker, topic):
    cid = "expiry-zero"
    with raw.RawClient(broker.port) as sub:
        sub.connect(cid, clean=False)  # no Session Expiry property: 0
        sub.subscribe(topic, 1)
        sub.send(raw.disconnect())
        sub.expect_closed()
    with raw.RawClient(broker.port) as sub2:
        assert not sub2.connect(cid, clean=False).session_present


def test_qos1_publish_gets_puback_with_same_mid(broker, topic):
    with raw.RawClient(broker.port) as pub:
        pub.connect("puback-mid")
        for mid in (1, 65535, 300):
            ack = pub.publish(topic, b"x", qos=1, mid=mid)
            assert ack.mid == mid and ack.reason in (0x00, 0x10)  # success / no matching subscribers


def test_pubrel_for_unknown_id_gets_pubcomp_not_found(broker):
    with raw.RawClient(broker.port) as c:
        c.connect("unknown-pubrel")
        c.send(raw.ack(raw.PUBREL, 999))
        comp = c.expect(raw.PUBCOMP)
        assert comp.mid == 999 and comp.reason in (0x00, 0x92)  # Mosquitto: 0, spec suggests 0x92
