"""The historian on PostgreSQL 15 (backend "postgresql"): the checks of test_01 against a real weir
whose history goes into a real PostgreSQL started for this file (tests/lib/pgserver.py, one
server, a schema per test): values written over REST come back raw and as a trend matching their
M4, the running demo tank's trend matches its raw values, CSV parses, retention drops whole time
partitions, and after kill -9 under load every value reported committed is there and the 1 min
trend counts every stored value (the killed run's open buckets rebuilt from its chunks);
--check-config accepts the backend and names a bad variable name, an unset variable stops weir
naming it; an unreachable database leaves weir running and says so on /api/health, and a database
that appears later is found (back-off) with the values queued meanwhile."""
import json
import os
import subprocess
import time

import pytest

import pgserver
from test_01_history import (  # noqa: F401  (helpers only)
    TANK, iso, kill_9_under_load_keeps_everything_committed, ms, raw_all, write,
    running_tank_trend_matches_its_raw_values, write_then_age_out,
    written_values_come_back_raw_as_a_trend_and_as_csv)
from weirproc import WEIR_BIN, Http, WeirServer, tank_config, wait_until

pytestmark = pytest.mark.skipif(not pgserver.available(), reason="PostgreSQL 15 not installed")

_schemas = iter(range(1, 1000))


@pytest.fixture(scope="module")
def pg():
    with pgserver.PgServer() as server:
        yield server


def schema_url(pg):
    """A fresh schema for one weir: its connection string."""
    name = f"w{next(_schemas)}"
    subprocess.run(["psql", pg.url, "-q", "-c", f"CREATE SCHEMA {name}"], check=True,
                   capture_output=True)
    return f"{pg.url} options='-c search_path={name}'"


def config(autostart=False, tick_ms=100, **historian):
    settings = {"backend": "postgresql", "connection_env": "WEIR_TEST_PG", "flush_interval_ms": 100}
    settings.update(historian)
    c = tank_config(autostart=autostart, tick_ms=tick_ms, modules=[
        {"name": "datapoint"}, {"name": "command"}, {"name": "communication"},
        {"name": "historian", "config": settings}])
    c["drivers"][0]["params"]["auto_cycle"] = autostart
    return c


def server(pg, url=None, **kw):
    return WeirServer(system_config=config(**kw), env={"WEIR_TEST_PG": url or schema_url(pg)})


def test_written_values_come_back_raw_as_a_trend_and_as_csv(pg):
    with server(pg) as w:
        written_values_come_back_raw_as_a_trend_and_as_csv(w)
        h = Http(w)
        h.login()
        status, body, _ = h.get("/api/history/status")
        assert body["backend"] == "postgresql" and body["connected"] is True, body
        assert body["stored"] >= 300
        status, health, _ = h.get("/api/health")
        assert health["history_dropped"] == 0 and "history_error" not in health, health


def test_the_running_tank_trend_matches_its_raw_values(pg):
    with server(pg, autostart=True, tick_ms=50) as w:
        running_tank_trend_matches_its_raw_values(w)


def test_retention_drops_whole_partitions(pg):
    two_seconds = 2 / 86400
    with server(pg, raw_max_age_days=two_seconds, chunk_values=16, partition_seconds=1,
                retention_interval_ms=100) as w:
        h = Http(w)
        h.login()
        body = write_then_age_out(h, "old partitions dropped")
        assert body["retention_deleted_chunks"] >= 4 and body["retention_dropped_partitions"] >= 1, body
        now = int(time.time() * 1000)
        assert raw_all(h, [TANK], now - 1500, now + 1000)[0], "recent values were dropped too"
        assert "retention dropped partition history_chunks_p" in w.output()
        status, text, _ = h.get("/metrics")
        assert "weir_historian_retention_dropped_partitions_total" in text


def test_check_config_accepts_postgresql_and_names_a_bad_variable(tmp_path):
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0")
    (tmp_path / "system_config.json").write_text(json.dumps(config()))
    out = subprocess.run([WEIR_BIN, "--check-config", str(tmp_path)], capture_output=True, text=True,
                         env=env, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    cfg = config(connection_env="")
    (tmp_path / "system_config.json").write_text(json.dumps(cfg))
    out = subprocess.run([WEIR_BIN, "--check-config", str(tmp_path)], capture_output=True, text=True,
                         env=env, timeout=60)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "modules[3].config.connection_env" in out.stdout, out.stdout


def test_an_unreachable_database_is_reported_and_retried(pg):
    # A port nothing listens on: weir starts anyway and says so.
    with WeirServer(system_config=config(),
                    env={"WEIR_TEST_PG": "host=127.0.0.1 port=1 user=postgres connect_timeout=1"}) as w:
        h = Http(w)
        h.login()
        status, health, _ = h.get("/api/health")
        assert status == 200 and "history database unavailable" in health.get("history_error", ""), health
        write(h, 12.5)
        status, body, _ = h.get("/api/history/status")
        assert body["connected"] is False and body["backend_error"], body
        assert body["queued"] >= 1
        status, body, _ = h.get(f"/api/history/raw?tags={TANK}")
        assert status == 503, body


def test_kill_9_under_load_keeps_everything_committed(pg):
    url = schema_url(pg)
    with server(pg, url=url, flush_interval_ms=200) as w:
        kill_9_under_load_keeps_everything_committed(w)
        # The killed run's open 1 min / 1 h buckets were only in memory: the restarted weir rebuilds
        # them from the stored values, so the trend from the 1 min rollup counts every stored value.
        h = Http(w)
        h.login()
        now = int(time.time() * 1000)
        frm, to = now - 3_600_000, now + 60_000

        def counts():
            items, _ = raw_all(h, [TANK], frm, to, limit=10000)
            status, body, _ = h.get(f"/api/history/trend?tags={TANK}&from={iso(frm)}&to={iso(to)}&points=10")
            assert status == 200 and body["series"][0]["level"] == "1m", body
            return len(items), sum(b["count"] for b in body["series"][0]["buckets"])
        wait_until(lambda: (lambda c: c[0] == c[1])(counts()), timeout=15, interval=0.5,
                   message="trend count == stored values")
        stored, _ = counts()
        assert stored >= 300
        assert "ended without closing" in w.output()


def test_an_unset_connection_variable_is_named_at_start():
    env = {k: v for k, v in os.environ.items() if k != "WEIR_TEST_PG"}
    w = WeirServer(system_config=config())
    w.env = dict(env, WEIR_ADMIN_PASSWORD=w.env["WEIR_ADMIN_PASSWORD"], ASAN_OPTIONS=w.env["ASAN_OPTIONS"])
    with pytest.raises(RuntimeError) as e:
        w.__enter__()
    w.__exit__(None, None, None)
    assert "environment variable WEIR_TEST_PG" in str(e.value), str(e.value)[-500:]


def test_a_database_that_appears_later_gets_the_queued_values(pg):
    name = f"later{next(_schemas)}"
    url = pg.url.replace("dbname=postgres", f"dbname={name}")
    with WeirServer(system_config=config(), env={"WEIR_TEST_PG": url}) as w:
        h = Http(w)
        h.login()
        status, body, _ = h.get("/api/history/status")
        assert body["connected"] is False and name in body["backend_error"], body
        written = [write(h, 40.0 + i) for i in range(5)]
        subprocess.run(["psql", pg.url, "-q", "-c", f"CREATE DATABASE {name}"], check=True,
                       capture_output=True)
        wait_until(lambda: h.get("/api/history/status")[1]["connected"], timeout=30,
                   message="historian connected after the database appeared")
        items, _ = raw_all(h, [TANK], written[0][0], written[-1][0] + 1)
        assert [(ms(i["time"]), i["value"]) for i in items] == [(s, v) for s, _, v in written]
        status, health, _ = h.get("/api/health")
        assert "history_error" not in health, health
