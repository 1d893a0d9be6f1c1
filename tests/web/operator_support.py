"""Shared by the operator app's browser tests (tests/web/test_operator_<view>.py, one file per
view): a real weir with the demo configuration (a copy of config/) serving the built web app, a
viewer-only user, and a runner for tests/web/operator_app.mjs that checks the common promises
(no request left 127.0.0.1, every check passed, the screenshots were saved)."""
import hashlib
import json
import os
import shutil
import subprocess
import tempfile

import pytest

from weirproc import ADMIN_PASSWORD, BUILD, ROOT, Http, WeirServer

HERE = os.path.dirname(os.path.abspath(__file__))
WEB = os.path.join(ROOT, "web")
DIST = os.path.join(WEB, "dist")
CHROMIUM = "/usr/bin/chromium"
# Screenshots are test artifacts: under the build directory unless told otherwise.
SCREENSHOTS = os.environ.get("WEIR_SCREENSHOT_DIR", os.path.join(BUILD, "screenshots", "operator"))
VIEWER_PASSWORD = "Shift-Watch-Pass-77"


def ensure_dist():
    index = os.path.join(DIST, "scada", "index.html")
    if not os.path.isfile(index):
        assert os.path.isdir(os.path.join(WEB, "node_modules")), \
            "web/node_modules is missing: run scripts/setup.sh (npm ci in web/)"
        subprocess.run(["npm", "run", "--silent", "build"], cwd=WEB, check=True, timeout=600,
                       stdout=subprocess.DEVNULL)
    assert os.path.isfile(index), index
    return DIST


def demo_weir():
    """WeirServer over a copy of the demo configuration (config/), web root = web/dist."""
    tmp = tempfile.mkdtemp(prefix="weir-operator-config-")
    config = os.path.join(tmp, "config")
    shutil.copytree(os.path.join(ROOT, "config"), config,
                    ignore=shutil.ignore_patterns("security_config.json"))
    server = WeirServer(config_dir=config, args=["--web-root", ensure_dist()])
    server.cleanup_dirs = [tmp]
    return server


@pytest.fixture(scope="module")
def weir():
    """A demo weir for one test file (import this fixture into the file)."""
    server = demo_weir()
    with server as w:
        yield w
    for d in server.cleanup_dirs:
        shutil.rmtree(d, ignore_errors=True)


def add_viewer(w):
    """Adds user `viewer` (group `viewers`, permission `view` only) with VIEWER_PASSWORD; it must
    change that password at its first login (set by an administrator)."""
    h = Http(w)
    h.login()
    status, config, _ = h.get("/api/security/config")
    assert status == 200, config
    config["groups"].append({"name": "viewers", "permissions": ["view"]})
    # A new user needs a hash to be saved (a legacy SHA-256 one here); the password route then
    # stores it the normal way.
    legacy = hashlib.sha256(b"not-the-password").hexdigest()
    config["users"].append({"username": "viewer", "password_hash": legacy, "groups": ["viewers"],
                            "allowed_apps": ["scada"]})
    status, body, _ = h.request("PUT", "/api/security/config", body=config, headers={"If-Match": "*"})
    assert status == 200, body
    status, body, _ = h.post("/api/security/users/viewer/password", {"password": VIEWER_PASSWORD})
    assert status in (200, 204), body


def run_operator_app(server, user, password, role, views=(), checks=(), args=None, timeout=240):
    node = shutil.which("node")
    assert node, "node is not installed"
    assert os.access(CHROMIUM, os.X_OK), "Debian's chromium is not installed"
    cmd = [node, os.path.join(HERE, "operator_app.mjs"), "--base", server.url(""), "--user", user,
           "--password", password, "--role", role, "--screenshots", SCREENSHOTS,
           "--chromium", CHROMIUM, "--views", ",".join(views), "--checks", ",".join(checks),
           "--args", json.dumps(args or {})]
    run = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        raise AssertionError(f"no report (exit {run.returncode}):\n{run.stdout}\n{run.stderr}")
    return run.returncode, report


def operate(server, views=(), checks=(), user="admin", password=ADMIN_PASSWORD, role="admin", args=None):
    """Runs the app as `user` over `views` (each screenshot at 1440 and 1024, light and dark) and
    `checks`; asserts what every operator test promises, and returns the report."""
    code, report = run_operator_app(server, user, password, role, views, checks, args)
    assert report["offsite"] == [], report["offsite"]
    assert code == 0 and report["ok"], "\n".join(report["failures"])
    passed = {s["name"] for s in report["steps"] if s["ok"]}
    for v in views:
        assert f"view {v} renders" in passed, v
        for shot in (f"{v}-1440-light", f"{v}-1440-dark", f"{v}-1024-light", f"{v}-1024-dark"):
            path = os.path.normpath(os.path.join(SCREENSHOTS, f"operator-{role}-{shot}.png"))
            assert path in map(os.path.normpath, report["screenshots"]) and os.path.getsize(path) > 0, path
    assert report["checksPassed"] == list(checks), report["checksPassed"]
    print(json.dumps({k: report[k] for k in ("video", "load", "firstRenderAfterLoginMs") if k in report}))
    return report


__all__ = ["ADMIN_PASSWORD", "VIEWER_PASSWORD", "add_viewer", "demo_weir", "operate", "run_operator_app",
           "SCREENSHOTS", "weir"]
