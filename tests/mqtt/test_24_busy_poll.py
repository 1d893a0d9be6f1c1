"""The io thread's busy poll (issue 16, listeners.busy_poll_us): under a QoS 1 pipeline kept full by
a window, the poller polls a little before it sleeps and counts the spins that found events
(`weir_mqtt_busy_poll_hits_total`); an idle broker sleeps (no spinning, no CPU); 0 turns it off;
an out-of-range value is refused by --check-config with where and why.

Weir only (the counters are weir's /metrics)."""
import os
import subprocess
import time

import pytest

from conftest import BROKER_KIND, qos1_stream, weir_broker, weir_metrics
import weirproc

pytestmark = pytest.mark.skipif(BROKER_KIND != "weir", reason="weir's /metrics")

MESSAGES = 3000
WINDOW = 20


def spins(server):
    return weir_metrics(server, r"^weir_mqtt_busy_poll_(\w+)_total (\S+)$")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pipeline(server, topic):
    """WINDOW QoS 1 messages kept in flight until all MESSAGES are acknowledged and received."""
    qos1_stream(server, topic, MESSAGES, WINDOW, name="spin")


def config(busy_poll_us):
    # The queue holds every message: the publisher is acknowledged on receipt and may run ahead
    # of a slow subscriber, and a full queue would drop (by design) what the test counts.
    return {"persistence": False, "max_inflight": WINDOW, "max_queued_messages": MESSAGES,
            "sys_interval_s": 0, "listeners": {"busy_poll_us": busy_poll_us}}


def test_a_full_window_spins_and_an_idle_broker_sleeps(topic):
    # A budget far above a round trip here, so whether a spin finds events does not depend on
    # the machine's speed; the CPU credit still bounds how long each spin lasts.
    with weir_broker(config(5000)) as server:
        weirproc.wait_port(server.mqtt_port)
        pipeline(server, topic)
        busy = spins(server)
        # Spun: each spin found events (hit) or was cut by the CPU credit; which of the two
        # depends on how fast this machine's Python client is, so either shows it engaged.
        assert busy["hits"] + busy["cut"] > 0 and busy["seconds"] > 0, busy
        # Idle: no socket events, so no spins; the thread sleeps. A poller that spun regardless
        # would burn the whole half second.
        cpu0 = cpu_seconds(server.proc.pid)
        time.sleep(0.5)
        cpu1 = cpu_seconds(server.proc.pid)
        idle = spins(server)
    assert idle["seconds"] == pytest.approx(busy["seconds"], abs=0.01), (busy, idle)
    assert cpu1 - cpu0 < 0.15, f"idle broker used {cpu1 - cpu0:.2f} s of CPU in 0.5 s"


def test_zero_turns_busy_polling_off(topic):
    with weir_broker(config(0)) as server:
        weirproc.wait_port(server.mqtt_port)
        pipeline(server, topic)
        busy = spins(server)
    assert busy["hits"] + busy["misses"] + busy["cut"] == 0, busy
    assert busy["seconds"] == 0, busy


def test_out_of_range_is_refused_with_where_and_why():
    w = weir_broker(config(20000))
    check = subprocess.run([weirproc.WEIR_BIN, "--check-config", w.config_dir],
                           capture_output=True, text=True, timeout=30)
    out = check.stdout + check.stderr
    assert check.returncode != 0, out
    assert "listeners.busy_poll_us" in out and "0 to 10000" in out, out
