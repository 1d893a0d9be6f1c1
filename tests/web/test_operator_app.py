"""The operator app (/scada) in Debian's Chromium against a real weir with the demo configuration,
as the administrator: GET / leads to the login page, login, every view renders (screenshots at
1440x900 and 1024x768, light and dark, saved under the build directory), the tank level follows
the plant, clicking the pump sends its command and shows ok, a low tank puts its alarm in the
banner and it can be acknowledged, 100,000 virtualised rows take live updates, a lost live
connection marks the data stale and reconnects with a fresh snapshot, an expired session returns to the same view after logging in
again, and no request leaves 127.0.0.1."""
import json
import shutil
import urllib.error
import urllib.request

import pytest

from operator_support import ADMIN_PASSWORD, demo_weir, run_operator_app


@pytest.fixture(scope="module")
def weir():
    server = demo_weir()
    with server as w:
        yield w
    for d in server.cleanup_dirs:
        shutil.rmtree(d, ignore_errors=True)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_root_redirects_to_the_operator_app(weir):
    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as e:
        opener.open(weir.url("/"), timeout=10)
    assert e.value.code == 302 and e.value.headers["Location"] == "/scada/"
    with urllib.request.urlopen(weir.url("/scada/alarms"), timeout=10) as r:  # client-side route
        assert r.status == 200 and b'id="weir-scada"' in r.read()


def test_operator_app_as_administrator(weir):
    code, report = run_operator_app(weir, "admin", ADMIN_PASSWORD, "admin")
    assert report["offsite"] == [], report["offsite"]
    assert code == 0 and report["ok"], "\n".join(report["failures"])
    assert len(report["screenshots"]) >= 44
    print(json.dumps({"first_render_after_login_ms": report["firstRenderAfterLoginMs"],
                      "load": report["load"]}))
