"""The processes a run starts and tears down: PostgreSQL database, Redis, the simulator and the
service under its HTTP server; and the facts about the machine recorded beside the figures."""

import contextlib
import os
import platform
import secrets
import signal
import socket
import subprocess
import tempfile
import time
from datetime import datetime
from pathlib import Path

import requests

from bench.common import HOST, PYTHON, ROOT, STOP, BenchError, log, proc_stat, run_cmd, service_role
from bench.load import CpuMeter


class Cleanup:
    """Background processes and teardown steps, undone in reverse order exactly once: at the
    end, on an exception, or on SIGINT/SIGTERM/SIGHUP."""

    def __init__(self):
        self._steps: list[tuple[str, object]] = []
        self._done = False
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, self._on_signal)

    def _on_signal(self, signum, frame):
        STOP.set()
        raise SystemExit(f"stopped by signal {signum}")

    def add(self, name: str, step) -> None:
        self._steps.append((name, step))

    def start(self, name: str, cmd: list[str], env: dict, logfile: Path) -> subprocess.Popen:
        out = open(logfile, "ab")  # noqa: SIM115 - closed when the process is stopped
        proc = subprocess.Popen(  # noqa: S603 - fixed local tools, no user input
            cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.add(f"stop {name}", lambda: (stop_process(proc), out.close()))
        return proc

    def run(self) -> None:
        if self._done:
            return
        self._done = True
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)  # teardown must not be cut short
        for name, step in reversed(self._steps):
            try:
                step()
            except Exception as exc:
                log(f"cleanup: {name} failed: {exc}")


def stop_process(proc: subprocess.Popen, grace: float = 15.0) -> None:
    """SIGTERM to the process's own group (it was started in a new session), then SIGKILL."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def wait_http(url: str, *, deadline: float, proc: subprocess.Popen, name: str) -> None:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"{name} exited with {proc.returncode} before it was ready")
        with contextlib.suppress(requests.RequestException):
            if requests.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.25)
    raise BenchError(f"{name} not ready at {url} before the deadline")


class Stack:
    def __init__(self, cfg, cleanup: Cleanup, outdir: Path, meter: CpuMeter):
        self.cfg = cfg
        self.cleanup = cleanup
        self.outdir = outdir
        self.meter = meter
        stamp = datetime.now().strftime("%Y%m%d_%H%M%S")
        self.dbname = f"payments_bench_{stamp}_{os.getpid()}"
        self.db_url = f"postgresql://postgres@{HOST}:5432/{self.dbname}"
        self.port = free_port()
        self.sim_port = free_port()
        self.base = f"http://{HOST}:{self.port}"
        self.sim = f"http://{HOST}:{self.sim_port}"
        self.key_id = "rzp_live_Bench" + secrets.token_hex(5)
        self.key_secret = secrets.token_urlsafe(24)
        self.webhook_secret = secrets.token_urlsafe(24)
        self.server = cfg.servers[0]
        self.service: subprocess.Popen | None = None
        self.simulator: subprocess.Popen | None = None

    def env(self, workers: int | None = None, threads: int | None = None) -> dict:
        cfg = self.cfg
        workers, threads = workers or cfg.workers, threads or cfg.threads
        inherited = ("DJANGO_", "RAZORPAY_", "GUNICORN_", "RATE_LIMIT_", "SECURE_", "CORS_")
        env = {k: v for k, v in os.environ.items() if not k.startswith(inherited)}
        env.update(
            ENVIRONMENT="production",
            DJANGO_SETTINGS_MODULE=cfg.settings,
            DJANGO_DEBUG="false",
            DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
            DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
            DATABASE_URL=self.db_url,
            REDIS_URL=f"redis://{HOST}:6379/{cfg.redis_db}",
            RAZORPAY_API_BASE_URL=self.sim,
            RAZORPAY_LIVE_KEY_ID=self.key_id,
            RAZORPAY_LIVE_SECRET_KEY=self.key_secret,
            RAZORPAY_WEBHOOK_SECRET=self.webhook_secret,
            RAZORPAY_HTTP_POOL_SIZE=str(max(32, threads)),
            BENCH_ALLOW_SIMULATOR="true",
            SECURE_SSL_REDIRECT="false",  # plain HTTP on loopback; TLS ends at a proxy
            # One client app and one IP stand for many: the limits are counted as usual
            # (a Redis round trip per request) but set high enough never to answer 429.
            RATE_LIMIT_CLIENT_APP=cfg.rate_limit,
            RATE_LIMIT_CONFIRM_IP=cfg.rate_limit,
            WEB_CONCURRENCY=str(workers),
            GUNICORN_THREADS=str(threads),
            GUNICORN_BIND=f"{HOST}:{self.port}",
            PYTHONUNBUFFERED="1",
        )
        return env

    def create_database(self) -> None:
        run_cmd(["createdb", "-h", HOST, "-U", "postgres", self.dbname])
        self.meter.dbname = self.dbname
        self.cleanup.add("drop database", self.drop_database)
        log(f"database {self.dbname} created; migrating")
        run_cmd([PYTHON, "manage.py", "migrate", "--noinput"], env=self.env(), timeout=300)

    def drop_database(self) -> None:
        if self.cfg.keep_db:
            log(f"kept database {self.dbname} (--keep-db)")
            return
        run_cmd(
            ["dropdb", "--force", "--if-exists", "-h", HOST, "-U", "postgres", self.dbname],
            timeout=60,
        )
        log(f"database {self.dbname} dropped")

    def flush_redis(self) -> None:
        run_cmd(["redis-cli", "-h", HOST, "-n", str(self.cfg.redis_db), "FLUSHDB"], timeout=10)

    def start_simulator(self) -> None:
        cmd = [PYTHON, "-m", "razorpay_simulator", "--host", HOST, "--port", str(self.sim_port)]
        cmd += ["--key-id", self.key_id, "--key-secret", self.key_secret]
        # No --webhook-url: deliveries stay in the simulator, and the bench sends them itself,
        # signed with the same secret, inside the timed webhook passes (so no background
        # deliveries ever overlap another endpoint's pass).
        cmd += ["--webhook-secret", self.webhook_secret, "--refund-delay", "0.5"]
        self.simulator = self.cleanup.start(
            "simulator", cmd, os.environ | {"PYTHONUNBUFFERED": "1"}, self.outdir / "sim.log"
        )
        self.meter.roles[self.simulator.pid] = "simulator"
        wait_http(
            f"{self.sim}/_sim/health",
            deadline=time.monotonic() + 30,
            proc=self.simulator,
            name="simulator",
        )
        log(f"simulator ready at {self.sim}")

    def start_server(
        self, server: str, workers: int | None = None, threads: int | None = None
    ) -> None:
        """The service under `server`, in place of the one running: gunicorn exactly as
        operations start it (gunicorn.conf.py reading WEB_CONCURRENCY, GUNICORN_THREADS and
        GUNICORN_BIND), or granian on the same WSGI app with the same workers and threads."""
        workers, threads = workers or self.cfg.workers, threads or self.cfg.threads
        if self.service is not None:
            stop_process(self.service)
        env = self.env(workers, threads)
        if server == "gunicorn":
            cmd = [str(Path(PYTHON).parent / "gunicorn"), "--config", "gunicorn.conf.py"]
        else:
            cmd = self.granian_cmd(workers, threads)
            # gunicorn.conf.py makes this folder for gunicorn's workers; granian's write their
            # metrics to files just the same, so that both do the same work per request.
            env["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(dir=self.outdir, prefix="metrics-")
        self.server = server
        self.service = self.cleanup.start(server, cmd, env, self.outdir / f"{server}.log")
        self.meter.roles[self.service.pid] = service_role(server)
        wait_http(
            f"{self.base}/readyz",
            deadline=time.monotonic() + 60,
            proc=self.service,
            name=server,
        )
        log(f"service ready at {self.base} under {server} ({workers} workers x {threads} threads)")

    def granian_cmd(self, workers: int, threads: int) -> list[str]:
        # WSGI requests run on the blocking threads: as many per worker as gunicorn's threads.
        # Backpressure caps the connections a worker takes (a keep-alive connection beyond it
        # waits in the backlog, unserved, for as long as the others stay open): enough for
        # every connection of the largest pass, so it bounds the queue but starves no client.
        most = max([32, threads, *self.cfg.clients, *self.cfg.mix_clients])
        cmd = [str(Path(PYTHON).parent / "granian"), "--interface", "wsgi", "--no-ws"]
        cmd += ["--host", HOST, "--port", str(self.port), "--workers", str(workers)]
        cmd += ["--blocking-threads", str(threads), "--backpressure", str(most)]
        return [*cmd, "payments_service.wsgi:application"]

    def workers(self) -> list[int]:
        pids = []
        for pid in os.listdir("/proc"):
            stat = proc_stat(pid) if pid.isdigit() else None
            if stat and self.service and stat[1] == self.service.pid:
                pids.append(int(pid))
        return sorted(pids)

    def create_app(self, name: str) -> str:
        out = run_cmd([PYTHON, "manage.py", "create_client_app", name], env=self.env())
        return out.strip().splitlines()[-1]

    def sim_post(self, path: str, body: dict | None = None) -> dict:
        answer = requests.post(f"{self.sim}{path}", json=body or {}, timeout=30)
        answer.raise_for_status()
        return answer.json()

    def set_latency(self, ms: int) -> None:
        self.sim_post("/_sim/faults", {"latency_ms": ms} if ms else {})


# --- facts about the machine ------------------------------------------------------------------
def machine_info() -> dict:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kb = 0
    with contextlib.suppress(OSError, ValueError):
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
    }


def versions(stack: Stack) -> dict:
    from importlib.metadata import version

    found = {"python": platform.python_version()}
    packages = ("Django", "djangorestframework", "gunicorn", "granian", "psycopg", "razorpay")
    for package in (*packages, "requests"):
        with contextlib.suppress(Exception):
            found[package] = version(package)
    with contextlib.suppress(Exception):
        found["postgresql"] = run_cmd(
            ["psql", "-h", HOST, "-U", "postgres", "-Atc", "show server_version"], timeout=10
        ).strip()
        found["max_connections"] = run_cmd(
            ["psql", "-h", HOST, "-U", "postgres", "-Atc", "show max_connections"], timeout=10
        ).strip()
    with contextlib.suppress(Exception):
        found["redis"] = (
            run_cmd(["redis-cli", "-h", HOST, "info", "server"], timeout=10)
            .split("redis_version:")[1]
            .split()[0]
        )
    with contextlib.suppress(Exception):
        found["wrk"] = (
            subprocess.run(["wrk", "-v"], capture_output=True, text=True, timeout=10, check=False)  # noqa: S607 - tools found on PATH, like make does
            .stdout.splitlines()[0]
            .split(" [")[0]
        )
    with contextlib.suppress(Exception):
        found["pgbench"] = run_cmd(["pgbench", "--version"], timeout=10).strip()
    with contextlib.suppress(Exception):
        found["commit"] = run_cmd(["git", "rev-parse", "--short", "HEAD"], timeout=10).strip()
        # The previous run's results, which this run replaces, do not count as changes.
        dirty = run_cmd(
            [
                "git",
                "status",
                "--porcelain",
                "--untracked-files=no",
                "--",
                ".",
                ":!bench/RESULTS.*",
            ],
            timeout=10,
        )
        found["worktree"] = "with uncommitted changes" if dirty.strip() else "clean"
    return found


def busy_processes(limit: int = 8) -> list[str]:
    """The processes using CPU right now (what else was running)."""
    with contextlib.suppress(Exception):
        out = run_cmd(["ps", "-eo", "pid,pcpu,comm,args", "--sort=-pcpu"], timeout=10)
        rows = []
        for line in out.splitlines()[1:]:
            parts = line.split(None, 3)
            if len(parts) < 4 or int(parts[0]) == os.getpid() or parts[2] == "ps":
                continue
            if float(parts[1]) >= 1.0 and len(rows) < limit:
                rows.append(f"{parts[1]}% {parts[2]}: {parts[3][:90]}")
        return rows
    return []


def db_counts(stack: Stack) -> dict:
    query = (
        "select 'payments', count(*) from payments_payment union all "
        "select 'webhook events', count(*) from webhooks_webhookevent union all "
        "select 'refunds', count(*) from refunds_refund union all "
        "select 'idempotency keys', count(*) from payments_service_idempotencykey"
    )
    counts = {}
    with contextlib.suppress(Exception):
        out = run_cmd(
            ["psql", "-h", HOST, "-U", "postgres", "-d", stack.dbname, "-Atc", query], timeout=30
        )
        for line in out.splitlines():
            name, _, count = line.partition("|")
            counts[name] = int(count)
    return counts
