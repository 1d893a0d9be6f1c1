"""Admission slows a storm instead of refusing it (issue 16): 2,000 clients connect at once to a
weir that accepts 1,000 per second; beyond the rate it stops accepting for a moment and the
listen backlog holds the rest, so every client gets its CONNACK (none is accepted and closed),
and the pauses are counted on /metrics."""
import resource
import selectors
import socket
import time

import pytest

import mqtt_raw as raw
import weirproc
from conftest import BROKER_KIND

pytestmark = pytest.mark.skipif(BROKER_KIND != "weir", reason="weir's admission")

CLIENTS = 2000
RATE = 1000
PASSWORD = "Wire-tests-Pw-4821"  # conftest.WeirBroker's


@pytest.fixture
def storm_broker():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    # The storm needs its sockets; a machine that cannot give them fails here, loudly.
    assert hard >= CLIENTS + 200, f"ulimit -n hard limit {hard} is below {CLIENTS + 200}"
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, CLIENTS * 2)), hard))
    import conftest
    b = conftest.WeirBroker(listeners={"max_accepts_per_second": RATE}).start()
    yield b
    b.close()


def test_every_client_of_a_storm_gets_its_connack(storm_broker):
    sel = selectors.DefaultSelector()
    socks = []
    start = time.time()
    try:
        for i in range(CLIENTS):
            s = socket.create_connection(("127.0.0.1", storm_broker.port), timeout=10)
            s.sendall(raw.connect(f"storm-{i}", version=4))
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ, bytearray())
            socks.append(s)
        connect_seconds = time.time() - start
        acked = closed = 0
        deadline = time.time() + 30
        while acked + closed < CLIENTS and time.time() < deadline:
            for key, _ in sel.select(timeout=1):
                try:
                    data = key.fileobj.recv(64)
                except ConnectionResetError:
                    data = b""
                if not data:
                    closed += 1
                    sel.unregister(key.fileobj)
                    continue
                key.data.extend(data)
                if len(key.data) >= 4:
                    assert key.data[0] >> 4 == raw.CONNACK and key.data[3] == 0, bytes(key.data)
                    acked += 1
                    sel.unregister(key.fileobj)
        seconds = time.time() - start
        print(f"{acked} of {CLIENTS} acknowledged, {closed} closed, in {seconds:.2f} s")
        assert closed == 0, f"{closed} clients were closed instead of admitted"
        assert acked == CLIENTS
        # The storm came faster than the rate allows: accepting paused, and said so. On a machine
        # so busy that this loop itself connected slower than the rate, no pause was needed.
        if connect_seconds > CLIENTS / RATE / 2:
            print(f"connects took {connect_seconds:.2f} s: slower than the rate, no pause expected")
            return
        h = weirproc.Http(storm_broker.server)
        h.login(password=PASSWORD)
        status, body, _ = h.get("/metrics")
        pauses = [float(line.split()[1]) for line in body.splitlines()
                  if line.startswith("weir_mqtt_accept_pauses_total ")]
        assert pauses and pauses[0] > 0, "no accept pause on /metrics"
    finally:
        for s in socks:
            s.close()
