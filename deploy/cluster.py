"""`make cluster`: Newsroom scaled out on one machine, every part on loopback.

    Varnish :8240  ->  gunicorn :8241, :8242 (round robin, health probes on /healthz)
                         |  shared Redis :8249 (page cache, purge generations)
                         |  PostgreSQL primary :5433  --streaming-->  replica :5434
    task worker (run_worker) beside them, purging Varnish through PURGE_URLS

Everything runs from a temporary directory made at start and removed at the end: two fresh
PostgreSQL clusters (the replica made with `pg_basebackup -R`), a Redis, the demo newsroom.
Nothing of the machine's own PostgreSQL or Redis is used or changed. Ctrl-C stops it all.

The `Cluster` class is also what the cluster tests (`tests/cluster/`) and the cluster bench
drive: they kill and restart application servers, stop the replica or pause its replay.
"""

import argparse
import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VCL = ROOT / "deploy" / "varnish" / "default.vcl"
VARNISH_PORT = 8240
APP_PORTS = (8241, 8242)
REDIS_PORT = 8249
PRIMARY_PORT = 5433
REPLICA_PORT = 5434
DATABASE = "newsroom"
# Where a running cluster is described (its directory, process ids), for tests to attach to.
STATE = ROOT / ".cluster.json"
# Debian packages, and the command each provides.
PACKAGES = {
    "varnish": "varnishd",
    "varnish-modules": None,  # the xkey vmod, checked apart
    "postgresql": "pg_ctl",
    "redis-server": "redis-server",
}


def postgres_bin():
    """The newest PostgreSQL server binaries' directory (Debian keeps them off PATH)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: p.parts)
    if found:
        return found[-1].parent
    on_path = shutil.which("pg_ctl")
    return Path(on_path).parent if on_path else None


def xkey_installed():
    return any(Path("/usr/lib").glob("*/varnish/vmods/libvmod_xkey.so"))


def missing_packages():
    missing = []
    if not shutil.which("varnishd"):
        missing.append("varnish")
    if not xkey_installed():
        missing.append("varnish-modules")
    if postgres_bin() is None:
        missing.append("postgresql")
    if not shutil.which("redis-server"):
        missing.append("redis-server")
    return missing


def ensure_packages():
    """Install what is missing when root; otherwise say what to install, and stop."""
    missing = missing_packages()
    if not missing:
        return
    if os.geteuid() != 0:
        raise SystemExit(
            "The cluster needs these Debian packages: "
            f"sudo apt-get install {' '.join(missing)}   (then run make cluster again)"
        )
    print(f"Installing {' '.join(missing)} with apt-get...", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env)
    subprocess.run(
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing],
        check=True,
        env=env,
    )
    if still := missing_packages():
        raise SystemExit(f"Could not install: {' '.join(still)}")


def answers(url, timeout=1.0):
    """The HTTP status at ``url``, or None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


def _alive(pid, process=None):
    if process is not None:
        return process.poll() is None
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_for(check, what, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not come up within {seconds} s")


class Cluster:
    """The whole topology, started and stopped as one; parts can be stopped and restarted."""

    def __init__(self, *, app_servers=2, gunicorn_workers=2, log=print):
        self.app_ports = APP_PORTS[:app_servers]
        self.gunicorn_workers = gunicorn_workers
        self.log = log
        self.dir = None
        self.processes = {}
        self.pids = {}
        self.secret = ""
        self.attached = False
        self.as_postgres = []
        self.pg = postgres_bin()

    # Addresses ----------------------------------------------------------------------------
    varnish_url = f"http://127.0.0.1:{VARNISH_PORT}"
    primary_url = f"postgres://postgres@127.0.0.1:{PRIMARY_PORT}/{DATABASE}"
    replica_url = f"postgres://postgres@127.0.0.1:{REPLICA_PORT}/{DATABASE}"

    def app_url(self, index):
        return f"http://127.0.0.1:{self.app_ports[index]}"

    def env(self, **extra):
        """The application's environment: the same for every server and the worker."""
        return {
            **os.environ,
            "DEBUG": "0",
            "SECRET_KEY": self.secret,
            "SITE_URL": self.varnish_url,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": self.primary_url,
            "DATABASE_REPLICA_URL": self.replica_url,
            "REDIS_URL": f"redis://127.0.0.1:{REDIS_PORT}/0",
            "PURGE_URLS": f"{self.varnish_url}/",
            "SERVE_MEDIA": "1",
            "MEDIA_ROOT": str(self.dir / "media"),
            "EMAIL_BACKEND": "articles.mail.OneLineEmailBackend",
            "ROUTINE_LOG_LEVEL": "ERROR",
            "DJANGO_SETTINGS_MODULE": "newsroom.settings",
            **extra,
        }

    # Starting -----------------------------------------------------------------------------
    def start(self):
        ensure_packages()
        self.pg = postgres_bin()
        self.dir = Path(tempfile.mkdtemp(prefix="newsroom-cluster-"))
        self.dir.chmod(0o755)
        self.secret = secrets.token_urlsafe(50)
        # PostgreSQL refuses to run as root: its clusters belong to the postgres user then.
        if os.geteuid() == 0:
            self.as_postgres = ["runuser", "-u", "postgres", "--"]
        started = time.monotonic()

        def step(what, call, *args):
            call(*args)
            self.log(f"  {what} ({time.monotonic() - started:.0f} s)")

        try:
            step("PostgreSQL primary", self._start_primary)
            step("PostgreSQL replica", self._start_replica)
            step("Redis", self._start_redis)
            step("demo newsroom", self._prepare_newsroom)
            for index in range(len(self.app_ports)):
                step(f"application server {index + 1}", self.start_app, index)
            step("task worker", self.start_worker)
            step("Varnish", self._start_varnish)
        except BaseException:
            self.stop()
            raise
        return self

    def _postgres(self, *args):
        done = subprocess.run(
            [*self.as_postgres, *map(str, args)], capture_output=True, text=True, check=False
        )
        if done.returncode:
            raise RuntimeError(f"{Path(str(args[0])).name} failed: {done.stderr.strip()}")
        return done

    def _data(self, name):
        path = self.dir / name
        path.mkdir(mode=0o700)
        if self.as_postgres:
            shutil.chown(path, "postgres", "postgres")
        return path

    def _start_primary(self):
        data = self._data("primary")
        self._postgres(
            self.pg / "initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8"
        )
        with (data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"port = {PRIMARY_PORT}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{data}'\nwal_level = replica\n"
                "max_wal_senders = 5\nfsync = off\nsynchronous_commit = off\n"
            )
        self.pg_start("primary")
        self._postgres(self.pg / "createdb", "-h", "127.0.0.1", "-p", PRIMARY_PORT, DATABASE)

    def _start_replica(self):
        data = self._data("replica")
        self._postgres(
            self.pg / "pg_basebackup",
            *("-h", "127.0.0.1", "-p", PRIMARY_PORT, "-U", "postgres"),
            *("-D", data, "-R", "-X", "stream", "-c", "fast"),
        )
        with (data / "postgresql.auto.conf").open("a") as conf:
            conf.write(f"port = {REPLICA_PORT}\nunix_socket_directories = '{data}'\n")
        self.pg_start("replica")

    def pg_start(self, name):
        data = self.dir / name
        self._postgres(self.pg / "pg_ctl", "-D", data, "-l", data / "server.log", "-w", "start")

    def pg_stop(self, name):
        with contextlib.suppress(RuntimeError):
            self._postgres(self.pg / "pg_ctl", "-D", self.dir / name, "-m", "fast", "-w", "stop")

    def replica_sql(self, sql):
        return self._postgres(
            self.pg / "psql",
            *("-h", "127.0.0.1", "-p", REPLICA_PORT, "-U", "postgres", "-d", DATABASE),
            *("-Atc", sql),
        ).stdout.strip()

    def _start_redis(self):
        self._spawn(
            "redis",
            [
                "redis-server",
                *("--port", str(REDIS_PORT), "--bind", "127.0.0.1", "--save", ""),
                *("--appendonly", "no", "--dir", str(self.dir)),
            ],
        )

    def _manage(self, *args):
        # Varnish is not up yet: nothing to purge.
        env = self.env(PURGE_URLS="")
        subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)

    def _prepare_newsroom(self):
        self.log("Preparing the demo newsroom on the primary...")
        self._manage("migrate", "--noinput", "-v", "0")
        self._manage("collectstatic", "--noinput", "-v", "0")
        self._manage("load_demo")

    def start_app(self, index):
        port = self.app_ports[index]
        self._spawn(
            f"app{index + 1}",
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "newsroom.wsgi:application",
                *("--bind", f"127.0.0.1:{port}", "--workers", str(self.gunicorn_workers)),
                *("--graceful-timeout", "2", "--timeout", "30"),
            ],
        )
        wait_for(lambda: answers(f"{self.app_url(index)}/healthz") == 200, f"app server {port}")

    def kill_app(self, index):
        """Kill an application server outright (SIGKILL), as a crash would."""
        self._kill(f"app{index + 1}", signal.SIGKILL)

    def start_worker(self):
        self._spawn("worker", [sys.executable, "manage.py", "run_worker", "--interval", "1"])

    def stop_worker(self):
        self._kill("worker")

    def _start_varnish(self):
        self._spawn(
            "varnish",
            [
                "varnishd",
                "-F",
                *("-n", str(self.dir / "varnish"), "-f", str(VCL)),
                *("-a", f"127.0.0.1:{VARNISH_PORT}", "-T", "127.0.0.1:8248"),
                *("-s", "malloc,256m", "-p", "default_grace=0"),
            ],
        )
        wait_for(lambda: answers(f"{self.varnish_url}/") == 200, "Varnish", seconds=60)

    def varnishstat(self, *fields):
        """{counter: value} from varnishstat, e.g. MAIN.cache_hit, MAIN.backend_req."""
        out = subprocess.run(
            [
                "varnishstat",
                "-n",
                str(self.dir / "varnish"),
                "-1",
                *sum((["-f", f] for f in fields), []),
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return {line.split()[0]: int(line.split()[1]) for line in out.splitlines() if line}

    def backends_healthy(self):
        """Whether Varnish's probes find any application server healthy (its director)."""
        out = subprocess.run(
            ["varnishadm", "-n", str(self.dir / "varnish"), "backend.list"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return " healthy " in out

    def _spawn(self, name, command):
        log = (self.dir / f"{name}.log").open("ab")
        process = subprocess.Popen(  # noqa: S603 - fixed commands
            command,
            cwd=ROOT,
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes[name] = process
        self.pids[name] = process.pid
        self._save_state()

    def _kill(self, name, sig=signal.SIGTERM):
        pid = self.pids.pop(name, None)
        process = self.processes.pop(name, None)
        self._save_state()
        if pid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, sig)
        deadline = time.monotonic() + 10
        while _alive(pid, process) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _alive(pid, process):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
            while _alive(pid, process):
                time.sleep(0.05)

    def _save_state(self):
        if self.dir is not None:
            STATE.write_text(
                json.dumps({"dir": str(self.dir), "secret": self.secret, "pids": self.pids})
            )

    @classmethod
    def attach(cls, **options):
        """The cluster `make cluster` is running, or None: tests and benches can drive it."""
        try:
            state = json.loads(STATE.read_text())
        except (OSError, ValueError):
            return None
        cluster = cls(**options)
        cluster.dir, cluster.secret, cluster.pids = (
            Path(state["dir"]),
            state["secret"],
            state["pids"],
        )
        if not cluster.dir.exists() or answers(f"{cls.varnish_url}/healthz") is None:
            return None
        if os.geteuid() == 0:
            cluster.as_postgres = ["runuser", "-u", "postgres", "--"]
        cluster.attached = True
        return cluster

    # Stopping -----------------------------------------------------------------------------
    def stop(self):
        if self.attached:
            return  # its owner stops it
        with contextlib.suppress(OSError, ValueError):
            self.pids.update(json.loads(STATE.read_text())["pids"])  # restarted by a test
        for name in ["varnish", "worker", *(f"app{i + 1}" for i in range(2)), "redis"]:
            self._kill(name)
        if self.dir is not None:
            for name in ("replica", "primary"):
                if (self.dir / name / "postmaster.pid").exists():
                    self.pg_stop(name)
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None
            STATE.unlink(missing_ok=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per server")
    args = parser.parse_args()
    cluster = Cluster(gunicorn_workers=args.workers)
    stopping = []

    def stop(*_):
        stopping.append(True)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    cluster.start()
    print(
        f"""
Newsroom, scaled out on loopback (logs in {cluster.dir}):
  readers, through Varnish   {cluster.varnish_url}/   (admin: {cluster.varnish_url}/admin/)
  application servers        {", ".join(cluster.app_url(i) for i in range(len(cluster.app_ports)))}
  PostgreSQL primary         {cluster.primary_url}
  PostgreSQL replica         {cluster.replica_url}
  Redis                      redis://127.0.0.1:{REDIS_PORT}/0
Ctrl-C stops it all.""",
        flush=True,
    )
    try:
        while not stopping:
            for name, process in list(cluster.processes.items()):
                if process.poll() is not None:
                    # Killed by a test (which restarts it), or crashed: its log says.
                    cluster.processes.pop(name)
            time.sleep(0.5)
    finally:
        print("Stopping...", flush=True)
        cluster.stop()


if __name__ == "__main__":
    main()
