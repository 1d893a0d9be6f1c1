"""Fixtures for the MQTT wire tests. Every test runs against `weir` by default, or against a real
Mosquitto 2 with WEIR_TEST_BROKER=mosquitto (the reference the tests were validated on).

  broker          a started broker shared by the module (use unique topics: the `topic` fixture)
  make_broker     factory for a broker with options (restart, persistence, limits)
  topic           a unique topic prefix for the test
"""
import os
import re
import subprocess
import sys
import tempfile
import threading
import uuid

import paho.mqtt.client as mqtt
import pytest

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))

import weirproc  # noqa: E402
from mosquitto_proc import MosquittoProcess  # noqa: E402

BROKER_KIND = os.environ.get("WEIR_TEST_BROKER", "weir")

# Test option -> (mosquitto.conf line, weir mqtt_broker config key). The weir keys are the
# fields of weir::mqtt::BrokerOptions (src/mqtt/broker/broker.hpp).
OPTION_NAMES = {
    "max_packet_size": ("max_packet_size {}", "max_packet_size"),
    "max_keepalive": ("max_keepalive {}", "max_keepalive"),
    "sys_interval": ("sys_interval {}", "sys_interval_s"),
    "max_inflight": ("max_inflight_messages {}", "max_inflight"),
    "max_queued": ("max_queued_messages {}", "max_queued_messages"),
    # Weir only (Mosquitto 2.0 has no such caps; the tests using them skip it):
    "max_retained_messages": ("# max_retained_messages {}", "max_retained_messages"),
    "max_retained_bytes": ("# max_retained_bytes {}", "max_retained_bytes"),
    "max_held_acks": ("# max_held_acks {}", "max_held_acks"),
}


class MosquittoBroker(MosquittoProcess):
    """Mosquitto 2 on free loopback ports (TCP + WebSocket), optional persistence and restart."""

    kind = "mosquitto"
    host = "127.0.0.1"

    def __init__(self, persistent=False, tls=None, **options):
        super().__init__("mosq-test-")
        self.port = weirproc.free_port()
        self.ws_port = weirproc.free_port()
        lines = [
            "per_listener_settings false", "allow_anonymous true",
            f"persistence {'true' if persistent else 'false'}",
            f"persistence_location {self.tmp}/", "autosave_interval 1",
            "max_queued_messages 1000",
        ]
        for k, v in options.items():
            lines.append(OPTION_NAMES[k][0].format(v))
        lines += [f"listener {self.port} 127.0.0.1",
                  f"listener {self.ws_port} 127.0.0.1", "protocol websockets"]
        self.tls_port = None
        if tls:
            self.tls_port = weirproc.free_port()
            lines += [f"listener {self.tls_port} 127.0.0.1", f"certfile {tls[0]}", f"keyfile {tls[1]}"]
        self.write_config(lines)

    def ports(self):
        return [self.port, self.ws_port] + ([self.tls_port] if self.tls_port else [])


# The harness default admin password contains "admin", which weir refuses.
ADMIN_PASSWORD = "Wire-tests-Pw-4821"
ANONYMOUS_ALL = {"groups": [], "users": [],
                 "mqtt": {"allow_anonymous": True, "anonymous": {"publish": ["#"], "subscribe": ["#"]}}}


def weir_broker(config, security_config=ANONYMOUS_ALL):
    """A weir (not started) running only the MQTT broker module with this config."""
    system_config = {"dp_types": {}, "drivers": [],
                     "modules": [{"name": "mqtt_broker", "config": config}]}
    return weirproc.WeirServer(system_config=system_config, security_config=security_config,
                               env={"WEIR_ADMIN_PASSWORD": ADMIN_PASSWORD})


def qos1_stream(server, topic, messages, window, name="stream"):
    """A paho publisher sends `messages` QoS 1 messages to a QoS 1 subscriber on `server`,
    keeping at most `window` unacknowledged; returns once every PUBACK came and the subscriber
    got them all."""
    got, all_in = [0], threading.Event()

    def on_message(client, userdata, msg):
        got[0] += 1
        if got[0] == messages:
            all_in.set()

    sub = mqtt.Client(client_id=f"{name}-sub", protocol=mqtt.MQTTv311)
    sub.on_message = on_message
    subscribed = threading.Event()
    sub.on_subscribe = lambda *a: subscribed.set()
    sub.connect("127.0.0.1", server.mqtt_port)
    sub.loop_start()
    sub.subscribe(f"{topic}/#", 1)
    assert subscribed.wait(10)
    free = threading.Semaphore(window)
    pub = mqtt.Client(client_id=f"{name}-pub", protocol=mqtt.MQTTv311)
    pub.on_publish = lambda client, userdata, mid: free.release()
    pub.max_inflight_messages_set(window)
    pub.connect("127.0.0.1", server.mqtt_port)
    pub.loop_start()
    try:
        for i in range(messages):
            assert free.acquire(timeout=20), "a PUBACK did not come"
            pub.publish(f"{topic}/m", str(i).encode(), qos=1)
        for _ in range(window):
            assert free.acquire(timeout=20), "a PUBACK did not come"
        assert all_in.wait(30), f"the subscriber got {got[0]} of {messages}"
    finally:
        pub.loop_stop()
        sub.loop_stop()
        pub.disconnect()
        sub.disconnect()


def weir_metrics(server, pattern):
    """{group 1: float(group 2)} for each line of weir's /metrics matching `pattern`."""
    h = weirproc.Http(server)
    h.login(password=ADMIN_PASSWORD)
    status, body, _ = h.get("/metrics")
    assert status == 200
    return {m.group(1): float(m.group(2)) for m in re.finditer(pattern, body, re.M)}


class WeirBroker:
    """The real `weir` binary, its embedded broker open to anonymous clients on every topic."""

    kind = "weir"
    host = "127.0.0.1"

    # Anonymous clients may use every topic: security_config.json decides it, as in production.
    SECURITY_CONFIG = {"groups": [], "users": [], "mqtt": {"allow_anonymous": True,
                                "anonymous": {"publish": ["#"], "subscribe": ["#", "$SYS/#"]}}}

    def __init__(self, persistent=False, tls=None, listeners=None, security_config=None, **options):
        config = {}
        self.tls_port = None
        if listeners:  # weir's MqttListenerOptions (src/mqtt/transport/listener_options.hpp)
            config["listeners"] = dict(listeners)
        if tls:
            self.tls_port = weirproc.free_port()
            config.setdefault("listeners", {}).update(
                {"tls_port": self.tls_port, "tls_cert_file": tls[0], "tls_key_file": tls[1]})
        if persistent:
            config["persistence"] = True
        for k, v in options.items():
            config[OPTION_NAMES[k][1]] = v
        self.server = weir_broker(config, security_config or self.SECURITY_CONFIG)
        self.port = self.server.mqtt_port
        self.ws_port = self.server.mqtt_ws_port
        self.http_port = self.server.http_port

    def start(self):
        self.server.start()
        weirproc.wait_port(self.port)
        if self.tls_port:
            weirproc.wait_port(self.tls_port)
        return self

    def stop(self):
        self.server.stop()

    def restart(self):
        self.server.restart()
        weirproc.wait_port(self.port)
        return self

    def alive(self):
        return self.server.proc.poll() is None

    def output(self):
        return self.server.output()

    def close(self):
        self.server.__exit__(None, None, None)


BENCH_FLAGS = {"max_packet_size": "--max-packet-size", "max_keepalive": "--max-keepalive",
               "sys_interval": "--sys-interval", "max_inflight": "--max-inflight", "max_queued": "--max-queued"}
BENCH_BIN = os.environ.get("WEIR_BENCH_SERVER",
                           os.path.join(weirproc.BUILD, "bench", "mqtt", "weir_mqtt_bench_server"))


class BenchBroker(MosquittoBroker):
    """weir_mqtt_bench_server: the broker core behind its listeners, without the rest of Weir
    (WEIR_TEST_BROKER=bench; tests the transport before the `weir` binary is assembled)."""

    kind = "weir"

    def __init__(self, persistent=False, tls=None, **options):
        self.tmp = tempfile.mkdtemp(prefix="weir-bench-test-")
        self.port = weirproc.free_port()
        self.ws_port = weirproc.free_port()
        self.log_path = os.path.join(self.tmp, "broker.log")
        self.cmd = [BENCH_BIN, "--port", str(self.port), "--ws-port", str(self.ws_port)]
        if persistent:
            self.cmd += ["--data-dir", os.path.join(self.tmp, "data")]
        for k, v in options.items():
            self.cmd += [BENCH_FLAGS[k], str(v)]
        self.tls_port = None
        if tls:
            self.tls_port = weirproc.free_port()
            self.cmd += ["--tls-port", str(self.tls_port), "--tls-cert", tls[0], "--tls-key", tls[1]]
        self.proc = None

    def start(self):
        env = dict(os.environ, ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "detect_leaks=0"))
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.cmd, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        weirproc.wait_port(self.port)
        weirproc.wait_port(self.ws_port)
        if self.tls_port:
            weirproc.wait_port(self.tls_port)
        return self

    def stop(self):
        super().stop()
        if getattr(self, "log", None):
            self.log.close()


def new_broker(**options):
    if BROKER_KIND == "mosquitto":
        return MosquittoBroker(**options)
    if BROKER_KIND == "bench":
        return BenchBroker(**options)
    if not os.path.exists(weirproc.WEIR_BIN):
        pytest.fail(f"weir binary not built: {weirproc.WEIR_BIN} (set WEIR_BUILD_DIR, or WEIR_TEST_BROKER=mosquitto)")
    return WeirBroker(**options)


@pytest.fixture(scope="module")
def broker():
    b = new_broker().start()
    yield b
    alive = b.alive()
    out = b.output()
    b.close()
    assert alive, f"broker died during the tests:\n{out[-4000:]}"


@pytest.fixture
def make_broker():
    made = []

    def make(**options):
        b = new_broker(**options).start()
        made.append(b)
        return b

    yield make
    for b in made:
        b.close()


@pytest.fixture
def topic(request):
    return f"t/{request.node.originalname[:40]}/{uuid.uuid4().hex[:8]}"
