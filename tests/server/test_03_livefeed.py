"""The /ws live feed, by behaviour: the upgrade needs a session; a new subscriber gets the
feed's snapshot and no one else does; the feed is flushed at least once per driver step; a value
written to an idle datapoint arrives before the drivers have stepped twice; a burst of writes
arrives coalesced, ending with the last value; bad messages get errors and the socket survives.

No check here reads a wall clock: how fast an update arrives is measured by
bench/livefeed_latency.py (bench/README.md). The ordering checks use a second driver as the
clock instead: "Ticker", a tank that fills by exactly one per 100 ms driver step. Each step of
Ticker is a datapoint change, so "how many steps happened before X arrived" says whether X
waited for a long batch (a feed batched once a second carries ~10 steps per batch) without
depending on how late the server's timers run (ASan, a loaded CI machine): the server's flush
comes due before Ticker's next step whenever its interval is shorter than the step.
"""
import contextlib
import json
import socket

import pytest
import websocket

from weirproc import Http, WeirServer, tank_config

IDLE = "WaterTank@TANK"  # written by hand only (WaterTank's simulation is not started)
TICKER = "Ticker@TANK"  # +1 per driver step while Ticker runs
RECV_TIMEOUT = 30  # a hang guard, not a limit on latency

TICKER_DRIVER = {
    "name": "Ticker", "driver_class": "TankTestDriver",
    "params": {"autostart": False, "tick_ms": 100},
    "datapoints": [{"name": "TANK", "type": "LEVEL"}, {"name": "PUMP", "type": "OPENED_CLOSED"},
                   {"name": "DOOR", "type": "OPENED_CLOSED"}, {"name": "TEST", "type": "START_STOP"}],
}


@pytest.fixture(scope="module")
def server():
    config = tank_config(tick_ms=100, autostart=False, extra_drivers=[TICKER_DRIVER])
    with WeirServer(system_config=config) as w:
        yield w


def session(server):
    h = Http(server)
    h.login()
    return h


class Feed:
    """One /ws connection: subscribe, receive parsed messages, and a ping barrier."""

    def __init__(self, server, token):
        self.ws = websocket.create_connection(f"ws://127.0.0.1:{server.http_port}/ws",
                                              timeout=RECV_TIMEOUT,
                                              header=[f"Authorization: Bearer {token}"])

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.ws.close()
        return False

    def send(self, msg):
        self.ws.send(json.dumps(msg))

    def recv(self):
        return json.loads(self.ws.recv())

    def subscribe(self, *feeds):
        """Subscribes; returns the snapshots, which must follow the acknowledgement in order."""
        self.send({"type": "subscribe", "feeds": list(feeds)})
        assert self.recv() == {"type": "subscribed", "feeds": list(feeds)}
        snapshots = [self.recv() for _ in feeds]
        assert [(s["type"], s["feed"]) for s in snapshots] == [("snapshot", f) for f in feeds]
        return snapshots

    def until_pong(self):
        """Everything the server queued for this client before it answered a ping sent now."""
        self.send({"type": "ping"})
        seen = []
        while (msg := self.recv())["type"] != "pong":
            seen.append(msg)
        return seen

    def updates(self):
        while True:
            msg = self.recv()
            if msg["type"] == "update":
                yield msg


def values_of(msg, dp):
    return [i["value"] for i in msg.get("items") or [] if i and i.get("id") == dp]


def write(h, dp, value):
    status, body, _ = h.post(f"/api/datapoints/{dp}/value", {"value": value})
    assert status == 200, (dp, value, status, body)
    return body


@contextlib.contextmanager
def ticker_running(h):
    """Ticker fills from 0 by one per step (100 ms) until stopped, reaching 100 after ~10 s."""
    write(h, TICKER, 0)
    write(h, "Ticker@DOOR", "CLOSED")
    write(h, "Ticker@PUMP", "OPENED")
    write(h, "Ticker@TEST", "STARTED")
    try:
        yield
    finally:
        write(h, "Ticker@TEST", "STOPPED")


def test_upgrade_needs_a_session(server):
    with pytest.raises(websocket.WebSocketBadStatusException) as e:
        websocket.create_connection(f"ws://127.0.0.1:{server.http_port}/ws", timeout=RECV_TIMEOUT)
    assert e.value.status_code == 401


def test_a_new_subscriber_gets_the_snapshot_and_no_one_else_does(server):
    h = session(server)
    with Feed(server, h.token) as a, Feed(server, h.token) as b:
        dps, drivers = a.subscribe("datapoint", "communication")
        assert {IDLE, "WaterTank@PUMP", TICKER} <= {i["id"] for i in dps["items"]}
        assert {"WaterTank", "Ticker"} <= {d["name"] for d in drivers["items"]}

        b.subscribe("datapoint", "communication")
        # The server handled b's subscription before b received its snapshots, and handles a's
        # ping after that: anything it sent a because of b would come before a's pong.
        assert [m for m in a.until_pong() if m["type"] != "update"] == []


def test_every_driver_step_arrives_as_its_own_update(server):
    """A feed flushed only once a second would deliver Ticker's 100 ms steps ten at a time:
    coalesced into one jump of ~10, or ten items of one datapoint in one update."""
    h = session(server)
    with Feed(server, h.token) as f:
        f.subscribe("datapoint")
        steps = []
        with ticker_running(h):
            for msg in f.updates():
                values = values_of(msg, TICKER)
                assert len(values) <= 1, msg
                if values and values[0] >= 1:  # 0 is the hand-written start
                    steps.append(values[0])
                if len(steps) == 8:
                    break
        assert steps == [steps[0] + k for k in range(8)], steps


def test_a_write_to_an_idle_datapoint_arrives_before_the_next_driver_step_but_one(server):
    """The server marks the written datapoint when it answers the POST, so it goes out with the
    next flush, which comes before Ticker's next step but one (Ticker's level read right after
    the write is at least its level at the write). Waiting for a fixed 1 s batch, several steps
    would come first."""
    h = session(server)
    with Feed(server, h.token) as f:
        f.subscribe("datapoint")
        with ticker_running(h):
            for msg in f.updates():  # Ticker is stepping
                if any(v >= 1 for v in values_of(msg, TICKER)):
                    break
            for value in (11, 12, 13, 14, 15):
                assert write(h, IDLE, value)["value"] == value
                status, ticker, _ = h.get(f"/api/datapoints/{TICKER}")
                assert status == 200, ticker
                level = ticker["value"]
                steps = []
                for msg in f.updates():
                    steps += values_of(msg, TICKER)
                    if value in values_of(msg, IDLE):
                        break
                assert all(s <= level + 1 for s in steps), (value, level, steps)


def pipelined_writes(server, token, dp, values):
    """All the POSTs in one send on one connection (HTTP/1.1 pipelining), so that they reach the
    server together; returns the status codes in order."""
    raw = b""
    for v in values:
        body = json.dumps({"value": v}).encode()
        raw += (f"POST /api/datapoints/{dp}/value HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    statuses = []
    with socket.create_connection(("127.0.0.1", server.http_port), timeout=RECV_TIMEOUT) as s:
        s.sendall(raw)
        r = s.makefile("rb")
        for _ in values:
            status = int(r.readline().split()[1])
            length = 0
            while (line := r.readline()) not in (b"\r\n", b"\n", b""):
                name, _, val = line.decode().partition(":")
                if name.strip().lower() == "content-length":
                    length = int(val)
            r.read(length)
            statuses.append(status)
    return statuses


def test_a_burst_of_writes_arrives_coalesced_with_the_last_value(server):
    h = session(server)
    burst = list(range(20, 70))
    with Feed(server, h.token) as f:
        f.subscribe("datapoint")
        assert pipelined_writes(server, h.token, IDLE, burst) == [200] * len(burst)
        seen = []
        for msg in f.updates():
            values = values_of(msg, IDLE)
            assert len(values) <= 1, msg  # a datapoint once per update, in its latest state
            seen += values
            if burst[-1] in values:
                break
        # Only forward (no stale value after a newer one), ending with the last one written,
        # and fewer updates than writes.
        assert seen == sorted(set(seen)) and set(seen) <= set(burst), seen
        assert seen[-1] == burst[-1]
        assert len(seen) < len(burst), seen
        assert [m for m in f.until_pong() if values_of(m, IDLE)] == []
    assert h.get(f"/api/datapoints/{IDLE}")[1]["value"] == burst[-1]


def test_bad_messages_get_errors_and_the_socket_survives(server):
    h = session(server)
    with Feed(server, h.token) as f:
        f.ws.send("{oops")
        msg = f.recv()
        assert msg["type"] == "error" and "invalid JSON" in msg["error"]["message"]
        f.send({"type": "subscribe", "feeds": ["nosuchfeed"]})
        assert f.recv()["error"]["code"] == "unknown_feed"
        assert [m for m in f.until_pong() if m["type"] == "error"] == []
