"""The config editor's save: validated on the server, written atomically, kept as a version and
hot-reloaded — a new datapoint is served at once while an open /ws feed and an MQTT connection
stay up; a refused file changes nothing (disk, memory, history); two editors saving from the same
version: the second gets 409 with the current version and the diff; no If-Match: 428."""
import json
import time

import websocket

from editconf import (DEVICE_PW, current, file_bytes, put_config, security_config, system_config,
                      with_datapoint)
from weirproc import Http, WeirServer

import paho_client  # noqa: E402  (tests/mqtt, on the path through editconf)


class Broker:
    host = "127.0.0.1"

    def __init__(self, server):
        self.port = server.mqtt_port
        self.ws_port = server.mqtt_ws_port


def test_save_applies_without_restart_and_keeps_connections():
    with WeirServer(system_config=system_config(), security_config=security_config()) as w:
        h = Http(w)
        h.login()
        assert h.get("/api/datapoints/WaterTank@FLOW")[0] == 404
        ws = websocket.create_connection(f"ws://127.0.0.1:{w.http_port}/ws", timeout=10,
                                         header=[f"Authorization: Bearer {h.token}"])
        ws.send(json.dumps({"type": "subscribe", "feeds": ["datapoint"]}))
        assert json.loads(ws.recv())["type"] == "subscribed"
        dev = paho_client.Client(Broker(w), client_id="esp32")
        dev.c.username_pw_set("esp32", DEVICE_PW)
        dev.connect()
        dev.subscribe("sensors/+")

        version, doc = current(h)
        status, body, headers = put_config(h, with_datapoint(doc), version)
        assert status == 200, body
        assert body["applied"] is True and body["previous_version"] == version
        assert body["version"] != version and headers["ETag"] == '"' + body["version"] + '"'
        assert {"section": "datapoints", "added": ["WaterTank@FLOW"], "removed": [], "changed": []} \
            in body["changes"]
        # served at once, no restart
        status, dp, _ = h.get("/api/datapoints/WaterTank@FLOW")
        assert status == 200, dp
        assert "WaterTank@FLOW" in [d["id"] for d in h.get("/api/datapoints")[1]["items"]]
        # the open feed still answers, and the MQTT connection still carries messages
        ws.send(json.dumps({"type": "ping"}))
        while (msg := json.loads(ws.recv()))["type"] != "pong":
            assert msg["type"] in ("snapshot", "update"), msg
        ws.close()
        assert not dev.disconnected.is_set()
        dev.publish("sensors/esp32", b"still here", qos=1)
        assert dev.get().payload == b"still here"
        dev.disconnect()
        # the file on disk is the saved document, and the history has both versions
        assert json.loads(file_bytes(w)) == with_datapoint(doc)
        _, versions, _ = h.get("/api/config/versions")
        assert versions["current"] == body["version"]
        assert [v["id"] for v in versions["items"][:2]] == [body["version"], version]
        assert versions["items"][0]["author"] == "admin" and versions["items"][0]["action"] == "save"


def test_refused_save_changes_nothing():
    with WeirServer(system_config=system_config(), security_config=security_config()) as w:
        h = Http(w)
        h.login()
        version, doc = current(h)
        before = file_bytes(w)
        _, history, _ = h.get("/api/config/versions")
        bad = with_datapoint(doc)
        bad["dp_types"]["LEVEL"]["type"] = "FLOT"
        bad["drivers"][0]["datapoints"][0]["name"] = ""
        status, body, _ = put_config(h, bad, version)
        assert status == 422, body
        assert body["applied"] is False and body["version"] == version
        paths = {i["path"] for i in body["issues"] if i["error"]}
        assert {"dp_types.LEVEL.type", "drivers[0].datapoints[0].name"} <= paths, body["issues"]
        assert body["error"]["code"] == "invalid_config" and body["error"]["field"] in paths
        # wrong types are refused with their path too
        status, body, _ = put_config(h, dict(doc, drivers=5), version)
        assert status == 422 and any(i["path"] == "drivers" for i in body["issues"]), body
        # not JSON at all: 400 with line and column
        status, body, _ = h.request("PUT", "/api/config", raw=b'{"dp_types": ',
                                    headers={"If-Match": version, "Content-Type": "application/json"})
        assert status == 400 and "line 1, column" in body["error"]["message"], body
        # nothing changed: the file, the running datapoints, the version and the history
        assert file_bytes(w) == before
        assert h.get("/api/datapoints/WaterTank@FLOW")[0] == 404
        assert current(h)[0] == version
        assert h.get("/api/config/versions")[1] == history
        # the refusal is audited with the user
        _, audit, _ = h.get("/api/audit?action=config_save")
        assert any(r["user"] == "admin" and r["result"] == "failure" for r in audit["items"]), audit


def test_concurrent_saves_conflict_and_missing_if_match():
    with WeirServer(system_config=system_config(), security_config=security_config()) as w:
        a, b = Http(w), Http(w)
        a.login()
        b.login()
        version, doc = current(a)
        assert current(b)[0] == version
        status, body, _ = put_config(a, doc, None)
        assert status == 428 and body["error"]["code"] == "if_match_required"
        assert body["version"] == version
        status, saved, _ = put_config(a, with_datapoint(doc, "FLOW"), version)
        assert status == 200, saved
        before = file_bytes(w)
        status, body, _ = put_config(b, with_datapoint(doc, "PRESSURE"), version)
        assert status == 409, body
        assert body["error"]["code"] == "version_conflict"
        assert body["version"] == saved["version"] and body["your_version"] == version
        # what the other editor changed since b's version, and what b would overwrite
        assert [c["path"] for c in body["diff"]["changes"]] == ["drivers[0].datapoints[4]"]
        assert body["diff"]["changes"][0]["op"] == "added"
        assert body["diff"]["changes"][0]["to"]["name"] == "FLOW"
        assert any(c["path"] == "drivers[0].datapoints[4].name" and c["to"] == "PRESSURE"
                   for c in body["proposed_diff"]["changes"]), body["proposed_diff"]
        assert file_bytes(w) == before
        assert b.get("/api/datapoints/WaterTank@PRESSURE")[0] == 404
