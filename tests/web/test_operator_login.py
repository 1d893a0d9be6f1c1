"""Login: GET / leads to the operator app's login page, which hints at no credential; a wrong
password is refused; login (first render after login is printed); an expired session returns to
login and then to the same view; log out. No request leaves 127.0.0.1."""
import json
import urllib.error
import urllib.request

import pytest

from operator_support import operate, weir  # noqa: F401 (weir: the fixture)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_root_redirects_to_the_operator_app(weir):  # noqa: F811
    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as e:
        opener.open(weir.url("/"), timeout=10)
    assert e.value.code == 302 and e.value.headers["Location"] == "/scada/"
    with urllib.request.urlopen(weir.url("/scada/alarms"), timeout=10) as r:  # client-side route
        assert r.status == 200 and b'id="weir-scada"' in r.read()


def test_login_session_expiry_and_logout(weir):  # noqa: F811
    report = operate(weir, checks=["wrong-password", "session-expiry"])
    assert any(s.endswith("operator-admin-login-1024-dark.png") for s in report["screenshots"])
    print(json.dumps({"first_render_after_login_ms": report["firstRenderAfterLoginMs"]}))
