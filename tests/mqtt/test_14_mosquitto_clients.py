"""Interop with the Debian mosquitto-clients tools (mosquitto_pub / mosquitto_sub), MQTT 3.1.1
and 5.0."""
import select
import shutil
import subprocess

import pytest

pytestmark = pytest.mark.skipif(not shutil.which("mosquitto_sub"), reason="mosquitto-clients not installed")


def _readline(proc, timeout):
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    assert ready, "mosquitto_sub printed nothing"
    return proc.stdout.readline().decode().rstrip("\n")


@pytest.mark.parametrize("version", ["mqttv311", "mqttv5"])
@pytest.mark.parametrize("qos", ["0", "1", "2"])
def test_pub_sub_cli(broker, topic, version, qos):
    pub = ["mosquitto_pub", "-h", "127.0.0.1", "-p", str(broker.port), "-V", version, "-t", topic, "-q", qos]
    # A retained marker, printed by mosquitto_sub once it has subscribed.
    subprocess.run(pub + ["-m", "m0", "-r"], check=True, timeout=10)
    sub = subprocess.Popen(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(broker.port), "-V", version,
                            "-t", topic, "-q", qos, "-C", "3", "-W", "10", "-v"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert _readline(sub, 10) == f"{topic} m0"
        for i in (1, 2):
            subprocess.run(pub + ["-m", f"m{i}"], check=True, timeout=10)
        assert [_readline(sub, 10), _readline(sub, 10)] == [f"{topic} m1", f"{topic} m2"]
        assert sub.wait(10) == 0
    finally:
        if sub.poll() is None:
            sub.kill()
            sub.wait()
    subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(broker.port), "-t", topic, "-n", "-r"],
                   check=True, timeout=10)


def test_cli_v5_user_properties(broker, topic):
    sub = subprocess.Popen(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(broker.port), "-V", "mqttv5",
                            "-t", topic, "-C", "1", "-W", "10", "-F", "%P %p"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        import time
        deadline = time.time() + 10
        out = b""
        while time.time() < deadline and sub.poll() is None:
            subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(broker.port), "-V", "mqttv5",
                            "-t", topic, "-m", "hello", "-D", "publish", "user-property", "site", "north"],
                           check=True, timeout=10)
            try:
                out, _ = sub.communicate(timeout=0.5)
            except subprocess.TimeoutExpired:
                continue
    finally:
        if sub.poll() is None:
            sub.kill()
            sub.wait()
    assert out.decode().strip() == "site:north hello"


def test_cli_retained_read_once(broker, topic):
    subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(broker.port), "-t", topic, "-m", "last",
                    "-r", "-q", "1"], check=True, timeout=10)
    r = subprocess.run(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(broker.port), "-t", topic,
                        "--retained-only", "-C", "1", "-W", "5"], capture_output=True, timeout=10)
    assert r.stdout.decode().strip() == "last"
    subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(broker.port), "-t", topic, "-n", "-r"],
                   check=True, timeout=10)
