#!/usr/bin/env python3
"""Gzip size of the operator app as the browser loads it from web/dist: the files /scada/ loads
up front (its HTML, entry script, static imports and stylesheets) and the chunks it loads on
demand (map, trends, video player), following the imports inside the built files. The docs
viewers are not part of it. Usage: python3 bench/web_bundle_size.py [web/dist] [--budget KB]"""
import gzip
import os
import re
import sys

dist = next((a for a in sys.argv[1:] if not a.startswith("--") and not a.isdigit()), "web/dist")
budget_kb = 400
if "--budget" in sys.argv:
    budget_kb = int(sys.argv[sys.argv.index("--budget") + 1])
assets = os.path.join(dist, "assets")

STATIC = re.compile(r'(?:from|import)\s*"\./([\w.\-]+\.js)"')
ANY = re.compile(r'["`(/](?:assets/|\./)?([\w.\-]+-[\w\-]{8}\.(?:js|css|png|svg|woff2?))["`\')]')


def gz(path):
    with open(path, "rb") as f:
        return len(gzip.compress(f.read(), 9))


def refs(name, pattern):
    with open(os.path.join(assets, name), encoding="utf-8", errors="replace") as f:
        return {m for m in pattern.findall(f.read()) if os.path.exists(os.path.join(assets, m))}


def reachable(start, pattern):
    """Every asset the scripts and style sheets of `start` import, followed transitively."""
    found, queue = set(start), [n for n in start if n.endswith((".js", ".css"))]
    while queue:
        for r in refs(queue.pop(), pattern) - found:
            found.add(r)
            if r.endswith((".js", ".css")):
                queue.append(r)
    return found


with open(os.path.join(dist, "scada", "index.html"), encoding="utf-8") as f:
    html = f.read()
initial = set(re.findall(r'/assets/([\w.\-]+)"', html))
initial = reachable(initial, STATIC)  # what loads up front: static imports only
everything = reachable(initial, ANY)  # plus what the views import on demand
lazy = everything - initial

html_gz = len(gzip.compress(html.encode(), 9))
first = html_gz + sum(gz(os.path.join(assets, n)) for n in initial)
later = sum(gz(os.path.join(assets, n)) for n in lazy)
print(f"operator app, loaded up front: {first / 1024:.1f} KB gzip ({len(initial) + 1} files)")
for n in sorted(lazy, key=lambda n: -gz(os.path.join(assets, n))):
    print(f"  on demand: {n:48s} {gz(os.path.join(assets, n)) / 1024:7.1f} KB gzip")
print(f"operator app, everything: {(first + later) / 1024:.1f} KB gzip (budget {budget_kb} KB)")
sys.exit(0 if first + later <= budget_kb * 1024 else 1)
