"""The open rollup pages' memory budget on a real weir (modules[historian].config.open_pages_mb):
with a budget of 0 every page leaves memory after its commit, so each minute's bucket of each of
200 tags is written, evicted, read back and merged. The 1 min trend stays exact (before and after
a clean restart), /metrics counts the evictions and reloads and holds no page bytes, and
--check-config refuses a budget out of range naming where and why. Runs across two minute
boundaries of the wall clock (weir has no injected clock on the wire): about two minutes."""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))

from test_01_history import config, iso, ms, raw_all, write  # noqa: E402  (adds ../security)
from test_09_caps import metric as metric_in  # noqa: E402
from weirproc import WEIR_BIN, Http, WeirServer, wait_until  # noqa: E402

TAGS = [f"WaterTank@L{i}" for i in range(200)]


def budget_config(**historian):
    c = config(**historian)
    c["drivers"][0]["datapoints"] += [{"name": t.split("@")[1], "type": "LEVEL"} for t in TAGS]
    return c


def metric(h, name):
    status, text, _ = h.get("/metrics")
    assert status == 200
    return metric_in(text, name)


def wait_for_next_minute():
    time.sleep(60.2 - time.time() % 60)  # the wall clock's next minute: what closes a bucket


def write_round(h, written, i):
    for k, tag in enumerate(TAGS):
        for j in range(2):
            s, _, v = write(h, round(10 + (k * 7 + i * 13 + j * 5) % 80 + 0.25 * j, 2), dp=tag)
            written[tag].append((s, v))


def trend_minutes(h, tag, frm, to):
    status, body, _ = h.get(f"/api/history/trend?tags={tag}&from={iso(frm)}&to={iso(to)}&points={(to - frm) // 60_000}")
    assert status == 200, body
    series = body["series"][0]
    assert series["level"] == "1m", series
    return [(b["count"], b["min"], b["max"], b["first"], b["last"]) for b in series["buckets"] if b["count"]]


def expected_minutes(h, tag, written, frm, to):
    """The minutes of every stored value of `tag` (the driver's own start values too), which must
    include what the test wrote."""
    items, _ = raw_all(h, [tag], frm, to)
    points = [(ms(i["time"]), i["value"]) for i in items]
    assert set(written) <= set(points), tag
    out = {}
    for t, v in points:
        if frm <= t < to:
            out.setdefault(t // 60_000, []).append(v)
    return [(len(v), min(v), max(v), v[0], v[-1]) for _, v in sorted(out.items())]


def test_a_budget_of_0_keeps_no_page_and_every_minute_exact():
    with WeirServer(system_config=budget_config(open_pages_mb=0)) as w:
        h = Http(w)
        h.login()
        if time.time() % 60 > 50:  # a round must fit in its minute
            wait_for_next_minute()
        written = {t: [] for t in TAGS}
        frm = int(time.time() // 60 * 60_000)
        write_round(h, written, 0)  # minute M: open buckets
        wait_for_next_minute()
        write_round(h, written, 1)  # M+1: closes M into every tag's page, committed, evicted
        wait_for_next_minute()
        write_round(h, written, 2)  # M+2: closes M+1, the page read back, merged, evicted again
        to = frm + 3 * 60_000
        wait_until(lambda: metric(h, "weir_historian_page_reloads_total") >= len(TAGS), timeout=10,
                   message="every tag's page read back")
        assert metric(h, "weir_historian_page_evictions_total") >= 2 * len(TAGS)
        assert metric(h, "weir_historian_page_reloads_total") >= len(TAGS)
        assert metric(h, "weir_historian_open_page_bytes") == 0
        for tag in TAGS:
            want = expected_minutes(h, tag, written[tag], frm, to)
            assert len(want) == 3
            assert trend_minutes(h, tag, frm, to) == want, tag
        w.restart()  # the open buckets (M+2) go into the evicted pages at the stop: merged again
        h = Http(w)
        h.login()
        for tag in TAGS:
            assert trend_minutes(h, tag, frm, to) == expected_minutes(h, tag, written[tag], frm, to), tag


def test_check_config_refuses_a_budget_out_of_range(tmp_path):
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0")
    for budget, ok in ((0, True), (0.5, True), (-1, False), (65537, False)):
        (tmp_path / "system_config.json").write_text(json.dumps(config(open_pages_mb=budget)))
        out = subprocess.run([WEIR_BIN, "--check-config", str(tmp_path)], capture_output=True, text=True,
                             env=env, timeout=60)
        assert (out.returncode == 0) == ok, out.stdout + out.stderr
        if not ok:
            assert "modules[3].config.open_pages_mb: must be between 0 and 65536" in out.stdout, out.stdout
