"""Reload without a restart, module by module (issue 14): on POST /api/config/reload a device's
topics and the broker's limits take effect, a command pending across the reload still ends
(ok/nok/timeout), and a bad module setting is refused with its JSON path while the running
configuration stays."""
import json
import os
import threading
import uuid

import paho.mqtt.client as mqtt

from weirproc import Http, WeirServer, wait_until
from demo_setup import TASMOTA_DRIVER, Client, credentials, datapoint, demo_config, tasmota_security


def write(server, cfg):
    with open(os.path.join(server.config_dir, "system_config.json"), "w") as f:
        json.dump(cfg, f)


def connack_maximum_packet_size(port, username, password):
    """The Maximum Packet Size an MQTT 5 CONNACK announces (the broker's max_packet_size)."""
    got, done = {}, threading.Event()
    c = mqtt.Client(client_id=f"probe-{uuid.uuid4().hex[:8]}", protocol=mqtt.MQTTv5)

    def on_connect(client, userdata, flags, rc, props=None):
        got["rc"] = rc
        got["max"] = getattr(props, "MaximumPacketSize", None)
        done.set()

    c.on_connect = on_connect
    c.username_pw_set(username, password)
    c.connect("127.0.0.1", port)
    c.loop_start()
    try:
        assert done.wait(10), "no CONNACK"
    finally:
        c.loop_stop()
        c.disconnect()
    assert got["rc"] == 0, got
    return got["max"]


def config(temperature_topic=None, timeout_ms=1500, max_packet_size=None):
    cfg = demo_config([TASMOTA_DRIVER])
    if temperature_topic:
        cfg["drivers"][0]["params"]["topics"] = [
            {"tag": "TEMPERATURE", "topic": temperature_topic, "field": "temp"}]
    broker = {"allow_anonymous": False, "persistence": False}
    if max_packet_size:
        broker["max_packet_size"] = max_packet_size
    cfg["modules"] = [{"name": "mqtt_broker", "config": broker},
                      {"name": "command", "config": {"timeout_ms": timeout_ms}}]
    return cfg


def test_device_topics_broker_limits_and_pending_commands_survive_a_reload():
    with WeirServer(system_config=config(), security_config=tasmota_security()) as w:
        h = Http(w)
        h.login()
        creds = credentials(w)
        esp = Client(w.mqtt_port, "esp32", creds["ESP32_PASSWORD"])
        try:
            esp.publish("presence/esp32/status", "online", retain=True)
            esp.publish("sensors/esp32", json.dumps({"temperature": 21, "humidity": 40, "threshold": 28,
                                                     "over_threshold": False, "unit": "C"}))
            wait_until(lambda: datapoint(h, "esp32@TEMPERATURE")["value"] == 21, 10, message="21 from sensors/esp32")
            assert connack_maximum_packet_size(w.mqtt_port, "esp32", creds["ESP32_PASSWORD"]) == 1024 * 1024

            # A Tasmota relay that never answers: its command stays pending until the timeout.
            status, body, _ = h.post("/api/commands", {"datapoint": "TasmotaRelayDriver@RELAY_1_CMD", "value": "ON"})
            assert status == 202 and body["status"] == "pending", body
            pending = body["command_id"]

            # The device's temperature now comes from another topic and field; the broker's packet
            # limit is lower.
            write(w, config(temperature_topic="devices/{device}/state", max_packet_size=4096))
            status, body, _ = h.post("/api/config/reload")
            assert status == 200 and body["applied"] is True, body

            assert h.get(f"/api/commands/{pending}")[1]["status"] == "pending"
            wait_until(lambda: h.get(f"/api/commands/{pending}")[1]["status"] == "timeout", 10,
                       message="the command pending across the reload timed out")

            esp.publish("devices/esp32/state", json.dumps({"temp": 25, "mode": "auto", "playing": False}))
            wait_until(lambda: datapoint(h, "esp32@TEMPERATURE")["value"] == 25, 10,
                       message="25 from the new topic")
            esp.publish("sensors/esp32", json.dumps({"temperature": 30, "humidity": 40, "threshold": 28,
                                                     "over_threshold": True, "unit": "C"}))
            wait_until(lambda: datapoint(h, "esp32@HUMIDITY")["value"] == 40, 5, message="humidity still mapped")
            assert datapoint(h, "esp32@TEMPERATURE")["value"] == 25  # the old topic no longer drives it
            assert connack_maximum_packet_size(w.mqtt_port, "esp32", creds["ESP32_PASSWORD"]) == 4096

            # A typo in a module's settings: refused with its path, nothing changes.
            bad = config(temperature_topic="devices/{device}/state")
            bad["modules"][1]["config"] = {"timeout": 100}
            write(w, bad)
            status, body, _ = h.post("/api/config/reload")
            assert status == 422 and body["applied"] is False, body
            assert any(i["path"] == "modules[1].config.timeout" and "unknown setting" in i["message"]
                       for i in body["issues"]), body
            # ...and a driver's params are checked too.
            bad = config(temperature_topic="devices/{device}/state")
            bad["drivers"][0]["params"]["topcs"] = []
            write(w, bad)
            status, body, _ = h.post("/api/config/reload")
            assert status == 422, body
            assert any(i["path"] == "drivers[0].params.topcs" for i in body["issues"]), body
            esp.publish("devices/esp32/state", json.dumps({"temp": 26, "mode": "auto", "playing": False}))
            wait_until(lambda: datapoint(h, "esp32@TEMPERATURE")["value"] == 26, 10, message="still the new topic")
        finally:
            esp.close()
        assert w.proc.poll() is None, w.output()[-3000:]


def test_check_config_names_every_bad_setting(tmp_path):
    cfg = config()
    cfg["modules"][0]["config"]["max_pakcet_size"] = 10
    cfg["drivers"][0]["params"]["presence_topic"] = 5
    (tmp_path / "system_config.json").write_text(json.dumps(cfg))
    import subprocess
    import weirproc
    out = subprocess.run([weirproc.WEIR_BIN, "--check-config", str(tmp_path)], capture_output=True, text=True,
                         env=dict(os.environ, ASAN_OPTIONS="detect_leaks=0"))
    assert out.returncode == 1, out.stdout + out.stderr
    assert "modules[0].config.max_pakcet_size: unknown setting" in out.stdout, out.stdout
    assert "drivers[0].params.presence_topic: expected a string" in out.stdout, out.stdout
