"""A synchronous face over paho-mqtt 1.6 (Debian's python3-paho-mqtt) for tests: every call
waits for its acknowledgement with a bound, and received messages land in a queue."""
import queue
import threading
import time
import uuid

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

V311 = mqtt.MQTTv311
V5 = mqtt.MQTTv5
TIMEOUT = 5.0


def props(packet_type, **values):
    """props(PacketTypes.PUBLISH, MessageExpiryInterval=5, UserProperty=[("a", "b")])"""
    p = Properties(packet_type)
    for k, v in values.items():
        setattr(p, k, v)
    return p


class Client:
    def __init__(self, broker, client_id=None, version=V5, clean=True, transport="tcp", keepalive=60,
                 session_expiry=None, connect_props=None, will=None, port=None, ws_path="/mqtt"):
        self.broker = broker
        self.version = version
        self.client_id = client_id if client_id is not None else "c-" + uuid.uuid4().hex[:10]
        if version == V5:
            self.c = mqtt.Client(client_id=self.client_id, protocol=V5, transport=transport)
        else:
            self.c = mqtt.Client(client_id=self.client_id, clean_session=clean, protocol=V311,
                                 transport=transport)
        if transport == "websockets":
            self.c.ws_set_options(path=ws_path)
        self.clean = clean
        self.keepalive = keepalive
        self.port = port or (broker.ws_port if transport == "websockets" else broker.port)
        self.connect_props = connect_props
        if version == V5 and session_expiry is not None:
            self.connect_props = self.connect_props or Properties(PacketTypes.CONNECT)
            self.connect_props.SessionExpiryInterval = session_expiry
        if will:
            self.c.will_set(will["topic"], will.get("payload"), will.get("qos", 0), will.get("retain", False),
                            properties=will.get("properties"))
        self.messages = queue.Queue()
        self.connected = threading.Event()
        self.disconnected = threading.Event()
        self.connack = None  # (flags, reason code, properties)
        self.disconnect_reason = None
        self._acks = {}
        self._lock = threading.Lock()
        self.c.on_connect = self._on_connect
        self.c.on_message = self._on_message
        self.c.on_subscribe = self._on_subscribe
        self.c.on_unsubscribe = self._on_unsubscribe
        self.c.on_disconnect = self._on_disconnect
        self.c.reconnect_delay_set(30, 60)  # tests reconnect explicitly

    # paho callbacks (network thread)
    def _on_connect(self, client, userdata, flags, rc, properties=None):
        self.connack = (flags, rc, properties)
        self.connected.set()

    def _on_disconnect(self, client, userdata, rc, properties=None):
        self.disconnect_reason = rc
        self.disconnected.set()

    def _on_message(self, client, userdata, msg):
        self.messages.put(msg)

    def _ack(self, mid, value):
        with self._lock:
            ev = self._acks.setdefault(mid, [threading.Event(), None])
            ev[1] = value
            ev[0].set()

    def _on_subscribe(self, client, userdata, mid, granted, properties=None):
        self._ack(mid, granted)

    def _on_unsubscribe(self, client, userdata, mid, *rest):
        self._ack(mid, rest)

    def _wait_ack(self, mid):
        with self._lock:
            ev = self._acks.setdefault(mid, [threading.Event(), None])
        assert ev[0].wait(TIMEOUT), f"no acknowledgement for mid {mid}"
        return ev[1]

    def connect(self, expect_success=True):
        self.connected.clear()
        self.disconnected.clear()
        if self.version == V5:
            self.c.connect(self.broker.host, self.port, keepalive=self.keepalive, clean_start=self.clean,
                           properties=self.connect_props)
        else:
            self.c.connect(self.broker.host, self.port, keepalive=self.keepalive)
        self.c.loop_start()
        assert self.connected.wait(TIMEOUT), "no CONNACK"
        rc = self.connack[1]
        if expect_success:
            assert rc == 0, f"connect refused: {rc}"
        return self

    @property
    def session_present(self):
        flags = self.connack[0]
        return bool(flags.get("session present"))

    def subscribe(self, topic, qos=0, options=None, properties=None):
        if options is not None:
            rc, mid = self.c.subscribe(topic, options=options, properties=properties)
        elif self.version == V5:
            rc, mid = self.c.subscribe(topic, qos, properties=properties)
        else:
            rc, mid = self.c.subscribe(topic, qos)
        assert rc == mqtt.MQTT_ERR_SUCCESS
        granted = self._wait_ack(mid)
        return [g if isinstance(g, int) else g.value for g in granted]  # QoS or MQTT 5 reason code

    def unsubscribe(self, topic):
        rc, mid = self.c.unsubscribe(topic)
        assert rc == mqtt.MQTT_ERR_SUCCESS
        return self._wait_ack(mid)

    def publish(self, topic, payload=b"", qos=0, retain=False, properties=None, wait=True):
        info = self.c.publish(topic, payload, qos=qos, retain=retain, properties=properties)
        if wait:
            info.wait_for_publish(TIMEOUT)
            assert info.is_published(), f"publish to {topic} not completed"
        return info

    def get(self, timeout=TIMEOUT):
        try:
            return self.messages.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"{self.client_id}: no message within {timeout}s")

    def get_all(self, n, timeout=TIMEOUT):
        deadline = time.time() + timeout
        return [self.get(max(0.01, deadline - time.time())) for _ in range(n)]

    def expect_none(self, within=0.5):
        try:
            m = self.messages.get(timeout=within)
        except queue.Empty:
            return
        raise AssertionError(f"{self.client_id}: unexpected message on {m.topic}: {m.payload!r}")

    def disconnect(self, properties=None):
        if self.version == V5:
            self.c.disconnect(properties=properties)
        else:
            self.c.disconnect()
        self.disconnected.wait(TIMEOUT)
        self.c.loop_stop()

    def drop(self):
        """Closes the socket without DISCONNECT (an abrupt network loss)."""
        self.c.loop_stop()
        sock = self.c.socket()
        if sock:
            sock.close()

    def __enter__(self):
        return self.connect()

    def __exit__(self, *exc):
        try:
            self.disconnect()
        except Exception:
            self.c.loop_stop()
        return False


__all__ = ["Client", "V311", "V5", "props", "PacketTypes", "Properties", "SubscribeOptions"]
