"""Wire tests of Weir against an external broker (SPEC §8: "where one machine is not enough, Weir
runs against an external broker (Mosquitto, EMQX, ...) instead"). A real Mosquitto 2 with a
password file and no anonymous access stands in for the external broker; the microcontroller demo
(two real weir-device processes, the MqttDeviceDriver, the DeviceMonitor) runs through it. Weir
is configured with the mqtt_broker module's "external" block and its password in the environment:

  "modules": [{"name": "mqtt_broker", "config": {"external": {"host": ..., "port": ...,
      "client_id": ..., "username": ..., "password_env": "WEIR_MQTT_PASSWORD", "keepalive": 30,
      "tls": false, "ca_file": ""}}}]

Everything is observed through Weir's REST API, Mosquitto's own log and real MQTT clients."""
import json
import os
import re
import socket
import subprocess
import tempfile
import time

import pytest

import weirproc
from weirproc import Http, WeirServer, wait_until
from demo_setup import AuthMosquitto, Client, ExternalDevice, datapoint, device, external_demo_config, readings

HOT = "30 40\n"   # over the default threshold (28)
COLD = "20 40\n"

PASSWORDS = {"weir": "Weir-ext-Pass-31", "esp32": "Esp32-ext-Pass-42", "raspberry": "Rasp-ext-Pass-53",
             "probe": "Probe-ext-Pass-64"}
CLIENT_ID = "weir-test"


def reading(temperature, humidity=40):
    return json.dumps({"temperature": temperature, "humidity": humidity, "threshold": 28,
                       "over_threshold": temperature > 28, "unit": "C"})


# ---- fixtures -----------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def binaries():
    for path in (weirproc.WEIR_BIN, weirproc.DEVICE_BIN):
        if not os.path.exists(path):
            pytest.fail(f"not built: {path} (set WEIR_BUILD_DIR)")


@pytest.fixture
def tmp():
    with tempfile.TemporaryDirectory(prefix="weir-ext-test-") as d:
        yield d


@pytest.fixture
def mosquitto():
    m = AuthMosquitto(PASSWORDS)
    try:
        yield m.start()
    finally:
        m.close()


@pytest.fixture
def start_weir(mosquitto):
    """start_weir(password=...) -> a started WeirServer whose mqtt_broker is `mosquitto`."""
    started = []

    def start(password=PASSWORDS["weir"]):
        external = {"host": "127.0.0.1", "port": mosquitto.port, "client_id": CLIENT_ID, "username": "weir",
                    "password_env": "WEIR_MQTT_PASSWORD", "keepalive": 30, "tls": False, "ca_file": ""}
        w = WeirServer(system_config=external_demo_config(external), env={"WEIR_MQTT_PASSWORD": password})
        started.append(w)
        return w.start()

    yield start
    for w in started:
        w.__exit__(None, None, None)


@pytest.fixture
def devices(tmp, mosquitto):
    started = []

    def make(id, peer, **kw):
        d = ExternalDevice(tmp, mosquitto.port, PASSWORDS[id], id, peer, **kw)
        started.append(d)
        return d.start()

    yield make
    for d in started:
        d.stop()


@pytest.fixture
def clients():
    made = []

    def make(port, username, subscribe=()):
        c = Client(port, username, PASSWORDS[username], subscribe=subscribe)
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()


# ---- helpers ------------------------------------------------------------------------------------

def healthy(server):
    h = Http(server)
    try:
        status, body, _ = h.get("/api/health")
    finally:
        h.conn.close()
    return status == 200 and isinstance(body, dict) and body.get("status") == "ok"


def refuses(port):
    """True if nothing listens on 127.0.0.1:port (the connection is refused)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return False
    except ConnectionRefusedError:
        return True
    except OSError:
        return False


def websocket_upgrade_status(server, path):
    """The status code of a WebSocket upgrade (subprotocol mqtt) to `path` on Weir's HTTP port."""
    with socket.create_connection(("127.0.0.1", server.http_port), timeout=5) as s:
        s.settimeout(5)
        s.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                   "Sec-WebSocket-Protocol: mqtt\r\n\r\n").encode())
        head = b""
        while b"\r\n" not in head:
            chunk = s.recv(1024)
            if not chunk:
                break
            head += chunk
    m = re.match(rb"HTTP/1\.[01] (\d{3})", head)
    assert m, f"no HTTP status line: {head[:200]!r}"
    return int(m.group(1))


def weir_connected_to(mosquitto):
    """Mosquitto's log line of Weir's accepted connection (client id, keep-alive and user as configured)."""
    return re.search(rf"New client connected from \S+ as {re.escape(CLIENT_ID)} \(p\d, c\d, k30, u'weir'\)",
                     mosquitto.output())


def diagnostics(server, mosquitto, *devs):
    out = f"\n--- weir ---\n{server.output()[-3000:]}\n--- mosquitto ---\n{mosquitto.output()[-3000:]}"
    for d in devs:
        out += f"\n--- {d.id} ---\n{d.output()[-1500:]}"
    return out


# ---- 1. the demo runs through the external broker; no embedded broker ---------------------------

def test_demo_runs_through_the_external_broker_and_weir_listens_for_no_mqtt(mosquitto, start_weir, devices, clients):
    probe = clients(mosquitto.port, "probe", subscribe=["commands/#"])
    w = start_weir()
    esp = devices("esp32", "raspberry", script=COLD, interval=0.2)
    rasp = devices("raspberry", "esp32", script=HOT, interval=0.2)
    diag = lambda: diagnostics(w, mosquitto, esp, rasp)  # noqa: E731

    # No embedded broker: the MQTT ports Weir was given are closed, and /mqtt upgrades nothing.
    assert refuses(w.mqtt_port), f"weir listens on its --mqtt-port {w.mqtt_port}" + diag()
    assert refuses(w.mqtt_ws_port), f"weir listens on its --mqtt-ws-port {w.mqtt_ws_port}" + diag()
    assert websocket_upgrade_status(w, "/mqtt") != 101, "/mqtt still upgrades to MQTT over WebSocket"

    # Weir logged into Mosquitto with the configured client id, keep-alive and user.
    wait_until(lambda: weir_connected_to(mosquitto), 15, message="weir's CONNECT in Mosquitto's log" + diag())

    http = Http(w)
    http.login()
    # The devices' readings and presence reach Weir through Mosquitto...
    wait_until(lambda: device(http, "esp32").get("presence") == "online", 15, message="esp32 online" + diag())
    wait_until(lambda: (device(http, "esp32").get("reading") or {}).get("temperature") == 20, 10,
               message="esp32's reading" + diag())
    wait_until(lambda: len(readings(http, "esp32")) >= 3, 10, message="3 logged esp32 readings" + diag())
    r = readings(http, "esp32", limit=1)[0]
    assert r["device"] == "esp32" and r["temperature"] == 20 and r["humidity"] == 40 and r["unit"] == "C", r
    # ...and become datapoints of the MqttDeviceDriver, with good quality.
    wait_until(lambda: datapoint(http, "raspberry@TEMPERATURE")["value"] == 30, 10,
               message="raspberry@TEMPERATURE" + diag())
    assert datapoint(http, "raspberry@TEMPERATURE")["quality"] == "good"
    assert datapoint(http, "esp32@PRESENCE")["value"] == "ONLINE"
    wait_until(lambda: datapoint(http, "raspberry@PRESENCE")["value"] == "ONLINE", 5, message="raspberry@PRESENCE")
    wait_until(lambda: datapoint(http, "raspberry@OVER_THRESHOLD")["value"] == "TRUE", 5, message="OVER_THRESHOLD")
    states = {d["name"]: d["state"] for d in http.get("/api/drivers")[1]["items"]}
    assert states["esp32"] == "online" and states["raspberry"] == "online", states

    # A command through Weir's REST API goes out on the external broker...
    status, body, _ = http.post("/play/esp32")
    assert status == 200, body
    wait_until(lambda: b"true" in probe.on("commands/esp32/play"), 10,
               message="commands/esp32/play 'true' on Mosquitto" + diag())
    # ...the real device obeys, and its new state comes back to Weir the same way.
    wait_until(lambda: (device(http, "esp32").get("mode"), device(http, "esp32").get("buzzer"))
               == ("override_on", "playing"), 10, message="esp32 override_on/playing" + diag())
    status, log, _ = http.get("/api/devices/esp32/commands")
    assert status == 200
    c = log["items"][0]
    assert (c["action"], c["payload"], c["user"], c["source"]) == ("play", "true", "admin", "weir"), log
    assert w.proc.poll() is None, "weir crashed" + diag()


# ---- 2. a broker restart: Weir reconnects and re-subscribes ------------------------------------

def test_weir_survives_a_broker_restart_then_reconnects_and_resubscribes(mosquitto, start_weir, devices, clients):
    w = start_weir()
    esp = devices("esp32", "raspberry", script=COLD, interval=0.5)
    rasp = devices("raspberry", "esp32", script=HOT, interval=0.5)
    diag = lambda: diagnostics(w, mosquitto, esp, rasp)  # noqa: E731
    http = Http(w)
    http.login()
    wait_until(lambda: device(http, "esp32").get("presence") == "online" and readings(http, "esp32"), 15,
               message="esp32 online with readings before the restart" + diag())

    mosquitto.stop()
    time.sleep(0.5)  # let what was in flight land
    before = readings(http, "esp32", limit=1)[0]["id"]
    # Weir keeps running, healthy, while the broker is away...
    deadline = time.time() + 3
    while time.time() < deadline:
        assert w.proc.poll() is None, "weir exited when the broker went away" + diag()
        assert healthy(w), "weir unhealthy while the broker is away" + diag()
        time.sleep(0.25)
    # ...and (the readings really go through the broker) nothing arrives meanwhile.
    assert readings(http, "esp32", limit=1)[0]["id"] == before, "a reading arrived with the broker stopped"

    mosquitto.start()
    restarted = time.time()
    # A reading published as esp32 after the restart reaches Weir only once it has reconnected and
    # subscribed again. Published until it arrives (the broker keeps nothing for an absent subscriber).
    pub = clients(mosquitto.port, "esp32")

    def marker_arrived():
        pub.publish("sensors/esp32", reading(33.5))
        return any(r["temperature"] == 33.5 for r in readings(http, "esp32"))

    wait_until(marker_arrived, 30, interval=0.5, message="a reading after the broker restart" + diag())
    assert time.time() - restarted <= 30
    # The device agents' own readings flow again too.
    wait_until(lambda: readings(http, "esp32", limit=1)[0]["id"] > before and
               any(r["temperature"] == 20 for r in readings(http, "esp32", limit=5)), 15,
               message="esp32 agent readings after the restart" + diag())
    wait_until(lambda: device(http, "esp32").get("presence") == "online", 15, message="esp32 online" + diag())

    # Weir publishes through the new connection as well.
    probe = clients(mosquitto.port, "probe", subscribe=["commands/#"])
    status, body, _ = http.post("/stop/esp32")
    assert status == 200, body
    wait_until(lambda: b"false" in probe.on("commands/esp32/play"), 10,
               message="commands/esp32/play 'false' after the restart" + diag())
    wait_until(lambda: device(http, "esp32").get("mode") == "override_off", 10, message="esp32 override_off" + diag())
    assert w.proc.poll() is None and healthy(w), "weir crashed" + diag()


# ---- 3. a wrong password: refused, logged, Weir keeps running ------------------------------------

REFUSAL = re.compile(r"refus|not authori[sz]|unauthori[sz]|bad user ?name or password|denied|rejected", re.I)
ABOUT_BROKER = re.compile(r"broker|mqtt|external|" + CLIENT_ID, re.I)


def test_a_wrong_password_is_refused_logged_and_weir_keeps_running(mosquitto, start_weir, devices, clients):
    w = start_weir(password="Not-the-Pass-99")
    esp = devices("esp32", "raspberry", script=COLD, interval=0.2)
    rasp = devices("raspberry", "esp32", script=HOT, interval=0.2)
    diag = lambda: diagnostics(w, mosquitto, esp, rasp)  # noqa: E731
    # The devices are fine on the broker: their readings are there for whoever may subscribe.
    probe = clients(mosquitto.port, "probe", subscribe=["sensors/#"])
    wait_until(lambda: probe.on("sensors/esp32"), 10, message="esp32 readings on Mosquitto" + diag())

    # Weir did try, and Mosquitto refused it...
    wait_until(lambda: "not authorised" in mosquitto.output(), 15, message="Mosquitto refusing weir" + diag())
    # ...Weir says so in its log...
    wait_until(lambda: any(REFUSAL.search(line) and ABOUT_BROKER.search(line) for line in w.output().splitlines()),
               15, message="weir logging the refusal" + diag())
    assert not weir_connected_to(mosquitto), "Mosquitto accepted weir with a wrong password" + diag()
    # ...and keeps running, healthy, without the devices' data.
    time.sleep(2)
    assert w.proc.poll() is None, "weir exited on a refused login" + diag()
    assert healthy(w)
    http = Http(w)
    http.login()
    assert readings(http, "esp32") == [], "readings arrived without a broker login"
    assert device(http, "esp32").get("presence") != "online"
    assert datapoint(http, "esp32@PRESENCE")["value"] != "ONLINE"


# ---- 4. an invalid "external" block is a configuration error naming its path -----------------------

def check_config(tmp, external):
    config_dir = os.path.join(tmp, "config")
    os.makedirs(config_dir, exist_ok=True)
    with open(os.path.join(config_dir, "system_config.json"), "w") as f:
        json.dump(external_demo_config(external), f)
    env = dict(os.environ, ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "detect_leaks=0"))
    p = subprocess.run([weirproc.WEIR_BIN, "--check-config", config_dir], capture_output=True, timeout=60, env=env)
    return p.returncode, (p.stdout + p.stderr).decode(errors="replace")


@pytest.mark.parametrize("external, named", [
    ({"port": 1883}, "host"),                                   # host is required
    ({"host": "127.0.0.1", "port": 70000}, "port"),             # out of range
    ({"host": "127.0.0.1", "port": 0}, "port"),
    ({"host": "127.0.0.1", "colour": "blue"}, "colour"),        # unknown key
    ({"host": "127.0.0.1", "password": "in-clear"}, "password"),  # the password itself is never configured
])
def test_an_invalid_external_block_is_a_configuration_error(tmp, external, named):
    rc, out = check_config(tmp, external)
    assert rc != 0, f"--check-config accepted {external}:\n{out}"
    # The JSON path, e.g. modules[0].config.external.host
    assert re.search(r"external\W{1,3}" + named, out), f"the error does not name the path external.{named}:\n{out}"


@pytest.mark.parametrize("external", [
    {"host": "127.0.0.1"},
    {"host": "broker.example", "port": 18830, "client_id": "weir-test", "username": "weir",
     "password_env": "WEIR_MQTT_PASSWORD", "keepalive": 30, "tls": False, "ca_file": ""},
])
def test_a_valid_external_block_passes_the_check(tmp, external):
    rc, out = check_config(tmp, external)
    assert rc == 0, f"--check-config refused {external}:\n{out}"
