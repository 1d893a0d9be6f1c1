"""MQTT identity belongs to the connection (Security issue, items 1, 2, 5 and the MQTT half of 6).
Each test performs the attack against a real weir with real MQTT clients (paho, mosquitto_sub)
and asserts it is refused. The two demo-like devices `esp32` and `raspberry` may each publish
only their own sensor topic and read only their own commands."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "mqtt"))

import paho_client  # noqa: E402
from secconf import config, sha256  # noqa: E402
from weirproc import WEIR_BIN, Http, WeirServer  # noqa: E402

ESP_PW = "Esp32-device-pw-71"
PI_PW = "Raspberry-device-pw-72"
NOT_AUTHORIZED = 0x87
CLIENT_ID_NOT_VALID = 0x85


def security_config(**mqtt_extra):
    cfg = config()
    cfg["mqtt"] = {
        "devices": [
            {"username": "esp32", "password_hash": sha256(ESP_PW),
             "publish": ["sensors/%u"], "subscribe": ["commands/%u/#", "sensors/+"]},
            {"username": "raspberry", "password_hash": sha256(PI_PW),
             "publish": ["sensors/%u"], "subscribe": ["commands/%u/#", "sensors/+"]},
        ],
        **mqtt_extra,
    }
    return cfg


SYSTEM = {"dp_types": {}, "drivers": [],
          "modules": [{"name": "mqtt_broker", "config": {"persistence": False}}]}


class Broker:
    host = "127.0.0.1"

    def __init__(self, server):
        self.port = server.mqtt_port
        self.ws_port = server.mqtt_ws_port


def client(w, user, pw, client_id=None, **kw):
    c = paho_client.Client(Broker(w), client_id=client_id, **kw)
    if user is not None:
        c.c.username_pw_set(user, pw)
    return c


def reason(c):
    return c.connack[1].value if hasattr(c.connack[1], "value") else int(c.connack[1])


def test_a_will_on_another_clients_topic_is_refused_and_nothing_is_forged():
    with WeirServer(system_config=SYSTEM, security_config=security_config()) as w:
        esp = client(w, "esp32", ESP_PW, client_id="esp32")
        esp.connect()
        # raspberry borrows esp32's client id and leaves a retained will on esp32's topic
        rogue = client(w, "raspberry", PI_PW, client_id="esp32",
                       will={"topic": "sensors/esp32", "payload": b'{"temperature":99,"forged":true}',
                             "retain": True})
        rogue.connect(expect_success=False)
        assert reason(rogue) in (NOT_AUTHORIZED, CLIENT_ID_NOT_VALID)
        # Even on a fresh client id the will itself is refused at CONNECT.
        rogue2 = client(w, "raspberry", PI_PW, client_id="pi-will",
                        will={"topic": "sensors/esp32", "payload": b"forged", "retain": True})
        rogue2.connect(expect_success=False)
        assert reason(rogue2) == NOT_AUTHORIZED
        esp.disconnect()
        # Nothing retained on sensors/esp32.
        reader = client(w, "esp32", ESP_PW, client_id="esp32-reader")
        reader.connect()
        reader.subscribe("sensors/+")
        reader.expect_none(within=0.5)
        reader.disconnect()


def test_another_account_can_neither_resume_a_session_nor_kick_its_client():
    with WeirServer(system_config=SYSTEM, security_config=security_config()) as w:
        esp = client(w, "esp32", ESP_PW, client_id="x-sess", clean=False, session_expiry=3600)
        esp.connect()
        esp.subscribe("commands/esp32/play", qos=1)
        # While esp32 is connected, raspberry cannot take the id over (nor kick esp32 off)...
        rogue = client(w, "raspberry", PI_PW, client_id="x-sess", clean=False)
        rogue.connect(expect_success=False)
        assert reason(rogue) == CLIENT_ID_NOT_VALID
        assert not esp.disconnected.is_set()
        esp.drop()
        # ... and while it is away, cannot resume its session to read its commands.
        pub = subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(w.mqtt_port), "-q", "1",
                              "-u", "esp32", "-P", ESP_PW, "-i", "esp32-pub", "-t", "sensors/esp32",
                              "-m", "{}"], capture_output=True, timeout=10)
        assert pub.returncode == 0, pub.stderr
        rogue = client(w, "raspberry", PI_PW, client_id="x-sess", clean=False)
        rogue.connect(expect_success=False)
        assert reason(rogue) == CLIENT_ID_NOT_VALID
        # The owner gets its session back.
        back = client(w, "esp32", ESP_PW, client_id="x-sess", clean=False, session_expiry=3600)
        back.connect()
        assert back.session_present
        back.disconnect()


def test_anonymous_mqtt_is_decided_by_the_security_configuration_only():
    # The broker module's own switch is refused at load, with where and why.
    system = {"dp_types": {}, "drivers": [],
              "modules": [{"name": "mqtt_broker", "config": {"allow_anonymous": True, "persistence": False}}]}
    w = WeirServer(system_config=system, security_config=security_config())
    check = subprocess.run([WEIR_BIN, "--check-config", w.config_dir],
                           capture_output=True, text=True, timeout=30)
    assert check.returncode != 0
    assert "allow_anonymous" in check.stdout + check.stderr
    assert "security_config.json" in check.stdout + check.stderr

    # Without mqtt.allow_anonymous, anonymous clients are refused.
    with WeirServer(system_config=SYSTEM, security_config=security_config()) as w:
        anon = client(w, None, None)
        anon.connect(expect_success=False)
        assert reason(anon) == NOT_AUTHORIZED

    # With it, anonymous clients get exactly mqtt.anonymous's topics.
    cfg = security_config(allow_anonymous=True, anonymous={"publish": ["public/#"], "subscribe": ["public/#"]})
    with WeirServer(system_config=SYSTEM, security_config=cfg) as w:
        anon = client(w, None, None)
        anon.connect()
        assert anon.subscribe("public/#") == [0]
        assert anon.subscribe("sensors/+") == [NOT_AUTHORIZED]
        pub = subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(w.mqtt_port), "-V", "5", "-q", "1",
                              "-t", "sensors/esp32", "-m", "forged"], capture_output=True, text=True, timeout=10)
        assert pub.returncode != 0 or "not authorized" in (pub.stdout + pub.stderr).lower()
        anon.disconnect()


def test_a_security_change_reaches_open_mqtt_connections():
    with WeirServer(system_config=SYSTEM, security_config=security_config()) as w:
        admin = Http(w)
        admin.login()
        esp = client(w, "esp32", ESP_PW, client_id="esp32")
        esp.connect()
        pi = client(w, "raspberry", PI_PW, client_id="raspberry")
        pi.connect()
        pi.subscribe("sensors/+")
        # The administrator removes the esp32 device: its open connection ends at once.
        status, cfg, _ = admin.get("/api/security/config")
        assert status == 200
        cfg["mqtt"]["devices"] = [d for d in cfg["mqtt"]["devices"] if d["username"] != "esp32"]
        # raspberry keeps its connection but may no longer read other devices' sensors
        for d in cfg["mqtt"]["devices"]:
            if d["username"] == "raspberry":
                d["subscribe"] = ["commands/%u/#"]
        status, body, _ = admin.request("PUT", "/api/security/config", body=cfg, headers={"If-Match": "*"})
        assert status == 200, body
        assert esp.disconnected.wait(5), "the removed device is still connected"
        # 0x87 when the DISCONNECT is read before the socket closes; paho reports a lost
        # connection (7) otherwise.
        assert getattr(esp.disconnect_reason, "value", esp.disconnect_reason) in (NOT_AUTHORIZED, 7)
        assert not pi.disconnected.is_set()
        # Its subscription to sensors/+ ended with its right to it.
        pub = subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(w.mqtt_port), "-q", "1",
                              "-u", "raspberry", "-P", PI_PW, "-i", "pi-pub", "-t", "sensors/raspberry",
                              "-m", "x"], capture_output=True, timeout=10)
        assert pub.returncode == 0, pub.stderr
        pi.expect_none(within=0.5)
        # The device can no longer connect either.
        again = client(w, "esp32", ESP_PW, client_id="esp32")
        again.connect(expect_success=False)
        assert reason(again) in (0x86, NOT_AUTHORIZED)
        status, text, _ = admin.get("/metrics")
        assert status == 200
        assert "weir_mqtt_revoked_connections_total 1" in text


def test_an_account_cannot_pile_up_kept_sessions():
    # Item 9: persistent sessions per user are bounded; past the cap the account's session that
    # has been away longest ends (its owner's problem, nobody else's).
    system = {"dp_types": {}, "drivers": [],
              "modules": [{"name": "mqtt_broker",
                           "config": {"persistence": False, "max_kept_sessions_per_user": 2}}]}
    with WeirServer(system_config=system, security_config=security_config()) as w:
        for cid in ("k1", "k2", "k3"):
            c = client(w, "esp32", ESP_PW, client_id=cid, clean=False, session_expiry=3600)
            c.connect()
            c.disconnect()
        first = client(w, "esp32", ESP_PW, client_id="k1", clean=False, session_expiry=3600)
        first.connect()
        assert not first.session_present, "the oldest kept session should have ended"
        first.disconnect()
        last = client(w, "esp32", ESP_PW, client_id="k3", clean=False, session_expiry=3600)
        last.connect()
        assert last.session_present
        last.disconnect()
        admin = Http(w)
        admin.login()
        status, text, _ = admin.get("/metrics")
        assert status == 200
        assert "weir_mqtt_sessions_evicted_total" in text
