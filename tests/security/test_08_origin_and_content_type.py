"""Cross-origin use of an operator's cookie (issue 15, item 8): a WebSocket upgrade carrying an
Origin other than the server's own is refused on /ws, on /mqtt over the HTTP port and on the MQTT
WebSocket listener (an upgrade without Origin — a non-browser client — and the same origin are
accepted; --allowed-origin adds one); a JSON body sent as text/plain or a form is refused (415),
so a page of another origin cannot POST it without a CORS preflight."""
import os
import subprocess
import sys

import pytest
import websocket

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "mqtt"))

import mqtt_raw  # noqa: E402
from weirproc import ADMIN_PASSWORD, Http, WeirServer, tank_config  # noqa: E402

EVIL = "http://evil.example"
ALLOWED = "https://hmi.plant.example"


@pytest.fixture(scope="module")
def server():
    with WeirServer(system_config=tank_config(autostart=False), args=["--allowed-origin", ALLOWED]) as w:
        yield w


@pytest.fixture(scope="module")
def token(server):
    h = Http(server)
    h.login()
    return h.token


def ws_open(url, origin=None, **kw):
    kw.setdefault("timeout", 10)
    if origin is not None:
        kw["origin"] = origin
    else:
        kw["suppress_origin"] = True
    return websocket.create_connection(url, **kw)


def test_live_feed_refuses_another_origin(server, token):
    url = f"ws://127.0.0.1:{server.http_port}/ws"
    auth = [f"Authorization: Bearer {token}", f"Cookie: weir_session={token}"]
    with pytest.raises(websocket.WebSocketBadStatusException) as e:
        ws_open(url, EVIL, header=auth)
    assert e.value.status_code == 403
    with pytest.raises(websocket.WebSocketBadStatusException) as e:  # a sibling port is another origin
        ws_open(url, f"http://127.0.0.1:{server.http_port + 1}", header=auth)
    assert e.value.status_code == 403
    for origin in (None, f"http://127.0.0.1:{server.http_port}", ALLOWED):
        ws_open(url, origin, header=auth).close()


def mqtt_over(url, origin):
    ws = ws_open(url, origin, subprotocols=["mqtt"])
    try:
        ws.send_binary(mqtt_raw.connect("origin-test"))
        data = ws.recv()
        return data[0] >> 4
    finally:
        ws.close()


def test_mqtt_over_the_http_port_refuses_another_origin(server):
    url = f"ws://127.0.0.1:{server.http_port}/mqtt"
    with pytest.raises(websocket.WebSocketBadStatusException) as e:
        mqtt_over(url, EVIL)
    assert e.value.status_code == 403
    assert mqtt_over(url, None) == mqtt_raw.CONNACK
    assert mqtt_over(url, ALLOWED) == mqtt_raw.CONNACK


def test_the_mqtt_websocket_listener_refuses_another_origin(server):
    url = f"ws://127.0.0.1:{server.mqtt_ws_port}/mqtt"
    with pytest.raises((websocket.WebSocketException, ConnectionError, OSError)):
        mqtt_over(url, EVIL)
    assert mqtt_over(url, None) == mqtt_raw.CONNACK
    assert mqtt_over(url, f"http://127.0.0.1:{server.mqtt_ws_port}") == mqtt_raw.CONNACK


def curl_post(server, path, data, content_type, token=None):
    cmd = ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", server.url(path),
           "-H", f"Content-Type: {content_type}", "--data-binary", data]
    if token:
        cmd += ["-H", f"Cookie: weir_session={token}"]
    return int(subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout)


def test_json_bodies_only_as_application_json(server, token):
    login = '{"username":"admin","password":"%s","app":"scada"}' % ADMIN_PASSWORD
    assert curl_post(server, "/api/auth/login", login, "text/plain") == 415
    assert curl_post(server, "/api/auth/login", login, "application/x-www-form-urlencoded") == 415
    command = '{"datapoint":"WaterTank@PUMP_CMD","value":"OPEN"}'
    assert curl_post(server, "/api/commands", command, "text/plain", token) == 415
    assert curl_post(server, "/api/auth/login", login, "application/json; charset=utf-8") == 200
    assert curl_post(server, "/api/commands", command, "application/json", token) == 202
