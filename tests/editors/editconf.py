"""Helpers for the editor wire tests: a tank configuration with a broker and a device account,
and small wrappers for the versioned routes (GET gives the version; saves send it as If-Match)."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "security"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "mqtt"))

from secconf import config as base_security_config, sha256  # noqa: E402
from weirproc import tank_config  # noqa: E402

DEVICE_PW = "Esp32-device-pw-71"


def system_config():
    cfg = tank_config(autostart=False)
    cfg["modules"] = [{"name": "mqtt_broker", "config": {"persistence": False}}, {"name": "rule"},
                      {"name": "alarm"}]
    return cfg


def security_config():
    cfg = base_security_config()
    cfg["mqtt"] = {"devices": [{"username": "esp32", "password_hash": sha256(DEVICE_PW),
                                "publish": ["sensors/%u"], "subscribe": ["sensors/+"]}]}
    return cfg


def with_datapoint(cfg, name="FLOW", type_="LEVEL"):
    out = json.loads(json.dumps(cfg))
    out["drivers"][0]["datapoints"].append({"name": name, "type": type_})
    return out


def current(h):
    status, body, headers = h.get("/api/config")
    assert status == 200, body
    assert headers["ETag"] == '"' + body["version"] + '"'
    return body["version"], body["document"]


def put_config(h, doc, version):
    headers = {} if version is None else {"If-Match": '"' + version + '"'}
    return h.request("PUT", "/api/config", body=doc, headers=headers)


def file_bytes(server, name="system_config.json"):
    with open(os.path.join(server.config_dir, name), "rb") as f:
        return f.read()
