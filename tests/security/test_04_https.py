"""HTTPS on the HTTP port when a certificate is configured: a test certificate generated now
(nothing committed), login over TLS gives a Secure cookie, HSTS is sent, and MQTT over TLS
accepts the same certificate."""
import os
import ssl
import subprocess
import tempfile

import requests

from weirproc import ADMIN_PASSWORD, WeirServer, free_port, tank_config, wait_port


def make_cert(d):
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True)
    return cert, key


def test_https_login_secure_cookie_hsts_and_mqtts():
    with tempfile.TemporaryDirectory() as d:
        cert, key = make_cert(d)
        tls_port = free_port()
        w = WeirServer(system_config=tank_config(autostart=False),
                       args=["--tls-cert", cert, "--tls-key", key, "--mqtt-tls-port", str(tls_port)])
        w.url = lambda path: f"https://127.0.0.1:{w.http_port}{path}"
        # readiness over TLS: the harness polls plain HTTP, so wait for the port and poll here
        import urllib.request
        orig = urllib.request.urlopen
        ctx = ssl.create_default_context(cafile=cert)
        urllib.request.urlopen = lambda url, timeout=1: orig(url, timeout=timeout, context=ctx)
        try:
            w.start()
        finally:
            urllib.request.urlopen = orig
        try:
            r = requests.post(w.url("/api/auth/login"), json={"username": "admin", "password": ADMIN_PASSWORD},
                              verify=cert, timeout=10)
            assert r.status_code == 200
            cookie = r.headers["Set-Cookie"]
            assert "Secure" in cookie and "HttpOnly" in cookie
            assert "max-age" in r.headers["Strict-Transport-Security"].lower()
            token = r.json()["token"]
            r = requests.get(w.url("/api/datapoints"), headers={"Authorization": f"Bearer {token}"}, verify=cert, timeout=10)
            assert r.status_code == 200
            # MQTT over TLS: the broker answers a TLS handshake with the same certificate.
            wait_port(tls_port)
            import socket
            with socket.create_connection(("127.0.0.1", tls_port), timeout=5) as raw:
                with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
                    assert s.version() in ("TLSv1.2", "TLSv1.3")
        finally:
            w.__exit__(None, None, None)
