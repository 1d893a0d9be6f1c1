"""MQTT over TLS (8883-style listener with a configured certificate): paho and
mosquitto_pub/sub with --cafile, both protocol versions; plain bytes on the TLS port fail."""
import os
import shutil
import socket
import ssl
import subprocess
import tempfile

import pytest

from paho_client import Client, V311, V5


@pytest.fixture(scope="module")
def cert():
    if not shutil.which("openssl"):
        pytest.fail("openssl CLI not installed (scripts/debian-packages.txt lists it)")
    d = tempfile.mkdtemp(prefix="mqtt-tls-")
    os.chmod(d, 0o755)
    crt, key = os.path.join(d, "server.crt"), os.path.join(d, "server.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", key, "-out", crt], check=True, capture_output=True, timeout=60)
    os.chmod(key, 0o644)  # Mosquitto drops to its own user
    yield crt, key
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module")
def tls_broker(cert):
    import conftest
    b = conftest.new_broker(tls=cert).start()
    yield b
    b.close()


@pytest.mark.parametrize("version", [V311, V5])
def test_tls_pubsub(tls_broker, cert, topic, version):
    def secure(c):
        c.c.tls_set(ca_certs=cert[0])
        return c
    with secure(Client(tls_broker, version=version, port=tls_broker.tls_port)) as sub, \
            Client(tls_broker, version=version) as plain:
        sub.subscribe(topic, 1)
        plain.publish(topic, b"to-tls", qos=1)
        assert sub.get().payload == b"to-tls"
        sub.publish(topic, b"from-tls", qos=1)
        assert sub.get().payload == b"from-tls"


def test_tls_cli(tls_broker, cert, topic):
    subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(tls_broker.tls_port), "--cafile", cert[0],
                    "-t", topic, "-m", "cli-tls", "-r", "-q", "1"], check=True, timeout=10)
    r = subprocess.run(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(tls_broker.tls_port), "--cafile", cert[0],
                        "-t", topic, "-C", "1", "-W", "5"], capture_output=True, timeout=10)
    assert r.stdout.decode().strip() == "cli-tls"


def test_plain_mqtt_on_tls_port_fails(tls_broker, cert):
    with socket.create_connection(("127.0.0.1", tls_broker.tls_port), timeout=5) as s:
        s.sendall(b"\x10\x0c\x00\x04MQTT\x04\x02\x00\x3c\x00\x00")
        s.settimeout(5)
        try:
            data = s.recv(100)
        except (ConnectionResetError, socket.timeout):
            data = b""
        assert not data.startswith(b"\x20")  # never a CONNACK in clear text


def test_tls_handshake_with_wrong_ca_fails(tls_broker):
    ctx = ssl.create_default_context()  # system CAs: our self-signed certificate is unknown
    with socket.create_connection(("127.0.0.1", tls_broker.tls_port), timeout=5) as s:
        with pytest.raises(ssl.SSLError):
            ctx.wrap_socket(s, server_hostname="127.0.0.1")
