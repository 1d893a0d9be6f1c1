"""Animations on a real weir loading the Python platform's fixtures: the tank level's fill_level
moves y/height over /ws (feed animation), a driver going offline turns its driver_connection
indicator red, an alarm on camera_1_alarm switches camera1's map icon (feed gis), the icon set and
the offline base layer are served by weir, and an unknown animation is a load warning naming the
file and the element."""
import json
import os
import shutil
import tempfile
import time

import pytest
import websocket

from weirproc import FIXTURES, ROOT, Http, WeirServer

BAD = """<svg xmlns="http://www.w3.org/2000/svg">
  <rect id="mystery" data-datapoint="WaterTank@TANK" data-animation="no_such_animation"/>
</svg>
"""


@pytest.fixture(scope="module")
def weir():
    d = tempfile.mkdtemp(prefix="weir-anim-")
    shutil.copy(os.path.join(FIXTURES, "system_config.json"), d)
    shutil.copytree(os.path.join(FIXTURES, "svg"), os.path.join(d, "svg"))
    with open(os.path.join(d, "svg", "9.bad.svg"), "w") as f:
        f.write(BAD)
    with WeirServer(config_dir=d) as w:
        yield w
    shutil.rmtree(d, ignore_errors=True)


def feed(weir, h, name):
    ws = websocket.create_connection(f"ws://127.0.0.1:{weir.http_port}/ws", timeout=5,
                                     header=[f"Authorization: Bearer {h.token}"])
    ws.send(json.dumps({"type": "subscribe", "feeds": [name]}))
    assert json.loads(ws.recv())["type"] == "subscribed"
    snap = json.loads(ws.recv())
    assert snap["type"] == "snapshot" and snap["feed"] == name
    return ws, snap["items"]


def wait_item(ws, match, what, timeout=5.0):
    """Reads updates until an item satisfies match; returns it."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        ws.settimeout(max(0.05, deadline - time.time()))
        try:
            msg = json.loads(ws.recv())
        except websocket.WebSocketTimeoutException:
            break
        for item in msg.get("items", []):
            if item and match(item):
                return item
    pytest.fail(f"never saw {what}")


def test_tank_level_moves_fill_level_y_and_height(weir):
    h = Http(weir)
    h.login()
    ws, items = feed(weir, h, "animation")
    try:
        fill = [i for i in items if i["svg"] == "1.tank.svg" and i["element"] == "tank_fill"]
        assert len(fill) == 1, items[:5]
        assert set(fill[0]["attr"]) == {"y", "height"}
        for level in (50, 25):
            status, body, _ = h.post("/api/datapoints/WaterTank@TANK/value", {"value": level})
            assert status == 200, body
            item = wait_item(ws, lambda i: i["element"] == "tank_fill"
                             and i["attr"]["height"] == level * 120 / 100,
                             f"tank_fill at {level}")
            assert item["svg"] == "1.tank.svg"
            assert item["attr"]["y"] == 280 - level * 120 / 100
            assert item["duration"] == 0
    finally:
        ws.close()


def test_driver_offline_turns_its_indicator_red(weir):
    h = Http(weir)
    h.login()
    ws, items = feed(weir, h, "animation")
    try:
        ind = next(i for i in items if i["svg"] == "2.train.svg" and i["element"] == "driver-indicator")
        assert ind["attr"]["fill"] in ("red", "green", "gray") and ind["duration"] == 0.5
        status, drv, _ = h.post("/api/drivers/TrainTestDriver/connect")
        assert status == 200, drv
        if ind["attr"]["fill"] != "green":
            wait_item(ws, lambda i: i["element"] == "driver-indicator" and i["attr"]["fill"] == "green",
                      f"the train driver's indicator green (driver: {drv})")
        assert h.post("/api/drivers/TrainTestDriver/disconnect")[0] == 200
        item = wait_item(ws, lambda i: i["element"] == "driver-indicator" and i["attr"]["fill"] == "red",
                         "the train driver's indicator red")
        assert item == {"svg": "2.train.svg", "element": "driver-indicator", "attr": {"fill": "red"},
                        "duration": 0.5}
    finally:
        ws.close()


def test_alarm_on_camera_1_switches_its_map_icon(weir):
    h = Http(weir)
    h.login()
    ws, items = feed(weir, h, "gis")
    try:
        cam = next(i for i in items if i["id"] == "camera1")
        assert cam["source"] != "alarm"
        status, body, _ = h.post("/api/datapoints/CameraDriver@CAMERA_1_ALARM/value", {"value": "TRUE"})
        assert status == 200, body
        item = wait_item(ws, lambda i: i["id"] == "camera1" and i["source"] == "alarm", "camera1 in alarm")
        assert item["state"] == "ACTIVE" and item["image"] == "/static/icons/camera_ko.png"
        # The image it names is served by weir itself.
        status, svg, headers = h.get(item["image"])
        assert status == 200 and headers["Content-Type"].startswith("image/svg+xml")
        assert svg.startswith("<svg") and "<title>Camera in alarm</title>" in svg
    finally:
        ws.close()


def test_icon_set_and_offline_base_layer_are_served(weir):
    h = Http(weir)
    assert h.get("/static/icons/camera.svg")[0] == 401
    h.login()
    for name in ("camera", "camera_left", "camera_right", "camera_fault", "tank", "pump", "valve",
                 "sensor", "device_online", "device_offline", "help"):
        status, body, headers = h.get(f"/static/icons/{name}.svg")
        assert status == 200 and headers["Content-Type"].startswith("image/svg+xml"), name
        assert "<script" not in body
    # Every icon the fixture's gis_icons[] names resolves.
    status, icons, _ = h.get("/api/gis/icons")
    refs = {i["image"] for i in icons["items"]}
    with open(os.path.join(FIXTURES, "system_config.json")) as f:
        for icon in json.load(f)["gis_icons"]:
            refs |= {icon["icon"], *icon.get("states", {}).values(), *icon.get("alarm", {}).values()}
    for ref in sorted(refs):
        assert h.get(ref)[0] == 200, ref
    assert h.get("/static/icons/nope.png")[0] == 404
    status, cfg, _ = h.get("/api/gis/config")
    assert status == 200
    assert cfg["base_layer"] == "/static/gis/demo_area.geojson"
    assert cfg["tile_url"].startswith("https://")  # an internet tile URL stays allowed
    status, layer, headers = h.get(cfg["base_layer"])
    assert status == 200 and headers["Content-Type"].startswith("application/geo+json")
    layer = json.loads(layer) if isinstance(layer, str) else layer
    assert layer["type"] == "FeatureCollection"
    south_west_north_east = layer["bbox"]
    assert south_west_north_east[0] < cfg["longitude"] < south_west_north_east[2]
    assert south_west_north_east[1] < cfg["latitude"] < south_west_north_east[3]


def test_unknown_animation_is_a_warning_naming_file_and_element(weir):
    h = Http(weir)
    h.login()
    status, body, _ = h.get("/api/svg")
    assert status == 200
    warning = 'svg/9.bad.svg: element mystery: unknown animation "no_such_animation"'
    assert warning in body["warnings"], body["warnings"]
    assert warning in weir.output()
    # The fixtures' own files bind only known animations, datapoints and drivers.
    assert [w for w in body["warnings"] if not w.startswith("svg/9.bad.svg")] == []
    room = next(f for f in body["items"] if f["name"] == "0.room.svg")
    conn = next(c for c in room["commands"] if c["element"] == "communication-connector")
    assert conn == {"element": "communication-connector", "datapoint": "TasmotaRelayDriver",
                    "value": "toggle", "allowed": True, "kind": "driver"}


def test_weirs_demo_graphics_animate_without_warnings():
    d = tempfile.mkdtemp(prefix="weir-demo-anim-")
    shutil.copytree(os.path.join(ROOT, "config"), d, dirs_exist_ok=True)
    try:
        with WeirServer(config_dir=d) as w:
            h = Http(w)
            h.login()
            status, body, _ = h.get("/api/svg")
            assert status == 200 and body["warnings"] == []
            ws, items = feed(w, h, "animation")
            ws.close()
            bound = {(i["svg"], i["element"]) for i in items}
            declared = {(f["name"], b["element"]) for f in body["items"] for b in f["bindings"]}
            assert bound == declared  # every binding of the demo graphics animates
            for svg in ("1.tank.svg", "2.boiler.svg", "3.train.svg", "4.esp32.svg", "5.raspberry.svg"):
                assert (svg, "driver_link") in bound, svg
                files = {f["name"]: f for f in body["items"]}
                link = next(c for c in files[svg]["commands"] if c["element"] == "driver_link")
                assert link["kind"] == "driver" and link["allowed"], link
            # The demo's simulated drivers report uncertain quality (reason simulated): a graphic
            # still shows their values, not the "unknown" placeholder.
            def tank_text_shown():
                ws2, now = feed(w, h, "animation")
                ws2.close()
                text = next(i for i in now if i["svg"] == "1.tank.svg" and i["element"] == "level_text")
                return text.get("text") not in (None, "?")
            deadline = time.time() + 10
            while not tank_text_shown():
                assert time.time() < deadline, "the simulated tank level never showed on the graphic"
                time.sleep(0.1)
            alarm = next(i for i in items if i["element"] == "alarm_indicator" and i["svg"] == "1.tank.svg")
            assert alarm["attr"]["visibility"] in ("hidden", "visible")
            log = w.output()
            assert "animations." not in log and "animation \"" not in log, log[-2000:]
            status, cfg, _ = h.get("/api/gis/config")
            assert cfg["tile_url"] == "" and cfg["base_layer"] == "/static/gis/demo_area.geojson"
            status, icons, _ = h.get("/api/gis/icons")
            assert {i["id"] for i in icons["items"]} == {"tank", "boiler", "train", "esp32", "raspberry"}
            for i in icons["items"]:
                assert h.get(i["image"])[0] == 200, i
    finally:
        shutil.rmtree(d, ignore_errors=True)
