"""Tag update → alarm on /ws, on a release build: a rule `WaterTank@TANK < 10` raising an alarm;
the level written over REST alternately low and high 200 times; prints p50/p99/max from the write
to the moment a /ws client subscribed to the alarm feed sees the alarm ACTIVE (or INACTIVE). The
path: REST → datapoint → rule (dependency index) → alarm module → live-feed hub. Each write waits a
random gap after the previous alarm was seen (--gap-ms MIN MAX, default 50 150: alarms at a random
phase of the 50 ms flush timer, as in a plant); --gap-ms 0 0 writes back to back, where the feed
coalesces (one flush interval). --rules N: N rules on the same condition, each write raises (or
clears) N alarms at once; the delay is until the last of them is seen (their transitions share
group commits: the commit count is printed at the end)."""
import argparse
import json
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "lib"))
import websocket  # noqa: E402
from weirproc import Http, WeirServer, tank_config  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gap-ms", nargs=2, type=float, default=[50.0, 150.0], metavar=("MIN", "MAX"))
    ap.add_argument("--rules", type=int, default=1)
    args = ap.parse_args()
    rnd = random.Random(1234)
    cfg = tank_config(tick_ms=100, autostart=False, modules=[{"name": "rule"}, {"name": "alarm"}])
    names = ["low"] if args.rules == 1 else [f"low_{i}" for i in range(args.rules)]
    cfg["rules"] = [{"rule_id": n, "on_condition": "WaterTank@TANK < 10", "on_actions": ["raise_alarm()"]}
                    for n in names]
    with WeirServer(system_config=cfg) as w:
        h = Http(w)
        h.login()
        h.post("/api/datapoints/WaterTank@TANK/value", {"value": 50})
        me = websocket.create_connection(f"ws://127.0.0.1:{w.http_port}/ws", timeout=5,
                                         header=[f"Authorization: Bearer {h.token}"])
        me.send(json.dumps({"type": "subscribe", "feeds": ["alarm"]}))
        me.recv(), me.recv()
        delays = []
        for i in range(200):
            low = i % 2 == 0
            want = "ACTIVE" if low else "INACTIVE"
            time.sleep(rnd.uniform(*args.gap_ms) / 1000)
            t0 = time.monotonic()
            h.post("/api/datapoints/WaterTank@TANK/value", {"value": 5 if low else 50})
            seen = set()
            while len(seen) < len(names):
                msg = json.loads(me.recv())
                seen |= {it["rule_id"] for it in msg.get("items", [])
                         if it and it.get("rule_id") in names and it.get("state") == want}
            delays.append((time.monotonic() - t0) * 1000)
        delays.sort()
        p = lambda q: delays[min(len(delays) - 1, int(q * len(delays)))]
        print(f"samples={len(delays)} p50={p(0.5):.1f} ms p99={p(0.99):.1f} ms max={delays[-1]:.1f} ms "
              f"(tag update over REST -> alarm on /ws; gap {args.gap_ms[0]:g}-{args.gap_ms[1]:g} ms; "
              f"flush interval 50 ms; {len(names)} alarm(s) per write)")
        # The alarm module's group commits (a transition is published once committed).
        status, text, _ = h.get("/metrics")
        got = {line.split()[0]: float(line.split()[1]) for line in str(text).splitlines()
               if line.startswith("weir_alarm_commit")} if status == 200 else {}
        if got:
            print(f"alarm commits={got.get('weir_alarm_commits_total', 0):.0f} "
                  f"errors={got.get('weir_alarm_commit_errors_total', 0):.0f} "
                  f"longest={got.get('weir_alarm_commit_seconds_max', 0) * 1000:.2f} ms")


if __name__ == "__main__":
    main()
