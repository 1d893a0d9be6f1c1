"""Nothing acknowledged is lost on a crash (issue 16): weir is killed with SIGKILL while a paho
publisher streams QoS 1 / QoS 2 / retained messages that a persistent session (or the retained
store) keeps; after the restart every message the publisher saw acknowledged is delivered.
Duplicates are allowed (a message stored but not yet acknowledged is resent by nobody, one
acknowledged and delivered before the crash may come again) and counted.

Weir only (Mosquitto by design loses what arrived since its last autosave)."""
import signal
import threading
import time

import paho.mqtt.client as mqtt
import pytest

from conftest import BROKER_KIND
from paho_client import Client, V5

pytestmark = pytest.mark.skipif(BROKER_KIND != "weir", reason="weir's durability guarantee")

ACKED_BEFORE_KILL = 400  # kill once the publisher has seen this many acknowledgements
TOTAL = 20000  # queued in paho up front; far more than is acknowledged before the kill


@pytest.fixture
def pbroker(make_broker):
    # Room for everything: the queue limit must not be what drops messages.
    return make_broker(persistent=True, max_queued=100000)


class Streamer:
    """A paho publisher with every message queued up front (window: paho's 20 in flight);
    `acked` holds the payloads whose PUBACK (QoS 1) / PUBCOMP (QoS 2) arrived."""

    def __init__(self, broker, topic_of, qos, retain):
        self.c = mqtt.Client(client_id=f"streamer-{qos}-{int(retain)}", protocol=mqtt.MQTTv311)
        self.c.max_queued_messages_set(0)
        self.acked = set()
        self.lock = threading.Lock()
        self.by_mid = {}
        self.c.on_publish = self._on_publish
        self.c.connect(broker.host, broker.port, keepalive=60)
        self.c.loop_start()
        for i in range(TOTAL):
            info = self.c.publish(topic_of(i), str(i).encode(), qos=qos, retain=retain)
            with self.lock:
                self.by_mid[info.mid] = i

    def _on_publish(self, client, userdata, mid):
        with self.lock:
            self.acked.add(self.by_mid.get(mid))

    def count(self):
        with self.lock:
            return len(self.acked)

    def stop(self):
        self.c.loop_stop()
        with self.lock:
            return set(self.acked)


def kill_when_acked(broker, streamer):
    deadline = time.time() + 60
    while streamer.count() < ACKED_BEFORE_KILL:
        assert time.time() < deadline, f"only {streamer.count()} acknowledged in 60 s"
        time.sleep(0.005)
    broker.server.stop(sig=signal.SIGKILL)
    acked = streamer.stop()
    assert len(acked) >= ACKED_BEFORE_KILL
    assert len(acked) < TOTAL, "everything was acknowledged before the kill: nothing tested"
    return acked


def collect(client, quiet=2.0, limit=60.0):
    """Payloads received until nothing arrives for `quiet` seconds."""
    got = []
    deadline = time.time() + limit
    while time.time() < deadline:
        try:
            got.append(int(client.messages.get(timeout=quiet).payload))
        except Exception:
            break
    return got


def report(kind, acked, got):
    lost = sorted(acked - set(got))
    duplicates = len(got) - len(set(got))
    print(f"{kind}: acknowledged {len(acked)}, delivered {len(got)} ({len(set(got))} distinct), "
          f"duplicates {duplicates}, acknowledged but lost {len(lost)}")
    assert not lost, f"{kind}: {len(lost)} acknowledged messages lost, e.g. {lost[:10]}"


@pytest.mark.parametrize("qos", [1, 2])
def test_acknowledged_messages_survive_sigkill(pbroker, topic, qos):
    cid = f"crash-keeper-{qos}"
    with Client(pbroker, client_id=cid, version=V5, clean=False, session_expiry=3600) as sub:
        assert sub.subscribe(f"{topic}/#", qos) == [qos]
    streamer = Streamer(pbroker, lambda i: f"{topic}/m", qos, retain=False)
    acked = kill_when_acked(pbroker, streamer)
    pbroker.start()
    sub = Client(pbroker, client_id=cid, version=V5, clean=False, session_expiry=3600)
    sub.connect()
    try:
        assert sub.session_present
        got = collect(sub)
    finally:
        sub.disconnect()
    report(f"QoS {qos}", acked, got)


def test_acknowledged_retained_messages_survive_sigkill(pbroker, topic):
    streamer = Streamer(pbroker, lambda i: f"{topic}/r/{i}", 1, retain=True)
    acked = kill_when_acked(pbroker, streamer)
    pbroker.start()
    with Client(pbroker) as sub:
        sub.subscribe(f"{topic}/r/#", 1)
        got = collect(sub)
    report("retained", acked, got)
