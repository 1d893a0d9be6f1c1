"""Shared by the operator app's browser tests: a real weir with the demo configuration (a copy of
config/), serving the built web app, and a runner for tests/web/operator_app.mjs."""
import json
import os
import shutil
import subprocess
import tempfile

from weirproc import ADMIN_PASSWORD, BUILD, ROOT, WeirServer

HERE = os.path.dirname(os.path.abspath(__file__))
WEB = os.path.join(ROOT, "web")
DIST = os.path.join(WEB, "dist")
CHROMIUM = "/usr/bin/chromium"
# Screenshots are test artifacts: under the build directory unless told otherwise.
SCREENSHOTS = os.environ.get("WEIR_SCREENSHOT_DIR", os.path.join(BUILD, "screenshots", "operator"))


def ensure_dist():
    index = os.path.join(DIST, "scada", "index.html")
    if not os.path.isfile(index):
        assert os.path.isdir(os.path.join(WEB, "node_modules")), \
            "web/node_modules is missing: run scripts/setup.sh (npm ci in web/)"
        subprocess.run(["npm", "run", "--silent", "build"], cwd=WEB, check=True, timeout=600,
                       stdout=subprocess.DEVNULL)
    assert os.path.isfile(index), index
    return DIST


def demo_weir():
    """WeirServer over a copy of the demo configuration (config/), web root = web/dist."""
    tmp = tempfile.mkdtemp(prefix="weir-operator-config-")
    config = os.path.join(tmp, "config")
    shutil.copytree(os.path.join(ROOT, "config"), config,
                    ignore=shutil.ignore_patterns("security_config.json"))
    server = WeirServer(config_dir=config, args=["--web-root", ensure_dist()])
    server.cleanup_dirs = [tmp]
    return server


def run_operator_app(server, user, password, role, views=None, timeout=240):
    node = shutil.which("node")
    assert node, "node is not installed"
    assert os.access(CHROMIUM, os.X_OK), "Debian's chromium is not installed"
    args = [node, os.path.join(HERE, "operator_app.mjs"), "--base", server.url(""), "--user", user,
            "--password", password, "--role", role, "--screenshots", SCREENSHOTS,
            "--chromium", CHROMIUM]
    if views:
        args += ["--views", ",".join(views)]
    run = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        raise AssertionError(f"no report (exit {run.returncode}):\n{run.stdout}\n{run.stderr}")
    return run.returncode, report


__all__ = ["ADMIN_PASSWORD", "demo_weir", "run_operator_app", "SCREENSHOTS"]
