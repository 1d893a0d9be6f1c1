"""A tiny static server that maps URLs to web/dist the way the Weir server must.

  /api/docs/            -> dist/api-docs/index.html   (/api/docs  -> 308 to /api/docs/)
  /mqtt/docs/           -> dist/mqtt-docs/index.html  (/mqtt/docs -> 308 to /mqtt/docs/)
  /assets/<file>        -> dist/assets/<file>
  /api/openapi.json     -> an OpenAPI document (a fixture here)
  /mqtt/asyncapi.json   -> an AsyncAPI document (a fixture here)
  /api/datapoints       -> a fixture answer, for Scalar's "Test Request" client

Every response carries the server's Content-Security-Policy. Everything else is 404.
Run by hand: /usr/bin/python3 tests/web/docs_server.py [port]  (binds 127.0.0.1).
"""
import http.server
import os
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DIST = os.path.join(REPO, "web", "dist")
FIXTURES = os.path.join(HERE, "fixtures")

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; connect-src 'self'; font-src 'self' data:; frame-ancestors 'none'")

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".ttf": "font/ttf",
    ".wasm": "application/wasm",
    ".map": "application/json",
}

PAGES = {
    "/api/docs/": os.path.join(DIST, "api-docs", "index.html"),
    "/mqtt/docs/": os.path.join(DIST, "mqtt-docs", "index.html"),
}


def resolve(path, documents):
    """Returns ('file', fs_path) | ('redirect', location) | None for a request path."""
    if path in PAGES:
        return ("file", PAGES[path]) if os.path.isfile(PAGES[path]) else None
    if path + "/" in PAGES:
        return ("redirect", path + "/")
    if path in documents and os.path.isfile(documents[path]):
        return ("file", documents[path])
    if path.startswith("/assets/"):
        name = path[len("/assets/"):]
        # Flat directory of hashed names: no sub-paths, no traversal.
        if name and "/" not in name and "\\" not in name and not name.startswith("."):
            fs = os.path.join(DIST, "assets", name)
            if os.path.isfile(fs):
                return ("file", fs)
    return None


class Handler(http.server.BaseHTTPRequestHandler):
    documents = {}
    log = []

    def log_message(self, fmt, *args):  # keep pytest output quiet; keep a record instead
        self.log.append("%s %s" % (self.command, self.path))

    def _send(self, status, body=b"", content_type="text/plain; charset=utf-8", extra=None):
        self.send_response(status)
        self.send_header("Content-Security-Policy", CSP)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        path = self.path.split("?", 1)[0].split("#", 1)[0]
        target = resolve(path, self.documents)
        if target is None:
            self._send(404, b"not found\n")
        elif target[0] == "redirect":
            self._send(308, b"", extra={"Location": target[1]})
        else:
            with open(target[1], "rb") as f:
                body = f.read()
            ext = os.path.splitext(target[1])[1]
            self._send(200, body, CONTENT_TYPES.get(ext, "application/octet-stream"))

    do_HEAD = do_GET


def start(documents=None, port=0):
    """Starts the server on 127.0.0.1 (a free port by default); returns (server, base_url)."""
    docs = documents if documents is not None else {
        "/api/openapi.json": os.path.join(FIXTURES, "openapi.json"),
        "/mqtt/asyncapi.json": os.path.join(FIXTURES, "asyncapi.json"),
        "/api/datapoints": os.path.join(FIXTURES, "datapoints.json"),
    }
    handler = type("BoundHandler", (Handler,), {"documents": docs, "log": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, "http://127.0.0.1:%d" % server.server_address[1]


if __name__ == "__main__":
    srv, url = start(port=int(sys.argv[1]) if len(sys.argv) > 1 else 0)
    print(url + "/api/docs/  " + url + "/mqtt/docs/", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        srv.shutdown()
