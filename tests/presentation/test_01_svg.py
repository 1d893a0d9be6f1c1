"""Process images on a real weir loading the Python platform's fixtures: GET /api/svg lists every
file with its bindings and clickable commands, GET /api/svg/{name} serves it sanitised, unknown
datapoints are load warnings naming file and element."""
import json
import os
import shutil
import sys
import tempfile

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "security"))
from secconf import VIEWER_PASSWORD, config  # noqa: E402
from weirproc import FIXTURES, ROOT, Http, WeirServer  # noqa: E402

EVIL = """<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" onload="alert('svg')">
  <script type="text/javascript">fetch('/api/auth/logout')</script>
  <rect id="fill_level" data-datapoint="WaterTank@TANK" data-animation="fill_level" onclick="steal()"/>
  <rect id="ghost" data-datapoint="WaterTank@NOT_THERE" data-animation="fill_level"/>
  <image id="remote" xlink:href="https://tracker.example/pixel.png"/>
  <foreignObject><body xmlns="http://www.w3.org/1999/xhtml"><iframe src="https://x/"/></body></foreignObject>
  <g id="pump_button" command-datapoint="WaterTank@PUMP_CMD" command-value="TOGGLE"><text>PUMP</text></g>
</svg>
"""


@pytest.fixture(scope="module")
def weir():
    d = tempfile.mkdtemp(prefix="weir-svg-")
    shutil.copy(os.path.join(FIXTURES, "system_config.json"), d)
    shutil.copytree(os.path.join(FIXTURES, "svg"), os.path.join(d, "svg"))
    with open(os.path.join(d, "svg", "9.injected.svg"), "w") as f:
        f.write(EVIL)
    with open(os.path.join(d, "security_config.json"), "w") as f:
        json.dump(config(), f)
    with WeirServer(config_dir=d) as w:
        yield w
    shutil.rmtree(d, ignore_errors=True)


def test_svg_routes_need_a_session(weir):
    h = Http(weir)
    assert h.get("/api/svg")[0] == 401
    assert h.get("/api/svg/9.injected.svg")[0] == 401


def test_injected_script_and_event_attributes_are_stripped(weir):
    h = Http(weir)
    h.login()
    status, body, headers = h.get("/api/svg/9.injected.svg")
    assert status == 200
    assert headers["Content-Type"].startswith("image/svg+xml")
    low = body.lower()
    for bad in ("<script", "onload", "onclick", "foreignobject", "iframe", "tracker.example", "fetch("):
        assert bad not in low, bad
    assert 'id="fill_level"' in body and 'data-datapoint="WaterTank@TANK"' in body
    assert "default-src 'none'" in headers["Content-Security-Policy"]


def test_list_has_every_fixture_file_with_bindings_commands_and_warnings(weir):
    h = Http(weir)
    h.login()
    status, body, _ = h.get("/api/svg")
    assert status == 200, body
    names = [f["name"] for f in body["items"]]
    assert names == ["0.room.svg", "1.tank.svg", "2.train.svg", "3.stress_test.svg", "9.injected.svg"], (
        names, body["warnings"])
    tank = next(f for f in body["items"] if f["name"] == "1.tank.svg")
    assert {"element": "tank_fill", "datapoint": "WaterTank@TANK", "animation": "fill_level"} in tank["bindings"]
    assert any(c["datapoint"] == "WaterTank@PUMP_CMD" and c["allowed"] for c in tank["commands"]), tank["commands"]
    injected = next(f for f in body["items"] if f["name"] == "9.injected.svg")
    assert injected["removed_elements"] == 2  # script, foreignObject
    assert injected["commands"] == [{"element": "pump_button", "datapoint": "WaterTank@PUMP_CMD",
                                     "value": "TOGGLE", "allowed": True, "kind": "command"}]
    assert 'svg/9.injected.svg: element ghost: unknown datapoint "WaterTank@NOT_THERE"' in body["warnings"]
    assert h.get("/api/svg/../system_config.json")[0] in (400, 404)  # the edge refuses ".."
    assert h.get("/api/svg/system_config.json")[0] == 404
    assert h.get("/api/svg/nope.svg")[0] == 404


def test_a_viewer_sees_the_commands_it_may_not_send(weir):
    v = Http(weir)
    v.login("viewer", VIEWER_PASSWORD)
    status, body, _ = v.get("/api/svg")
    assert status == 200
    tank = next(f for f in body["items"] if f["name"] == "1.tank.svg")
    assert tank["commands"] and not any(c["allowed"] for c in tank["commands"])


def test_weirs_own_demo_graphics_load_without_warnings():
    d = tempfile.mkdtemp(prefix="weir-demo-svg-")
    shutil.copytree(os.path.join(ROOT, "config"), d, dirs_exist_ok=True)
    try:
        with WeirServer(config_dir=d) as w:
            h = Http(w)
            h.login()
            status, body, _ = h.get("/api/svg")
            assert status == 200
            assert body["warnings"] == []
            files = {f["name"]: f for f in body["items"]}
            assert sorted(files) == ["1.tank.svg", "2.boiler.svg", "3.train.svg", "4.esp32.svg", "5.raspberry.svg"]
            tank = files["1.tank.svg"]
            # Labelled with what they drive: the pump button is bound to PUMP and sends PUMP_CMD.
            pump = next(c for c in tank["commands"] if c["element"] == "pump")
            assert pump["datapoint"] == "WaterTank@PUMP_CMD" and pump["allowed"]
            assert all(f["removed_elements"] == 0 and f["removed_attributes"] == 0 for f in files.values())
            status, text, _ = h.get("/api/svg/1.tank.svg")
            assert status == 200 and "PUMP (fills)" in text
    finally:
        shutil.rmtree(d, ignore_errors=True)
