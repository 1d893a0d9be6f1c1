"""The security editor's API: get (no hashes), validate, save with hot reload, password change."""
from secconf import OPERATOR_PASSWORD, config
from weirproc import Http, WeirServer, tank_config


def test_get_validate_save_and_password():
    with WeirServer(system_config=tank_config(autostart=False), security_config=config()) as w:
        admin = Http(w)
        admin.login()
        status, cfg, _ = admin.get("/api/security/config")
        assert status == 200
        assert all(u["password_hash"] == "" for u in cfg["users"])
        bad = dict(cfg, users=cfg["users"] + [{"username": "x", "password_hash": "", "groups": ["nogroup"], "allowed_apps": []}])
        status, v, _ = admin.post("/api/security/config/validate", bad)
        assert status == 200 and v["valid"] is False and "nogroup" in v["error"]
        # give operators driver control, save, and the operator's next request has it
        op = Http(w)
        op.login("operator", OPERATOR_PASSWORD)
        assert op.post("/api/drivers/WaterTank/toggle")[0] == 403
        for g in cfg["groups"]:
            if g["name"] == "operators":
                g["permissions"].append("control_driver")
        status, saved, _ = admin.request("PUT", "/api/security/config", body=cfg, headers={"If-Match": "*"})
        assert status == 200, saved
        assert op.post("/api/drivers/WaterTank/toggle")[0] == 200
        # password rules, then a change ends the user's sessions
        status, err, _ = admin.post("/api/security/users/operator/password", {"password": "short"})
        assert status == 422
        assert admin.post("/api/security/users/operator/password", {"password": "Another-pass-34"})[0] == 200
        assert op.get("/api/datapoints")[0] == 401
        Http(w).login("operator", "Another-pass-34")
