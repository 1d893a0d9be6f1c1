"""The two documentation pages of web/ (Scalar at /api/docs/, AsyncAPI at /mqtt/docs/), built
into web/dist, served the way the Weir server must serve them (docs_server.py) under the
server's Content-Security-Policy, and driven in Debian's headless Chromium.

Builds web/dist first if it is missing (needs `npm ci` in web/, done by scripts/setup.sh).
"""
import glob
import html.parser
import json
import os
import shutil
import subprocess

import pytest

import docs_server

HERE = os.path.dirname(os.path.abspath(__file__))
WEB = os.path.join(os.path.dirname(os.path.dirname(HERE)), "web")
DIST = docs_server.DIST
CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = os.environ.get("WEIR_SCREENSHOT_DIR", "/tmp")


def node():
    path = shutil.which("node")
    assert path, "node is not installed"
    return path


@pytest.fixture(scope="module")
def dist():
    pages = [os.path.join(DIST, p, "index.html") for p in ("api-docs", "mqtt-docs")]
    if not all(os.path.isfile(p) for p in pages):
        assert os.path.isdir(os.path.join(WEB, "node_modules")), \
            "web/node_modules is missing: run scripts/setup.sh (npm ci in web/)"
        subprocess.run(["npm", "run", "--silent", "build"], cwd=WEB, check=True, timeout=300,
                       stdout=subprocess.DEVNULL)
    for p in pages:
        assert os.path.isfile(p), p
    return DIST


@pytest.fixture(scope="module")
def server(dist):
    srv, base = docs_server.start()
    yield base
    srv.shutdown()
    srv.server_close()


class _Tags(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []
        self._script = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._script = ""

    def handle_data(self, data):
        if self._script is not None:
            self._script += data

    def handle_endtag(self, tag):
        if tag == "script":
            self.tags.append(("script-body", {"text": self._script or ""}))
            self._script = None


@pytest.mark.parametrize("page", ["api-docs", "mqtt-docs"])
def test_pages_load_only_bundled_assets(dist, page):
    parser = _Tags()
    with open(os.path.join(dist, page, "index.html"), encoding="utf-8") as f:
        parser.feed(f.read())
    scripts = [a for t, a in parser.tags if t == "script"]
    assert scripts, "no script"
    for attrs in scripts:
        assert attrs.get("src", "").startswith("/assets/"), attrs
        assert attrs.get("type") == "module", attrs
    assert all(a["text"].strip() == "" for t, a in parser.tags if t == "script-body"), \
        "inline script"
    for tag, attrs in parser.tags:
        for key in ("src", "href"):
            url = attrs.get(key)
            if url and tag in ("script", "link", "img"):
                assert url.startswith("/assets/") or url.startswith("data:"), (tag, url)
        assert not any(k.startswith("on") for k in attrs), ("inline handler", tag, attrs)
    for asset in [a.get("src") or a.get("href") for t, a in parser.tags if t in ("script", "link")]:
        if asset.startswith("/assets/"):
            assert os.path.isfile(os.path.join(dist, asset.lstrip("/"))), asset


def test_no_bundled_font_or_stylesheet_from_elsewhere(dist):
    # CSS url(...) and @import may only point at bundled files or data: URLs.
    for css in glob.glob(os.path.join(dist, "assets", "*.css")):
        with open(css, encoding="utf-8") as f:
            text = f.read()
        assert "@import url(http" not in text and "url(http" not in text \
            and 'url("http' not in text and "url('http" not in text, css


def test_asyncapi_document_matches_the_real_parser():
    fixture = os.path.join(HERE, "fixtures", "asyncapi.json")
    run = subprocess.run([node(), "tests/asyncapi-document-parity.mjs", fixture], cwd=WEB,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    report = json.loads(run.stdout)
    assert report["ok"] and len(report["documents"]) == 3, report


def test_docs_pages_in_chromium(server):
    assert os.access(CHROMIUM, os.X_OK), "Debian's chromium is not installed"
    run = subprocess.run(
        [node(), "tests/docs-pages.mjs", "--base", server, "--screenshots", SCREENSHOTS,
         "--expect-api", "List datapoints", "--expect-mqtt", "sensors/{device}",
         "--chromium", CHROMIUM],
        cwd=WEB, capture_output=True, text=True, timeout=240)
    try:
        report = json.loads(run.stdout)
    except ValueError:
        pytest.fail("driver printed no report:\n" + run.stdout + run.stderr)
    assert report["failures"] == [], json.dumps(report["failures"], indent=1)
    assert report["offsite"] == []
    assert run.returncode == 0 and report["ok"]
    names = {p["name"]: p for p in report["pages"]}
    assert names["api-docs"]["rendered"] and names["mqtt-docs"]["rendered"]
    # Every request went to the one local server.
    for p in report["pages"]:
        assert p["requests"], p["name"]
        assert all(r.startswith(server + "/") or r.startswith("data:") for r in p["requests"]), p
        assert p["csp_header"] == docs_server.CSP
