"""REST: datapoints, commands, drivers, health, metrics, OpenAPI — and bad input that changes nothing."""
import socket
import time

import pytest

from weirproc import Http, WeirServer, tank_config, wait_until


@pytest.fixture(scope="module")
def server():
    cfg = tank_config(tick_ms=100, autostart=False)
    cfg["drivers"].append({"name": "Opc", "driver_class": "OPCUAServerDriver",
                           "datapoints": [{"name": "WaterTank@TANK", "type": "LEVEL"}]})
    with WeirServer(system_config=cfg) as w:
        yield w


@pytest.fixture()
def http(server):
    h = Http(server)
    h.login()
    return h


def test_health_is_public(server):
    status, body, _ = Http(server).get("/api/health")
    assert status == 200 and body["status"] == "ok"
    assert body["datapoints"] == 7 and body["drivers_total"] == 2


def test_datapoints_list_filter_and_get(http):
    status, body, headers = http.get("/api/datapoints")
    assert status == 200
    ids = {d["id"] for d in body["items"]}
    assert {"WaterTank@TANK", "WaterTank@PUMP", "WaterTank@PUMP_CMD"} <= ids
    assert headers.get("Cache-Control") == "no-store"
    status, body, _ = http.get("/api/datapoints?q=PUMP&command=false")
    assert [d["id"] for d in body["items"]] == ["WaterTank@PUMP"]
    status, body, _ = http.get("/api/datapoints/WaterTank@PUMP")
    assert status == 200
    assert body["value"] == "CLOSED" and body["type"] == "OPENED_CLOSED"
    assert body["quality"] in ("uncertain", "good")


def test_unknown_datapoint_is_404_with_error_shape(http):
    status, body, _ = http.get("/api/datapoints/WaterTank@NOPE")
    assert status == 404
    assert body["error"]["code"] == "unknown_datapoint"
    assert "WaterTank@NOPE" in body["error"]["message"]


def test_manual_write_validates_type_and_range(http):
    status, body, _ = http.post("/api/datapoints/WaterTank@TANK/value", {"value": 42})
    assert status == 200 and body["value"] == 42 and body["reason"] == "manual_override"
    status, body, _ = http.post("/api/datapoints/WaterTank@TANK/value", {"value": 120})
    assert status == 422 and body["error"]["code"] == "out_of_range"
    assert "outside LEVEL range [0, 100]" in body["error"]["message"]
    status, body, _ = http.post("/api/datapoints/WaterTank@PUMP/value", {"value": "OPEN"})
    assert status == 422 and body["error"]["code"] == "not_in_enum"
    status, body, _ = http.post("/api/datapoints/WaterTank@TANK/value", {"valu": 1})
    assert status == 400 and body["error"]["field"] == "value"
    # nothing changed by the refused writes
    status, body, _ = http.get("/api/datapoints/WaterTank@TANK")
    assert body["value"] == 42


def test_malformed_json_says_where(http):
    status, body, _ = http.request("POST", "/api/commands", raw=b'{"datapoint": "WaterTank@PUMP_CMD",, }',
                                   headers={"Content-Type": "application/json"})
    assert status == 400
    assert body["error"]["code"] == "invalid_json"
    assert "line 1, column" in body["error"]["message"]


def test_oversized_body_is_413_and_the_server_keeps_serving(server, http):
    big = b'{"value": "' + b"x" * (2 << 20) + b'"}'
    with socket.create_connection(("127.0.0.1", server.http_port), timeout=10) as s:
        s.sendall(b"POST /api/datapoints/WaterTank@TANK/value HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: " + str(len(big)).encode() + b"\r\n\r\n")
        try:
            s.sendall(big)
        except OSError:
            pass
        reply = s.recv(4096)
    assert b" 413 " in reply.split(b"\r\n")[0]
    assert http.get("/api/health")[0] == 200


def test_commands_feedback_and_state_mapping(http):
    status, body, _ = http.post("/api/commands", {"datapoint": "WaterTank@PUMP_CMD", "value": "OPEN"})
    assert status == 202
    assert body["status"] == "ok" and body["user"] == "admin"
    cid = body["command_id"]
    assert http.get("/api/datapoints/WaterTank@PUMP")[1]["value"] == "OPENED"
    status, body, _ = http.get("/api/commands/" + cid)
    assert status == 200 and body["status"] == "ok"
    status, body, _ = http.get("/api/commands")
    assert any(c["datapoint"] == "WaterTank@PUMP_CMD" for c in body["items"])
    status, body, _ = http.post("/api/commands", {"datapoint": "WaterTank@PUMP_CMD", "value": "OPENED"})
    assert status == 422 and body["error"]["code"] == "wrong_value"
    status, body, _ = http.post("/api/commands", {"datapoint": "WaterTank@PUMP", "value": "OPENED"})
    assert status == 422 and body["error"]["code"] == "not_a_command"


def test_simulation_runs_after_test_start(http):
    http.post("/api/commands", {"datapoint": "WaterTank@PUMP_CMD", "value": "OPEN"})
    http.post("/api/commands", {"datapoint": "WaterTank@DOOR_CMD", "value": "CLOSE"})
    http.post("/api/datapoints/WaterTank@TANK/value", {"value": 10})
    status, body, _ = http.post("/api/commands", {"datapoint": "WaterTank@TEST_CMD", "value": "START"})
    assert body["status"] == "ok"
    wait_until(lambda: http.get("/api/datapoints/WaterTank@TANK")[1]["value"] >= 13, timeout=10, message="tank filling")
    dp = http.get("/api/datapoints/WaterTank@TANK")[1]
    assert dp["reason"] == "simulated"


def test_drivers_connect_disconnect_toggle(http):
    status, body, _ = http.get("/api/drivers")
    by_name = {d["name"]: d for d in body["items"]}
    assert by_name["WaterTank"]["state"] == "online"
    assert by_name["Opc"]["available"] is False
    status, body, _ = http.post("/api/drivers/WaterTank/disconnect")
    assert status == 200 and body["state"] == "offline" and body["enabled"] is False
    dp = http.get("/api/datapoints/WaterTank@TANK")[1]
    assert dp["quality"] == "bad" and dp["reason"] == "not_connected"
    status, body, _ = http.post("/api/commands", {"datapoint": "WaterTank@PUMP_CMD", "value": "CLOSE"})
    assert body["status"] == "nok" and body["reason"] == "driver_offline"
    status, body, _ = http.post("/api/drivers/WaterTank/toggle")
    assert body["state"] == "online"
    assert http.post("/api/drivers/Nope/connect")[0] == 404
    assert http.post("/api/drivers/Opc/connect")[0] == 409


def test_metrics_in_prometheus_format(http):
    status, body, headers = http.get("/metrics")
    assert status == 200
    assert headers["Content-Type"].startswith("text/plain")
    assert "# TYPE weir_datapoint_updates_accepted_total counter" in body
    assert 'weir_driver_online{driver="WaterTank"}' in body
    assert 'weir_datapoint_updates_rejected_total{reason="out_of_range"}' in body


def test_openapi_documents_every_route_with_its_permission(http):
    status, doc, _ = http.get("/api/openapi.json")
    assert status == 200 and doc["openapi"] == "3.1.0"
    post = doc["paths"]["/api/commands"]["post"]
    assert post["x-weir-permission"] == "send_command"
    assert post["requestBody"]["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/CommandRequest"
    props = doc["components"]["schemas"]["DatapointDto"]["properties"]
    assert props["quality"]["enum"] == ["good", "uncertain", "bad"]
    assert doc["paths"]["/api/health"]["get"]["x-weir-permission"] == "public"


def test_security_headers_on_api_responses(http):
    _, _, headers = http.get("/api/datapoints/WaterTank@NOPE")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
