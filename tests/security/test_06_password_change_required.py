"""A password that must change (issue 15, item 4): Weir started on the Python platform's own
security_config.json (admin = SHA-256 of "admin") logs in admin/admin, and that session can do
nothing but change its password (and log out, read /api/auth/me) — enforced on the server for
every route and for /ws. The self-service change needs the current password; afterwards the new
session works everywhere, the old token is dead, and admin/admin is refused."""
import json
import os

import pytest
import websocket

from weirproc import FIXTURES, Http, WeirServer, tank_config

NEW_PASSWORD = "Migrated-Plant-42"


def python_security_config():
    with open(os.path.join(FIXTURES, "security_config.json")) as f:
        return json.load(f)


def test_admin_admin_from_a_migrated_file_can_only_change_its_password():
    with WeirServer(system_config=tank_config(autostart=False), security_config=python_security_config()) as w:
        h = Http(w)
        body, _ = h.login("admin", "admin")
        assert body["password_change_required"] is True
        old_token = h.token
        # nothing else works, whatever the permission
        for method, path, payload in [("GET", "/api/datapoints", None), ("GET", "/api/security/config", None),
                                      ("PUT", "/api/security/config", python_security_config()),
                                      ("POST", "/api/commands", {"datapoint": "WaterTank@PUMP_CMD", "value": "OPEN"}),
                                      ("GET", "/api/audit", None), ("POST", "/api/config/reload", None)]:
            status, err, _ = h.request(method, path, body=payload)
            assert status == 403, (method, path, status, err)
            assert err["error"]["code"] == "password_change_required"
        with pytest.raises(websocket.WebSocketBadStatusException) as e:
            websocket.create_connection(f"ws://127.0.0.1:{w.http_port}/ws", timeout=5,
                                        header=[f"Authorization: Bearer {old_token}"])
        assert e.value.status_code == 403
        status, me, _ = h.get("/api/auth/me")
        assert status == 200 and me["user"] == "admin"
        # the change itself: the current password is checked, the rules apply
        status, err, _ = h.post("/api/auth/password", {"current_password": "nope", "new_password": NEW_PASSWORD})
        assert status == 401, err
        status, err, _ = h.post("/api/auth/password", {"current_password": "admin", "new_password": "admin"})
        assert status == 422, err
        status, session, headers = h.post("/api/auth/password", {"current_password": "admin",
                                                                  "new_password": NEW_PASSWORD})
        assert status == 200, session
        assert session["password_change_required"] is False and "weir_session=" in headers["Set-Cookie"]
        # the old token is dead, the new one works everywhere
        assert Http(w, token=old_token).get("/api/auth/me")[0] == 401
        fresh = Http(w, token=session["token"])
        assert fresh.get("/api/datapoints")[0] == 200
        assert fresh.get("/api/security/config")[0] == 200
        websocket.create_connection(f"ws://127.0.0.1:{w.http_port}/ws", timeout=5,
                                    header=[f"Authorization: Bearer {session['token']}"]).close()
        assert Http(w).post("/api/auth/login", {"username": "admin", "password": "admin"})[0] == 401
        Http(w).login("admin", NEW_PASSWORD)
        with open(os.path.join(w.config_dir, "security_config.json")) as f:
            admin = json.load(f)["users"][0]
        assert admin["password_hash"].startswith("$argon2id$") and "password_change_required" not in admin


def test_the_requirement_survives_a_restart_after_the_upgrade():
    with WeirServer(system_config=tank_config(autostart=False), security_config=python_security_config()) as w:
        Http(w).login("admin", "admin")  # the legacy hash is upgraded here
        w.restart()
        h = Http(w)
        body, _ = h.login("admin", "admin")
        assert body["password_change_required"] is True
        assert h.get("/api/datapoints")[0] == 403
