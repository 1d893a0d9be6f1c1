"""A throw-away PostgreSQL 15 on loopback for tests and benchmarks: Debian's initdb into a temporary
directory, postgres on a free port listening on 127.0.0.1 only with its unix socket in that
directory, stopped and removed after.

initdb refuses to run as root: when root, initdb and postgres run as the `postgres` system user
(the package creates it) through runuser, with the temporary directory chowned to it; as a normal
user they run directly.

Python:   with PgServer() as pg: pg.url  ->  "host=127.0.0.1 port=N user=postgres dbname=postgres"
Command line (the GoogleTest fixture and the benchmark use this, so there is one helper):
  python3 tests/lib/pgserver.py start [--durable]   prints: <dir> <connection string>
  python3 tests/lib/pgserver.py stop <dir>
"""
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile

PG_BIN = os.environ.get("WEIR_PG_BIN", "/usr/lib/postgresql/15/bin")


def available():
    return os.path.exists(os.path.join(PG_BIN, "initdb"))


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_owner(cmd):
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--"] + cmd
    return cmd


def start(durable=False):
    """Returns (dir, connection string). durable: keep fsync on (benchmarks)."""
    if not available():
        raise RuntimeError(f"PostgreSQL 15 not found in {PG_BIN} (apt-get install postgresql-15)")
    root = tempfile.mkdtemp(prefix="weir-pg-")
    os.chmod(root, 0o755)
    data = os.path.join(root, "data")
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")
        os.chown(root, pw.pw_uid, pw.pw_gid)
    subprocess.run(_as_owner([os.path.join(PG_BIN, "initdb"), "-D", data, "-U", "postgres",
                              "-A", "trust", "-E", "UTF8", "--no-sync", "--no-instructions"]),
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    last = None
    for _ in range(5):  # a port taken between the check and the bind: try another
        port = _free_port()
        opts = (f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c max_connections=40 "
                f"-c shared_buffers=64MB")
        if not durable:
            opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        r = subprocess.run(_as_owner([os.path.join(PG_BIN, "pg_ctl"), "-D", data, "-w", "-t", "30",
                                      "-l", os.path.join(root, "log"), "-o", opts, "start"]),
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if r.returncode == 0:
            return root, f"host=127.0.0.1 port={port} user=postgres dbname=postgres"
        last = r.stderr.decode(errors="replace")
    stop(root)
    raise RuntimeError(f"postgres did not start: {last}")


def stop(root):
    data = os.path.join(root, "data")
    if os.path.exists(os.path.join(data, "postmaster.pid")):
        subprocess.run(_as_owner([os.path.join(PG_BIN, "pg_ctl"), "-D", data, "-w", "-m",
                                  "immediate", "stop"]),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    shutil.rmtree(root, ignore_errors=True)


class PgServer:
    def __init__(self, durable=False):
        self.durable = durable
        self.dir = None
        self.url = None

    def __enter__(self):
        self.dir, self.url = start(self.durable)
        return self

    def __exit__(self, *exc):
        stop(self.dir)


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "start":
        d, url = start(durable="--durable" in sys.argv[2:])
        print(d, url, flush=True)
    elif len(sys.argv) == 3 and sys.argv[1] == "stop":
        stop(sys.argv[2])
    else:
        sys.exit("usage: pgserver.py start [--durable] | stop <dir>")
