"""Wire tests of weir-device (SPEC §9): real weir-device processes against a real broker, watched
and driven by a real MQTT client.

The broker is a fixture (`broker`: host, port, url) so the same tests can run against Weir's own
broker: add a parameter to the fixture. Tests that restart or configure the broker themselves use
Mosquitto directly.
"""
import json
import os
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from collections import namedtuple

import paho.mqtt.client as mqtt
import pytest

import weirproc

READING_KEYS = {"temperature", "humidity", "threshold", "over_threshold", "unit"}
STATE_KEYS = {"playing", "mode", "step", "melody", "peer", "since", "reason"}

Broker = namedtuple("Broker", "host port url")


@pytest.fixture(params=["mosquitto"])
def broker(request):
    if request.param == "mosquitto":
        with weirproc.Mosquitto() as m:
            yield Broker("127.0.0.1", m.port, f"mqtt://127.0.0.1:{m.port}")


@pytest.fixture
def tmp():
    with tempfile.TemporaryDirectory(prefix="weir-device-test-") as d:
        yield d


class FixedPortMosquitto(weirproc.Mosquitto):
    """A Mosquitto on a given port (to stop and start "the same" broker)."""

    def __init__(self, port=None, extra_conf=""):
        super().__init__(extra_conf)
        if port is not None:
            self.port = port
            with open(self.conf, "w") as f:
                f.write(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n{extra_conf}\n")


class Message(namedtuple("Message", "t topic payload retain")):
    def json(self):
        return json.loads(self.payload)


class Observer:
    """An MQTT client that records every message on '#' and publishes commands."""

    def __init__(self, port, host="127.0.0.1"):
        self.msgs = []
        self.cond = threading.Condition()
        self.client = mqtt.Client(client_id=f"observer-{uuid.uuid4().hex[:8]}", protocol=mqtt.MQTTv311)
        subscribed = threading.Event()
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *a: subscribed.set()
        self.client.on_connect = lambda c, u, f, rc: c.subscribe("#", qos=1)
        self.client.connect(host, port, keepalive=30)
        self.client.loop_start()
        assert subscribed.wait(5), "observer did not subscribe"

    def _on_message(self, client, userdata, m):
        with self.cond:
            self.msgs.append(Message(time.time(), m.topic, bytes(m.payload), bool(m.retain)))
            self.cond.notify_all()

    def mark(self):
        with self.cond:
            return len(self.msgs)

    def wait_for(self, pred, timeout=10.0, since=0, what="message"):
        """The first message at index >= since for which pred(msg) is true, as (index, msg)."""
        deadline = time.time() + timeout
        i = since
        with self.cond:
            while True:
                while i < len(self.msgs):
                    try:
                        if pred(self.msgs[i]):
                            return i, self.msgs[i]
                    except (ValueError, KeyError, TypeError):
                        pass
                    i += 1
                left = deadline - time.time()
                if left <= 0:
                    recent = "\n".join(f"  {m.topic} {m.payload[:200]!r}" for m in self.msgs[-15:])
                    raise AssertionError(f"no {what} within {timeout}s; last messages:\n{recent}")
                self.cond.wait(left)

    def wait_state(self, device, pred, timeout=10.0, since=0, what=None):
        topic = f"devices/{device}/state"
        i, m = self.wait_for(lambda m: m.topic == topic and pred(m.json()), timeout, since,
                             what or f"state of {device}")
        return i, m.json()

    def on(self, topic, since=0):
        with self.cond:
            return [m for m in self.msgs[since:] if m.topic == topic]

    def publish(self, topic, payload, qos=1, retain=False):
        info = self.client.publish(topic, payload, qos=qos, retain=retain)
        info.wait_for_publish()

    def close(self):
        self.client.loop_stop()
        self.client.disconnect()


@pytest.fixture
def observer(broker):
    o = Observer(broker.port)
    yield o
    o.close()


class Device:
    """One weir-device process; its stdout+stderr go to a log file."""

    def __init__(self, tmp, id, peer, broker_url, script=None, interval=0.3, args=()):
        self.id, self.peer, self.broker_url = id, peer, broker_url
        self.tmp = tmp
        self.args = ["--interval", str(interval)] + list(args)
        if script is not None:
            self.script = os.path.join(tmp, f"{id}.script")
            with open(self.script, "w") as f:
                f.write(script)
            self.args += ["--script", self.script]
        self.log_path = os.path.join(tmp, f"{id}.log")
        self.proc = None

    def command(self):
        return [weirproc.DEVICE_BIN, "--id", self.id, "--peer", self.peer, "--broker", self.broker_url] + self.args

    def start(self):
        env = dict(os.environ)
        env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "detect_leaks=0")
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.command(), stdout=self.log, stderr=subprocess.STDOUT, env=env)
        return self

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=10.0):
        if self.alive():
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if getattr(self, "log", None) and not self.log.closed:
            self.log.close()
        return self.proc.returncode if self.proc else None

    def output(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def wait_log(self, text, timeout=10.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if text in self.output():
                return
            time.sleep(0.05)
        raise AssertionError(f"{self.id}: no '{text}' in the log within {timeout}s:\n{self.output()[-3000:]}")


@pytest.fixture
def devices(tmp):
    started = []

    def make(*a, **kw):
        d = Device(tmp, *a, **kw)
        started.append(d)
        return d

    yield make
    for d in started:
        d.stop()


HOT = "30 40\n"   # over the default threshold (28)
COLD = "20 40\n"


def assert_reading_shape(r):
    assert set(r) == READING_KEYS, r
    for k in ("temperature", "humidity", "threshold"):
        assert isinstance(r[k], (int, float)) and not isinstance(r[k], bool), (k, r)
    assert isinstance(r["over_threshold"], bool), r
    assert r["unit"] in ("C", "F"), r
    assert r["over_threshold"] == (r["temperature"] > r["threshold"]), r


def readings(observer, device, n, timeout=10.0, since=0):
    topic = f"sensors/{device}"
    observer.wait_for(lambda m: len(observer.on(topic, since)) >= n, timeout, since, f"{n} readings of {device}")
    return [m.json() for m in observer.on(topic, since)[:n]]


# ---- readings ---------------------------------------------------------------------------------

def test_readings_arrive_with_the_right_shape_and_presence_is_retained(broker, observer, devices):
    a = devices("esp32", "raspberry", broker.url, interval=0.2, args=["--seed", "7"]).start()
    b = devices("twin", "other", broker.url, interval=0.2, args=["--seed", "7"]).start()
    start = time.time()
    got = readings(observer, "esp32", 6, timeout=10)
    assert time.time() - start < 8, "readings every 0.2 s"
    for r in got:
        assert_reading_shape(r)
        assert r["threshold"] == 28 and r["unit"] == "C"
    # Deterministic given the seed: another device with the same seed publishes the same readings.
    assert readings(observer, "twin", 6) == got
    assert len({r["temperature"] for r in got}) > 1, "the simulated sensor drifts"

    # presence/{id}/status "online" and devices/{id}/state are retained: a late subscriber gets them.
    late = Observer(broker.port)
    try:
        _, m = late.wait_for(lambda m: m.topic == "presence/esp32/status", 5, what="retained presence")
        assert m.payload == b"online" and m.retain
        _, m = late.wait_for(lambda m: m.topic == "devices/esp32/state", 5, what="retained state")
        assert m.retain
        state = m.json()
        assert set(state) == STATE_KEYS, state
        assert state["mode"] == "auto" and state["playing"] is False
        assert state["peer"]["id"] == "raspberry"
        assert state["melody"] == "ode_to_joy"
    finally:
        late.close()
    assert a.alive() and b.alive()


def test_scripted_readings_over_threshold_make_the_peer_play(broker, observer, devices):
    # esp32: three hot readings then three cold ones, looping; raspberry always cold.
    devices("esp32", "raspberry", broker.url, script=HOT * 3 + COLD * 3, interval=0.3).start()
    devices("raspberry", "esp32", broker.url, script=COLD, interval=0.3).start()

    i, s = observer.wait_state("raspberry", lambda s: s["playing"], what="raspberry playing")
    assert s["mode"] == "auto"
    assert s["reason"] == "peer over threshold"
    assert s["peer"] == {"id": "esp32", "presence": "online", "over_threshold": True}
    # The melody steps forward while it plays (a state report per note).
    observer.wait_state("raspberry", lambda s: s["playing"] and s["step"] >= 1, since=i, what="a later note")
    # ...and stops when esp32's readings go under the threshold.
    _, s = observer.wait_state("raspberry", lambda s: not s["playing"], since=i, what="raspberry stopping")
    assert s["reason"] == "peer under threshold" and s["step"] == 0

    # esp32 never plays: raspberry is always under its threshold.
    states = [m.json() for m in observer.on("devices/esp32/state")]
    assert states and not any(s["playing"] for s in states)
    observer.wait_state("esp32", lambda s: s["reason"] == "peer under threshold")


# ---- commands ---------------------------------------------------------------------------------

def test_play_commands_switch_the_mode(broker, observer, devices):
    esp = devices("esp32", "raspberry", broker.url, script=COLD).start()
    devices("raspberry", "esp32", broker.url, script=HOT).start()  # esp32 follows: plays in auto
    observer.wait_state("esp32", lambda s: s["playing"] and s["mode"] == "auto", what="esp32 playing in auto")

    def command(payload, mode, playing, reason):
        mark = observer.mark()
        observer.publish("commands/esp32/play", payload, qos=1)
        _, s = observer.wait_state("esp32", lambda s: s["mode"] == mode, since=mark, timeout=5,
                                   what=f"mode {mode} after {payload!r}")
        assert s["playing"] is playing, (payload, s)
        assert s["reason"] == reason, (payload, s)

    command("false", "override_off", False, "override off")
    command("true", "override_on", True, "override on")
    command("", "auto", True, "peer over threshold")  # resume: cross-linked again
    command(" ON ", "override_on", True, "override on")
    command('"false"', "override_off", False, "override off")
    command("1", "override_on", True, "override on")

    # Anything else is refused and logged, and changes nothing.
    mark = observer.mark()
    for bad in ("maybe", "{\"play\": true}", "\xff"):
        observer.publish("commands/esp32/play", bad, qos=1)
    esp.wait_log('ignored command "maybe"', timeout=5)
    time.sleep(0.5)
    assert all(m.json()["mode"] == "override_on" for m in observer.on("devices/esp32/state", mark))
    command("0", "override_off", False, "override off")
    assert esp.alive()


# ---- presence ---------------------------------------------------------------------------------

def test_sigkill_publishes_the_will_and_the_peer_restarts_its_melody(broker, observer, devices):
    esp = devices("esp32", "raspberry", broker.url, script=HOT, args=["--keepalive", "5"]).start()
    devices("raspberry", "esp32", broker.url, script=COLD).start()
    observer.wait_state("raspberry", lambda s: s["playing"], what="raspberry playing")

    mark = observer.mark()
    killed = time.time()
    esp.signal(signal.SIGKILL)
    esp.proc.wait(5)
    _, m = observer.wait_for(lambda m: m.topic == "presence/esp32/status" and m.payload == b"offline",
                             timeout=3 * 1.5, since=mark, what="esp32's offline will")
    assert m.t - killed <= 7.5, "the will within 1.5x keep-alive"
    _, s = observer.wait_state("raspberry", lambda s: not s["playing"], since=mark, timeout=5)
    assert s["reason"] == "peer offline" and s["peer"]["presence"] == "offline"
    assert "over_threshold" not in s["peer"], "going offline forgets the peer's last reading"

    # Overridden on, raspberry plays on without its peer; its melody steps forward.
    mark = observer.mark()
    observer.publish("commands/raspberry/play", "true")
    i, playing = observer.wait_state("raspberry", lambda s: s["playing"] and s["step"] >= 2, since=mark,
                                     what="raspberry at its third note")

    # esp32 comes back: raspberry restarts its melody from the first note.
    devices("esp32", "raspberry", broker.url, script=HOT, args=["--keepalive", "5"]).start()
    j, _ = observer.wait_for(lambda m: m.topic == "presence/esp32/status" and m.payload == b"online",
                             since=i, what="esp32 online again")
    _, s = observer.wait_state("raspberry", lambda s: s["peer"]["presence"] == "online", since=j,
                               what="raspberry seeing esp32 online")
    assert s["playing"] and s["mode"] == "override_on"
    assert s["step"] == 0, s
    assert s["since"] > playing["since"], (s, playing)
    observer.wait_state("raspberry", lambda s: s["step"] == 1, since=j, what="the melody going on from the start")


def test_keepalive_timeout_publishes_the_will_and_the_device_reconnects(devices, tmp):
    # SIGSTOP keeps the socket open: only the keep-alive (5 s, libmosquitto's minimum) can tell.
    with weirproc.Mosquitto() as m:
        obs = Observer(m.port)
        try:
            esp = devices("esp32", "raspberry", f"mqtt://127.0.0.1:{m.port}", script=COLD,
                          args=["--keepalive", "5"]).start()
            obs.wait_for(lambda x: x.topic == "presence/esp32/status" and x.payload == b"online",
                         what="esp32 online")
            mark = obs.mark()
            stopped = time.time()
            esp.signal(signal.SIGSTOP)
            _, will = obs.wait_for(lambda x: x.topic == "presence/esp32/status" and x.payload == b"offline",
                                   timeout=15, since=mark, what="the offline will")
            waited = will.t - stopped
            # MQTT asks for 1.5x keep-alive; Mosquitto 2.0 checks keep-alives coarsely and takes up
            # to about 2x (its own mosquitto_sub gets the same). Weir's broker should meet 1.5x.
            assert 5 * 0.9 <= waited <= 5 * 2.5, f"will after {waited:.1f}s"
            esp.signal(signal.SIGCONT)
            # The broker dropped it; it notices, backs off, reconnects and says online again.
            obs.wait_for(lambda x: x.topic == "presence/esp32/status" and x.payload == b"online",
                         timeout=15, since=mark, what="esp32 online again")
            assert esp.alive()
        finally:
            obs.close()


def test_reconnects_with_backoff_when_the_broker_comes_back(devices):
    first = FixedPortMosquitto()
    port = first.port
    with first:
        obs = Observer(port)
        esp = devices("esp32", "raspberry", f"mqtt://127.0.0.1:{port}", script=COLD,
                      args=["--max-backoff", "2"]).start()
        obs.wait_for(lambda x: x.topic == "presence/esp32/status" and x.payload == b"online", what="online")
        obs.close()
    esp.wait_log("connection lost", timeout=5)
    esp.wait_log("retrying in 0.5 s", timeout=5)
    esp.wait_log("retrying in 1.0 s", timeout=5)
    esp.wait_log("retrying in 2.0 s", timeout=8)
    assert "retrying in 4.0 s" not in esp.output(), "the delay is capped by --max-backoff"
    with FixedPortMosquitto(port):
        obs = Observer(port)
        try:
            mark = 0
            obs.wait_for(lambda x: x.topic == "presence/esp32/status" and x.payload == b"online",
                         timeout=6, since=mark, what="online on the restarted broker")
            readings(obs, "esp32", 2, timeout=5)
        finally:
            obs.close()
    assert esp.alive()


def test_sigterm_says_offline_and_exits_cleanly(broker, observer, devices):
    esp = devices("esp32", "raspberry", broker.url, script=COLD).start()
    observer.wait_for(lambda m: m.topic == "presence/esp32/status" and m.payload == b"online", what="online")
    esp.signal(signal.SIGTERM)
    assert esp.proc.wait(5) == 0
    late = Observer(broker.port)
    try:
        _, m = late.wait_for(lambda m: m.topic == "presence/esp32/status", 5, what="retained presence")
        assert m.payload == b"offline" and m.retain
    finally:
        late.close()
    assert "disconnected" in esp.output()


# ---- robustness -------------------------------------------------------------------------------

def test_malformed_sensor_json_never_crashes_the_agent(broker, observer, devices):
    esp = devices("esp32", "raspberry", broker.url, script=COLD).start()
    # The state report follows the device's subscriptions: from here on it hears sensors/raspberry.
    observer.wait_state("esp32", lambda s: True, what="esp32's first state report")
    bad = [
        b"", b"{", b"null", b"[1,2]", b"not json", b"\xff\xfe\x00\x01",
        b'{"temperature":"hot","humidity":1,"threshold":1,"over_threshold":true,"unit":"C"}',
        b'{"temperature":30,"humidity":40,"threshold":28,"unit":"C"}',
        b'{"temperature":30,"humidity":40,"threshold":28,"over_threshold":"yes","unit":"C"}',
        b'{"temperature":1e999,"humidity":40,"threshold":28,"over_threshold":true,"unit":"C"}',
        b'{"a":' + b"[" * 5000 + b"]" * 5000 + b"}",
        b'{"a":"' + b"x" * 70000 + b'"}',
        b'{"temperature":30,"humidity":40,"threshold":28,"over_threshold":true,"unit":"C"} trailing',
    ]
    for payload in bad:
        observer.publish("sensors/raspberry", payload, qos=0)
    observer.publish("presence/raspberry/status", b"sideways")
    observer.publish("presence/raspberry/status", b"\x00" * 100)
    esp.wait_log("malformed reading", timeout=5)
    deadline = time.time() + 5
    while esp.output().count("malformed reading") + esp.output().count("byte limit") < len(bad):
        assert time.time() < deadline, esp.output()[-3000:]
        time.sleep(0.05)
    assert esp.alive()
    assert not any(s.json()["playing"] for s in observer.on("devices/esp32/state"))

    # Still working: a good reading over threshold makes it play.
    mark = observer.mark()
    observer.publish("presence/raspberry/status", b"online", retain=True)
    observer.publish("sensors/raspberry",
                     json.dumps({"temperature": 31, "humidity": 40, "threshold": 28,
                                 "over_threshold": True, "unit": "C"}), qos=0)
    observer.wait_state("esp32", lambda s: s["playing"], since=mark, what="esp32 playing after a good reading")
    assert esp.alive()


def test_bad_command_lines_are_refused(tmp):
    def run(*args):
        p = subprocess.run([weirproc.DEVICE_BIN, *args], capture_output=True, text=True, timeout=10,
                           env={**os.environ, "ASAN_OPTIONS": "detect_leaks=0"})
        return p.returncode, p.stdout + p.stderr

    rc, out = run("--id", "esp32", "--peer", "esp32")
    assert rc != 0 and "own peer" in out
    rc, out = run("--id", "a/b", "--peer", "x")
    assert rc != 0 and "device ids" in out
    rc, out = run("--id", "a", "--peer", "b", "--broker", "ws://127.0.0.1:9001")
    assert rc != 0 and "WebSocket" in out
    rc, out = run("--id", "a", "--peer", "b", "--melody", "nope")
    assert rc != 0 and "unknown melody" in out
    script = os.path.join(tmp, "bad.script")
    with open(script, "w") as f:
        f.write("30 40\nwarm humid\n")
    rc, out = run("--id", "a", "--peer", "b", "--script", script)
    assert rc != 0 and "line 2" in out
    rc, out = run("--peer", "b")
    assert rc != 0 and "--id" in out
