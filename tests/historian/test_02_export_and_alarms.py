"""The historian's streamed CSV export and its alarm events on a real weir.

Export: every row of the range arrives in one response, written with chunked transfer encoding as
the store is read page by page (export_page_rows small here, so the export is many pieces: the
server never holds the whole export), and parses with the csv module in both layouts.
Alarms: the demo tank written low raises the rule's alarm; the alarm module's transitions
(model::AlarmUpdate) are stored as "alarm" events — raised, acknowledged (with the user), finished
— each exactly once across a restart of weir, clean or kill -9 (the alarm module republishes the
standing alarms at start, after a kill -9 possibly in a state older than the one stored); and no
occurrence left open in the history after a kill -9 right after a burst of alarms (the alarm module
commits each transition before publishing it; the historian closes at start what the restored
alarm table does not hold)."""
import csv
import io
import os
import shutil
import signal
import socket
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))

from test_01_history import TANK, iso, ms, write  # noqa: E402
from weirproc import Http, WeirServer, tank_config, wait_until  # noqa: E402

PAGE_ROWS = 25
RULE = "pump_start_if_low_level"


def config(**extra):
    settings = {"flush_interval_ms": 100, "export_page_rows": PAGE_ROWS}
    # The historian before the alarm module: it hears what the alarm module republishes at start.
    c = tank_config(autostart=False, modules=[
        {"name": "datapoint"}, {"name": "command"}, {"name": "communication"},
        {"name": "historian", "config": settings}, {"name": "rule"}, {"name": "alarm"}])
    c["drivers"][0]["params"]["auto_cycle"] = False
    c["rules"] = [{"rule_id": RULE, "on_condition": "float(WaterTank@TANK) < 10",
                   "on_actions": ["raise_alarm()"]}]
    c.update(extra)
    return c


def get_chunked(server, token, path):
    """GET over a raw socket: (status line, headers, [chunk payloads]) with the chunks as sent."""
    s = socket.create_connection(("127.0.0.1", server.http_port), timeout=10)
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
              "Connection: close\r\n\r\n".encode())
    f = s.makefile("rb")
    status = f.readline().decode().strip()
    headers = {}
    while True:
        line = f.readline().decode().strip()
        if not line:
            break
        k, v = line.split(":", 1)
        headers[k.strip().lower()] = v.strip()
    chunks = []
    if headers.get("transfer-encoding") == "chunked":
        while True:
            size = int(f.readline().split(b";")[0], 16)
            data = f.read(size)
            assert f.read(2) == b"\r\n"
            if size == 0:
                break
            chunks.append(data)
    else:
        chunks.append(f.read())
    s.close()
    return status, headers, chunks


def test_the_export_streams_every_row_in_chunks():
    with WeirServer(system_config=config()) as w:
        h = Http(w)
        h.login()
        written = [write(h, float(20 + i % 50)) for i in range(130)]  # > 5 pages of 25
        pump = write(h, "OPENED", dp="WaterTank@PUMP")
        frm, to = written[0][0], pump[0] + 1
        status, headers, chunks = get_chunked(
            w, h.token, f"/api/history/export.csv?tags={TANK},WaterTank@PUMP&from={iso(frm)}&to={iso(to)}")
        assert status.startswith("HTTP/1.1 200"), status
        assert headers["content-type"].startswith("text/csv")
        assert headers["transfer-encoding"] == "chunked" and "content-length" not in headers
        # One piece per page of the store (at least): the export is never built whole.
        assert len(chunks) >= len(written) // PAGE_ROWS, len(chunks)
        assert max(len(c) for c in chunks) < 8 * 1024
        rows = list(csv.DictReader(io.StringIO(b"".join(chunks).decode())))
        assert [(ms(r["time"]), float(r["value"])) for r in rows if r["tag"] == TANK] == \
            [(s, v) for s, _, v in written]
        assert [r["value"] for r in rows if r["tag"] == "WaterTank@PUMP"] == ["OPENED"]
        assert all(r["quality"] == "good" and r["server_time"].endswith("Z") for r in rows)

        # Wide: one row per time, one column per tag, walked in time windows.
        status, headers, chunks = get_chunked(
            w, h.token, f"/api/history/export.csv?tags={TANK}&from={iso(frm)}&to={iso(to)}&layout=wide")
        assert status.startswith("HTTP/1.1 200")
        assert len(chunks) >= 2
        rows = list(csv.reader(io.StringIO(b"".join(chunks).decode())))
        assert rows[0] == ["time", TANK]
        assert [(ms(r[0]), float(r[1])) for r in rows[1:]] == [(s, v) for s, _, v in written]

        # An empty range is the header alone; the plain client reads the stream whole.
        status, text, _ = h.get(f"/api/history/export.csv?tags={TANK}&from={iso(to)}&to={iso(to + 1000)}")
        assert status == 200 and text == "time,tag,value,quality,reason,server_time\r\n"


def alarm_events(h):
    status, body, _ = h.get(f"/api/history/events?kind=alarm&source={RULE}&limit=100")
    assert status == 200, body
    return list(reversed(body["items"]))  # oldest first


def occurrence_events(h, occurrence):
    return [e for e in alarm_events(h) if e["detail"].get("occurrence_id") == occurrence]


def rule_alarm(h):
    items = [a for a in h.get("/api/alarms")[1]["items"] if a["rule_id"] == RULE]
    return items[0] if items else None


def alarm_across_a_restart(stop):
    """Raises the rule's alarm and acknowledges it; once both are committed (a value written after
    them is: /api/history/status committed_through), `stop(w)` ends weir; restarted on the same
    data, the level recovers and the alarm is raised again. Every event committed before the stop
    is kept, no (occurrence, state) is stored twice, the raise after the restart is stored.
    Answers what the alarm module restored and the first occurrence's stored states."""
    data_dir = tempfile.mkdtemp(prefix="weir-hist-alarm-")
    try:
        with WeirServer(system_config=config(), data_dir=data_dir) as w:
            h = Http(w)
            h.login()
            write(h, 50.0)
            # The driver reports 0 when it connects: the alarm may be up already; start from none.
            h.post("/api/alarms/ack", {"rule_ids": [RULE]})
            wait_until(lambda: not (rule_alarm(h) or {}).get("state"), message="no standing alarm")
            write(h, 5.0)
            alarm = wait_until(lambda: (a := rule_alarm(h)) and a.get("state") and a,
                               message="the alarm raised")
            occurrence = alarm["occurrence_id"]
            wait_until(lambda: occurrence_events(h, occurrence), message="the raise stored")
            status, body, _ = h.post(f"/api/alarms/{RULE}/ack")
            assert status == 200, body
            events = wait_until(
                lambda: (lambda e: e if any(x["detail"]["state"] == "ACK" for x in e) else None)(
                    occurrence_events(h, occurrence)), message="the acknowledgement stored")
            assert [e["detail"]["state"] for e in events] == ["ACTIVE", "ACK"], events
            raised, acked = events
            assert "user" not in raised["detail"] and acked["detail"]["user"] == "admin"
            assert raised["detail"]["priority"] == "medium" and "acknowledge_time" in acked["detail"]
            assert raised["source"] == RULE and raised["kind"] == "alarm"
            _, after, _ = write(h, 4.0)  # still low: the alarm stands
            wait_until(lambda: h.get("/api/history/status")[1]["committed_through_ms"] >= after,
                       message="the acknowledgement committed")
            stored = [e["id"] for e in alarm_events(h)]
            stop(w)
        with WeirServer(system_config=config(), data_dir=data_dir) as w:
            h = Http(w)
            h.login()
            # What the alarm module restored and republished at start. After a clean stop: nothing
            # of this occurrence (the driver's stop made the level unknown, the acknowledged
            # occurrence finished before the historian stopped). After a kill -9: the occurrence,
            # ACK — or an older state, even an older occurrence, when the alarm module's own saves
            # (every 200 ms) did not make it: the historian must not store those again.
            standing = rule_alarm(h) or {}
            restored = (standing.get("occurrence_id"), standing.get("state"))
            write(h, 40.0)  # the level recovers: whatever stands clears

            def cleared():
                state = (rule_alarm(h) or {}).get("state")
                if state == "INACTIVE":  # cleared, not acknowledged
                    h.post(f"/api/alarms/{RULE}/ack")
                return state is None

            wait_until(cleared, message="no standing alarm after the restart")
            before = alarm_events(h)
            # A transition after the restart: the alarm raised again, a new occurrence stored.
            _, raised_ms, _ = write(h, 5.0)
            again = wait_until(lambda: [e for e in alarm_events(h)
                                        if e["id"] > before[-1]["id"] and e["detail"]["state"] == "ACTIVE"],
                               message="the new raise stored")
            assert again[0]["detail"]["occurrence_id"] not in {e["detail"]["occurrence_id"] for e in before}
            assert ms(again[0]["time"]) >= raised_ms
            events = alarm_events(h)
            assert [e["id"] for e in events][:len(stored)] == stored  # nothing committed lost
            pairs = [(e["detail"]["occurrence_id"], e["detail"]["state"]) for e in events]
            assert len(pairs) == len(set(pairs)), pairs  # no transition stored twice
            mine = [e["detail"]["state"] for e in events if e["detail"]["occurrence_id"] == occurrence]
            # FINISHED unless the alarm module lost the occurrence in a kill -9.
            assert mine in (["ACTIVE", "ACK", "FINISHED"], ["ACTIVE", "ACK"]), events
            return restored, mine
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def test_alarm_transitions_are_stored_once_each_across_a_clean_restart():
    restored, mine = alarm_across_a_restart(lambda w: w.stop())
    assert mine == ["ACTIVE", "ACK", "FINISHED"]


def test_alarm_transitions_are_stored_once_each_across_a_kill_9():
    restored, mine = alarm_across_a_restart(lambda w: w.stop(sig=signal.SIGKILL))
    print(f"the alarm module restored {restored}; the occurrence's stored states {mine}")


STEPS = [40, 30, 20, 10]  # one rule per threshold: the level stepping down raises them one by one


def staircase_config():
    c = config()
    c["rules"] = [{"rule_id": f"below_{t}", "on_condition": f"float(WaterTank@TANK) < {t}",
                   "on_actions": ["raise_alarm()"]} for t in STEPS]
    return c


def all_alarm_events(h):
    status, body, _ = h.get("/api/history/events?kind=alarm&limit=1000")
    assert status == 200, body
    return list(reversed(body["items"]))  # oldest first


def open_in_the_table(h):
    return {a["occurrence_id"]: a["state"] for a in h.get("/api/alarms")[1]["items"]
            if a.get("occurrence_id") and a.get("state")}


def occurrences_left_open(h):
    """Occurrences whose last stored event is not FINISHED and that the alarm module's table does
    not hold: nothing will ever finish them."""
    last = {}
    for e in all_alarm_events(h):
        last[e["detail"]["occurrence_id"]] = e
    table = open_in_the_table(h)
    return {o: e["detail"]["state"] for o, e in last.items()
            if e["detail"]["state"] != "FINISHED" and o not in table}


def raise_the_staircase(h):
    """Every alarm cleared and acknowledged, then the level stepped down: the four rules raise one
    after the other within a few milliseconds; answers once the four raises are stored (a read
    commits the historian's events)."""
    write(h, 50.0)
    rules = [f"below_{t}" for t in STEPS]

    def quiet():
        h.post("/api/alarms/ack", {"rule_ids": rules})
        return not open_in_the_table(h)

    wait_until(quiet, message="no standing alarm")
    before = len(all_alarm_events(h))
    for level in (35.0, 25.0, 15.0, 5.0):
        write(h, level)
    return wait_until(lambda: (lambda new: new if sum(e["detail"]["state"] == "ACTIVE" for e in new)
                               >= len(STEPS) else None)(all_alarm_events(h)[before:]),
                      timeout=5, interval=0.002, message="the four raises stored")


def test_no_occurrence_is_left_open_after_a_kill_9_right_after_raising_alarms():
    """Cycles of: weir started on the same data, every alarm cleared and acknowledged (the alarm
    module's store just wrote), then the level stepped down so four rules raise one after the other
    within a few milliseconds, the raises seen in the history (a read commits the historian's
    events), and weir killed with SIGKILL at once — within the alarm module's 200 ms flush
    interval. After each restart every occurrence stored in the history ends FINISHED or is still
    open in the alarm module's table; one closed at restart says why."""
    data_dir = tempfile.mkdtemp(prefix="weir-hist-alarm-kill-")
    closed_at_restart = 0
    try:
        for cycle in range(5):
            with WeirServer(system_config=staircase_config(), data_dir=data_dir) as w:
                h = Http(w)
                h.login()
                left = occurrences_left_open(h)
                assert not left, f"cycle {cycle}: left open after the restart: {left}"
                for e in all_alarm_events(h):
                    if "reason" in e["detail"]:
                        assert e["detail"]["reason"] == \
                            "closed at restart: not in the restored alarm state", e
                        assert e["detail"]["state"] == "FINISHED", e
                        closed_at_restart += 1
                raise_the_staircase(h)
                w.stop(sig=signal.SIGKILL)
        with WeirServer(system_config=staircase_config(), data_dir=data_dir) as w:
            h = Http(w)
            h.login()
            left = occurrences_left_open(h)
            assert not left, f"left open after the last restart: {left}"
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    print(f"occurrences closed at restart: {closed_at_restart}")


def test_occurrences_the_alarm_module_lost_are_closed_at_restart():
    """The alarm module's state lost (data/alarms.db deleted, as a restore from an old backup would
    lose it) after four raises were stored: at the restart the historian closes each of them with
    a FINISHED event saying why, and only those."""
    data_dir = tempfile.mkdtemp(prefix="weir-hist-alarm-lost-")
    try:
        with WeirServer(system_config=staircase_config(), data_dir=data_dir) as w:
            h = Http(w)
            h.login()
            raised = {e["detail"]["occurrence_id"] for e in raise_the_staircase(h)
                      if e["detail"]["state"] == "ACTIVE"}
            assert len(raised) == len(STEPS), raised
            w.stop(sig=signal.SIGKILL)
        for name in os.listdir(data_dir):
            if name.startswith("alarms.db"):
                os.remove(os.path.join(data_dir, name))
        with WeirServer(system_config=staircase_config(), data_dir=data_dir) as w:
            h = Http(w)
            h.login()
            assert not occurrences_left_open(h)
            closed = [e for e in all_alarm_events(h) if "reason" in e["detail"]]
            assert {e["detail"]["occurrence_id"] for e in closed} == raised, closed
            assert all(e["detail"]["state"] == "FINISHED" and e["detail"]["reason"] ==
                       "closed at restart: not in the restored alarm state" and
                       e["detail"]["priority"] == "medium" for e in closed), closed
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
