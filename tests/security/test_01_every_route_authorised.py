"""Walks every route of /api/openapi.json: 401 without a session, 403 with a session lacking the
route's permission. No route may be open by accident."""
import re

import pytest

from secconf import VIEWER_PASSWORD, config
from weirproc import Http, WeirServer, tank_config

PUBLIC = {("post", "/api/auth/login"), ("post", "/api/auth/logout"), ("get", "/api/health"),
          ("get", "/api/openapi.json"), ("get", "/mqtt/asyncapi.json")}


@pytest.fixture(scope="module")
def server():
    with WeirServer(system_config=tank_config(autostart=False), security_config=config()) as w:
        yield w


def concrete(path):
    return re.sub(r"\{[^}]+\}", "x", path)


def test_every_route_needs_a_session_and_its_permission(server):
    anon = Http(server)
    _, doc, _ = anon.get("/api/openapi.json")
    viewer = Http(server)
    viewer.login("viewer", VIEWER_PASSWORD)
    checked = 0
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            perm = op["x-weir-permission"]
            if (method, path) in PUBLIC:
                assert perm == "public", (method, path)
                continue
            assert perm != "public", f"{method} {path} is documented as public"
            status, body, _ = anon.request(method.upper(), concrete(path), body={} if method != "get" else None)
            assert status == 401, (method, path, status, body)
            assert body["error"]["code"] in ("unauthorized", "invalid_token")
            if perm not in ("view", "session"):
                status, body, _ = viewer.request(method.upper(), concrete(path), body={} if method != "get" else None)
                assert status == 403, (method, path, status, body)
                assert perm in body["error"]["message"]
            checked += 1
    assert checked >= 15


def test_live_feed_upgrade_needs_a_session(server):
    import websocket
    with pytest.raises(websocket.WebSocketBadStatusException) as e:
        websocket.create_connection(f"ws://127.0.0.1:{server.http_port}/ws", timeout=5)
    assert e.value.status_code == 401


def test_a_bad_token_is_refused(server):
    h = Http(server, token="eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.")
    status, body, _ = h.get("/api/datapoints")
    assert status == 401
