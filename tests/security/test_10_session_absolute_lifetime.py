"""An absolute session lifetime besides the sliding one (issue 15, item 10): a browser session
renewed on every request (cookie) still ends at --session-max-lifetime after its login."""
import re
import time

from weirproc import Http, WeirServer, tank_config


def test_renewals_never_pass_the_absolute_lifetime():
    args = ["--session-lifetime", "10", "--session-max-lifetime", "14"]
    with WeirServer(system_config=tank_config(autostart=False), args=args) as w:
        h = Http(w)
        _, headers = h.login()
        cookie = re.match(r"weir_session=([^;]+)", headers["Set-Cookie"]).group(1)
        h.token = None  # browsers: the cookie only, renewed by the server
        login_time = time.time()
        renewed = 0
        status = 200
        while status == 200:
            assert time.time() - login_time < 20, "the session outlived its absolute lifetime"
            status, body, headers = h.get("/api/auth/me", headers={"Cookie": f"weir_session={cookie}"})
            if "Set-Cookie" in headers:
                fresh = re.match(r"weir_session=([^;]+)", headers["Set-Cookie"]).group(1)
                renewed += fresh != cookie
                cookie = fresh
            time.sleep(0.5)
        assert status == 401 and body["error"]["code"] == "session_expired"
        assert renewed >= 1  # the sliding renewal happened, and did not extend past the limit
        assert 12 <= time.time() - login_time <= 16
