"""One throttle for every password check (issue 15, items 3 and 7), attacked with real clients:
concurrent HTTP logins cannot race past the lockout, MQTT CONNECT passwords (TCP and the MQTT
WebSocket listener) count in the same throttle as HTTP logins, a locked key refuses even the
right password (CONNACK 0x9F, 3.1.1: 3), a right password for a user without mqtt_connect gets
the same refusal as a wrong one (the audit log keeps the true reason), and a legacy SHA-256
device hash is upgraded to Argon2id through MQTT."""
import json
import os
import sys
import threading

import websocket

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "mqtt"))

import mqtt_raw  # noqa: E402
from secconf import VIEWER_PASSWORD, config, sha256  # noqa: E402
from weirproc import ADMIN_PASSWORD, Http, WeirServer, tank_config  # noqa: E402

MQTT_USER_PASSWORD = "Mqtt-user-pass-12"
DEVICE_PASSWORD = "Device-pass-1234"
BAD_CREDENTIALS_V5, RATE_EXCEEDED_V5 = 0x86, 0x9F
BAD_CREDENTIALS_V3, SERVER_UNAVAILABLE_V3 = 4, 3


def mqtt_config():
    c = config()
    c["groups"].append({"name": "mqtt_users", "permissions": ["view", "mqtt_connect"]})
    c["users"].append({"username": "mq", "password_hash": sha256(MQTT_USER_PASSWORD), "groups": ["mqtt_users"],
                       "allowed_apps": ["scada"]})
    c["mqtt"] = {"devices": [{"username": "dev1", "password_hash": sha256(DEVICE_PASSWORD),
                              "publish": ["sensors/%u"], "subscribe": []}],
                 "acl": [{"group": "mqtt_users", "subscribe": ["sensors/+"]}]}
    return c


def mqtt_connack(w, username, password, version=5):
    with mqtt_raw.RawClient(w.mqtt_port, version=version, timeout=15) as c:
        return c.connect(f"t-{username}", username=username, password=password).reason


def mqtt_ws_connack(w, username, password):
    ws = websocket.create_connection(f"ws://127.0.0.1:{w.mqtt_ws_port}/mqtt", subprotocols=["mqtt"], timeout=15)
    try:
        ws.send_binary(mqtt_raw.connect(f"ws-{username}", username=username, password=password))
        data = ws.recv()
        assert data[0] >> 4 == mqtt_raw.CONNACK, data
        return data[3]
    finally:
        ws.close()


def test_concurrent_wrong_logins_cannot_race_the_lockout():
    with WeirServer(system_config=tank_config(autostart=False)) as w:
        statuses = []
        lock = threading.Lock()
        start = threading.Barrier(60)

        def attempt():
            h = Http(w)
            start.wait()
            status, _, _ = h.post("/api/auth/login", {"username": "admin", "password": "Wrong-password-123"})
            with lock:
                statuses.append(status)

        threads = [threading.Thread(target=attempt) for _ in range(60)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert len(statuses) == 60
        assert statuses.count(401) <= 5, statuses  # the limit: 5 failures per username
        assert statuses.count(401) + statuses.count(429) == 60, statuses
        # locked now: the right password is refused too
        status, body, headers = Http(w).post("/api/auth/login", {"username": "admin", "password": ADMIN_PASSWORD})
        assert status == 429, body
        assert int(headers["Retry-After"]) > 1


def test_mqtt_passwords_share_the_throttle_with_http_on_every_listener():
    with WeirServer(system_config=tank_config(autostart=False), security_config=mqtt_config()) as w:
        # three wrong over TCP, two over the MQTT WebSocket listener: the fifth locks "mq"
        for _ in range(3):
            assert mqtt_connack(w, "mq", "wrong-password-1") == BAD_CREDENTIALS_V5
        for _ in range(2):
            assert mqtt_ws_connack(w, "mq", "wrong-password-1") == BAD_CREDENTIALS_V5
        assert mqtt_connack(w, "mq", MQTT_USER_PASSWORD) == RATE_EXCEEDED_V5
        assert mqtt_connack(w, "mq", MQTT_USER_PASSWORD, version=4) == SERVER_UNAVAILABLE_V3
        assert mqtt_ws_connack(w, "mq", MQTT_USER_PASSWORD) == RATE_EXCEEDED_V5
        # the HTTP login sees the same lock
        status, _, headers = Http(w).post("/api/auth/login", {"username": "mq", "password": MQTT_USER_PASSWORD})
        assert status == 429 and int(headers["Retry-After"]) > 1
        admin = Http(w)
        admin.login()
        _, audit, _ = admin.get("/api/audit?user=mq")
        assert any(r["action"] == "lockout" for r in audit["items"]), audit


def test_a_user_without_mqtt_connect_gets_the_same_refusal_as_a_wrong_password():
    with WeirServer(system_config=tank_config(autostart=False), security_config=mqtt_config()) as w:
        right_v5 = mqtt_connack(w, "viewer", VIEWER_PASSWORD)
        wrong_v5 = mqtt_connack(w, "viewer", "Wrong-pass-123")
        right_v3 = mqtt_connack(w, "viewer", VIEWER_PASSWORD, version=4)
        wrong_v3 = mqtt_connack(w, "viewer", "Wrong-pass-123", version=4)
        assert right_v5 == wrong_v5 == BAD_CREDENTIALS_V5
        assert right_v3 == wrong_v3 == BAD_CREDENTIALS_V3
        admin = Http(w)
        admin.login()
        _, audit, _ = admin.get("/api/audit?user=viewer&action=mqtt_auth_failed")
        details = [r["detail"] for r in audit["items"]]
        assert any("mqtt_connect" in d for d in details), details  # the true reason is kept
        assert any("bad username or password" in d for d in details), details


def test_a_legacy_device_hash_is_upgraded_through_mqtt():
    with WeirServer(system_config=tank_config(autostart=False), security_config=mqtt_config()) as w:
        assert mqtt_connack(w, "dev1", DEVICE_PASSWORD) == 0
        with open(os.path.join(w.config_dir, "security_config.json")) as f:
            saved = json.load(f)
        dev = next(d for d in saved["mqtt"]["devices"] if d["username"] == "dev1")
        assert dev["password_hash"].startswith("$argon2id$"), dev
        assert mqtt_connack(w, "dev1", DEVICE_PASSWORD) == 0  # and it still works
        assert mqtt_connack(w, "dev1", "Wrong-pass-123") == BAD_CREDENTIALS_V5
