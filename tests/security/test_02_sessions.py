"""Login, cookie flags, /api/auth/me, logout revocation, expiry, throttling and lockout, the legacy
hash upgrade, the first-run administrator, and the audit trail."""
import json
import os
import re
import time

from secconf import OPERATOR_PASSWORD, VIEWER_PASSWORD, config
from weirproc import Http, WeirServer, tank_config


def test_login_sets_a_safe_cookie_and_me_tells_who():
    with WeirServer(system_config=tank_config(autostart=False), security_config=config()) as w:
        h = Http(w)
        body, headers = h.login("operator", OPERATOR_PASSWORD)
        cookie = headers["Set-Cookie"]
        assert cookie.startswith("weir_session=")
        for flag in ("HttpOnly", "SameSite=Strict", "Path=/"):
            assert flag in cookie
        assert "Secure" not in cookie  # plain HTTP on loopback; HTTPS adds it (see test_04)
        assert set(body["permissions"]) == {"view", "send_command"}
        # the cookie alone works too (browsers)
        c = Http(w)
        token = re.match(r"weir_session=([^;]+)", cookie).group(1)
        status, me, _ = c.get("/api/auth/me", headers={"Cookie": f"weir_session={token}"})
        assert status == 200 and me["user"] == "operator"
        # wrong app
        status, err, _ = Http(w).post("/api/auth/login", {"username": "operator", "password": OPERATOR_PASSWORD,
                                                           "app": "security_editor"})
        assert status == 403


def test_logout_revokes_the_token():
    with WeirServer(system_config=tank_config(autostart=False)) as w:
        h = Http(w)
        h.login()
        assert h.get("/api/datapoints")[0] == 200
        status, _, headers = h.post("/api/auth/logout")
        assert status == 200 and "Max-Age=0" in headers["Set-Cookie"]
        assert h.get("/api/datapoints")[0] == 401


def test_sessions_expire():
    with WeirServer(system_config=tank_config(autostart=False), args=["--session-lifetime", "10"]) as w:
        h = Http(w)
        h.login()
        assert h.get("/api/datapoints")[0] == 200
        time.sleep(11.5)
        status, body, _ = h.get("/api/datapoints")
        assert status == 401 and body["error"]["code"] == "session_expired"


def test_repeated_failures_lock_out_with_retry_after_and_are_audited():
    with WeirServer(system_config=tank_config(autostart=False), security_config=config()) as w:
        h = Http(w)
        statuses = []
        for _ in range(7):
            status, body, headers = h.post("/api/auth/login", {"username": "viewer", "password": "wrong-password-1"})
            statuses.append(status)
        assert statuses[0] == 401
        assert statuses[-1] == 429, statuses
        assert int(headers["Retry-After"]) > 0
        # even the right password is refused while locked
        status, _, _ = h.post("/api/auth/login", {"username": "viewer", "password": VIEWER_PASSWORD})
        assert status == 429
        admin = Http(w)
        admin.login()
        status, audit, _ = admin.get("/api/audit?user=viewer")
        actions = [r["action"] for r in audit["items"]]
        assert "login_failed" in actions and "lockout" in actions


def test_legacy_sha256_hash_is_replaced_by_argon2id_at_first_login():
    with WeirServer(system_config=tank_config(autostart=False), security_config=config(legacy=True)) as w:
        body, _ = Http(w).login("viewer", VIEWER_PASSWORD)
        assert body["password_change_required"] is True  # a legacy hash must be changed
        with open(os.path.join(w.config_dir, "security_config.json")) as f:
            saved = json.load(f)
        viewer = next(u for u in saved["users"] if u["username"] == "viewer")
        assert viewer["password_hash"].startswith("$argon2id$")
        Http(w).login("viewer", VIEWER_PASSWORD)  # and it still works


def test_first_run_creates_admin_with_a_printed_random_password():
    w = WeirServer(system_config=tank_config(autostart=False), env={"WEIR_ADMIN_PASSWORD": ""})
    w.env.pop("WEIR_ADMIN_PASSWORD", None)
    try:
        w.start()
        m = re.search(r"password: (\S+)", w.output())
        assert m, w.output()
        password = m.group(1)
        assert len(password) >= 16
        Http(w).login("admin", password)
        with open(os.path.join(w.config_dir, "security_config.json")) as f:
            text = f.read()
        assert password not in text and "$argon2id$" in text
        assert oct(os.stat(os.path.join(w.data_dir, "jwt_secret")).st_mode & 0o777) == "0o600"
        # a restart does not print it again
        w.restart()
        assert w.output().count("password: ") == 1
    finally:
        w.__exit__(None, None, None)


def test_control_actions_are_audited_with_user_and_result():
    with WeirServer(system_config=tank_config(autostart=False), security_config=config()) as w:
        op = Http(w)
        op.login("operator", OPERATOR_PASSWORD)
        assert op.post("/api/commands", {"datapoint": "WaterTank@PUMP_CMD", "value": "OPEN"})[0] == 202
        assert op.post("/api/drivers/WaterTank/disconnect")[0] == 403
        admin = Http(w)
        admin.login()
        assert admin.post("/api/drivers/WaterTank/disconnect")[0] == 200
        status, audit, _ = admin.get("/api/audit")
        rows = audit["items"]
        cmd = next(r for r in rows if r["action"] == "command")
        assert cmd["user"] == "operator" and cmd["target"] == "WaterTank@PUMP_CMD" and cmd["result"] == "success"
        assert cmd["address"] == "127.0.0.1"
        assert any(r["action"] == "access_denied" and r["user"] == "operator" for r in rows)
        assert any(r["action"] == "driver_control" and r["user"] == "admin" for r in rows)
        assert any(r["action"] == "login" and r["user"] == "operator" for r in rows)
