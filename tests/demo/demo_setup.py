"""Shared set-up of the demo wire tests: Weir's demo configuration, weir-device processes
authenticated with the generated device credentials, and MQTT clients."""
import hashlib
import os
import shutil
import signal
import subprocess
import threading
import uuid

import paho.mqtt.client as mqtt

import weirproc
from mosquitto_proc import MosquittoProcess

DEMO_TYPES = {
    "DEVICE_TEMPERATURE": {"type": "float", "min": -40, "max": 125, "default": 0, "unit": "°C"},
    "HUMIDITY": {"type": "float", "min": 0, "max": 100, "default": 0, "unit": "%"},
    "BOOL": {"type": "enum", "values": ["TRUE", "FALSE"], "default": "FALSE"},
    "PRESENCE": {"type": "enum", "values": ["ONLINE", "OFFLINE", "UNKNOWN"], "default": "UNKNOWN"},
    "DEVICE_MODE": {"type": "enum", "values": ["AUTO", "OVERRIDE_ON", "OVERRIDE_OFF"], "default": "AUTO"},
    "BUZZER": {"type": "enum", "values": ["PLAYING", "SILENT"], "default": "SILENT"},
    "PLAY_CMD": {"type": "enum", "values": ["PLAY", "STOP", "RESUME"], "default": "RESUME"},
    "ON_OFF": {"default": "OFF", "type": "enum", "values": ["ON", "OFF", "TOGGLE"]},
    "MELODY_STEP": {"type": "int", "min": 0, "max": 1000, "default": 0},
    "DEVICE_TEXT": {"type": "string", "default": ""},
}


def device_driver(device):
    return {
        "name": device, "driver_class": "MqttDeviceDriver", "params": {"device": device, "demo_defaults": True},
        "datapoints": [
            {"name": "TEMPERATURE", "type": "DEVICE_TEMPERATURE"}, {"name": "HUMIDITY", "type": "HUMIDITY"},
            {"name": "THRESHOLD", "type": "DEVICE_TEMPERATURE"}, {"name": "OVER_THRESHOLD", "type": "BOOL"},
            {"name": "PRESENCE", "type": "PRESENCE"}, {"name": "MODE", "type": "DEVICE_MODE"},
            {"name": "BUZZER", "type": "BUZZER"}, {"name": "MELODY", "type": "DEVICE_TEXT"},
            {"name": "MELODY_STEP", "type": "MELODY_STEP"}, {"name": "MELODY_SINCE", "type": "DEVICE_TEXT"}],
        "command_datapoints": [{"name": "PLAY_CMD", "type": "PLAY_CMD"}],
    }


TASMOTA_DRIVER = {  # the Python platform's fixture, verbatim
    "name": "TasmotaRelayDriver", "driver_class": "MQTTTasmotaRelayDriver",
    "datapoints": [{"name": "RELAY_1_STATUS", "type": "ON_OFF"}, {"name": "RELAY_2_STATUS", "type": "ON_OFF"}],
    "command_datapoints": [{"name": "RELAY_1_CMD", "type": "ON_OFF"}, {"name": "RELAY_2_CMD", "type": "ON_OFF"}],
    "params": {"host": "127.0.0.1", "port": 1883, "client_id": "openscada-tasmota-xmas", "username": "scada",
               "password": "example-password", "device_topic": "xmas",
               "relay_mapping": {"RELAY_1": "POWER1", "RELAY_2": "POWER2"},
               "subscriptions": [{"topic": "stat/xmas/POWER+", "type": "status"},
                                 {"topic": "stat/xmas/RESULT", "type": "feedback"}],
               "publish": {"command": "cmnd/{device}/{power}"}},
}

TASMOTA_USER = "tasmota-xmas"
TASMOTA_PASSWORD = "Tasmota-sim-pass-7"


def demo_config(extra_drivers=()):
    return {
        "dp_types": DEMO_TYPES,
        "drivers": [device_driver("esp32"), device_driver("raspberry")] + list(extra_drivers),
        "modules": [{"name": "mqtt_broker", "config": {"allow_anonymous": False, "persistence": False}}],
    }


def tasmota_security():
    """A security config with only the simulated Tasmota's MQTT account (legacy SHA-256 hash);
    Weir adds the administrator and the demo devices' accounts."""
    return {"groups": [], "users": [], "mqtt": {"devices": [{
        "username": TASMOTA_USER, "password_hash": hashlib.sha256(TASMOTA_PASSWORD.encode()).hexdigest(),
        "publish": ["stat/xmas/#"], "subscribe": ["cmnd/xmas/#"]}]}}


def credentials(server):
    path = os.path.join(server.data_dir, "device-credentials.env")
    out = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                k, v = line.split("=", 1)
                out[k] = v
    return out


class Device:
    """One weir-device process, logging in with its generated password."""

    def __init__(self, tmp, server, id, peer, script=None, interval=0.3, keepalive=5):
        self.id, self.peer, self.server = id, peer, server
        self.args = ["--interval", str(interval), "--keepalive", str(keepalive)]
        if script is not None:
            path = os.path.join(tmp, f"{id}.script")
            with open(path, "w") as f:
                f.write(script)
            self.args += ["--script", path]
        self.log_path = os.path.join(tmp, f"{id}-{uuid.uuid4().hex[:6]}.log")
        self.proc = None

    def start(self):
        env = dict(os.environ)
        env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "detect_leaks=0")
        env["WEIR_DEVICE_PASSWORD"] = credentials(self.server)[self.id.upper() + "_PASSWORD"]
        self.log = open(self.log_path, "ab")
        cmd = [weirproc.DEVICE_BIN, "--id", self.id, "--peer", self.peer,
               "--broker", f"mqtt://127.0.0.1:{self.server.mqtt_port}", "--username", self.id] + self.args
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        return self

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        if self.alive():
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if getattr(self, "log", None) and not self.log.closed:
            self.log.close()

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(5)

    def output(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")


class Client:
    """A paho MQTT client that records what it receives."""

    def __init__(self, port, username, password, subscribe=(), client_id=None):
        self.msgs = []
        self.lock = threading.Lock()
        self.client = mqtt.Client(client_id=client_id or f"test-{uuid.uuid4().hex[:8]}", protocol=mqtt.MQTTv311)
        self.client.username_pw_set(username, password)
        connected = threading.Event()
        self.rc = None
        self.subscribed = threading.Event()
        self.pending_subs = len(subscribe)

        def on_connect(c, u, f, rc):
            self.rc = rc
            connected.set()
            for t in subscribe:
                c.subscribe(t, qos=1)

        def on_subscribe(c, u, mid, granted):
            self.pending_subs -= 1
            if self.pending_subs <= 0:
                self.subscribed.set()

        self.client.on_connect = on_connect
        self.client.on_subscribe = on_subscribe
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port, keepalive=30)
        self.client.loop_start()
        if not connected.wait(10) or self.rc != 0:
            self.client.loop_stop()
            self.client.disconnect()
            raise AssertionError(f"MQTT client not accepted (CONNACK {self.rc})")
        if subscribe:
            assert self.subscribed.wait(10), "no SUBACK"

    def _on_message(self, client, userdata, m):
        with self.lock:
            self.msgs.append((m.topic, bytes(m.payload)))

    def on(self, topic):
        with self.lock:
            return [p for t, p in self.msgs if t == topic]

    def publish(self, topic, payload, qos=1, retain=False):
        info = self.client.publish(topic, payload, qos=qos, retain=retain)
        info.wait_for_publish(5)
        return info

    def close(self):
        self.client.loop_stop()
        self.client.disconnect()


# ---- an external broker (SPEC §8: "Weir runs against an external broker instead") -------------

def external_demo_config(external, extra_drivers=()):
    """demo_config() with the mqtt_broker module pointed at an external broker: `external` is the
    module's "external" block (host, port, client_id, username, password_env, keepalive, tls, ...)."""
    config = demo_config(extra_drivers)
    config["modules"] = [{"name": "mqtt_broker", "config": {"external": dict(external)}}]
    return config


class AuthMosquitto(MosquittoProcess):
    """A real Mosquitto 2 on a free loopback port, with a password file and no anonymous access.
    stop() and start() again keep the same port (a broker restart). users: {name: password}."""

    def __init__(self, users):
        super().__init__("mosq-ext-test-")
        self.port = weirproc.free_port()
        self.users = dict(users)
        self.passwd = os.path.join(self.tmp, "passwd")
        passwd_bin = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"
        for i, (user, password) in enumerate(self.users.items()):
            flags = ["-b", "-c"] if i == 0 else ["-b"]
            subprocess.run([passwd_bin] + flags + [self.passwd, user, password], check=True, timeout=10,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.chmod(self.passwd, 0o644)
        self.write_config([
            "per_listener_settings false", "allow_anonymous false", f"password_file {self.passwd}",
            "persistence false", "connection_messages true", f"listener {self.port} 127.0.0.1"])


class ExternalDevice(Device):
    """A weir-device process pointed at an external broker (not Weir's), with the given password."""

    def __init__(self, tmp, broker_port, password, id, peer, script=None, interval=0.3, keepalive=5, max_backoff=1):
        super().__init__(tmp, None, id, peer, script=script, interval=interval, keepalive=keepalive)
        self.broker_port, self.password = broker_port, password
        self.args += ["--max-backoff", str(max_backoff)]

    def start(self):
        env = dict(os.environ)
        env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "detect_leaks=0")
        env["WEIR_DEVICE_PASSWORD"] = self.password
        self.log = open(self.log_path, "ab")
        cmd = [weirproc.DEVICE_BIN, "--id", self.id, "--peer", self.peer,
               "--broker", f"mqtt://127.0.0.1:{self.broker_port}", "--username", self.id] + self.args
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        return self


# ---- reading Weir's REST API in the demo tests ---------------------------------------------------

def device(http, id):
    status, body, _ = http.get(f"/api/devices/{id}")
    assert status == 200, body
    return body


def datapoint(http, id):
    status, body, _ = http.get(f"/api/datapoints/{id}")
    assert status == 200, body
    return body


def readings(http, id, limit=100):
    status, body, _ = http.get(f"/api/devices/{id}/readings?limit={limit}")
    assert status == 200, body
    return body["items"]
