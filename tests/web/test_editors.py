"""The config editor (/config-editor/) and the security editor (/security-editor/) in Debian's
headless Chromium (editors.mjs, through web/'s playwright-core) against a real weir started with
the demo configuration (config/), checking on the server what the browser did:

- a datapoint added in the config editor is saved and live in /api/datapoints, same process;
- a bad rule expression is marked at the column the server's compiler names; the save is refused
  and the file is unchanged;
- revert to the previous version takes the datapoint away again;
- two browser contexts saving at once: one saves, the other is shown one conflict, merges, saves;
- an operator group (view + send_command) and a user limited to the operator app are created in
  the security editor; the user logs in to /scada in a browser context of their own (the forced
  password change if asked), sees the pump's command control enabled and the driver connect /
  disconnect controls disabled, and the server refuses those (403) and every other app;
- an SVG layout is uploaded, an element bound by clicking it in the live preview and saved; the
  preview and the operator app's graphic animate it; unbound and unknown bindings are listed;
- a bad group permission saved in the security editor is shown at that group's permissions.

No request may leave 127.0.0.1. Screenshots go to $WEIR_SCREENSHOT_DIR (default /tmp/weir-editors).
"""
import json
import os
import shutil
import subprocess

import pytest

from weirproc import ADMIN_PASSWORD, ROOT, Http, WeirServer, wait_until

HERE = os.path.dirname(os.path.abspath(__file__))
WEB = os.path.join(ROOT, "web")
DIST = os.path.join(WEB, "dist")
CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = os.environ.get("WEIR_SCREENSHOT_DIR", "/tmp/weir-editors")
PAGES = ["config-editor", "security-editor"]
OP_USER, OP_PASSWORD = "op1", "Operator-Pass-2026-x"


@pytest.fixture(scope="module")
def dist():
    pages = [os.path.join(DIST, p, "index.html") for p in PAGES]
    if not all(os.path.isfile(p) for p in pages):
        assert os.path.isdir(os.path.join(WEB, "node_modules")), \
            "web/node_modules is missing: run scripts/setup.sh (npm ci in web/)"
        subprocess.run(["npm", "run", "--silent", "build"], cwd=WEB, check=True, timeout=600,
                       stdout=subprocess.DEVNULL)
    for p in pages:
        assert os.path.isfile(p), p
    return DIST


@pytest.fixture(scope="module")
def weir(dist, tmp_path_factory):
    config_dir = tmp_path_factory.mktemp("demo") / "config"
    shutil.copytree(os.path.join(ROOT, "config"), config_dir)
    with WeirServer(config_dir=str(config_dir), args=["--web-root", dist]) as w:
        yield w


@pytest.fixture(scope="module")
def admin(weir):
    h = Http(weir)
    h.login(app="config_editor")
    return h


def run(weir, step, **kw):
    assert os.access(CHROMIUM, os.X_OK), "Debian's chromium is not installed"
    args = ["node", os.path.join(HERE, "editors.mjs"), "--base", weir.url(""), "--password",
            ADMIN_PASSWORD, "--step", step, "--screenshots", SCREENSHOTS, "--chromium", CHROMIUM,
            "--timeout", "60000"]
    for k, v in kw.items():
        args += ["--" + k.replace("_", "-"), v]
    r = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600)
    try:
        report = json.loads(r.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        pytest.fail("driver printed no report:\n" + r.stdout + r.stderr)
    assert report["failures"] == [], "\n".join(report["failures"]) + "\n" + weir.output()[-3000:]
    assert report["offsite"] == [], report["offsite"]
    assert report["errors"] == [], report["errors"]
    assert r.returncode == 0 and report["ok"], report
    return report


def datapoint_ids(h):
    status, body, _ = h.get("/api/datapoints?limit=10000")
    assert status == 200, body
    return {d["id"] for d in body["items"]}


def config_version(h):
    status, body, _ = h.get("/api/config")
    assert status == 200, body
    return body["version"], body["document"]


def test_pages_are_served(weir):
    h = Http(weir)
    for page in PAGES:
        status, body, headers = h.get("/" + page + "/")
        assert status == 200 and "text/html" in headers["Content-Type"], (page, status)
        with open(os.path.join(DIST, page, "index.html")) as f:
            assert body == f.read()
        # Sections are #fragments: nothing else under the page is the page.
        status, _, _ = h.get("/" + page + "/../security_config.json")
        assert status in (400, 404), status


def test_add_datapoint_is_live_without_restart(weir, admin):
    pid = weir.proc.pid
    assert "WaterTank@EDITED_LEVEL" not in datapoint_ids(admin)
    before, _ = config_version(admin)
    report = run(weir, "add-datapoint", name="EDITED_LEVEL")
    assert "WaterTank@EDITED_LEVEL" in report["dryRun"], report["dryRun"]
    assert "Saved and applied" in report["saved"]
    wait_until(lambda: "WaterTank@EDITED_LEVEL" in datapoint_ids(admin), message="new datapoint")
    after, doc = config_version(admin)
    assert after != before and after in report["saved"]
    assert {"name": "EDITED_LEVEL", "type": "LEVEL"} in doc["drivers"][0]["datapoints"]
    assert weir.proc.pid == pid and weir.proc.poll() is None


def test_bad_rule_expression_marked_at_its_column_and_save_refused(weir, admin):
    expression = "float(WaterTank@TANK) < < 10"
    status, check, _ = admin.post("/api/expression/check", {"expression": expression, "kind": "rule"})
    assert status == 200 and not check["ok"] and check["column"], check
    before, doc = config_version(admin)
    report = run(weir, "bad-rule", expression=expression)
    assert report["expressionColumn"] == check["column"]
    assert report["markedColumn"] == check["column"]
    assert report["markedText"] == expression[check["column"] - 1]
    assert f"column {check['column']}" in report["expressionError"]
    assert any(c.startswith("WaterTank@") for c in report["completions"]), report["completions"]
    assert "Not saved (422)" in report["saveRefused"], report["saveRefused"]
    assert report["fieldIssue"], "the refusal is not shown at rules[0].on_condition"
    assert config_version(admin) == (before, doc)


def test_revert_to_the_previous_version(weir, admin):
    report = run(weir, "revert")
    assert "Reverted" in report["reverted"]
    version, doc = config_version(admin)
    assert all(p["name"] != "EDITED_LEVEL" for p in doc["drivers"][0]["datapoints"])
    wait_until(lambda: "WaterTank@EDITED_LEVEL" not in datapoint_ids(admin), message="reverted")
    status, versions, _ = admin.get("/api/config/versions")
    assert versions["items"][0]["action"] == "revert" and versions["items"][0]["author"] == "admin"


def test_two_contexts_saving_at_once_one_conflict(weir, admin):
    report = run(weir, "conflict", name="FIRST_LEVEL", name2="SECOND_LEVEL")
    assert report["conflicts"] == 1, report
    assert sum("Saved and applied" in s for s in report["saves"]) == 1, report["saves"]
    assert "someone else" in report["conflict"] and "drivers[0].datapoints" in report["conflict"]
    assert "Saved and applied" in report["merged"]
    wait_until(lambda: {"WaterTank@FIRST_LEVEL", "WaterTank@SECOND_LEVEL"} <= datapoint_ids(admin),
               message="both datapoints after the merge")


def test_operator_user_limited_to_scada(weir, admin):
    report = run(weir, "operator-user", op_user=OP_USER, op_password=OP_PASSWORD)
    assert report["defaultApps"] == 1
    # The topic checker: the esp32 device may publish to its own topic; op1 has no broker rights.
    assert "device esp32\t✓ yes\t✓ yes" in report["topic"], report["topic"]
    assert "user op1\t✕ no\t✕ no\t✕ no" in report["topic"], report["topic"]
    sec = Http(weir)
    sec.login(app="security_editor")
    status, users, _ = sec.get("/api/security/users")
    op = next(u for u in users["items"] if u["username"] == OP_USER)
    assert op["allowed_apps"] == ["scada"] and op["groups"] == ["operators"], op
    assert sorted(op["permissions"]) == ["send_command", "view"], op
    # In the operator app (its own browser context): the command control is enabled, the driver
    # controls are not, and the server refuses them anyway.
    assert report["pumpEnabled"] and "WaterTank@PUMP_CMD" in report["pumpDialog"], report
    assert report["driverControlsDisabled"], report
    assert report["opServer"] == {"disconnect": 403, "connect": 403, "config": 403}, report["opServer"]
    password = report["opPassword"]
    h = Http(weir)
    me, _ = h.login(username=OP_USER, password=password, app="scada")
    assert sorted(me["permissions"]) == ["send_command", "view"]
    assert h.get("/api/datapoints")[0] == 200
    assert h.request("PUT", "/api/config", body={}, headers={"If-Match": '"x"'})[0] == 403
    assert h.get("/api/security/users")[0] == 403
    for app in ("config_editor", "security_editor"):
        status, body, _ = Http(weir).post("/api/auth/login", {"username": OP_USER,
                                                              "password": password, "app": app})
        assert status in (401, 403), (app, status, body)


def test_svg_element_bound_by_clicking_animates_in_the_operator_app(weir, admin):
    name = "9.bind.svg"
    report = run(weir, "svg-bind", svg_name=name)
    before = "\n".join(report["problemsBefore"])
    assert "lamp: animation toggle_opened_closed without a datapoint" in before, before
    assert "ghost: unknown datapoint WaterTank@NOPE" in before, before
    assert "ghost: unknown animation no_such_animation" in before, before
    assert "text-1 bound to WaterTank@TANK (level_text)" in report["bound"], report["bound"]
    # Stored through the versioned route, with the binding the sanitiser reports.
    status, versions, _ = admin.get(f"/api/svg/{name}/versions")
    assert status == 200 and [v["action"] for v in versions["items"]][:2] == ["save", "save"], versions
    assert versions["items"][0]["author"] == "admin"
    status, listing, _ = admin.get("/api/svg")
    entry = next(f for f in listing["items"] if f["name"] == name)
    assert {"element": "text-1", "datapoint": "WaterTank@TANK", "animation": "level_text"} in entry["bindings"], entry
    assert report["previewText"][0].isdigit() or report["previewText"][0] == "-", report
    assert report["operatorText"] != report["operatorLater"], report
    assert not any("text-1" in p for p in report["problemsAfter"]), report["problemsAfter"]
    assert report["pumpPicked"] == {"datapoint": "WaterTank@PUMP", "animation": "toggle_opened_closed"}, report
    assert report["pumpDialogs"] == 0


def test_security_issue_shown_at_its_field(weir):
    sec = Http(weir)
    sec.login(app="security_editor")
    before = sec.get("/api/security/config")[2]["ETag"]
    report = run(weir, "security-issue")
    assert "Not saved (422)" in report["refused"], report["refused"]
    assert "fly_to_the_moon" in report["fieldIssue"] and "unknown permission" in report["fieldIssue"], report
    assert "fly_to_the_moon" in report["unknownShown"]
    assert sec.get("/api/security/config")[2]["ETag"] == before


def test_screens_in_both_sizes_and_themes(weir):
    report = run(weir, "tour")
    assert len(report["screenshots"]) == 4 * 15
    for path in report["screenshots"]:
        assert os.path.getsize(path) > 10_000, path
