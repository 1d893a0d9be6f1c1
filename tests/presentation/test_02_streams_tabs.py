"""Streams and the operator app's tabs on a real weir loading the Python platform's fixtures."""
import json
import os
import shutil
import subprocess
import tempfile

import pytest

from weirproc import FIXTURES, WEIR_BIN, Http, WeirServer


@pytest.fixture(scope="module")
def weir():
    d = tempfile.mkdtemp(prefix="weir-present-")
    shutil.copy(os.path.join(FIXTURES, "system_config.json"), d)
    with WeirServer(config_dir=d) as w:
        yield w
    shutil.rmtree(d, ignore_errors=True)


def test_streams_are_listed_with_a_ready_to_play_url(weir):
    h = Http(weir)
    assert h.get("/api/streams")[0] == 401
    h.login()
    status, body, _ = h.get("/api/streams")
    assert status == 200
    assert [s["id"] for s in body["items"]] == ["feed1", "feed2", "feed3"]
    feed2 = {k: body["items"][1][k] for k in ("id", "description", "protocol", "url")}
    assert feed2 == {"id": "feed2", "description": "Feed 2 - 4K", "protocol": "https",
                     "url": "https://www.openscadalite.com/hls/stream2.m3u8"}
    assert body["items"][1]["status"] in ("unknown", "reachable", "unreachable")


def test_tabs_in_configured_order(weir):
    h = Http(weir)
    assert h.get("/api/frontend/tabs")[0] == 401
    h.login()
    status, body, _ = h.get("/api/frontend/tabs")
    assert status == 200
    assert body["tabs"] == ["Image", "Main", "Datapoints", "Communications", "Alarms", "Commands",
                            "Tracking", "Streams"]


def test_unknown_tabs_and_unplayable_streams_are_load_warnings():
    with open(os.path.join(FIXTURES, "system_config.json")) as f:
        cfg = json.load(f)
    for m in cfg["modules"]:
        if m["name"] == "frontend":
            m["config"]["tabs"].append("Spreadsheet")
    cfg["streams"].append({"id": "cam9", "server": "cam9.local", "protocol": "rtsp", "path": "live"})
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "system_config.json"), "w") as f:
            json.dump(cfg, f)
        r = subprocess.run([WEIR_BIN, "--check-config", d], capture_output=True, text=True, timeout=60,
                           env=dict(os.environ, ASAN_OPTIONS="detect_leaks=0"))
    assert r.returncode == 0, r.stdout + r.stderr
    tab_index = cfg["modules"].index(next(m for m in cfg["modules"] if m["name"] == "frontend"))
    assert (f'warning: system_config.json: modules[{tab_index}].config.tabs[8]: unknown tab "Spreadsheet"'
            in r.stdout), r.stdout
    assert 'warning: system_config.json: streams[3].protocol: "rtsp"' in r.stdout, r.stdout
