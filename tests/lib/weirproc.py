"""Starts real Weir processes for wire tests: free loopback ports, a temporary config and data
directory, readiness by polling /api/health, and a clean shutdown (SIGTERM, then SIGKILL)."""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("WEIR_BUILD_DIR", os.path.join(ROOT, "build", "dev"))
WEIR_BIN = os.environ.get("WEIR_BIN", os.path.join(BUILD, "src", "app", "weir"))
DEVICE_BIN = os.environ.get("WEIR_DEVICE_BIN", os.path.join(BUILD, "src", "demo", "agent", "weir-device"))
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "openscada-lite")
ADMIN_PASSWORD = "Correct-Horse-42-battery"


_handed_out = set()


def free_port():
    """A loopback port nothing listens on, never the same twice in one test process: the kernel
    may hand back a port just released, and one server given the same port for two listeners
    fails to start (seen: HTTP and MQTT-over-WebSocket on one port)."""
    for _ in range(100):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _handed_out:
            _handed_out.add(port)
            return port
    raise RuntimeError("no fresh free port after 100 tries")


def wait_port(port, timeout=10.0, host="127.0.0.1"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"port {port} not open after {timeout}s")


class WeirServer:
    """with WeirServer(system_config={...}) as w: w.http_port, w.mqtt_port, w.url('/api/health')

    system_config: dict written as system_config.json (default: a tiny config with no drivers).
    security_config: dict written as security_config.json (default: none -> Weir creates admin).
    data_dir: reuse a data directory (e.g. to test a restart); removed only if we created it.
    env: extra environment; WEIR_ADMIN_PASSWORD defaults to ADMIN_PASSWORD.
    """

    def __init__(self, system_config=None, security_config=None, config_dir=None, data_dir=None,
                 args=(), env=None, ready_timeout=20.0):
        self.tmp = tempfile.mkdtemp(prefix="weir-test-")
        self.config_dir = config_dir or os.path.join(self.tmp, "config")
        if config_dir is None:
            os.makedirs(self.config_dir)
            with open(os.path.join(self.config_dir, "system_config.json"), "w") as f:
                json.dump(system_config if system_config is not None else {"dp_types": {}, "drivers": []}, f)
            if security_config is not None:
                with open(os.path.join(self.config_dir, "security_config.json"), "w") as f:
                    json.dump(security_config, f)
        self.data_dir = data_dir or os.path.join(self.tmp, "data")
        self.http_port = free_port()
        self.mqtt_port = free_port()
        self.mqtt_ws_port = free_port()
        self.args = list(args)
        self.env = dict(os.environ)
        self.env.setdefault("WEIR_ADMIN_PASSWORD", ADMIN_PASSWORD)
        self.env["ASAN_OPTIONS"] = self.env.get("ASAN_OPTIONS", "detect_leaks=0")
        if env:
            self.env.update(env)
        self.ready_timeout = ready_timeout
        self.proc = None
        self.log_path = os.path.join(self.tmp, "weir.log")

    def command(self):
        return [WEIR_BIN, "--config-dir", self.config_dir, "--data-dir", self.data_dir,
                "--bind", "127.0.0.1", "--http-port", str(self.http_port),
                "--mqtt-port", str(self.mqtt_port), "--mqtt-ws-port", str(self.mqtt_ws_port)] + self.args

    def start(self):
        # Ports are picked free, but another test process may take one before weir binds it: on
        # a first start that fails for that reason, pick fresh ports and try again (twice).
        for attempt in range(3):
            try:
                return self._start_once()
            except RuntimeError as e:
                if getattr(self, "_started_once", False) or attempt == 2 or "address already in use" not in str(e):
                    raise
                self.log.close()
                self.http_port, self.mqtt_port, self.mqtt_ws_port = free_port(), free_port(), free_port()

    def _start_once(self):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.command(), stdout=self.log, stderr=subprocess.STDOUT, env=self.env)
        deadline = time.time() + self.ready_timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"weir exited with {self.proc.returncode}:\n{self.output()}")
            try:
                with urllib.request.urlopen(self.url("/api/health"), timeout=1) as r:
                    if r.status == 200:
                        self._started_once = True  # a restart keeps its ports
                        return self
            except OSError:
                time.sleep(0.05)
        raise TimeoutError(f"weir not ready after {self.ready_timeout}s:\n{self.output()}")

    def output(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def url(self, path):
        return f"http://127.0.0.1:{self.http_port}{path}"

    def stop(self, sig=signal.SIGTERM, timeout=10.0):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        rc = self.proc.returncode if self.proc else None
        if getattr(self, "log", None):
            self.log.close()
        return rc

    def restart(self):
        self.stop()
        return self.start()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)
        return False


class Mosquitto:
    """A real Mosquitto 2 broker on a free loopback port (reference for tests and benchmarks)."""

    def __init__(self, extra_conf=""):
        self.tmp = tempfile.mkdtemp(prefix="mosq-test-")
        self.port = free_port()
        self.conf = os.path.join(self.tmp, "mosquitto.conf")
        with open(self.conf, "w") as f:
            f.write(f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n{extra_conf}\n")
        self.proc = None

    def __enter__(self):
        exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        self.proc = subprocess.Popen([exe, "-c", self.conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port)
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)
        return False


# ---- HTTP helpers --------------------------------------------------------------------------
import http.client


class Http:
    """Tiny keep-alive JSON client for the wire tests: h = Http(server); h.login(); h.get('/api/..')."""

    def __init__(self, server, token=None):
        self.server = server
        self.token = token
        self.conn = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=10)

    def request(self, method, path, body=None, headers=None, raw=None):
        h = {"Connection": "keep-alive"}
        if self.token:
            h["Authorization"] = "Bearer " + self.token
        if headers:
            h.update(headers)
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        try:
            self.conn.request(method, path, body=data, headers=h)
            r = self.conn.getresponse()
        except (http.client.HTTPException, OSError):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.server.http_port, timeout=10)
            self.conn.request(method, path, body=data, headers=h)
            r = self.conn.getresponse()
        payload = r.read()
        ctype = r.getheader("Content-Type", "")
        parsed = None
        if "json" in ctype and payload:
            parsed = json.loads(payload)
        return r.status, parsed if parsed is not None else payload.decode(errors="replace"), dict(r.getheaders())

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body=body, **kw)

    def login(self, username="admin", password=ADMIN_PASSWORD, app="scada"):
        status, body, headers = self.post("/api/auth/login", {"username": username, "password": password, "app": app})
        assert status == 200, (status, body)
        self.token = body["token"]
        return body, headers


def wait_until(predicate, timeout=10.0, interval=0.05, message="condition"):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message} (last: {last!r})")


DEMO_TYPES = {
    "LEVEL": {"type": "float", "min": 0, "max": 100, "default": 0},
    "OPENED_CLOSED": {"type": "enum", "values": ["OPENED", "CLOSED"], "default": "CLOSED"},
    "OPEN_CLOSE_CMD": {"type": "enum", "values": ["OPEN", "CLOSE", "TOGGLE"], "default": "CLOSE"},
    "START_STOP": {"type": "enum", "values": ["STARTED", "STOPPED"], "default": "STOPPED"},
    "START_STOP_CMD": {"type": "enum", "values": ["START", "STOP", "TOGGLE"], "default": "STOP"},
}


def tank_config(tick_ms=100, autostart=True, extra_drivers=(), modules=()):
    return {
        "dp_types": json.loads(json.dumps(DEMO_TYPES)),
        "drivers": [{
            "name": "WaterTank", "driver_class": "TankTestDriver",
            "params": {"autostart": autostart, "tick_ms": tick_ms},
            "datapoints": [{"name": "TANK", "type": "LEVEL"}, {"name": "PUMP", "type": "OPENED_CLOSED"},
                           {"name": "DOOR", "type": "OPENED_CLOSED"}, {"name": "TEST", "type": "START_STOP"}],
            "command_datapoints": [{"name": "PUMP_CMD", "type": "OPEN_CLOSE_CMD"},
                                   {"name": "DOOR_CMD", "type": "OPEN_CLOSE_CMD"},
                                   {"name": "TEST_CMD", "type": "START_STOP_CMD"}],
        }] + list(extra_drivers),
        "modules": list(modules),
    }
