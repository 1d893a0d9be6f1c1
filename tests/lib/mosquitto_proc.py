"""A real Mosquitto 2 for the wire tests, started on loopback from a config the caller writes:
its own temp dir (world-readable: started as root, Mosquitto drops to user `mosquitto`), a log
file, start/stop/restart on the same ports, and the log for failure messages."""
import os
import shutil
import signal
import subprocess
import tempfile

import weirproc


class MosquittoProcess:
    def __init__(self, prefix="mosq-test-"):
        self.tmp = tempfile.mkdtemp(prefix=prefix)
        os.chmod(self.tmp, 0o777)
        self.conf = os.path.join(self.tmp, "mosquitto.conf")
        self.log_path = os.path.join(self.tmp, "mosquitto.log")
        self.proc = None

    def write_config(self, lines):
        """lines: Mosquitto settings; the log settings are added here."""
        with open(self.conf, "w") as f:
            f.write("\n".join(["log_type all", f"log_dest file {self.log_path}"] + list(lines)) + "\n")
        os.chmod(self.conf, 0o644)

    def ports(self):
        """Every port start() waits for (subclasses list theirs)."""
        return [self.port]

    def start(self, timeout=10.0):
        exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        self.proc = subprocess.Popen([exe, "-c", self.conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for p in self.ports():
                weirproc.wait_port(p, timeout)
        except TimeoutError:
            self.stop()
            raise TimeoutError(f"mosquitto not listening on {self.ports()}:\n{self.output()[-2000:]}")
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def restart(self):
        self.stop()
        return self.start()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def output(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def close(self):
        self.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)
