"""The schedule module on a real weir: schedules listed with their next run, nothing fired at
start-up (the Python platform fires every schedule at boot), operators with edit_config disable
and enable them (kept across a restart, audited), others may not, and a bad cron is refused at
--check-config with its column. Firing at the cron time itself is covered on an injected clock by
tests/logic/10_schedules.scenario."""
import datetime
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "security"))

from secconf import VIEWER_PASSWORD, config as security_config  # noqa: E402
from weirproc import WEIR_BIN, Http, WeirServer, tank_config  # noqa: E402

EVERY_MINUTE = {"schedule_id": "pump_exercise", "cron": "* * * * *",
                "actions": ["send_command('WaterTank@PUMP_CMD', 'OPEN')"]}
NIGHTLY = {"schedule_id": "door_nightly", "cron": "30 2 * * *", "time_zone": "Europe/Madrid",
           "actions": ["send_command('WaterTank@DOOR_CMD', 'CLOSE')"]}

def config(*schedules):
    return tank_config(autostart=False, modules=[
        {"name": "datapoint"}, {"name": "command"},
        {"name": "schedule", "config": {"time_zone": "UTC", "schedules": list(schedules)}}])


def schedules(http):
    status, body, _ = http.get("/api/schedules")
    assert status == 200, body
    return {s["schedule_id"]: s for s in body["items"]}


def test_listed_never_fired_at_boot_disabled_and_enabled_across_a_restart():
    with WeirServer(system_config=config(EVERY_MINUTE, NIGHTLY)) as w:
        admin = Http(w)
        admin.login()
        started = datetime.datetime.now(datetime.timezone.utc)
        time.sleep(1.0)  # a few ticks
        s = schedules(admin)
        assert s["pump_exercise"]["enabled"] is True
        assert "last_run" not in s["pump_exercise"], "a schedule fired at start-up"
        nxt = datetime.datetime.fromisoformat(s["pump_exercise"]["next_run"].replace("Z", "+00:00"))
        assert nxt.second == 0 and started < nxt <= started + datetime.timedelta(seconds=61)
        assert s["door_nightly"]["time_zone"] == "Europe/Madrid"
        assert s["door_nightly"]["actions"] == NIGHTLY["actions"]

        status, body, _ = admin.post("/api/schedules/door_nightly/disable")
        assert status == 200 and body["enabled"] is False
        assert admin.post("/api/schedules/nope/disable")[0] == 404
        status, audit, _ = admin.get("/api/audit?limit=20")
        assert status == 200
        assert any(e.get("target") == "door_nightly" for e in audit["items"]), audit

        w.restart()
        admin = Http(w)
        admin.login()
        s = schedules(admin)
        assert s["door_nightly"]["enabled"] is False, "disabling did not survive a restart"
        assert s["pump_exercise"]["enabled"] is True
        assert admin.post("/api/schedules/door_nightly/enable")[0] == 200
        assert schedules(admin)["door_nightly"]["enabled"] is True


def test_a_user_without_edit_config_cannot_disable_a_schedule():
    with WeirServer(system_config=config(NIGHTLY), security_config=security_config()) as w:
        admin = Http(w)
        admin.login()
        viewer = Http(w)
        viewer.login("viewer", VIEWER_PASSWORD)
        assert schedules(viewer)["door_nightly"]["enabled"] is True
        assert viewer.post("/api/schedules/door_nightly/disable")[0] == 403
        assert schedules(admin)["door_nightly"]["enabled"] is True


def test_a_bad_schedule_is_refused_with_where_and_why():
    bad = dict(EVERY_MINUTE, cron="0 25 * * *")
    w = WeirServer(system_config=config(bad, dict(NIGHTLY, actions=["raise_alarm()"])))
    check = subprocess.run([WEIR_BIN, "--check-config", w.config_dir], capture_output=True, text=True, timeout=30)
    out = check.stdout + check.stderr
    assert check.returncode != 0
    assert "schedules[0].cron" in out and "hour 25 out of range 0-23 at column 3" in out, out
    assert "schedules[1].actions[0]" in out and "alarms belong to rules" in out, out
