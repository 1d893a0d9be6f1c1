"""Live-feed latency on a release build: 200 values written through the REST API while 50 other
WebSocket clients subscribe to the datapoint feed; prints p50/p99/max time from the write to
the moment the measuring client sees the value.

Each write waits a random gap after the previous value was seen (--gap-ms MIN MAX, default
50 150: a low rate, at a random phase of the 50 ms flush timer). --gap-ms 0 0 writes right
after the previous batch, the worst case of a fixed coalescing window."""
import argparse
import json
import random
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "lib"))
import websocket  # noqa: E402
from weirproc import Http, WeirServer, tank_config  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gap-ms", nargs=2, type=float, default=[50.0, 150.0], metavar=("MIN", "MAX"))
    ap.add_argument("--samples", type=int, default=200)
    args = ap.parse_args()
    rnd = random.Random(18)
    with WeirServer(system_config=tank_config(tick_ms=100, autostart=False)) as w:
        h = Http(w)
        h.login()
        url = f"ws://127.0.0.1:{w.http_port}/ws"
        hdr = [f"Authorization: Bearer {h.token}"]
        others = []
        for _ in range(50):
            ws = websocket.create_connection(url, timeout=5, header=hdr)
            ws.send(json.dumps({"type": "subscribe", "feeds": ["datapoint"]}))
            others.append(ws)
        stop = threading.Event()

        def drain():
            while not stop.is_set():
                for ws in others:
                    ws.settimeout(0.001)
                    try:
                        while True:
                            ws.recv()
                    except Exception:
                        pass

        t = threading.Thread(target=drain, daemon=True)
        t.start()
        me = websocket.create_connection(url, timeout=5, header=hdr)
        me.send(json.dumps({"type": "subscribe", "feeds": ["datapoint"]}))
        me.recv(), me.recv()
        delays = []
        for i in range(args.samples):
            time.sleep(rnd.uniform(*args.gap_ms) / 1000)
            value = (i % 90) + 1 + (0.5 if i % 2 else 0)
            t0 = time.monotonic()
            h.post("/api/datapoints/WaterTank@TANK/value", {"value": value})
            while True:
                msg = json.loads(me.recv())
                if any(it.get("id") == "WaterTank@TANK" and it.get("value") == value for it in msg.get("items", [])):
                    delays.append((time.monotonic() - t0) * 1000)
                    break
        stop.set()
        delays.sort()
        p = lambda q: delays[min(len(delays) - 1, int(q * len(delays)))]
        print(f"samples={len(delays)} p50={p(0.5):.1f} ms p99={p(0.99):.1f} ms max={delays[-1]:.1f} ms "
              f"(gap {args.gap_ms[0]:g}-{args.gap_ms[1]:g} ms; 50 other subscribers; flush interval 50 ms)")


if __name__ == "__main__":
    main()
