"""The two documentation pages of web/ (Scalar at /api/docs/, AsyncAPI at /mqtt/docs/), built
into web/dist and served by a real weir (--web-root web/dist) under its Content-Security-Policy,
driven in Debian's headless Chromium (docs_pages.mjs, through web/'s playwright-core).

What the pages must show is read from weir's own /api/openapi.json and /mqtt/asyncapi.json.
The pages and the two documents are public; the one request sent through Scalar's "Test Request"
client needs a session: without one weir answers 401, with the bearer token of a login 200.

Builds web/dist first if it is missing (needs `npm ci` in web/, done by scripts/setup.sh).
"""
import glob
import html.parser
import json
import os
import shutil
import subprocess
import urllib.error
import urllib.request

import pytest

from weirproc import ROOT, Http, WeirServer, tank_config

HERE = os.path.dirname(os.path.abspath(__file__))
WEB = os.path.join(ROOT, "web")
DIST = os.path.join(WEB, "dist")
CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = os.environ.get("WEIR_SCREENSHOT_DIR", "/tmp")
PAGES = {"/api/docs/": "api-docs", "/mqtt/docs/": "mqtt-docs"}

# The policy the pages are built to work under (web/README.md), which weir must send.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; media-src 'self' blob:; connect-src 'self'; font-src 'self' data:; frame-ancestors 'none'")

# The operations and channels the pages are checked for: they must be in weir's documents.
API_OPERATIONS = [("get", "/api/datapoints"), ("get", "/api/commands"), ("post", "/api/commands")]
MQTT_CHANNELS = ["sensors/{device}", "commands/{device}/play", "presence/{device}/status"]

# Scalar 1.46 checks the document against its own, stricter schema and logs what it rejects as
# console warnings (the page still renders). Weir's document must pass it whole (it once used the
# empty schema {} for "any JSON value", which Scalar rejects: now the types are spelled out).
SCALAR_REJECTS_KNOWN = set()


def node():
    path = shutil.which("node")
    assert path, "node is not installed"
    return path


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url):
    """GET without a session and without following redirects: (status, headers, body)."""
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=30) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


@pytest.fixture(scope="module")
def dist():
    pages = [os.path.join(DIST, p, "index.html") for p in PAGES.values()]
    if not all(os.path.isfile(p) for p in pages):
        assert os.path.isdir(os.path.join(WEB, "node_modules")), \
            "web/node_modules is missing: run scripts/setup.sh (npm ci in web/)"
        subprocess.run(["npm", "run", "--silent", "build"], cwd=WEB, check=True, timeout=300,
                       stdout=subprocess.DEVNULL)
    for p in pages:
        assert os.path.isfile(p), p
    return DIST


@pytest.fixture(scope="module")
def weir(dist):
    with WeirServer(system_config=tank_config(autostart=False), args=["--web-root", dist]) as w:
        yield w


@pytest.fixture(scope="module")
def documents(weir):
    docs = {}
    for path in ("/api/openapi.json", "/mqtt/asyncapi.json"):
        status, headers, body = fetch(weir.url(path))  # public: no session
        assert status == 200 and headers.get_content_type() == "application/json", (path, status)
        docs[path] = json.loads(body)
    return docs


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


@pytest.mark.parametrize("path", list(PAGES))
def test_weir_serves_the_built_page_and_its_assets(dist, weir, path):
    status, headers, body = fetch(weir.url(path))
    assert status == 200, status
    assert headers.get_content_type() == "text/html"
    assert headers["Content-Security-Policy"] == CSP
    with open(os.path.join(dist, PAGES[path], "index.html"), "rb") as f:
        assert body == f.read(), "weir did not serve " + PAGES[path] + "/index.html"
    # Without the slash: redirected to the page.
    status, headers, _ = fetch(weir.url(path.rstrip("/")))
    assert 300 <= status < 400 and headers["Location"].endswith(path), (status, dict(headers))

    parser = _Tags()
    parser.feed(body.decode())
    scripts = [a for t, a in parser.tags if t == "script"]
    assert scripts, "no script"
    for attrs in scripts:
        assert attrs.get("src", "").startswith("/assets/"), attrs
        assert attrs.get("type") == "module", attrs
    assert all(a["text"].strip() == "" for t, a in parser.tags if t == "script-body"), \
        "inline script"
    assets = []
    for tag, attrs in parser.tags:
        for key in ("src", "href"):
            url = attrs.get(key)
            if url and tag in ("script", "link", "img"):
                assert url.startswith("/assets/") or url.startswith("data:"), (tag, url)
                if url.startswith("/assets/"):
                    assets.append(url)
        assert not any(k.startswith("on") for k in attrs), ("inline handler", tag, attrs)
    assert assets
    for asset in assets:
        status, headers, served = fetch(weir.url(asset))
        assert status == 200, (asset, status)
        with open(os.path.join(dist, asset.lstrip("/")), "rb") as f:
            assert served == f.read(), asset
        expected = "text/javascript" if asset.endswith(".js") else "text/css"
        assert headers.get_content_type() == expected, (asset, headers["Content-Type"])


def test_no_bundled_font_or_stylesheet_from_elsewhere(dist):
    # CSS url(...) and @import may only point at bundled files or data: URLs.
    for css in glob.glob(os.path.join(dist, "assets", "*.css")):
        with open(css, encoding="utf-8") as f:
            text = f.read()
        assert "@import url(http" not in text and "url(http" not in text \
            and 'url("http' not in text and "url('http" not in text, css


def test_documents_list_what_the_pages_are_checked_for(documents):
    paths = documents["/api/openapi.json"]["paths"]
    for method, path in API_OPERATIONS:
        assert paths.get(path, {}).get(method, {}).get("summary"), (method, path)
    get_datapoints = paths["/api/datapoints"]["get"]
    assert get_datapoints["security"] and "401" in get_datapoints["responses"]
    addresses = {c.get("address") for c in documents["/mqtt/asyncapi.json"]["channels"].values()}
    assert set(MQTT_CHANNELS) <= addresses, addresses


def test_weirs_asyncapi_document_matches_the_real_parser(weir, tmp_path):
    status, _, body = fetch(weir.url("/mqtt/asyncapi.json"))
    assert status == 200
    document = tmp_path / "asyncapi.json"
    document.write_bytes(body)
    run = subprocess.run([node(), "tests/asyncapi-document-parity.mjs", str(document)], cwd=WEB,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    report = json.loads(run.stdout)
    assert report["ok"] and len(report["documents"]) == 3, report


def test_docs_pages_in_chromium(weir, documents):
    assert os.access(CHROMIUM, os.X_OK), "Debian's chromium is not installed"
    h = Http(weir)
    assert h.get("/api/datapoints")[0] == 401
    h.login()
    status, listed, _ = h.get("/api/datapoints")
    assert status == 200 and listed["items"], listed
    datapoint = listed["items"][0]["id"]
    # So that seeing it on the page means the live answer was shown, not the document.
    assert datapoint not in json.dumps(documents["/api/openapi.json"])

    paths = documents["/api/openapi.json"]["paths"]
    args = [node(), os.path.join(HERE, "docs_pages.mjs"), "--base", weir.url(""),
            "--token", h.token, "--screenshots", SCREENSHOTS, "--chromium", CHROMIUM,
            "--try-operation", "get /api/datapoints", "--try-expect", datapoint,
            "--timeout", "60000"]  # per step: a hang guard on a loaded machine
    for method, path in API_OPERATIONS:
        args += ["--expect-api", paths[path][method]["summary"]]
    for channel in MQTT_CHANNELS:
        args += ["--expect-mqtt", channel]
    # The servers of the AsyncAPI document are this weir's own listeners.
    servers = documents["/mqtt/asyncapi.json"]["servers"].values()
    assert f"127.0.0.1:{weir.mqtt_port}" in {s["host"] for s in servers}, servers
    for server in servers:
        args += ["--expect-mqtt", server["host"]]
    run = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=240)
    try:
        report = json.loads(run.stdout)
    except ValueError:
        pytest.fail("driver printed no report:\n" + run.stdout + run.stderr)
    assert report["failures"] == [], json.dumps(report["failures"], indent=1)
    assert report["offsite"] == []
    assert run.returncode == 0 and report["ok"]
    pages = {p["name"]: p for p in report["pages"]}
    assert pages["api-docs"]["rendered"] and pages["mqtt-docs"]["rendered"]
    # Scalar's client: 401 without a session, then 200 with the login's bearer token.
    assert [(r["label"], r["status"]) for r in pages["api-docs"]["tryRequests"]] == \
        [("no session", 401), ("bearer token", 200)]
    assert pages["api-docs"]["tryRequests"][1]["authorization"] == "Bearer " + h.token
    rejected = {e.split(":")[0] for p in report["pages"] for e in p["documentValidation"]}
    assert rejected <= SCALAR_REJECTS_KNOWN, pages["api-docs"]["documentValidation"]
    # Every request went to weir, which sent its CSP with both pages.
    for p in report["pages"]:
        assert p["requests"], p["name"]
        assert all(r.startswith(weir.url("/")) or r.startswith("data:") for r in p["requests"]), p
        assert p["headers"]["content-security-policy"] == CSP
