"""Caps on what attackers can grow (issue 15, item 9, the HTTP side): a flood of refused
anonymous MQTT CONNECTs writes a bounded number of audit rows (the rest are counted, and the next
row says how many were left out); repeated feed names in one /ws subscribe give one snapshot;
the caps show on /metrics."""
import json
import os
import re
import sys

import websocket

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "mqtt"))

import mqtt_raw  # noqa: E402
from weirproc import Http, WeirServer, tank_config, wait_until  # noqa: E402

FLOOD = 300


def metric(text, name):
    m = re.search(rf"^{name} (\S+)$", text, re.M)
    assert m, f"{name} missing from /metrics"
    return float(m.group(1))


def test_an_anonymous_connect_flood_does_not_grow_the_audit_log():
    with WeirServer(system_config=tank_config(autostart=False)) as w:
        for i in range(FLOOD):
            with mqtt_raw.RawClient(w.mqtt_port, version=5) as c:
                assert c.connect(f"flood-{i}").reason == 0x87  # anonymous: not authorised
        admin = Http(w)
        admin.login()

        def rows():
            _, audit, _ = admin.get("/api/audit?action=mqtt_auth_failed&limit=1000")
            return audit["items"]

        wait_until(lambda: len(rows()) >= 1, message="the first refusals in the audit log")
        assert len(rows()) <= 20, len(rows())
        _, text, _ = admin.get("/metrics")
        assert metric(text, "weir_audit_rows_left_out_total") >= FLOOD - 20


def test_repeated_feed_names_give_one_snapshot():
    with WeirServer(system_config=tank_config(autostart=False)) as w:
        h = Http(w)
        h.login()
        ws = websocket.create_connection(f"ws://127.0.0.1:{w.http_port}/ws", timeout=10,
                                         header=[f"Authorization: Bearer {h.token}"])
        ws.send(json.dumps({"type": "subscribe", "feeds": ["datapoint"] * 200}))
        ws.send(json.dumps({"type": "ping"}))
        seen = []
        while (msg := json.loads(ws.recv()))["type"] != "pong":
            seen.append(msg)
        assert seen[0] == {"type": "subscribed", "feeds": ["datapoint"]}
        assert [m["type"] for m in seen[1:]] == ["snapshot"]
        ws.close()
        _, text, _ = h.get("/metrics")
        assert metric(text, "weir_livefeed_duplicate_feed_names_total") == 199
        for name in ("weir_login_throttle_keys", "weir_login_verifications_in_flight",
                     "weir_livefeed_revoked_clients_total", "weir_livefeed_revoked_feeds_total"):
            metric(text, name)
