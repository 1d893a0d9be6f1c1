"""The operator app for a viewer-only user (permission `view` only): every control is shown
disabled, and the server refuses the same actions anyway (403). No request leaves 127.0.0.1."""
import hashlib
import shutil

import pytest

from operator_support import demo_weir, run_operator_app
from weirproc import Http

VIEWER_PASSWORD = "Shift-Watch-Pass-77"


@pytest.fixture(scope="module")
def weir():
    server = demo_weir()
    with server as w:
        h = Http(w)
        h.login()
        status, config, _ = h.get("/api/security/config")
        assert status == 200, config
        config["groups"].append({"name": "viewers", "permissions": ["view"]})
        # A new user needs a hash to be saved (a legacy SHA-256 one here); the password route
        # then stores it the normal way.
        legacy = hashlib.sha256(b"not-the-password").hexdigest()
        config["users"].append({"username": "viewer", "password_hash": legacy, "groups": ["viewers"],
                                "allowed_apps": ["scada"]})
        status, body, _ = h.request("PUT", "/api/security/config", body=config,
                                    headers={"If-Match": "*"})
        assert status == 200, body
        status, body, _ = h.post("/api/security/users/viewer/password", {"password": VIEWER_PASSWORD})
        assert status in (200, 204), body
        yield w
    for d in server.cleanup_dirs:
        shutil.rmtree(d, ignore_errors=True)


def test_viewer_sees_controls_disabled_and_is_refused(weir):
    code, report = run_operator_app(weir, "viewer", VIEWER_PASSWORD, "viewer",
                                    views=["overview", "graphics", "alarms", "datapoints"])
    assert report["offsite"] == [], report["offsite"]
    assert code == 0 and report["ok"], "\n".join(report["failures"])
    assert set(report["refused"].values()) == {403}
