"""The security editor's server side: versioned saves (428 / 409), history with masked hashes,
revert; users created, disabled and given a new password (forced change at the next login; the
user's sessions, /ws sockets and MQTT connections end at once); the last user able to edit
security can be neither removed nor disabled; the catalogue and the topic checker; bad input
refused with its path and nothing written."""
import json
import os

import websocket

from editconf import file_bytes, system_config
from secconf import OPERATOR_PASSWORD, VIEWER_PASSWORD, config
from weirproc import Http, WeirServer

import paho_client  # noqa: E402  (tests/mqtt, on the path through editconf)

SEC = "security_config.json"


class Broker:
    host = "127.0.0.1"

    def __init__(self, server):
        self.port = server.mqtt_port
        self.ws_port = server.mqtt_ws_port


def mqtt_security_config():
    cfg = config()
    next(g for g in cfg["groups"] if g["name"] == "operators")["permissions"].append("mqtt_connect")
    cfg["mqtt"] = {"acl": [{"group": "operators", "publish": ["ops/%u"], "subscribe": ["ops/#"],
                            "deny_subscribe": ["ops/secret"]}]}
    return cfg


def get_security(h):
    status, cfg, headers = h.get("/api/security/config")
    assert status == 200, cfg
    return headers["ETag"].strip('"'), cfg


def test_reset_password_ends_sessions_sockets_and_mqtt_and_forces_a_change():
    with WeirServer(system_config=system_config(), security_config=mqtt_security_config()) as w:
        admin = Http(w)
        admin.login()
        op = Http(w)
        op.login("operator", OPERATOR_PASSWORD)
        ws = websocket.create_connection(f"ws://127.0.0.1:{w.http_port}/ws", timeout=10,
                                         header=[f"Authorization: Bearer {op.token}"])
        mq = paho_client.Client(Broker(w), client_id="op-1")
        mq.c.username_pw_set("operator", OPERATOR_PASSWORD)
        mq.connect()
        # weak passwords and bad bodies are refused first, nothing changes
        before = file_bytes(w, SEC)
        for body, status_, field in [({"password": "short"}, 422, "password"), ({"password": 5}, 400, "password"),
                                     ({"password": "Another-pass-34", "x": 1}, 400, "x"), ({}, 400, "password")]:
            status, err, _ = admin.post("/api/security/users/operator/reset-password", body)
            assert status == status_ and field in (err["error"].get("field", "") + err["error"]["message"]), err
        assert admin.post("/api/security/users/nobody/reset-password", {"password": "Another-pass-34"})[0] == 404
        assert file_bytes(w, SEC) == before
        assert op.get("/api/datapoints")[0] == 200

        status, saved, headers = admin.post("/api/security/users/operator/reset-password",
                                            {"password": "Another-pass-34"})
        assert status == 200, saved
        assert headers["ETag"] == '"' + saved["version"] + '"'
        # the session, the socket and the MQTT connection end at once
        assert op.get("/api/datapoints")[0] == 401
        ws.settimeout(5)
        closed = False
        try:
            while True:
                op_, data = ws.recv_data(control_frame=True)
                if op_ == websocket.ABNF.OPCODE_CLOSE:
                    closed = int.from_bytes(data[:2], "big") == 1008
                    break
        except websocket.WebSocketConnectionClosedException:
            closed = True
        assert closed
        assert mq.disconnected.wait(5), "the operator's MQTT connection is still up"
        # the old password no longer works; the new one must be changed at once
        assert Http(w).post("/api/auth/login", {"username": "operator", "password": OPERATOR_PASSWORD})[0] == 401
        fresh = Http(w)
        me, _ = fresh.login("operator", "Another-pass-34")
        assert me["password_change_required"] is True
        assert fresh.get("/api/datapoints")[0] == 403
        users = {u["username"]: u for u in admin.get("/api/security/users")[1]["items"]}
        assert users["operator"]["password_change_required"] is True
        _, audit, _ = admin.get("/api/audit?action=security_save")
        assert any(r["user"] == "admin" and "reset_password" in r["detail"] for r in audit["items"]), audit


def test_create_disable_and_the_last_security_editor():
    with WeirServer(system_config=system_config(), security_config=config()) as w:
        admin = Http(w)
        admin.login()
        version, cfg = get_security(admin)
        admin_group = next(u for u in cfg["users"] if u["username"] == "admin")["groups"][0]
        before = file_bytes(w, SEC)
        # the only security editor: neither disabled nor removed nor stripped of the app
        status, err, _ = admin.post("/api/security/users/admin/disable")
        assert status == 422 and err["error"]["code"] == "last_security_editor", err
        removed = dict(cfg, users=[u for u in cfg["users"] if u["username"] != "admin"])
        status, err, _ = admin.request("PUT", "/api/security/config", body=removed, headers={"If-Match": version})
        assert status == 422 and err["error"]["code"] == "last_security_editor", err
        stripped = json.loads(json.dumps(cfg))
        next(u for u in stripped["users"] if u["username"] == "admin")["allowed_apps"] = ["scada"]
        status, err, _ = admin.request("PUT", "/api/security/config", body=stripped, headers={"If-Match": version})
        assert status == 422 and err["error"]["code"] == "last_security_editor", err
        assert file_bytes(w, SEC) == before
        assert admin.get("/api/auth/me")[0] == 200
        # bad bodies for create: each with its path, nothing written
        for body, status_, field in [({"username": 5, "password": "Sec-editor-pw-77"}, 400, "username"),
                                     ({"username": "x", "password": "Sec-editor-pw-77", "groups": "a"}, 400, "groups"),
                                     ({"username": "x", "password": "Sec-editor-pw-77", "admin": True}, 400, "admin"),
                                     ({"password": "Sec-editor-pw-77"}, 400, "username"),
                                     ({"username": "x", "password": "weak"}, 422, "password"),
                                     ({"username": "x", "password": "Sec-editor-pw-77", "groups": ["nogroup"]}, 422, "groups"),
                                     ({"username": "viewer", "password": "Sec-editor-pw-77"}, 409, "username")]:
            status, err, _ = admin.post("/api/security/users", body)
            assert status == status_, (body, status, err)
            assert field in err["error"].get("field", "") + err["error"]["message"], (body, err)
        assert file_bytes(w, SEC) == before
        # a second security editor: then the first may be disabled
        status, created, _ = admin.post("/api/security/users", {
            "username": "sec2", "password": "Sec-editor-pw-77", "groups": [admin_group],
            "allowed_apps": ["security_editor"], "password_change_required": False})
        assert status == 201, created
        assert "sec2" in [u["username"] for u in created["config"]["users"]]
        sec2 = Http(w)
        sec2.login("sec2", "Sec-editor-pw-77", app="security_editor")
        status, body, _ = sec2.post("/api/security/users/admin/disable")
        assert status == 200, body
        assert admin.get("/api/auth/me")[0] == 401
        assert Http(w).post("/api/auth/login", {"username": "admin", "password": "Correct-Horse-42-battery"})[0] == 401
        users = {u["username"]: u for u in sec2.get("/api/security/users")[1]["items"]}
        assert users["admin"]["disabled"] is True and users["sec2"]["may_edit_security"] is True
        # and now sec2 is the last one
        status, err, _ = sec2.post("/api/security/users/sec2/disable")
        assert status == 422 and err["error"]["code"] == "last_security_editor"


def test_versions_conflict_diff_and_revert():
    with WeirServer(system_config=system_config(), security_config=config()) as w:
        a, b = Http(w), Http(w)
        a.login()
        b.login()
        v1, cfg = get_security(a)
        status, err, _ = a.request("PUT", "/api/security/config", body=cfg)
        assert status == 428 and err["version"] == v1
        viewers = json.loads(json.dumps(cfg))
        next(g for g in viewers["groups"] if g["name"] == "viewers")["permissions"].append("ack_alarm")
        status, saved, _ = a.request("PUT", "/api/security/config", body=viewers, headers={"If-Match": v1})
        assert status == 200, saved
        v2 = saved["version"]
        assert saved["previous_version"] == v1
        before = file_bytes(w, SEC)
        status, err, _ = b.request("PUT", "/api/security/config", body=cfg, headers={"If-Match": v1})
        assert status == 409 and err["version"] == v2, err
        assert any(c["path"].startswith("groups[") and c["to"] == "ack_alarm" for c in err["diff"]["changes"]), err
        assert file_bytes(w, SEC) == before
        # history: hashes never shown, only whether they changed
        _, versions, _ = a.get("/api/security/config/versions")
        assert versions["current"] == v2 and versions["items"][0]["author"] == "admin"
        _, one, _ = a.get(f"/api/security/config/versions/{v1}")
        hashes = [u["password_hash"] for u in one["document"]["users"]]
        assert hashes and all(h.startswith("(set ") for h in hashes), hashes
        assert "argon2" not in json.dumps(one)
        status, diff, _ = a.get(f"/api/security/config/diff?from={v1}&to={v2}")
        assert status == 200 and [c["op"] for c in diff["diff"]["changes"]] == ["added"], diff
        # reset a password, then revert: the hash of the old version comes back
        assert a.post("/api/security/users/viewer/reset-password", {"password": "Glass-Window-88"})[0] == 200
        v3 = get_security(a)[0]
        assert a.post(f"/api/security/config/versions/{v2}/revert", headers={"If-Match": v2})[0] == 409
        status, reverted, _ = a.post(f"/api/security/config/versions/{v2}/revert", headers={"If-Match": v3})
        assert status == 200, reverted
        assert reverted["version"] == v2
        body, _ = Http(w).login("viewer", VIEWER_PASSWORD)
        assert "ack_alarm" in body["permissions"]
        assert a.get("/api/security/config/versions/0000000000000000")[0] == 404


def test_catalogue_and_topic_checker():
    with WeirServer(system_config=system_config(), security_config=mqtt_security_config()) as w:
        h = Http(w)
        h.login()
        status, cat, _ = h.get("/api/security/catalogue")
        assert status == 200
        perms = {p["name"]: p for p in cat["permissions"]}
        assert "edit_security" in perms and perms["send_command"]["description"]
        assert [a["name"] for a in cat["apps"]] == ["scada", "config_editor", "security_editor"]
        status, r, _ = h.post("/api/security/check-topic", {"topic": "ops/operator"})
        assert status == 200, r
        by = {(i["kind"], i["name"]): i for i in r["items"]}
        assert by[("user", "operator")] == {"kind": "user", "name": "operator", "connect": True,
                                            "publish": True, "subscribe": True}
        assert by[("user", "viewer")]["connect"] is False
        assert by[("anonymous", "")]["connect"] is False
        _, r, _ = h.post("/api/security/check-topic", {"topic": "ops/secret", "username": "operator"})
        assert r["items"] == [{"kind": "user", "name": "operator", "connect": True, "publish": False,
                               "subscribe": False}]
        _, r, _ = h.post("/api/security/check-topic", {"topic": "ops/#", "username": "operator"})
        assert r["items"][0]["subscribe"] is True and r["items"][0]["publish"] is False
        for body, status_, field in [({"topic": 5}, 400, "topic"), ({"topic": ""}, 400, "topic"),
                                     ({"topic": "a", "user": "x"}, 400, "user"), ({}, 400, "topic"),
                                     ({"topic": "a", "username": "nobody"}, 404, "username"),
                                     ({"topic": "a", "device": "nodevice"}, 404, "device")]:
            status, err, _ = h.post("/api/security/check-topic", body)
            assert status == status_, (body, status, err)
            assert field in err["error"].get("field", "") + err["error"]["message"], (body, err)
