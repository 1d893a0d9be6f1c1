"""Configuration reload without restart: a good file is applied (values carried over), a bad one
is refused with its errors and the running configuration stays."""
import json
import os

from weirproc import Http, WeirServer, tank_config


def write(server, cfg):
    with open(os.path.join(server.config_dir, "system_config.json"), "w") as f:
        f.write(cfg if isinstance(cfg, str) else json.dumps(cfg))


def test_reload_applies_good_and_refuses_bad():
    cfg = tank_config(autostart=False)
    with WeirServer(system_config=cfg) as w:
        h = Http(w)
        h.login()
        assert h.post("/api/datapoints/WaterTank@TANK/value", {"value": 33})[0] == 200
        # A bad file: refused, everything keeps running as it was.
        write(w, '{"dp_types": {"LEVEL": {"type": "FLOT"}}}')
        status, body, _ = h.post("/api/config/reload")
        assert status == 422 and body["applied"] is False
        assert any(i["path"] == "dp_types.LEVEL.type" and "FLOT" in i["message"] for i in body["issues"])
        assert h.get("/api/datapoints/WaterTank@TANK")[1]["value"] == 33
        # A good file with a second tank: applied, and the old tank's value is carried over.
        cfg2 = tank_config(autostart=False)
        second = json.loads(json.dumps(cfg2["drivers"][0]))
        second["name"] = "Tank2"
        cfg2["drivers"].append(second)
        write(w, cfg2)
        status, body, _ = h.post("/api/config/reload")
        assert status == 200 and body["applied"] is True
        assert h.get("/api/datapoints/Tank2@TANK")[0] == 200
        assert h.get("/api/datapoints/WaterTank@TANK")[1]["value"] == 33
