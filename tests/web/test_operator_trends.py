"""Trends: values written to esp32@THRESHOLD (no device drives it in the test) are stored by the
historian; picking that tag and WaterTank@TANK in the Trends view draws a series holding exactly
those values (read from the chart's data-series attribute, not from pixels) and two y axes, each
labelled with its unit and tag. Then, in live mode, a value written now is appended to the chart
from the live feed within 5 s (the historian is asked again only once a minute)."""
import time
import urllib.parse

from operator_support import operate, weir  # noqa: F401 (weir: the fixture)
from weirproc import Http

TAG = "esp32@THRESHOLD"
VALUES = [11.25, 37.5, 22.75]


def test_trend_shows_stored_values(weir):  # noqa: F811
    h = Http(weir)
    h.login()
    for i, v in enumerate(VALUES):
        if i:
            # One value per trend bucket (the point budget keeps a bucket's extremes only): at
            # 15 minutes over a chart about 1,000 px wide a bucket is under a second.
            time.sleep(1.0)
        status, body, _ = h.post(f"/api/datapoints/{TAG}/value", {"value": v})
        assert status == 200, body
    # Stored (the historian flushes every second): poll the trend route with a deadline.
    deadline = time.time() + 10
    while True:
        now = time.time()
        iso = lambda t: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))  # noqa: E731
        q = urllib.parse.urlencode({"tags": TAG, "from": iso(now - 120), "to": iso(now + 60), "points": 4000})
        status, body, _ = h.get(f"/api/history/trend?{q}")
        stored = [p["value"] for s in body.get("series", []) for p in s.get("points", [])] if status == 200 else []
        if all(v in stored for v in VALUES):
            break
        assert time.time() < deadline, (status, body)
        time.sleep(0.2)
    operate(weir, views=["trends"], checks=["trend-stored", "trend-live"],
            args={"trend": {"tag": TAG, "values": VALUES, "unit": "°C", "live": 41.5,
                            "other": {"tag": "WaterTank@TANK", "unit": "%"}}})
