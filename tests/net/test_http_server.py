"""Wire tests of the HTTP/WebSocket edge (src/net) against weir_net_testserver: real sockets,
real clients (requests, websocket-client, raw sockets, curl, openssl)."""
import json
import os
import select
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time

import pytest
import requests
import websocket

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("WEIR_BUILD_DIR", os.path.join(ROOT, "build", "dev"))
SERVER_BIN = os.path.join(BUILD, "src", "net", "weir_net_testserver")

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "media-src 'self' blob:; connect-src 'self'; font-src 'self' data:; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NetServer:
    def __init__(self, *args, expect_start=True):
        self.tmp = tempfile.mkdtemp(prefix="weir-net-")
        self.err_path = os.path.join(self.tmp, "stderr.log")
        self.err = open(self.err_path, "wb")
        env = dict(os.environ)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
        port_args = [] if "--port" in args else ["--port", "0"]
        self.proc = subprocess.Popen([SERVER_BIN, *port_args, *args], stdout=subprocess.PIPE,
                                     stderr=self.err, env=env)
        self.port = None
        if expect_start:
            line = self._readline(15.0)
            assert line.startswith("listening "), f"no start line: {line!r}\n{self.stderr()}"
            self.port = int(line.split()[1])

    def _readline(self, timeout):
        deadline = time.time() + timeout
        buf = b""
        while time.time() < deadline and not buf.endswith(b"\n"):
            r, _, _ = select.select([self.proc.stdout], [], [], 0.1)
            if r:
                ch = os.read(self.proc.stdout.fileno(), 1)
                if not ch:
                    break
                buf += ch
        return buf.decode()

    def stderr(self):
        self.err.flush()
        with open(self.err_path, "rb") as f:
            return f.read().decode(errors="replace")

    def url(self, path, scheme="http"):
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    def stats(self):
        return requests.get(self.url("/stats"), timeout=5).json()

    def stop(self, timeout=15.0):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("server did not stop on SIGTERM\n" + self.stderr())
        return self.proc.returncode

    def close(self):
        rc = self.stop()
        out = self.stderr()
        self.err.close()
        shutil.rmtree(self.tmp, ignore_errors=True)
        assert "Sanitizer" not in out and "runtime error" not in out, out
        return rc


@pytest.fixture
def make_server():
    started = []

    def make(*args):
        s = NetServer(*args)
        started.append(s)
        return s

    yield make
    for s in started:
        assert s.close() == 0


@pytest.fixture
def server(make_server):
    return make_server("--read-timeout", "2", "--idle-timeout", "5")


@pytest.fixture(scope="module")
def www():
    """A static root: api-docs app, Vite assets, a secret beside the root and a symlink out."""
    base = tempfile.mkdtemp(prefix="weir-www-")
    root = os.path.join(base, "www")
    os.makedirs(os.path.join(root, "api-docs", "sub"))
    os.makedirs(os.path.join(root, "assets"))
    files = {
        "api-docs/index.html": "<!doctype html><title>docs</title>",
        "api-docs/app.js": "console.log('docs')",
        "api-docs/style.css": "body{}",
        "api-docs/logo.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
        "api-docs/sub/index.html": "sub index",
        "assets/index-abc.js": "export const x = 1",
    }
    for rel, text in files.items():
        with open(os.path.join(root, rel), "w") as f:
            f.write(text)
    with open(os.path.join(base, "secret.txt"), "w") as f:
        f.write("TOP-SECRET")
    os.symlink(os.path.join(base, "secret.txt"), os.path.join(root, "api-docs", "escape.txt"))
    os.symlink(base, os.path.join(root, "api-docs", "escape-dir"))
    yield root
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def cert():
    """A throwaway self-signed certificate for 127.0.0.1, made at test time (never committed)."""
    d = tempfile.mkdtemp(prefix="weir-cert-")
    c, k = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", k, "-out", c,
                    "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True, timeout=60)
    yield c, k
    shutil.rmtree(d, ignore_errors=True)


def raw_exchange(port, data, timeout=5.0, read_until_close=True):
    """Sends bytes, returns everything the server sends until it closes (or the timeout)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        out = b""
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                break
            if not chunk:
                break
            out += chunk
            if not read_until_close and b"\r\n\r\n" in out:
                break
        return out


def parse_response(raw):
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return status, headers, body


def assert_security_headers(headers, tls=False):
    h = {k.lower(): v for k, v in headers.items()}
    for name, value in SECURITY_HEADERS.items():
        assert h.get(name) == value, f"{name}: {h.get(name)!r} in {h}"
    if tls:
        assert h.get("strict-transport-security", "").startswith("max-age=")
    else:
        assert "strict-transport-security" not in h


def json_error(body):
    e = json.loads(body)["error"]
    assert set(e) >= {"code", "message"}
    return e


# ---- HTTP/1.1 -------------------------------------------------------------------------------------

def test_echo_request_is_decoded(server):
    r = requests.post(server.url("/echo?name=tank%201&tag=a&tag=b+c"), data="hello",
                      headers={"X-Mixed-Case": "v"}, timeout=5)
    assert r.status_code == 200
    e = r.json()
    assert e["method"] == "POST" and e["path"] == "/echo" and e["body"] == "hello"
    assert ["name", "tank 1"] in e["query"] and ["tag", "a"] in e["query"] and ["tag", "b c"] in e["query"]
    assert ["x-mixed-case", "v"] in e["headers"]
    assert e["remote_address"] == "127.0.0.1" and e["secure"] is False
    assert_security_headers(r.headers)


def test_keep_alive_reuses_one_connection(server):
    before = server.stats()["connections_total"]
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        f = s.makefile("rb")
        for i in range(2):
            s.sendall(f"GET /echo?i={i} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            status_line = f.readline()
            assert status_line.startswith(b"HTTP/1.1 200")
            length = None
            while True:
                line = f.readline()
                if line == b"\r\n":
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            assert json.loads(f.read(length))["query"] == [["i", str(i)]]
    # the two requests + this /stats call: the raw connection counted once
    assert server.stats()["connections_total"] - before == 2


def test_pipelined_requests_answered_in_order(server):
    req = b"".join(f"GET /echo?n={i} HTTP/1.1\r\nHost: x\r\n\r\n".encode() for i in range(3))
    req += b"GET /echo?n=last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    raw = raw_exchange(server.port, req)
    assert raw.count(b"HTTP/1.1 200") == 4
    order = [raw.find(f'"n","{n}"'.encode()) for n in ("0", "1", "2", "last")]
    assert all(p > 0 for p in order) and order == sorted(order)


def test_head_has_length_but_no_body(server):
    raw = raw_exchange(server.port, b"HEAD /big HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    status, headers, body = parse_response(raw)
    assert status == 200 and headers["content-length"] == str(1 << 20) and body == b""
    r = requests.get(server.url("/big"), timeout=5)
    assert len(r.content) == 1 << 20


def test_oversized_body_is_413_and_server_keeps_serving(server):
    r = requests.post(server.url("/echo"), data=b"x" * (2 << 20), timeout=10)
    assert r.status_code == 413
    assert r.json() == {"error": {"code": "too_large", "message": "request body exceeds 1048576 bytes"}}
    assert_security_headers(r.headers)
    # announced but never sent: refused from the header alone
    raw = raw_exchange(server.port, b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n")
    assert parse_response(raw)[0] == 413
    # chunked over the limit
    chunk = b"x" * 65536
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(20)) + b"0\r\n\r\n"
    raw = raw_exchange(server.port, b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + body)
    assert parse_response(raw)[0] == 413
    assert requests.get(server.url("/echo"), timeout=5).status_code == 200
    assert server.stats()["rejected_too_large"] == 3


def test_body_at_the_limit_is_accepted(server):
    r = requests.post(server.url("/echo"), data=b"y" * (1 << 20), timeout=10)
    assert r.status_code == 200 and len(r.json()["body"]) == 1 << 20


def test_oversized_headers_are_431(server):
    raw = raw_exchange(server.port, b"GET /echo HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (20 << 10) + b"\r\n\r\n")
    status, headers, body = parse_response(raw)
    assert status == 431 and json_error(body)["code"] == "too_large"
    assert_security_headers(headers)


def test_expect_100_continue(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        s.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        assert s.recv(100).startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
        s.sendall(b"hello")
        data = b""
        while b'"body":"hello"' not in data:
            chunk = s.recv(65536)
            assert chunk
            data += chunk
        assert data.startswith(b"HTTP/1.1 200")


@pytest.mark.parametrize("request_bytes", [
    b"GARBAGE\r\n\r\n",
    b"GET /echo HTTP/9.9\r\nHost: x\r\n\r\n",
    b"GET /echo HTTP/1.1\r\nBad Header\r\n\r\n",
    b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
    b"GET /a%zz HTTP/1.1\r\nHost: x\r\n\r\n",
])
def test_malformed_request_is_400_json(server, request_bytes):
    raw = raw_exchange(server.port, request_bytes)
    status, headers, body = parse_response(raw)
    assert status == 400, raw
    assert json_error(body)["code"] in ("bad_request", "bad_target")
    assert_security_headers(headers)
    assert requests.get(server.url("/echo"), timeout=5).status_code == 200


def test_slowloris_is_cut_off_with_408(make_server):
    srv = make_server("--read-timeout", "1", "--idle-timeout", "5")
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as s:
        s.sendall(b"GET /echo HTTP/1.1\r\nHost: x\r\n")
        start = time.time()
        got = b""
        closed = False
        while time.time() - start < 8:
            try:
                s.sendall(b"X")  # one header byte every 0.2 s: never finishes
            except OSError:
                closed = True
                break
            r, _, _ = select.select([s], [], [], 0.2)
            if r:
                try:
                    chunk = s.recv(65536)
                except ConnectionResetError:
                    closed = True
                    break
                if not chunk:
                    closed = True
                    break
                got += chunk
        elapsed = time.time() - start
    assert closed, "slow client never disconnected"
    assert elapsed < 5, elapsed
    status, headers, body = parse_response(got)
    assert status == 408 and json_error(body)["code"] == "timeout"
    assert_security_headers(headers)
    assert srv.stats()["rejected_timeout"] == 1


def test_silent_connection_closed_without_408(make_server):
    srv = make_server("--read-timeout", "1", "--idle-timeout", "1")
    start = time.time()
    raw = raw_exchange(srv.port, b"", timeout=6)
    assert raw == b"" and time.time() - start < 4


def test_idle_keep_alive_connection_is_closed(make_server):
    srv = make_server("--read-timeout", "5", "--idle-timeout", "1")
    with socket.create_connection(("127.0.0.1", srv.port), timeout=6) as s:
        s.sendall(b"GET /echo HTTP/1.1\r\nHost: x\r\n\r\n")
        start = time.time()
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        assert data.startswith(b"HTTP/1.1 200") and 0.5 < time.time() - start < 4


def test_connection_limit_gives_503(make_server):
    srv = make_server("--max-connections", "2")
    held = [socket.create_connection(("127.0.0.1", srv.port), timeout=5) for _ in range(2)]
    try:
        time.sleep(0.3)  # let the server accept both
        raw = raw_exchange(srv.port, b"GET /echo HTTP/1.1\r\nHost: x\r\n\r\n")
        status, headers, body = parse_response(raw)
        assert status == 503 and json_error(body)["code"] == "unavailable"
        assert_security_headers(headers)
    finally:
        for s in held:
            s.close()
    deadline = time.time() + 5
    while time.time() < deadline:
        try:
            if requests.get(srv.url("/echo"), timeout=2).status_code == 200:
                break
        except requests.RequestException:
            pass
        time.sleep(0.1)
    else:
        pytest.fail("server did not recover after the held connections closed")
    assert srv.stats()["rejected_over_capacity"] >= 1


def test_security_headers_and_api_cache_control(server):
    api = requests.get(server.url("/api/echo"), timeout=5)
    assert api.headers["cache-control"] == "no-store"
    assert_security_headers(api.headers)
    plain = requests.get(server.url("/echo"), timeout=5)
    assert "cache-control" not in plain.headers
    missing = requests.get(server.url("/nope"), timeout=5)
    assert missing.status_code == 404 and json_error(missing.content)["code"] == "not_found"
    assert_security_headers(missing.headers)
    upgrade_only = requests.get(server.url("/ws"), timeout=5)
    assert upgrade_only.status_code == 426
    assert_security_headers(upgrade_only.headers)


# ---- static files ---------------------------------------------------------------------------------

@pytest.fixture
def static_server(make_server, www):
    return make_server("--static-root", www, "--mount", "/api/docs/=api-docs", "--mount", "/scada/=not-built")


def test_static_files_types_and_index(static_server):
    s = static_server
    r = requests.get(s.url("/api/docs/"), timeout=5)
    assert r.status_code == 200 and "docs" in r.text
    assert r.headers["content-type"].startswith("text/html")
    assert_security_headers(r.headers)
    assert r.headers.get("cache-control") == "no-cache", "static docs are not API responses"
    for path, ctype in [("/api/docs/app.js", "text/javascript"), ("/api/docs/style.css", "text/css"),
                        ("/api/docs/logo.svg", "image/svg+xml"), ("/assets/index-abc.js", "text/javascript")]:
        r = requests.get(s.url(path), timeout=5)
        assert r.status_code == 200 and r.headers["content-type"].startswith(ctype), path
        assert_security_headers(r.headers)
    assert "immutable" in requests.get(s.url("/assets/index-abc.js"), timeout=5).headers["cache-control"]
    redirect = requests.get(s.url("/api/docs"), allow_redirects=False, timeout=5)
    assert redirect.status_code == 301 and redirect.headers["location"] == "/api/docs/"
    assert_security_headers(redirect.headers)
    assert requests.get(s.url("/api/docs/sub/"), timeout=5).text == "sub index"
    # client-side routes of the single-page app get its index.html; missing files go to the handler
    assert "docs" in requests.get(s.url("/api/docs/operations/getHealth"), timeout=5).text
    assert requests.get(s.url("/api/docs/missing.js"), timeout=5).status_code == 404
    assert requests.get(s.url("/scada/"), timeout=5).status_code == 404  # mount not built


def test_static_etag_304_and_head(static_server):
    s = static_server
    r = requests.get(s.url("/api/docs/app.js"), timeout=5)
    etag = r.headers["etag"]
    again = requests.get(s.url("/api/docs/app.js"), headers={"If-None-Match": etag}, timeout=5)
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    assert_security_headers(again.headers)
    other = requests.get(s.url("/api/docs/app.js"), headers={"If-None-Match": '"nope"'}, timeout=5)
    assert other.status_code == 200
    raw = raw_exchange(s.port, b"HEAD /api/docs/app.js HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    status, headers, body = parse_response(raw)
    assert status == 200 and headers["content-length"] == str(len("console.log('docs')")) and body == b""


@pytest.mark.parametrize("target", [
    "/api/docs/../../etc/passwd",
    "/api/docs/%2e%2e/%2e%2e/etc/passwd",
    "/api/docs/..%2f..%2f..%2fetc%2fpasswd",
    "/api/docs/%2E%2E%2F%2E%2E%2Fsecret.txt",
    "/api/docs/..%2fsecret.txt",
    "/api/docs/%252e%252e/secret.txt",
    "/api/docs/escape.txt",
    "/api/docs/escape-dir/secret.txt",
    "/api/docs//etc/passwd",
    "/api/docs/%00index.html",
    "/assets/../api-docs/index.html",
])
def test_static_never_leaves_the_root(static_server, target):
    raw = raw_exchange(static_server.port, f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    status, headers, body = parse_response(raw)
    if target == "/api/docs//etc/passwd":  # an empty segment is skipped: the SPA's route fallback
        assert status == 200 and b"<title>docs</title>" in body
    else:
        assert status in (400, 404), (target, status)
    assert b"TOP-SECRET" not in body and b"root:" not in body
    assert_security_headers(headers)
    # and the same through curl without client-side normalisation
    out = subprocess.run(["curl", "-s", "--path-as-is", "-o", "-", "-w", "%{http_code}",
                          static_server.url(target)], capture_output=True, timeout=10)
    assert out.stdout[-3:] == str(status).encode() and b"TOP-SECRET" not in out.stdout


# ---- WebSocket --------------------------------------------------------------------------------------

def ws_url(srv, path, scheme="ws"):
    return f"{scheme}://127.0.0.1:{srv.port}{path}"


def test_websocket_echo_and_headers(server):
    ws = websocket.create_connection(ws_url(server, "/ws"), timeout=5)
    try:
        assert_security_headers(ws.getheaders())
        ws.send("hello")
        assert ws.recv() == "hello"
        ws.send_binary(b"\x00\x01")
        ws.send("after binary")
        assert ws.recv() == b"\x00\x01"
        assert ws.recv() == "after binary"
        assert server.stats()["ws_open"] == 1
    finally:
        ws.close()
    deadline = time.time() + 5
    while server.stats()["ws_open"] != 0 and time.time() < deadline:
        time.sleep(0.05)
    assert server.stats()["ws_open"] == 0


def test_websocket_server_initiated_close(server):
    ws = websocket.create_connection(ws_url(server, "/ws"), timeout=5)
    ws.send("close")
    op, frame = ws.recv_data_frame(True)
    assert op == websocket.ABNF.OPCODE_CLOSE
    assert int.from_bytes(frame.data[:2], "big") == 1000
    ws.close()


def test_websocket_subprotocol_required(server):
    with pytest.raises(websocket.WebSocketBadStatusException) as e:
        websocket.create_connection(ws_url(server, "/mqtt"), timeout=5)
    assert e.value.status_code == 400
    with pytest.raises(websocket.WebSocketBadStatusException):
        websocket.create_connection(ws_url(server, "/mqtt"), subprotocols=["mqttv3.1"], timeout=5)
    ws = websocket.create_connection(ws_url(server, "/mqtt"), subprotocols=["mqttv3.1", "mqtt"], timeout=5)
    try:
        assert ws.getsubprotocol() == "mqtt"
        ws.send_binary(b"\x10\x00")
        assert ws.recv() == b"\x10\x00"
        ws.send("text is not MQTT")
        op, frame = ws.recv_data_frame(True)
        assert op == websocket.ABNF.OPCODE_CLOSE and int.from_bytes(frame.data[:2], "big") == 1003
    finally:
        ws.close()


def test_websocket_refused_upgrade_is_an_http_answer(server):
    key = "dGhlIHNhbXBsZSBub25jZQ=="
    upgrade = (f"GET /ws-auth HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode()
    status, headers, body = parse_response(raw_exchange(server.port, upgrade))
    assert status == 401 and json_error(body)["code"] == "unauthorized"
    assert_security_headers(headers)
    ws = websocket.create_connection(ws_url(server, "/ws-auth"), header=["Authorization: Bearer letmein"], timeout=5)
    ws.send("ok")
    assert ws.recv() == "ok"
    ws.close()
    with pytest.raises(websocket.WebSocketBadStatusException):
        websocket.create_connection(ws_url(server, "/not-a-ws"), timeout=5)


def test_websocket_message_size_limit(make_server):
    srv = make_server("--ws-max-message", "1024")
    ws = websocket.create_connection(ws_url(srv, "/ws"), timeout=5)
    ws.send("x" * 1024)
    assert len(ws.recv()) == 1024
    ws.send("x" * 2000)
    op, frame = ws.recv_data_frame(True)
    assert op == websocket.ABNF.OPCODE_CLOSE and int.from_bytes(frame.data[:2], "big") == 1009
    ws.close()


def test_websocket_slow_consumer_is_dropped_without_hurting_others(make_server):
    srv = make_server("--ws-max-queue", str(256 << 10), "--ws-close-timeout", "1")
    slow = websocket.create_connection(ws_url(srv, "/ws"), timeout=10,
                                       sockopt=((socket.SOL_SOCKET, socket.SO_RCVBUF, 4096),))
    fast = websocket.create_connection(ws_url(srv, "/ws"), timeout=5)
    try:
        slow.send("flood")  # ... and never read
        latencies = []
        for i in range(20):
            t = time.time()
            fast.send(f"ping {i}")
            assert fast.recv() == f"ping {i}"
            latencies.append(time.time() - t)
            time.sleep(0.05)
        assert max(latencies) < 1.0, latencies
        deadline = time.time() + 10
        while time.time() < deadline:
            st = srv.stats()
            if st["ws_send_refused"] >= 1 and st["ws_open"] == 1:
                break
            time.sleep(0.1)
        else:
            pytest.fail(f"slow consumer was not dropped: {srv.stats()}")
        fast.send("still here")
        assert fast.recv() == "still here"
        # the slow client finds its connection gone once it finally reads
        slow.settimeout(5)
        with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError, OSError)):
            while True:
                op, _ = slow.recv_data_frame(True)
                if op == websocket.ABNF.OPCODE_CLOSE:
                    raise websocket.WebSocketConnectionClosedException("closed by server")
    finally:
        fast.close()
        slow.shutdown()


# ---- TLS ----------------------------------------------------------------------------------------------

def test_https_and_wss(make_server, cert):
    c, k = cert
    srv = make_server("--tls-cert", c, "--tls-key", k)
    r = requests.get(srv.url("/echo", "https"), verify=c, timeout=5)
    assert r.status_code == 200 and r.json()["secure"] is True
    assert_security_headers(r.headers, tls=True)
    big = requests.post(srv.url("/echo", "https"), data=b"x" * (2 << 20), verify=c, timeout=10)
    assert big.status_code == 413
    assert_security_headers(big.headers, tls=True)
    ws = websocket.create_connection(ws_url(srv, "/ws", "wss"), sslopt={"ca_certs": c}, timeout=5)
    assert_security_headers(ws.getheaders(), tls=True)
    ws.send("over tls")
    assert ws.recv() == "over tls"
    ws.close()
    # TLS 1.2 is accepted, TLS 1.1 is not (checked with the openssl CLI)
    ctx = ssl.create_default_context(cafile=c)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            assert tls.version() == "TLSv1.2"
    out = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{srv.port}", "-tls1_1"],
                         input=b"", capture_output=True, timeout=10)
    assert out.returncode != 0
    # plain HTTP on the TLS port gets nowhere and does not hurt the server
    assert raw_exchange(srv.port, b"GET /echo HTTP/1.1\r\nHost: x\r\n\r\n", timeout=3)[:4] != b"HTTP"
    assert requests.get(srv.url("/echo", "https"), verify=c, timeout=5).status_code == 200


def test_bad_tls_files_fail_start(cert, tmp_path):
    c, k = cert
    for cert_file, key_file, expect in [
        ("/nonexistent/cert.pem", k, "TLS certificate /nonexistent/cert.pem"),
        (c, "/nonexistent/key.pem", "TLS private key /nonexistent/key.pem"),
    ]:
        s = NetServer("--tls-cert", cert_file, "--tls-key", key_file, expect_start=False)
        assert s.proc.wait(15) == 1
        assert expect in s.stderr()
        s.close()
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate")
    s = NetServer("--tls-cert", str(garbage), "--tls-key", k, expect_start=False)
    assert s.proc.wait(15) == 1 and f"TLS certificate {garbage}" in s.stderr()
    s.close()


# ---- lifecycle ----------------------------------------------------------------------------------------

def test_busy_port_is_a_clear_error(make_server):
    first = make_server()
    second = NetServer("--port", str(first.port), expect_start=False)
    assert second.proc.wait(15) == 1
    assert f"HTTP listener 127.0.0.1:{first.port}: address already in use" in second.stderr()
    second.close()


def test_sigterm_stops_gracefully_with_open_connections(make_server):
    srv = make_server("--idle-timeout", "30")
    ws = websocket.create_connection(ws_url(srv, "/ws"), timeout=5)
    idle = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
    idle.sendall(b"GET /echo HTTP/1.1\r\nHost: x\r\n\r\n")
    assert idle.recv(65536).startswith(b"HTTP/1.1 200")
    start = time.time()
    srv.proc.send_signal(signal.SIGTERM)
    op, frame = ws.recv_data_frame(True)
    assert op == websocket.ABNF.OPCODE_CLOSE and int.from_bytes(frame.data[:2], "big") == 1001
    ws.send_close(1000)  # answer the close handshake and hang up, as browsers do
    ws.shutdown()
    assert srv.proc.wait(10) == 0 and time.time() - start < 3
    assert idle.recv(100) == b""
    idle.close()
