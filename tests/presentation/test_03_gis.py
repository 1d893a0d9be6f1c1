"""The map on a real weir loading the Python platform's fixtures: its settings, every icon with the
image it shows now, and an icon switching over /ws when its datapoint changes."""
import json
import os
import shutil
import tempfile
import time

import pytest
import websocket

from weirproc import FIXTURES, Http, WeirServer


@pytest.fixture(scope="module")
def weir():
    d = tempfile.mkdtemp(prefix="weir-gis-")
    shutil.copy(os.path.join(FIXTURES, "system_config.json"), d)
    with WeirServer(config_dir=d) as w:
        yield w
    shutil.rmtree(d, ignore_errors=True)


def test_map_settings(weir):
    h = Http(weir)
    assert h.get("/api/gis/config")[0] == 401
    h.login()
    status, body, _ = h.get("/api/gis/config")
    assert status == 200
    assert body["latitude"] == pytest.approx(47.4189) and body["longitude"] == pytest.approx(8.2246)
    assert body["zoom"] == 13
    assert body["tile_url"] == "https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png"
    assert "OpenStreetMap" in body["attribution"]


def test_icons_and_their_state_change_over_the_live_feed(weir):
    h = Http(weir)
    h.login()
    status, body, _ = h.get("/api/gis/icons")
    assert status == 200
    ids = [i["id"] for i in body["items"]]
    assert ids[:3] == ["camera1", "camera2", "help"], ids
    help_icon = body["items"][2]
    assert help_icon["navigation_type"] == "popup" and help_icon["image"] == "/static/icons/help.png"

    ws = websocket.create_connection(f"ws://127.0.0.1:{weir.http_port}/ws", timeout=5,
                                     header=[f"Authorization: Bearer {h.token}"])
    try:
        ws.send(json.dumps({"type": "subscribe", "feeds": ["gis"]}))
        assert json.loads(ws.recv())["type"] == "subscribed"
        snap = json.loads(ws.recv())
        assert snap["type"] == "snapshot" and any(i["id"] == "camera1" for i in snap["items"])
        for position, image in (("LEFT", "/static/icons/camera_left.png"), ("RIGHT", "/static/icons/camera_right.png")):
            status, body, _ = h.post("/api/datapoints/CameraDriver@CAMERA_1_POSITION/value", {"value": position})
            assert status == 200, body
            deadline = time.time() + 5
            seen = None
            while time.time() < deadline and seen is None:
                msg = json.loads(ws.recv())
                for item in msg.get("items", []):
                    if item.get("id") == "camera1" and item["state"] == position:
                        seen = item
            assert seen is not None, f"camera1 never showed {position}"
            assert seen["image"] == image and seen["source"] == "datapoint"
    finally:
        ws.close()
