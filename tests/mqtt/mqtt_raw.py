"""Hand-built MQTT packets over a raw socket, for tests that need byte-level control: exact
reason codes, unacknowledged QoS flows, topic aliases, malformed and oversized packets.
Like Mosquitto's test/mqtt5_props.py + mosq_test.py, reduced to what the tests use."""
import base64
import os
import socket
import ssl
import struct
import time

CONNECT, CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP = 1, 2, 3, 4, 5, 6, 7
SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK, PINGREQ, PINGRESP, DISCONNECT, AUTH = 8, 9, 10, 11, 12, 13, 14, 15

# MQTT 5 property identifiers and their wire types.
PAYLOAD_FORMAT, MESSAGE_EXPIRY, CONTENT_TYPE, RESPONSE_TOPIC, CORRELATION_DATA = 0x01, 0x02, 0x03, 0x08, 0x09
SUBSCRIPTION_ID, SESSION_EXPIRY, ASSIGNED_CLIENT_ID, SERVER_KEEP_ALIVE = 0x0B, 0x11, 0x12, 0x13
REASON_STRING, RECEIVE_MAXIMUM, TOPIC_ALIAS_MAXIMUM, TOPIC_ALIAS = 0x1F, 0x21, 0x22, 0x23
MAXIMUM_QOS, RETAIN_AVAILABLE, USER_PROPERTY, MAXIMUM_PACKET_SIZE = 0x24, 0x25, 0x26, 0x27
WILDCARD_AVAILABLE, SUB_ID_AVAILABLE, SHARED_AVAILABLE = 0x28, 0x29, 0x2A
WILL_DELAY = 0x18

_BYTE = {PAYLOAD_FORMAT, MAXIMUM_QOS, RETAIN_AVAILABLE, WILDCARD_AVAILABLE, SUB_ID_AVAILABLE, SHARED_AVAILABLE, 0x17, 0x19}
_U16 = {SERVER_KEEP_ALIVE, RECEIVE_MAXIMUM, TOPIC_ALIAS_MAXIMUM, TOPIC_ALIAS}
_U32 = {MESSAGE_EXPIRY, SESSION_EXPIRY, MAXIMUM_PACKET_SIZE, WILL_DELAY}
_VARINT = {SUBSCRIPTION_ID}
_STR = {CONTENT_TYPE, RESPONSE_TOPIC, ASSIGNED_CLIENT_ID, REASON_STRING, 0x15, 0x1A, 0x1C}
_BIN = {CORRELATION_DATA, 0x16}


def varint(n):
    out = bytearray()
    while True:
        b = n % 128
        n //= 128
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def utf8(s):
    b = s.encode() if isinstance(s, str) else s
    return struct.pack("!H", len(b)) + b


def props(*items):
    """props((MESSAGE_EXPIRY, 10), (USER_PROPERTY, ("k", "v"))) -> encoded property block."""
    body = bytearray()
    for pid, val in items:
        body += varint(pid)
        if pid in _BYTE:
            body += struct.pack("!B", val)
        elif pid in _U16:
            body += struct.pack("!H", val)
        elif pid in _U32:
            body += struct.pack("!I", val)
        elif pid in _VARINT:
            body += varint(val)
        elif pid == USER_PROPERTY:
            body += utf8(val[0]) + utf8(val[1])
        else:
            body += utf8(val)
    return varint(len(body)) + bytes(body)


def packet(ptype, flags, body):
    return bytes([(ptype << 4) | flags]) + varint(len(body)) + body


def connect(client_id, version=5, clean=True, keepalive=60, properties=b"", will=None, username=None,
            password=None):
    """will: dict(topic, payload, qos=0, retain=False, properties=b'')"""
    flags = 0x02 if clean else 0
    payload = utf8(client_id)
    if will:
        flags |= 0x04 | (will.get("qos", 0) << 3) | (0x20 if will.get("retain") else 0)
        if version == 5:
            payload += will.get("properties", b"\x00")
        payload += utf8(will["topic"]) + utf8(will["payload"])
    if username is not None:
        flags |= 0x80
        payload += utf8(username)
    if password is not None:
        flags |= 0x40
        payload += utf8(password)
    body = utf8("MQTT") + bytes([version, flags]) + struct.pack("!H", keepalive)
    if version == 5:
        body += properties or b"\x00"
    return packet(CONNECT, 0, body + payload)


def publish(topic, payload=b"", qos=0, mid=0, retain=False, dup=False, version=5, properties=b""):
    if isinstance(payload, str):
        payload = payload.encode()
    flags = (qos << 1) | (1 if retain else 0) | (8 if dup else 0)
    body = utf8(topic)
    if qos:
        body += struct.pack("!H", mid)
    if version == 5:
        body += properties or b"\x00"
    return packet(PUBLISH, flags, body + payload)


def ack(ptype, mid, reason=None, version=5):
    """PUBACK/PUBREC/PUBREL/PUBCOMP; PUBREL carries flags 0b0010."""
    body = struct.pack("!H", mid)
    if version == 5 and reason is not None:
        body += bytes([reason])
    return packet(ptype, 2 if ptype == PUBREL else 0, body)


def subscribe(mid, topics, version=5, properties=b""):
    """topics: [(filter, options_byte)] where options = qos | nl<<2 | rap<<3 | rh<<4."""
    body = struct.pack("!H", mid)
    if version == 5:
        body += properties or b"\x00"
    for t, opts in topics:
        body += utf8(t) + bytes([opts])
    return packet(SUBSCRIBE, 2, body)


def unsubscribe(mid, topics, version=5):
    body = struct.pack("!H", mid) + (b"\x00" if version == 5 else b"")
    for t in topics:
        body += utf8(t)
    return packet(UNSUBSCRIBE, 2, body)


def disconnect(reason=0, version=5, properties=b""):
    if version == 5 and (reason or properties):
        return packet(DISCONNECT, 0, bytes([reason]) + (properties or b"\x00"))
    return packet(DISCONNECT, 0, b"")


PINGREQ_BYTES = bytes([PINGREQ << 4, 0])


def parse_props(data, i):
    """Returns (dict pid -> value or list for user properties/subscription ids, new index)."""
    n, i = read_varint(data, i)
    end = i + n
    out = {}
    while i < end:
        pid, i = read_varint(data, i)
        if pid in _BYTE:
            val, i = data[i], i + 1
        elif pid in _U16:
            val, i = struct.unpack_from("!H", data, i)[0], i + 2
        elif pid in _U32:
            val, i = struct.unpack_from("!I", data, i)[0], i + 4
        elif pid in _VARINT:
            val, i = read_varint(data, i)
        elif pid == USER_PROPERTY:
            k, i = read_str(data, i)
            v, i = read_str(data, i)
            val = (k, v)
        elif pid in _BIN:
            ln = struct.unpack_from("!H", data, i)[0]
            val, i = bytes(data[i + 2:i + 2 + ln]), i + 2 + ln
        else:
            val, i = read_str(data, i)
        if pid in (USER_PROPERTY, SUBSCRIPTION_ID):
            out.setdefault(pid, []).append(val)
        else:
            out[pid] = val
    return out, end


def read_varint(data, i):
    mult, val = 1, 0
    while True:
        b = data[i]
        i += 1
        val += (b & 0x7F) * mult
        if not b & 0x80:
            return val, i
        mult *= 128


def read_str(data, i):
    ln = struct.unpack_from("!H", data, i)[0]
    return bytes(data[i + 2:i + 2 + ln]).decode(), i + 2 + ln


class Packet:
    def __init__(self, ptype, flags, body, version):
        self.type, self.flags, self.body, self.version = ptype, flags, body, version
        self.props = {}
        self.reason = 0
        self.mid = None
        i = 0
        if ptype == CONNACK:
            self.session_present = bool(body[0] & 1)
            self.reason = body[1]
            if version == 5 and len(body) > 2:
                self.props, i = parse_props(body, 2)
        elif ptype == PUBLISH:
            self.qos = (flags >> 1) & 3
            self.retain = bool(flags & 1)
            self.dup = bool(flags & 8)
            self.topic, i = read_str(body, 0)
            if self.qos:
                self.mid = struct.unpack_from("!H", body, i)[0]
                i += 2
            if version == 5:
                self.props, i = parse_props(body, i)
            self.payload = bytes(body[i:])
        elif ptype in (PUBACK, PUBREC, PUBREL, PUBCOMP, UNSUBACK, SUBACK):
            self.mid = struct.unpack_from("!H", body, 0)[0]
            i = 2
            if ptype in (SUBACK, UNSUBACK):
                if version == 5:
                    self.props, i = parse_props(body, i)
                self.reasons = list(body[i:])
            elif version == 5 and len(body) > 2:
                self.reason = body[2]
                if len(body) > 3:
                    self.props, i = parse_props(body, 3)
        elif ptype == DISCONNECT:
            if len(body) >= 1:
                self.reason = body[0]
            if len(body) > 1:
                self.props, i = parse_props(body, 1)

    def __repr__(self):
        extra = ""
        if self.type == PUBLISH:
            extra = f" topic={self.topic!r} qos={self.qos} retain={self.retain} dup={self.dup} payload={self.payload[:40]!r}"
        return f"<Packet type={self.type} mid={self.mid} reason={self.reason:#x} props={self.props}{extra}>"


class Closed(Exception):
    pass


class RawClient:
    """A blocking socket speaking hand-built MQTT. Every read is bounded by `timeout`."""

    def __init__(self, port, host="127.0.0.1", version=5, timeout=5.0):
        self.version = version
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.timeout = timeout
        self.buf = bytearray()

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self, n, deadline):
        while len(self.buf) < n:
            left = deadline - time.time()
            if left <= 0:
                raise TimeoutError("no packet from broker")
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                raise TimeoutError("no packet from broker")
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                raise Closed("broker closed the connection")
            self.buf += chunk

    def read(self, timeout=None):
        deadline = time.time() + (timeout if timeout is not None else self.timeout)
        self._fill(2, deadline)
        i, mult, length = 1, 1, 0
        while True:
            self._fill(i + 1, deadline)
            b = self.buf[i]
            length += (b & 0x7F) * mult
            mult *= 128
            i += 1
            if not b & 0x80:
                break
        self._fill(i + length, deadline)
        hdr = self.buf[0]
        body = bytes(self.buf[i:i + length])
        del self.buf[:i + length]
        return Packet(hdr >> 4, hdr & 0x0F, body, self.version)

    def expect(self, ptype, timeout=None):
        p = self.read(timeout)
        assert p.type == ptype, f"expected packet type {ptype}, got {p!r}"
        return p

    def connect(self, client_id, **kw):
        kw.setdefault("version", self.version)
        self.send(connect(client_id, **kw))
        return self.expect(CONNACK)

    def subscribe(self, topic, opts=0, mid=1, properties=b""):
        self.send(subscribe(mid, [(topic, opts)], version=self.version, properties=properties))
        return self.expect(SUBACK)

    def publish(self, topic, payload=b"", qos=0, mid=1, **kw):
        """Publishes and completes the QoS handshake; returns the broker's ack (or None)."""
        kw.setdefault("version", self.version)
        self.send(publish(topic, payload, qos=qos, mid=mid, **kw))
        if qos == 1:
            return self.expect(PUBACK)
        if qos == 2:
            rec = self.expect(PUBREC)
            self.send(ack(PUBREL, mid, version=self.version))
            self.expect(PUBCOMP)
            return rec
        return None

    def ping(self):
        self.send(PINGREQ_BYTES)
        return self.expect(PINGRESP)

    def expect_closed(self, timeout=None):
        """Reads until the broker closes; returns the DISCONNECT packet if one came first."""
        last = None
        deadline = time.time() + (timeout if timeout is not None else self.timeout)
        try:
            while True:
                p = self.read(max(0.01, deadline - time.time()))
                if p.type == DISCONNECT:
                    last = p
        except Closed:
            return last
        except TimeoutError:
            raise AssertionError("broker did not close the connection")

    def expect_nothing(self, within=0.5):
        try:
            p = self.read(within)
        except TimeoutError:
            return
        raise AssertionError(f"unexpected packet {p!r}")

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


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


def open_client(b, transport):
    """A RawClient to broker `b` over "tcp", "tls" (b started with a certificate), "ws" (the MQTT
    listener's WebSocket) or "http-ws" (/mqtt on weir's HTTP port)."""
    if transport == "tcp":
        return RawClient(b.port)
    if transport == "tls":
        c = RawClient(b.tls_port)
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        c.sock = ctx.wrap_socket(c.sock, server_hostname="127.0.0.1")
        return c
    if transport == "http-ws":  # MQTT over WebSocket at /mqtt on weir's HTTP port
        c = RawClient(b.http_port)
        c.sock = WebSocketStream(c.sock, b.http_port, "/mqtt")
        return c
    c = RawClient(b.ws_port)
    c.sock = WebSocketStream(c.sock, b.ws_port)
    return c
