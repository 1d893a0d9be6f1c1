"""Graceful close (issue 15 item 12, paho's test_flow_control2): a client keeps sending after its
21st unacknowledged QoS 2 PUBLISH (Receive Maximum 20); the broker answers DISCONNECT 0x93,
shuts the connection down for writing and discards what still arrives for a bounded time, so
the client's writes do not fail and it reads the DISCONNECT (not a reset) — over TCP, TLS and
WebSocket (the MQTT listener's, and /mqtt on the HTTP port)."""
import base64
import os
import socket
import ssl
import struct
import time

import pytest

import conftest
import mqtt_raw as raw
from test_15_tls import cert  # noqa: F401  (the module's certificate fixture)

RECEIVE_MAXIMUM = 20
RECEIVE_MAXIMUM_EXCEEDED = 0x93


class WebSocketStream:
    """Just enough of a WebSocket client (RFC 6455) for RawClient: masked binary frames out,
    frames in as a byte stream."""

    def __init__(self, sock, port, path="/"):
        self.sock = sock
        key = base64.b64encode(os.urandom(16)).decode()
        sock.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                      f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                      "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = sock.recv(4096)
            assert chunk, "WebSocket upgrade refused"
            head += chunk
        assert head.startswith(b"HTTP/1.1 101"), head
        self.raw = bytearray(head.split(b"\r\n\r\n", 1)[1])

    def sendall(self, data):
        mask = os.urandom(4)
        n = len(data)
        hdr = bytes([0x82]) + (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack("!H", n))
        self.sock.sendall(hdr + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def settimeout(self, t):
        self.sock.settimeout(t)

    def recv(self, _n):
        while True:
            frame = self._frame()
            if frame is not None:
                opcode, payload = frame
                if opcode == 0x8:  # close frame: the end of the stream
                    return b""
                if payload:
                    return payload
                continue
            chunk = self.sock.recv(65536)
            if not chunk:
                return b""
            self.raw += chunk

    def _frame(self):
        """(opcode, payload) of the first whole frame buffered, or None."""
        if len(self.raw) < 2:
            return None
        n, i = self.raw[1] & 0x7F, 2
        if n == 126:
            if len(self.raw) < 4:
                return None
            n, i = struct.unpack_from("!H", self.raw, 2)[0], 4
        elif n == 127:
            if len(self.raw) < 10:
                return None
            n, i = struct.unpack_from("!Q", self.raw, 2)[0], 10
        if len(self.raw) < i + n:
            return None
        frame = (self.raw[0] & 0x0F, bytes(self.raw[i:i + n]))
        del self.raw[:i + n]
        return frame

    def close(self):
        self.sock.close()


@pytest.fixture(scope="module")
def fbroker(cert):  # noqa: F811
    b = conftest.new_broker(tls=cert, max_inflight=RECEIVE_MAXIMUM).start()
    yield b
    b.close()


def open_client(b, transport):
    if transport == "tcp":
        return raw.RawClient(b.port)
    if transport == "tls":
        c = raw.RawClient(b.tls_port)
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        c.sock = ctx.wrap_socket(c.sock, server_hostname="127.0.0.1")
        return c
    if transport == "http-ws":  # MQTT over WebSocket at /mqtt on weir's HTTP port
        c = raw.RawClient(b.http_port)
        c.sock = WebSocketStream(c.sock, b.http_port, "/mqtt")
        return c
    c = raw.RawClient(b.ws_port)
    c.sock = WebSocketStream(c.sock, b.ws_port)
    return c


# MQTT over WebSocket at /mqtt on the HTTP port exists only in weir (not in Mosquitto).
TRANSPORTS = ["tcp", "tls", "ws"] + (["http-ws"] if conftest.BROKER_KIND == "weir" else [])


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_receive_maximum_exceeded_is_read_by_a_client_still_sending(fbroker, topic, transport):
    c = open_client(fbroker, transport)
    try:
        ack = c.connect(f"flow2-{transport}")
        assert ack.reason == 0
        assert ack.props.get(raw.RECEIVE_MAXIMUM, 65535) == RECEIVE_MAXIMUM
        for mid in range(1, RECEIVE_MAXIMUM + 1):
            c.send(raw.publish(topic, b"x", qos=2, mid=mid))
            assert c.expect(raw.PUBREC).mid == mid
        # The 21st, and then more: PUBRELs and PUBLISHes as a client that has not noticed yet.
        c.send(raw.publish(topic, b"x", qos=2, mid=RECEIVE_MAXIMUM + 1))
        deadline = time.time() + 0.5
        mid = RECEIVE_MAXIMUM + 2
        while time.time() < deadline:
            c.send(raw.ack(raw.PUBREL, 1) + raw.publish(topic, b"y" * 100, qos=2, mid=mid))
            mid += 1
            time.sleep(0.01)
        # The writes above did not fail (no reset); the DISCONNECT is there to read.
        disconnect = c.expect_closed()
        assert disconnect is not None, "no DISCONNECT read before the close"
        assert disconnect.reason == RECEIVE_MAXIMUM_EXCEEDED
    finally:
        c.close()
