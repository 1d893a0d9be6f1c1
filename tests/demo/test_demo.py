"""Wire tests of the microcontroller demo (SPEC §9, issue 5): the real weir server, its own MQTT
broker, and two real weir-device processes that log in with the credentials Weir generated.
Everything is observed through Weir's REST API (what an operator sees) and real MQTT clients."""
import json
import os
import stat
import tempfile
import time

import pytest

from weirproc import Http, WeirServer, wait_until
from demo_setup import (TASMOTA_DRIVER, TASMOTA_PASSWORD, TASMOTA_USER, Client, Device, credentials, datapoint,
                        demo_config, device, tasmota_security)

HOT = "30 40\n"   # over the default threshold (28)
COLD = "20 40\n"


@pytest.fixture
def tmp():
    with tempfile.TemporaryDirectory(prefix="weir-demo-test-") as d:
        yield d


@pytest.fixture
def server():
    with WeirServer(system_config=demo_config([TASMOTA_DRIVER]), security_config=tasmota_security()) as w:
        yield w
        assert w.proc.poll() is None, "weir crashed:\n" + w.output()[-4000:]


@pytest.fixture
def http(server):
    h = Http(server)
    h.login()
    return h


@pytest.fixture
def devices(tmp, server):
    started = []

    def make(*a, **kw):
        d = Device(tmp, server, *a, **kw)
        started.append(d)
        return d

    yield make
    for d in started:
        d.stop()


# ---- credentials ------------------------------------------------------------------------------

def test_device_credentials_are_generated_private_and_confined(server, http):
    path = os.path.join(server.data_dir, "device-credentials.env")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    creds = credentials(server)
    assert set(creds) >= {"ESP32_PASSWORD", "RASPBERRY_PASSWORD"}
    assert creds["ESP32_PASSWORD"] != creds["RASPBERRY_PASSWORD"]
    # No default password: a guess is refused (CONNACK 4/5), anonymous too.
    with pytest.raises(AssertionError):
        Client(server.mqtt_port, "esp32", "esp32")

    # esp32 may publish its own readings, not its peer's: the peer never sees the forged one.
    peer = Client(server.mqtt_port, "raspberry", creds["RASPBERRY_PASSWORD"], subscribe=["sensors/+"])
    esp = Client(server.mqtt_port, "esp32", creds["ESP32_PASSWORD"])
    try:
        forged = json.dumps({"temperature": 99, "humidity": 1, "threshold": 28, "over_threshold": True, "unit": "C"})
        esp.publish("sensors/raspberry", forged)
        esp.publish("sensors/esp32", json.dumps({"temperature": 21, "humidity": 40, "threshold": 28,
                                                 "over_threshold": False, "unit": "C"}))
        wait_until(lambda: peer.on("sensors/esp32"), 5, message="the allowed publish")
        time.sleep(0.3)
        assert peer.on("sensors/raspberry") == [], "the forged reading reached the peer"
        status, rows, _ = http.get("/api/devices/raspberry/readings")
        assert status == 200 and all(r["temperature"] != 99 for r in rows["items"]), rows
    finally:
        esp.close()
        peer.close()


# ---- readings, commands, presence -------------------------------------------------------------

def test_readings_arrive_are_logged_and_become_datapoints(server, http, devices):
    devices("esp32", "raspberry", script=COLD, interval=0.2).start()
    devices("raspberry", "esp32", script=HOT, interval=0.2).start()
    wait_until(lambda: len(http.get("/api/devices/esp32/readings")[1]["items"]) >= 3, 15, message="3 logged readings")
    status, rows, _ = http.get("/api/devices/esp32/readings?limit=2")
    assert status == 200 and len(rows["items"]) == 2
    r = rows["items"][0]
    assert r["device"] == "esp32" and r["temperature"] == 20 and r["humidity"] == 40
    assert r["threshold"] == 28 and r["over_threshold"] is False and r["unit"] == "C"
    assert rows["items"][0]["id"] > rows["items"][1]["id"] and r["time"].endswith("Z")
    # The list endpoint: presence, latest reading, mode and buzzer of both devices.
    status, body, _ = http.get("/api/devices")
    assert status == 200
    by_id = {d["id"]: d for d in body["items"]}
    wait_until(lambda: device(http, "esp32").get("buzzer") == "playing", 10, message="esp32 playing (raspberry hot)")
    esp = device(http, "esp32")
    assert esp["presence"] == "online" and esp["mode"] == "auto" and esp["reading"]["temperature"] == 20
    assert by_id["raspberry"]["configured"] is True
    # ...and the same values as datapoints, through DatapointService like any tag.
    wait_until(lambda: datapoint(http, "raspberry@TEMPERATURE")["value"] == 30, 5, message="raspberry@TEMPERATURE")
    dp = datapoint(http, "raspberry@TEMPERATURE")
    assert dp["quality"] == "good"
    assert datapoint(http, "esp32@OVER_THRESHOLD")["value"] == "FALSE"
    assert datapoint(http, "raspberry@OVER_THRESHOLD")["value"] == "TRUE"
    assert datapoint(http, "esp32@PRESENCE")["value"] == "ONLINE"
    wait_until(lambda: datapoint(http, "esp32@BUZZER")["value"] == "PLAYING", 5, message="esp32@BUZZER")
    assert datapoint(http, "esp32@MODE")["value"] == "AUTO"
    status, drivers, _ = http.get("/api/drivers")
    states = {d["name"]: d["state"] for d in drivers["items"]}
    assert states["esp32"] == "online" and states["raspberry"] == "online"


def test_play_stop_resume_change_the_buzzer_and_mode_and_are_logged(server, http, devices):
    devices("esp32", "raspberry", script=COLD).start()
    devices("raspberry", "esp32", script=HOT).start()
    wait_until(lambda: device(http, "esp32").get("buzzer") == "playing", 15, message="esp32 playing in auto")

    def action(path, mode, buzzer):
        status, body, headers = http.post(path)
        assert status == 200, body
        assert body == f"Sent '{path.split('/')[1]}' command to esp32"
        assert headers.get("Content-Type", "").startswith("text/plain")
        wait_until(lambda: (device(http, "esp32").get("mode"), device(http, "esp32").get("buzzer")) == (mode, buzzer),
                   5, message=f"{mode}/{buzzer} after {path}")

    action("/stop/esp32", "override_off", "silent")
    action("/play/esp32", "override_on", "playing")
    action("/resume/esp32", "auto", "playing")
    wait_until(lambda: datapoint(http, "esp32@MODE")["value"] == "AUTO", 5, message="esp32@MODE")

    status, body, _ = http.get("/api/devices/esp32/commands")
    assert status == 200
    got = [(c["action"], c["payload"], c["user"], c["source"]) for c in body["items"][:3]]
    assert got == [("resume", "", "admin", "weir"), ("play", "true", "admin", "weir"), ("stop", "false", "admin", "weir")]

    # They went through the command module: esp32@PLAY_CMD's feedback, pending → ok.
    status, body, _ = http.get("/api/commands")
    play_cmd = {c["datapoint"]: c for c in body["items"]}["esp32@PLAY_CMD"]
    assert play_cmd["status"] == "ok" and play_cmd["value"] == "RESUME" and play_cmd["user"] == "admin", play_cmd

    # The JSON endpoint does the same, and names its command.
    status, body, _ = http.post("/api/devices/esp32/stop")
    assert status == 200 and body["payload"] == "false" and body["topic"] == "commands/esp32/play"
    assert http.get(f"/api/commands/{body['command_id']}")[1]["status"] == "ok"
    wait_until(lambda: device(http, "esp32").get("mode") == "override_off", 5, message="override_off via JSON")

    # And a command datapoint through the command module (driver feedback ok).
    status, body, _ = http.post("/api/commands", {"datapoint": "esp32@PLAY_CMD", "value": "PLAY"})
    assert status == 202, body
    cid = body["command_id"]
    wait_until(lambda: http.get(f"/api/commands/{cid}")[1]["status"] == "ok", 5, message="command ok")
    wait_until(lambda: device(http, "esp32").get("mode") == "override_on", 5, message="override_on via PLAY_CMD")

    # Every control action is audited with its user.
    status, audit, _ = http.get("/api/audit?action=device_control")
    assert status == 200, audit
    assert any(a["user"] == "admin" and a["target"] == "esp32" for a in audit["items"]), audit


def test_bad_device_or_action_gets_the_seeds_answers(server, http):
    status, body, _ = http.post("/play/toaster")
    assert (status, body) == (400, "Unknown device")
    status, body, _ = http.post("/dance/esp32")
    assert (status, body) == (400, "Unknown action")
    # Server-side auth like every route.
    anon = Http(server)
    status, _, _ = anon.post("/play/esp32")
    assert status == 401


def test_sigkill_publishes_the_will_the_log_shows_it_and_the_peer_restarts(server, http, devices):
    esp = devices("esp32", "raspberry", script=HOT, keepalive=5).start()
    devices("raspberry", "esp32", script=COLD, keepalive=5).start()
    wait_until(lambda: device(http, "raspberry").get("buzzer") == "playing", 15, message="raspberry playing")
    wait_until(lambda: datapoint(http, "esp32@TEMPERATURE")["quality"] == "good", 5, message="esp32 data good")

    killed = time.time()
    esp.kill()
    wait_until(lambda: device(http, "esp32")["presence"] == "offline", 7.5, interval=0.05, message="esp32 offline")
    assert time.time() - killed <= 7.5, "the will within 1.5x keep-alive"
    status, log, _ = http.get("/api/devices/esp32/presence")
    assert [p["status"] for p in log["items"][:2]] == ["offline", "online"], log
    # Its driver is offline and its data is no longer good; presence itself is a fresh fact.
    wait_until(lambda: datapoint(http, "esp32@TEMPERATURE")["quality"] == "bad", 3, message="quality drop")
    assert datapoint(http, "esp32@PRESENCE")["value"] == "OFFLINE"
    status, drivers, _ = http.get("/api/drivers")
    assert {d["name"]: d["state"] for d in drivers["items"]}["esp32"] == "offline"

    # raspberry plays on, overridden; when esp32 comes back it restarts its melody.
    assert http.post("/play/raspberry")[0] == 200
    wait_until(lambda: (device(http, "raspberry").get("state") or {}).get("step", 0) >= 2, 10,
               message="raspberry a few notes in")
    before = device(http, "raspberry")["state"]["since"]
    devices("esp32", "raspberry", script=HOT, keepalive=5).start()
    wait_until(lambda: device(http, "esp32")["presence"] == "online", 10, message="esp32 online again")
    # Its state comes from its datapoints (MELODY_SINCE: when the melody last (re)started).
    st = wait_until(lambda: (lambda s: s if s["since"] > before else None)(
        device(http, "raspberry")["state"]), 10, message="raspberry restarted its melody")
    assert st["mode"] == "override_on" and st["playing"]
    status, log, _ = http.get("/api/devices/esp32/presence")
    assert [p["status"] for p in log["items"][:3]] == ["online", "offline", "online"], log
    wait_until(lambda: {d["name"]: d["state"] for d in http.get("/api/drivers")[1]["items"]}["esp32"] == "online", 5,
               message="esp32 driver online again")


def test_malformed_sensor_json_is_counted_and_logged_nothing_crashes(server, http, devices):
    creds = credentials(server)
    esp = Client(server.mqtt_port, "esp32", creds["ESP32_PASSWORD"])
    try:
        for bad in (b"{not json", b'{"temperature": "hot"}', b"", b"\xff\xfe", b"[" * 5000, b'{"temperature": 1e999}'):
            esp.publish("sensors/esp32", bad)
        esp.publish("sensors/esp32", json.dumps({"temperature": 22.5, "humidity": 40, "threshold": 28,
                                                 "over_threshold": False, "unit": "C"}))
        wait_until(lambda: (device(http, "esp32").get("reading") or {}).get("temperature") == 22.5, 5,
                   message="the good reading after the bad ones")
    finally:
        esp.close()
    d = device(http, "esp32")
    assert d["malformed"] == 6, d
    status, rows, _ = http.get("/api/devices/esp32/rejected")
    assert status == 200 and len(rows["items"]) == 6
    assert any(r["payload"] == "{not json" and r["topic"] == "sensors/esp32" for r in rows["items"]), rows
    status, readings, _ = http.get("/api/devices/esp32/readings")
    assert [r["temperature"] for r in readings["items"]] == [22.5]
    status, metrics, _ = http.get("/metrics")
    assert "weir_demo_malformed_messages_total 6" in metrics, metrics
    assert "weir_mqtt_driver_malformed_total" in metrics
    status, _, _ = http.get("/api/health")
    assert status == 200


# ---- Tasmota ------------------------------------------------------------------------------------

def test_tasmota_fixture_config_works_against_a_simulated_device(server, http):
    class Tasmota:
        def __init__(self):
            self.power = {"POWER1": "OFF", "POWER2": "ON"}
            self.seen = []
            self.c = Client(server.mqtt_port, TASMOTA_USER, TASMOTA_PASSWORD, subscribe=["cmnd/xmas/+"])
            self.c.client.on_message = self.on_message

        def on_message(self, client, userdata, m):
            p = m.topic.rsplit("/", 1)[1]
            arg = m.payload.decode()
            self.seen.append((m.topic, arg))
            if p not in self.power:
                return
            if arg in ("ON", "OFF"):
                self.power[p] = arg
            elif arg == "TOGGLE":
                self.power[p] = "OFF" if self.power[p] == "ON" else "ON"
            client.publish(f"stat/xmas/{p}", self.power[p], qos=1)
            if arg:
                client.publish("stat/xmas/RESULT", json.dumps({p: self.power[p]}), qos=1)

    dev = Tasmota()
    try:
        # Reconnect the driver so it asks the (now present) device for its relays' state.
        assert http.post("/api/drivers/TasmotaRelayDriver/disconnect")[0] in (200, 202)
        assert http.post("/api/drivers/TasmotaRelayDriver/connect")[0] in (200, 202)
        wait_until(lambda: datapoint(http, "TasmotaRelayDriver@RELAY_2_STATUS")["value"] == "ON", 5,
                   message="RELAY_2_STATUS from the state query")

        def command(dp, value):
            status, body, _ = http.post("/api/commands", {"datapoint": dp, "value": value})
            assert status == 202, body
            cid = body["command_id"]
            return wait_until(lambda: (lambda b: b if b["status"] != "pending" else None)(http.get(f"/api/commands/{cid}")[1]),
                              5, message=f"feedback of {dp}={value}")

        fb = command("TasmotaRelayDriver@RELAY_1_CMD", "ON")
        assert fb["status"] == "ok", fb
        assert ("cmnd/xmas/POWER1", "ON") in dev.seen
        wait_until(lambda: datapoint(http, "TasmotaRelayDriver@RELAY_1_STATUS")["value"] == "ON", 5, message="RELAY_1 ON")
        fb = command("TasmotaRelayDriver@RELAY_2_CMD", "TOGGLE")
        assert fb["status"] == "ok", fb
        assert ("cmnd/xmas/POWER2", "TOGGLE") in dev.seen
        wait_until(lambda: datapoint(http, "TasmotaRelayDriver@RELAY_2_STATUS")["value"] == "OFF", 5, message="RELAY_2 OFF")
        fb = command("TasmotaRelayDriver@RELAY_1_CMD", "OFF")
        assert fb["status"] == "ok" and dev.power["POWER1"] == "OFF"
    finally:
        dev.c.close()
