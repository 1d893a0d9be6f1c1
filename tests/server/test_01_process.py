"""The weir process: --help, --check-config, a busy port, clean shutdown on SIGTERM/SIGINT."""
import json
import os
import signal
import socket
import subprocess
import tempfile

from weirproc import ADMIN_PASSWORD, FIXTURES, WEIR_BIN, WeirServer, tank_config


def run(*args, env=None):
    e = dict(os.environ, ASAN_OPTIONS="detect_leaks=0")
    if env:
        e.update(env)
    return subprocess.run([WEIR_BIN, *args], capture_output=True, text=True, timeout=60, env=e)


def test_help_lists_every_flag_with_its_environment_variable():
    r = run("--help")
    assert r.returncode == 0
    for flag, env in [("--config-dir", "WEIR_CONFIG_DIR"), ("--data-dir", "WEIR_DATA_DIR"), ("--bind", "WEIR_BIND"),
                      ("--http-port", "WEIR_HTTP_PORT"), ("--mqtt-port", "WEIR_MQTT_PORT"), ("--check-config", None)]:
        assert flag in r.stdout
        if env:
            assert env in r.stdout


def test_check_config_accepts_the_python_fixtures():
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(FIXTURES, "system_config.json")) as src, open(os.path.join(d, "system_config.json"), "w") as dst:
            dst.write(src.read())
        r = run("--check-config", d)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "configuration OK" in r.stdout


def test_check_config_lists_every_error_with_file_and_path():
    with tempfile.TemporaryDirectory() as d:
        cfg = tank_config()
        cfg["dp_types"]["LEVEL"]["type"] = "FLOT"
        cfg["drivers"].append({"name": "WaterTank", "driver_class": "TankTestDriver"})
        with open(os.path.join(d, "system_config.json"), "w") as f:
            json.dump(cfg, f)
        r = run("--check-config", d)
        assert r.returncode != 0
        assert 'system_config.json: dp_types.LEVEL.type: unknown type "FLOT"' in r.stdout
        assert 'system_config.json: drivers[1].name: duplicate driver name "WaterTank"' in r.stdout


def test_refuses_to_start_on_a_bad_config():
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "system_config.json"), "w") as f:
            f.write('{"drivers": [1, 2,]}')
        r = run("--config-dir", d, "--data-dir", os.path.join(d, "data"), "--http-port", "0", "--mqtt-port", "0")
        assert r.returncode != 0
        assert "invalid JSON at line 1" in r.stdout + r.stderr


def test_second_instance_on_a_busy_port_fails_clearly():
    with WeirServer(system_config=tank_config()) as w:
        r = run("--config-dir", w.config_dir, "--data-dir", os.path.join(w.tmp, "data2"), "--bind", "127.0.0.1",
                "--http-port", str(w.http_port), "--mqtt-port", "0", "--mqtt-ws-port", "0",
                env={"WEIR_ADMIN_PASSWORD": ADMIN_PASSWORD})
        assert r.returncode != 0
        out = r.stdout + r.stderr
        assert f"127.0.0.1:{w.http_port}" in out and "address already in use" in out, out


def test_sigterm_and_sigint_stop_cleanly():
    for sig in (signal.SIGTERM, signal.SIGINT):
        w = WeirServer(system_config=tank_config())
        try:
            w.start()
            rc = w.stop(sig)
            assert rc == 0, w.output()
            assert "stopped cleanly" in w.output()
        finally:
            w.__exit__(None, None, None)


def test_environment_variables_set_the_ports():
    w = WeirServer(system_config=tank_config())
    port = w.http_port
    try:
        env = dict(w.env, WEIR_HTTP_PORT=str(port), WEIR_CONFIG_DIR=w.config_dir, WEIR_DATA_DIR=w.data_dir,
                   WEIR_MQTT_PORT="0", WEIR_MQTT_WS_PORT="0")
        p = subprocess.Popen([WEIR_BIN], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            from weirproc import wait_port
            wait_port(port, timeout=20)
            with socket.create_connection(("127.0.0.1", port)) as s:
                s.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                assert b"200 OK" in s.recv(4096)
        finally:
            p.terminate()
            p.wait(10)
    finally:
        w.__exit__(None, None, None)
