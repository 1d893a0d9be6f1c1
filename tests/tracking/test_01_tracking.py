"""Tracking on a real weir (modules[tracking].config.mode none | bus | file): the whole path of one
REST command by its correlation id, nothing recorded when off, JSON lines in file mode, and the
route refused without the view_audit permission."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "security"))
from secconf import VIEWER_PASSWORD, config  # noqa: E402
from weirproc import Http, WeirServer, tank_config, wait_until  # noqa: E402


def tracked(mode, **extra):
    return tank_config(modules=[{"name": "tracking", "config": dict({"mode": mode}, **extra)}])


def send_pump_open(h):
    status, body, _ = h.post("/api/commands", {"datapoint": "WaterTank@PUMP_CMD", "value": "OPEN"})
    assert status == 202, body
    return body["command_id"]


def test_the_whole_path_of_one_command_by_its_correlation_id():
    with WeirServer(system_config=tracked("bus"), security_config=config()) as w:
        h = Http(w)
        h.login()
        wait_until(lambda: h.get("/api/drivers")[1]["items"][0]["state"] == "online",
                   message="WaterTank online")
        cid = send_pump_open(h)

        def path():
            status, body, _ = h.get(f"/api/tracking?correlation={cid}")
            assert status == 200, body
            steps = [(e["source"], e["status"]) for e in body["items"]]
            return steps if ("api", "user_action") in steps else None

        steps = wait_until(path, message="the command's path")
        # REST (pending) → command → driver → the state it set → driver's answer → feedback
        assert steps[0] == ("command", "created"), steps
        assert steps[1] == ("driver:WaterTank", "received"), steps
        assert ("datapoint", "success") in steps, steps
        i_driver_ok = steps.index(("driver:WaterTank", "success"))
        i_command_ok = steps.index(("command", "success"))
        assert 1 < i_driver_ok < i_command_ok, steps
        _, body, _ = h.get(f"/api/tracking?correlation={cid}")
        summaries = [e["summary"] for e in body["items"]]
        assert "WaterTank@PUMP = OPENED (uncertain/simulated)" in summaries, summaries
        assert all(e["correlation_id"] == cid for e in body["items"])
        # Recent events, filtered by source, bounded by limit; a bad limit names the parameter.
        status, body, _ = h.get("/api/tracking?source=driver&limit=3")
        assert status == 200 and 0 < len(body["items"]) <= 3
        assert all(e["source"].startswith("driver") for e in body["items"])
        status, body, _ = h.get("/api/tracking?limit=100000")
        assert status == 400 and "limit" in json.dumps(body)
        # Metrics.
        status, text, _ = h.get("/metrics")
        assert "weir_tracking_events_total" in text


def test_the_route_needs_view_audit():
    with WeirServer(system_config=tracked("bus"), security_config=config()) as w:
        assert Http(w).get("/api/tracking")[0] == 401
        viewer = Http(w)
        viewer.login("viewer", VIEWER_PASSWORD)
        assert viewer.get("/api/tracking")[0] == 403


def test_mode_none_records_nothing():
    with WeirServer(system_config=tracked("none")) as w:
        h = Http(w)
        h.login()
        wait_until(lambda: h.get("/api/drivers")[1]["items"][0]["state"] == "online",
                   message="WaterTank online")
        send_pump_open(h)
        wait_until(lambda: h.get("/api/commands")[1]["items"][0]["status"] == "ok", message="ok")
        status, body, _ = h.get("/api/tracking")
        assert status == 200
        assert body == {"mode": "none", "recorded": 0, "items": []}


def test_file_mode_writes_json_lines():
    with WeirServer(system_config=tracked("file", file="trace/tracking.jsonl")) as w:
        h = Http(w)
        h.login()
        wait_until(lambda: h.get("/api/drivers")[1]["items"][0]["state"] == "online",
                   message="WaterTank online")
        cid = send_pump_open(h)
        path = os.path.join(w.data_dir, "trace", "tracking.jsonl")

        def lines():
            if not os.path.exists(path):
                return None
            with open(path) as f:
                rows = [json.loads(line) for line in f if line.strip()]
            mine = [r for r in rows if r["correlation_id"] == cid]
            return mine if any(r["source"] == "api" for r in mine) else None

        mine = wait_until(lines, message="the command's events in the file")
        assert mine[0]["status"] == "created"
        assert set(mine[0]) == {"event_id", "correlation_id", "source", "status", "kind", "time",
                                "summary"}
        status, text, _ = h.get("/metrics")
        assert "weir_tracking_file_lines_total" in text
