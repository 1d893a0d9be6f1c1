"""MQTT over WebSocket on the standalone listener: paho with transport="websockets"
(subprotocol "mqtt", binary frames), mixed with TCP clients."""
import base64
import os
import socket

import pytest

from paho_client import Client, V311, V5


@pytest.mark.parametrize("version", [V311, V5])
def test_ws_pubsub(broker, topic, version):
    with Client(broker, version=version, transport="websockets") as sub, \
            Client(broker, version=version, transport="websockets") as pub:
        sub.subscribe(topic, 1)
        pub.publish(topic, b"over-ws", qos=1)
        m = sub.get()
        assert (m.payload, m.qos) == (b"over-ws", 1)


def test_ws_to_tcp_and_back(broker, topic):
    with Client(broker, transport="websockets") as ws, Client(broker) as tcp:
        ws.subscribe(topic + "/to-ws", 2)
        tcp.subscribe(topic + "/to-tcp", 2)
        tcp.publish(topic + "/to-ws", b"a", qos=2)
        ws.publish(topic + "/to-tcp", b"b", qos=2)
        assert ws.get().payload == b"a"
        assert tcp.get().payload == b"b"


def test_ws_large_payload(broker, topic):
    with Client(broker, transport="websockets") as ws, Client(broker) as tcp:
        ws.subscribe(topic, 1)
        big = os.urandom(200_000)
        tcp.publish(topic, big, qos=1)
        assert ws.get().payload == big


def test_ws_retained_and_will(broker, topic):
    with Client(broker, transport="websockets") as pub:
        pub.publish(topic + "/r", b"kept", qos=1, retain=True)
    with Client(broker, transport="websockets") as watcher:
        watcher.subscribe(topic + "/#", 1)
        assert watcher.get().payload == b"kept"
        c = Client(broker, transport="websockets", will={"topic": topic + "/will", "payload": b"ws-gone"}).connect()
        c.drop()
        assert watcher.get().payload == b"ws-gone"
    with Client(broker) as pub:
        pub.publish(topic + "/r", b"", qos=1, retain=True)


def test_ws_handshake_answers_mqtt_subprotocol(broker):
    key = base64.b64encode(os.urandom(16)).decode()
    with socket.create_connection(("127.0.0.1", broker.ws_port), timeout=5) as s:
        s.sendall((f"GET /mqtt HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                   f"Sec-WebSocket-Protocol: mqtt\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = s.recv(4096)
            assert chunk, "closed during handshake"
            head += chunk
        text = head.decode(errors="replace").lower()
        assert text.startswith("http/1.1 101")
        assert "sec-websocket-protocol: mqtt" in text


def test_ws_garbage_does_not_break_listener(broker, topic):
    with socket.create_connection(("127.0.0.1", broker.ws_port), timeout=5) as s:
        s.sendall(b"\x10\x20garbage that is not http\r\n\r\n")
        try:
            s.recv(1024)
        except OSError:
            pass
    with Client(broker, transport="websockets") as c:
        c.subscribe(topic, 0)


def test_mqtt_on_http_port(broker, topic):
    """ws://127.0.0.1:<http port>/mqtt, served by the HTTP server and bridged to the broker."""
    if not getattr(broker, "http_port", None):
        pytest.skip("only the full weir binary serves /mqtt on its HTTP port")
    with Client(broker, transport="websockets", port=broker.http_port, ws_path="/mqtt") as ws, \
            Client(broker) as tcp:
        ws.subscribe(topic, 1)
        tcp.publish(topic, b"via-http-port", qos=1)
        assert ws.get().payload == b"via-http-port"
        ws.publish(topic + "/back", b"x", qos=1)
