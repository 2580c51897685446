"""`make bench`: the service as in production against its ceilings, in one run, on this machine.

Boots a fresh PostgreSQL database (created, migrated, dropped at the end), Redis database 5,
the Razorpay simulator and gunicorn with the production settings (plus the reference app of
bench/settings.py), then:

1. pgbench: the reference view's two inserts (database ceiling), before gunicorn holds its
   connections;
2. with the simulator answering at once, at each client count: the bare Django view and the
   reference DRF view (framework and framework + database ceilings), then each endpoint alone:
   initiate, confirm, webhook, refund, get, list;
3. with `--latency-ms` (150) added to every gateway call: the endpoints that call the gateway;
4. a mixed pass (every endpoint at once, connections shared out) with both gateways;
5. a py-spy profile of one worker under initiate load;

and writes bench/RESULTS.md (figures as ratios to the ceilings measured in the same run). Data
that a pass consumes (paid orders to confirm, signed webhook bodies, captured payments to
refund) is prepared through the service and the simulator before that pass, so a timed pass
only sends requests. Everything listens on 127.0.0.1 only; every wait has a deadline.
"""

import argparse
import contextlib
import hashlib
import hmac
import itertools
import json
import math
import os
import platform
import random
import re
import resource
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
WRK = BENCH / "wrk"
PYTHON = sys.executable
HOST = "127.0.0.1"
ANALYSIS_MARKER = "<!-- analysis: written by hand, kept across runs -->"

# Shares of the connections in the mixed pass: per customer payment, roughly one initiate and
# one confirm, three webhooks (plus copies), now and then a refund, and reads by client apps.
MIX = {"initiate": 0.22, "confirm": 0.18, "webhook": 0.28, "refund": 0.07, "get": 0.15}
MIX["list"] = round(1 - sum(MIX.values()), 2)
GATEWAY_ENDPOINTS = ("initiate", "confirm", "refund")
ENDPOINTS = ("initiate", "confirm", "webhook", "refund", "get", "list")


def log(message: str) -> None:
    stamp = datetime.now().strftime("%H:%M:%S")
    print(f"[bench {stamp}] {message}", file=sys.stderr, flush=True)


class BenchError(RuntimeError):
    pass


STOP = threading.Event()  # set on SIGINT/SIGTERM/SIGHUP: preparation threads stop early


# --- processes and cleanup --------------------------------------------------------------------
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
        self.add(f"stop {name}", lambda: (_stop(proc), out.close()))
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


def _stop(proc: subprocess.Popen, grace: float = 15.0) -> None:
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


def run_cmd(cmd: list[str], *, env=None, timeout: float = 120, check=True) -> str:
    result = subprocess.run(  # noqa: S603 - fixed local tools, no user input
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and result.returncode != 0:
        raise BenchError(f"{shlex.join(cmd)} exited {result.returncode}: {result.stderr[-2000:]}")
    return result.stdout


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


# --- CPU accounting (who used the two cores during a pass) ------------------------------------
CLK_TCK = os.sysconf("SC_CLK_TCK")


def _proc_stat(pid: str):
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    comm = raw[raw.index("(") + 1 : raw.rindex(")")]
    fields = raw[raw.rindex(")") + 2 :].split()
    # comm, ppid, utime + stime (ticks), start time (tells a reused pid apart)
    return comm, int(fields[1]), int(fields[11]) + int(fields[12]), int(fields[19])


class CpuMeter:
    """CPU time per role between two snapshots of /proc, process by process: a process that
    started in between counts from zero, one that ended is lost (and shows up as "other")."""

    def __init__(self):
        self.roles: dict[int, str] = {}  # pid -> role, for the processes this run started
        self.dbname = ""  # PostgreSQL backends serving this database are the bench's
        self._pg: dict[tuple[int, int], str] = {}

    def _role(self, pid: int, comm: str, ppid: int, start: int) -> str:
        if pid == os.getpid():
            return "bench driver"
        role = self.roles.get(pid) or self.roles.get(ppid)
        if role:
            return role
        if comm == "postgres":
            if (pid, start) not in self._pg:
                try:
                    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
                except OSError:
                    cmdline = ""
                mine = bool(self.dbname) and self.dbname in cmdline
                self._pg[(pid, start)] = "postgres" if mine else "postgres (other databases)"
            return self._pg[(pid, start)]
        return {"redis-server": "redis", "wrk": "wrk", "pgbench": "load tool"}.get(comm, "other")

    def snapshot(self):
        procs: dict[tuple[int, int], tuple[str, str, int]] = {}
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            stat = _proc_stat(pid)
            if stat is None:
                continue
            comm, ppid, ticks, start = stat
            role = self._role(int(pid), comm, ppid, start)
            procs[(int(pid), start)] = (role, comm, ticks)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
        return time.monotonic(), procs, children, (cpu[3] + cpu[4], sum(cpu))

    @staticmethod
    def share(before, after) -> dict:
        """Share of all cores' time per role (1.0 = every core busy for the whole pass)."""
        wall = after[0] - before[0]
        capacity = wall * (os.cpu_count() or 1) * CLK_TCK
        used: dict[str, float] = {}
        others: list[tuple[int, str]] = []
        for key, (role, comm, ticks) in after[1].items():
            delta = ticks - (before[1][key][2] if key in before[1] else 0)
            if delta <= 0:
                continue
            used[role] = used.get(role, 0) + delta
            if role in ("other", "postgres (other databases)"):
                others.append((delta, f"{comm}[{key[0]}]"))
        shares = {role: ticks / capacity for role, ticks in used.items()}
        # wrk (and pgbench) exit before the second snapshot: their time is in RUSAGE_CHILDREN.
        child = (after[2].ru_utime + after[2].ru_stime) - (before[2].ru_utime + before[2].ru_stime)
        if child > 0:
            shares["load tool"] = shares.pop("wrk", 0) + child * CLK_TCK / capacity
        idle, total = (after[3][0] - before[3][0]), (after[3][1] - before[3][1])
        shares["idle"] = idle / total if total else 0.0
        # Whatever the machine did beyond the bench's own processes: other processes (also
        # short-lived ones the snapshots missed), other databases' backends, the kernel.
        known = sum(v for role, v in shares.items() if role in BENCH_ROLES)
        shares["other"] = max(0.0, 1 - shares["idle"] - known)
        shares.pop("postgres (other databases)", None)
        rounded: dict = {role: round(value, 3) for role, value in shares.items()}
        rounded["other_top"] = [
            f"{name} {ticks / capacity * 100:.0f}%"
            for ticks, name in sorted(others, reverse=True)[:3]
            if ticks / capacity >= 0.01
        ]
        return rounded


BENCH_ROLES = {"service (gunicorn)", "simulator", "postgres", "redis", "load tool", "bench driver"}


# --- the service, the simulator, the database ------------------------------------------------
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
        self.gunicorn: subprocess.Popen | None = None
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

    def start_gunicorn(self, workers: int | None = None, threads: int | None = None) -> None:
        workers, threads = workers or self.cfg.workers, threads or self.cfg.threads
        if self.gunicorn is not None:
            _stop(self.gunicorn)
        cmd = [str(Path(PYTHON).parent / "gunicorn"), "--config", "gunicorn.conf.py"]
        self.gunicorn = self.cleanup.start(
            "gunicorn", cmd, self.env(workers, threads), self.outdir / "gunicorn.log"
        )
        self.meter.roles[self.gunicorn.pid] = "service (gunicorn)"
        wait_http(
            f"{self.base}/readyz",
            deadline=time.monotonic() + 60,
            proc=self.gunicorn,
            name="gunicorn",
        )
        log(f"service ready at {self.base} ({workers} workers x {threads} threads)")

    def workers(self) -> list[int]:
        pids = []
        for pid in os.listdir("/proc"):
            stat = _proc_stat(pid) if pid.isdigit() else None
            if stat and self.gunicorn and stat[1] == self.gunicorn.pid:
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


# --- preparing data through the service and the simulator -------------------------------------
class Prep:
    """Makes what a pass consumes, concurrently but bounded in count and time."""

    def __init__(self, stack: Stack, workers: int = 16):
        self.stack = stack
        self.workers = workers
        self._local = threading.local()
        self._serial = itertools.count()

    def _session(self) -> requests.Session:
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
        return self._local.session

    def _post(self, url, *, json_body, headers=None, expect=(200, 201)) -> dict:
        answer = self._session().post(url, json=json_body, headers=headers or {}, timeout=30)
        if answer.status_code not in expect:
            raise BenchError(f"POST {url} answered {answer.status_code}: {answer.text[:300]}")
        return answer.json()

    def initiate(self, token: str, tag: str, amount: int) -> dict:
        ref = f"prep-{tag}-{os.getpid()}-{next(self._serial)}"
        body = {
            "externalRef": ref,
            "amount": amount,
            "currency": "INR",
            "email": "buyer@example.com",
            "contact": "+919876543210",
        }
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": f"prep-{ref}"}
        return self._post(f"{self.stack.base}/payments/initiate", json_body=body, headers=headers)

    def pay(self, order_id: str, outcome: str) -> dict:
        fields = self._post(
            f"{self.stack.sim}/_sim/orders/{order_id}/pay",
            json_body={"outcome": outcome, "method": "card"},
            expect=(200,),
        )
        if "razorpay_signature" not in fields:
            raise BenchError(f"paying {order_id} failed: {fields}")
        return fields

    def confirm(self, fields: dict) -> dict:
        return self._post(f"{self.stack.base}/payments/confirm", json_body=fields, expect=(200,))

    def many(self, what: str, count: int, make, timeout: float = 240.0) -> list:
        """`make(i)` for i < count on a thread pool; the results that succeeded, in order."""
        if count <= 0:
            return []
        started = time.monotonic()
        deadline = started + timeout
        failures: list[str] = []

        def one(i):
            if STOP.is_set() or time.monotonic() > deadline:
                return None
            try:
                return make(i)
            except Exception as exc:
                failures.append(str(exc))
                return None

        with ThreadPoolExecutor(self.workers) as pool:
            results = [r for r in pool.map(one, range(count)) if r is not None]
        elapsed = time.monotonic() - started
        log(f"  prepared {len(results)}/{count} {what} in {elapsed:.1f}s")
        if failures:
            log(f"  {len(failures)} failed while preparing {what}, e.g. {failures[0][:300]}")
        if len(results) < max(1, count // 2):
            raise BenchError(f"could not prepare {what}: {len(results)} of {count}")
        return results

    # What each endpoint's pass consumes -------------------------------------------------
    def confirm_bodies(self, token: str, count: int) -> list[str]:
        """Orders paid in the simulator, not yet confirmed: three in four captured at
        checkout (Razorpay's auto-capture), one in four only authorized (confirm captures)."""

        def make(i):
            payment = self.initiate(token, "confirm", 50_000 + (i % 50) * 100)
            outcome = "authorized" if i % 4 == 3 else "captured"
            return json.dumps(self.pay(payment["checkout"]["orderId"], outcome))

        return self.many("paid orders to confirm", count, make)

    def webhook_lines(self, token: str, count: int, duplicate_share: float) -> list[str]:
        """Razorpay's own events for freshly paid (unconfirmed) orders, as the simulator made
        them (payment.authorized, payment.captured, order.paid), signed with the webhook
        secret; `duplicate_share` of them are sent twice: half right after the original (a
        concurrent copy), half a while later (a redelivery)."""
        per_payment = 3 * (1 + duplicate_share)
        payments = math.ceil(count / per_payment)
        paid = self.many(
            "paid orders for webhooks",
            payments,
            lambda i: self.pay(
                self.initiate(token, "webhook", 50_000)["checkout"]["orderId"], "captured"
            ),
        )
        orders = {fields["razorpay_order_id"] for fields in paid}
        log_items = requests.get(f"{self.stack.sim}/_sim/webhooks", timeout=60).json()["items"]
        lines = []
        for item in log_items:
            payment = item["payload"]["payload"].get("payment", {}).get("entity", {})
            if payment.get("order_id") not in orders:
                continue
            body = json.dumps(item["payload"], separators=(",", ":"))
            signature = hmac.new(
                self.stack.webhook_secret.encode(), body.encode(), hashlib.sha256
            ).hexdigest()
            lines.append(f"{item['event_id']}\t{signature}\t{body}")
        rng = random.Random(len(lines))  # noqa: S311 - shuffling load, not security
        out: list[str] = []
        later: list[tuple[int, str]] = []
        for index, line in enumerate(lines):
            out.append(line)
            if rng.random() < duplicate_share:
                if rng.random() < 0.5:
                    out.append(line)
                else:
                    later.append((index + rng.randint(50, 400), line))
            while later and later[0][0] <= index:
                out.append(later.pop(0)[1])
        out += [line for _, line in later]
        return out

    def refund_lines(self, token: str, count: int, per_payment: int = 4) -> list[str]:
        """Captured (confirmed) payments of ₹1,000, each to take about `per_payment` partial
        refunds of ₹10 during the pass (at most 100 fit)."""

        def make(i):
            payment = self.initiate(token, "refund", 100_000)
            self.confirm(self.pay(payment["checkout"]["orderId"], "captured"))
            return f"{payment['id']}\t1000"

        return self.many("captured payments to refund", math.ceil(count / per_payment), make)

    def reader_paths(self, token: str, count: int = 300) -> tuple[list[str], list[str]]:
        """A client app with `count` payments, two in three paid; paths to read them."""

        def make(i):
            payment = self.initiate(token, "read", 10_000 + i)
            if i % 3:
                self.confirm(self.pay(payment["checkout"]["orderId"], "captured"))
            return payment

        payments = self.many("payments to read", count, make)
        gets = [f"/payments/{p['id']}" for p in payments]
        lists = []
        for i, payment in enumerate(payments):
            lists.append(
                [
                    "/payments?pageSize=20",
                    "/payments?status=captured&pageSize=20",
                    f"/payments?externalRef={payment['externalRef']}",
                    "/payments?status=created&pageSize=10&page=2",
                ][i % 4]
            )
        return gets, lists


# --- load tools -------------------------------------------------------------------------------
class Load:
    def __init__(self, cfg, stack: Stack, outdir: Path, meter: CpuMeter):
        self.cfg = cfg
        self.stack = stack
        self.outdir = outdir
        self.meter = meter
        self._n = itertools.count()

    def _wrk_job(self, name: str, script: str, clients: int, duration: float, **opts):
        n = next(self._n)
        threads = max(1, min(opts.get("wrk_threads", self.cfg.wrk_threads), clients))
        data = opts.get("data")
        data_file = ""
        if data is not None:
            data_file = str(self.outdir / f"data-{n:03d}-{name}.txt")
            Path(data_file).write_text("\n".join(data) + "\n")
        out = self.outdir / f"wrk-{n:03d}-{name}.json"
        env = os.environ | {
            "BENCH_DATA": data_file,
            "BENCH_THREADS": str(threads),
            # Becomes part of externalRefs and idempotency keys: letters, digits and - only.
            "BENCH_PREFIX": re.sub(r"[^A-Za-z0-9-]", "-", f"{name}-{n}-{secrets.token_hex(3)}"),
            "BENCH_TOKEN": opts.get("token") or "",
            "BENCH_PATH": opts.get("path") or "",
            "BENCH_OUT": str(out),
        }
        cmd = ["wrk", "-t", str(threads), "-c", str(clients), "-d", f"{max(1, round(duration))}s"]
        cmd += ["--timeout", "10s", "-s", str(WRK / script), self.stack.base]
        return cmd, env, out

    @staticmethod
    def _read(out: Path, proc_output: str) -> dict:
        if not out.exists():
            raise BenchError(f"wrk wrote no summary: {proc_output[-1500:]}")
        raw = json.loads(out.read_text())
        seconds = raw["duration_us"] / 1e6
        lat = raw["latency_us"]
        statuses = {int(k): v for k, v in raw["statuses"].items()}
        socket_errors = {k: v for k, v in raw["errors"].items() if k != "status" and v}
        ok = sum(v for k, v in statuses.items() if 200 <= k < 300)
        return {
            "requests": raw["requests"],
            "seconds": round(seconds, 2),
            "rps": raw["requests"] / seconds if seconds else 0.0,
            "ok_rps": ok / seconds if seconds else 0.0,
            "p50_ms": lat["p50"] / 1000,
            "p95_ms": lat["p95"] / 1000,
            "p99_ms": lat["p99"] / 1000,
            "max_ms": lat["max"] / 1000,
            "mean_ms": lat["mean"] / 1000,
            "statuses": statuses,
            "non2xx": {k: v for k, v in statuses.items() if not 200 <= k < 300},
            "socket_errors": socket_errors,
            "error_bodies": raw.get("error_bodies") or {},
            "data_items": raw.get("data_items", 0),
            "data_wraps": raw.get("data_wraps", 0),
        }

    def wrk(self, name: str, script: str, clients: int, duration: float, **opts) -> dict:
        cmd, env, out = self._wrk_job(name, script, clients, duration, **opts)
        before = self.meter.snapshot()
        proc = subprocess.run(  # noqa: S603 - fixed local tools, no user input
            cmd, env=env, capture_output=True, text=True, timeout=duration + 60, check=False
        )
        cpu = CpuMeter.share(before, self.meter.snapshot())
        result = self._read(out, proc.stdout + proc.stderr)
        result["cpu"] = cpu
        return result

    def wrk_many(self, jobs: list[tuple], duration: float) -> dict[str, dict]:
        """Several wrk at once (the mixed pass): one per endpoint, each with its own figures."""
        started = []
        before = self.meter.snapshot()
        for name, script, clients, opts in jobs:
            cmd, env, out = self._wrk_job(name, script, clients, duration, wrk_threads=1, **opts)
            proc = subprocess.Popen(  # noqa: S603 - fixed local tools, no user input
                cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
            )
            started.append((name, proc, out))
        results = {}
        try:
            for name, proc, out in started:
                try:
                    output, _ = proc.communicate(timeout=duration + 60)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    output, _ = proc.communicate(timeout=10)
                results[name] = self._read(out, output)
        finally:
            for _, proc, _ in started:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait(10)
        cpu = CpuMeter.share(before, self.meter.snapshot())
        for result in results.values():
            result["cpu"] = cpu
        return results

    def pgbench(self, clients: int, duration: float) -> dict:
        cmd = ["pgbench", "-n", "-h", HOST, "-U", "postgres", "-c", str(clients)]
        cmd += ["-j", str(min(clients, self.cfg.wrk_threads)), "-T", str(int(duration))]
        cmd += ["-f", str(BENCH / "pgbench" / "inserts.sql"), self.stack.dbname]
        before = self.meter.snapshot()
        out = run_cmd(cmd, timeout=duration + 60)
        cpu = CpuMeter.share(before, self.meter.snapshot())
        tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out)
        latency = re.search(r"latency average = ([\d.]+) ms", out)
        failed = re.search(r"number of failed transactions: (\d+)", out)
        if not tps:
            raise BenchError(f"pgbench printed no tps: {out[-1000:]}")
        return {
            "rps": float(tps.group(1)),
            "mean_ms": float(latency.group(1)) if latency else None,
            "failed": int(failed.group(1)) if failed else 0,
            "cpu": cpu,
        }


# --- the run ----------------------------------------------------------------------------------
class Bench:
    def __init__(self, cfg):
        self.cfg = cfg
        self.started = datetime.now(UTC)
        stamp = self.started.strftime("%Y%m%d-%H%M%S")
        self.outdir = Path(cfg.out_dir or BENCH / "out" / stamp).resolve()
        self.outdir.mkdir(parents=True, exist_ok=True)
        self.cleanup = Cleanup()
        self.meter = CpuMeter()
        self.stack = Stack(cfg, self.cleanup, self.outdir, self.meter)
        self.load = Load(cfg, self.stack, self.outdir, self.meter)
        self.prep = Prep(self.stack)
        self.results: list[dict] = []
        self.meta: dict = {"argv": sys.argv[1:], "outdir": str(self.outdir)}

    # bookkeeping
    def record(self, group: str, endpoint: str, clients: int, gateway_ms: int, result: dict):
        row = {
            "group": group,
            "endpoint": endpoint,
            "clients": clients,
            "gateway_ms": gateway_ms,
            **result,
        }
        self.results.append(row)
        errors = sum(result.get("non2xx", {}).values()) + sum(
            result.get("socket_errors", {}).values()
        )
        p99 = f", p99 {result['p99_ms']:.0f} ms" if "p99_ms" in result else ""
        log(
            f"  {group:8} {endpoint:10} c={clients:<3} gw={gateway_ms:<3} "
            f"{result['rps']:8.1f} req/s{p99}, errors {errors}"
            + (
                f", data reused {result['data_wraps']} times"
                if result.get("data_wraps") and endpoint in ("confirm", "webhook")
                else ""
            )
        )
        (self.outdir / "results.json").write_text(
            json.dumps({"meta": self.meta, "results": self.results}, indent=1, default=str)
        )

    def find(self, group, endpoint, clients, gateway_ms=0) -> dict | None:
        for row in self.results:
            if (row["group"], row["endpoint"], row["clients"], row["gateway_ms"]) == (
                group,
                endpoint,
                clients,
                gateway_ms,
            ):
                return row
        return None

    def estimate(self, endpoint: str, clients: int, gateway_ms: int) -> float:
        """A generous guess of an endpoint's req/s, to size the data a pass consumes: the best
        it did with the instant gateway (the CPU bound), and with gateway latency no more than
        clients / latency allows."""
        instant = [
            r["rps"]
            for r in self.results
            if r["group"] == "alone" and r["endpoint"] == endpoint and r["gateway_ms"] == 0
        ]
        # A share of the reference view at this client count (which does less work), or more
        # than the endpoint's best so far, whichever is higher.
        ref = self.find("ceiling", "reference", clients) or {"rps": 600}
        factor = {"confirm": 0.6, "webhook": 0.9, "refund": 0.6}.get(endpoint, 1.0)
        guess = max([ref["rps"] * factor] + [rps * 1.4 for rps in instant])
        if gateway_ms:
            guess = min(guess, clients / (gateway_ms / 1000) * 1.2)
        return guess

    def sized(self, endpoint: str, clients: int, gateway_ms: int, share: float = 1.0) -> int:
        wanted = self.estimate(endpoint, clients, gateway_ms) * share * self.cfg.duration * 1.25
        return int(min(self.cfg.max_prep, max(100, wanted + 50)))

    # phases
    def quiet_machine(self) -> None:
        limit = self.cfg.max_load
        deadline = time.monotonic() + self.cfg.max_load_wait
        load = os.getloadavg()
        while load[0] > limit and time.monotonic() < deadline:
            log(f"load average {load[0]:.2f} > {limit}: waiting (until {self.cfg.max_load_wait}s)")
            time.sleep(min(15, max(1, deadline - time.monotonic())))
            load = os.getloadavg()
        self.meta["load_before"] = load
        self.meta["busy_before"] = busy_processes()
        if load[0] > limit:
            log(f"load average still {load[0]:.2f}; running anyway (recorded in RESULTS.md)")

    def run(self) -> None:
        cfg = self.cfg
        try:
            self.quiet_machine()
            self.meta["machine"] = machine_info()
            self.stack.flush_redis()
            self.cleanup.add("flush redis", self.stack.flush_redis)
            self.stack.create_database()
            self.meta["versions"] = versions(self.stack)
            if "pgbench" in cfg.phases:
                self.phase_pgbench()
            self.stack.start_simulator()
            self.stack.start_gunicorn()
            self.meta["workers"] = self.stack.workers()
            self.shop = self.stack.create_app("bench-shop")
            self.reader = self.stack.create_app("bench-reader")
            self.check_refund_route()
            log("preparing the reader app's payments")
            self.gets, self.lists = self.prep.reader_paths(self.reader)
            self.warm_up()
            if "alone" in cfg.phases:
                self.phase_alone()
            if "latency" in cfg.phases:
                self.phase_latency()
            if "mix" in cfg.phases:
                self.phase_mix()
            if "profile" in cfg.phases:
                self.phase_profile()
            if "tune" in cfg.phases and cfg.tune:
                self.phase_tune()
            self.meta["load_after"] = os.getloadavg()
            self.meta["db_rows"] = db_counts(self.stack)
        finally:
            self.meta["finished"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
            self.meta["elapsed_s"] = round((datetime.now(UTC) - self.started).total_seconds())
            (self.outdir / "results.json").write_text(
                json.dumps({"meta": self.meta, "results": self.results}, indent=1, default=str)
            )
            self.cleanup.run()
        write_results(self, self.cfg.results)

    def check_refund_route(self) -> None:
        """Refunds may not have landed yet: without their route, the run leaves them out."""
        answer = requests.post(
            f"{self.stack.base}/payments/pmt_missing/refunds",
            json={"amount": 100},
            headers={"Authorization": f"Bearer {self.shop}", "Idempotency-Key": "probe-1"},
            timeout=10,
        )
        code = (
            answer.json().get("code")
            if answer.headers.get("Content-Type", "").endswith("json")
            else None
        )
        if answer.status_code in (404, 405) and code in ("not_found", "method_not_allowed"):
            self.cfg.endpoints = [e for e in self.cfg.endpoints if e != "refund"]
            self.meta["notes"] = ["POST /payments/{id}/refunds is not routed: refunds left out"]
            log("refund route absent: refunds left out of this run")

    def phase_pgbench(self) -> None:
        log("pgbench: the reference view's inserts (database ceiling)")
        self.load.pgbench(8, min(3, self.cfg.warmup or 3))
        for clients in self.cfg.clients:
            self.record(
                "ceiling", "pgbench", clients, 0, self.load.pgbench(clients, self.cfg.duration)
            )

    def warm_up(self) -> None:
        if not self.cfg.warmup:
            return
        log(f"warm-up ({self.cfg.warmup}s per endpoint, not recorded)")
        w, c = self.cfg.warmup, 32
        self.load.wrk("warmup-bare", "get.lua", c, w, data=["/bench/bare"])
        self.load.wrk("warmup-ref", "initiate.lua", c, w, path="/bench/reference")
        self.load.wrk("warmup-initiate", "initiate.lua", c, w, token=self.shop)
        self.load.wrk("warmup-get", "get.lua", c, w, data=self.gets, token=self.reader)
        self.load.wrk("warmup-list", "get.lua", c, w, data=self.lists, token=self.reader)

    def endpoint_pass(self, endpoint: str, clients: int, gateway_ms: int) -> dict:
        """Prepares what the pass consumes, sets the gateway latency, runs wrk."""
        d = self.cfg.duration
        if endpoint in ("confirm", "webhook", "refund"):
            # A clean simulator (also: only this pass's events in its delivery log), instant
            # while preparing.
            self.stack.sim_post("/_sim/reset")
        if endpoint == "initiate":
            job = {"script": "initiate.lua", "token": self.shop}
        elif endpoint == "confirm":
            n = self.sized("confirm", clients, gateway_ms)
            job = {"script": "confirm.lua", "data": self.prep.confirm_bodies(self.shop, n)}
        elif endpoint == "webhook":
            n = self.sized("webhook", clients, gateway_ms)
            data = self.prep.webhook_lines(self.shop, n, self.cfg.webhook_duplicates)
            job = {"script": "webhook.lua", "data": data}
        elif endpoint == "refund":
            n = self.sized("refund", clients, gateway_ms)
            data = self.prep.refund_lines(self.shop, n)
            job = {"script": "refund.lua", "data": data, "token": self.shop}
        elif endpoint == "get":
            job = {"script": "get.lua", "data": self.gets, "token": self.reader}
        elif endpoint == "list":
            job = {"script": "get.lua", "data": self.lists, "token": self.reader}
        else:
            raise BenchError(f"unknown endpoint {endpoint}")
        self.stack.set_latency(gateway_ms)
        script = job.pop("script")
        name = f"{endpoint}-c{clients}-gw{gateway_ms}"
        return self.load.wrk(name, script, clients, d, **job)

    def phase_alone(self) -> None:
        for clients in self.cfg.clients:
            log(f"ceilings and endpoints alone, instant gateway, {clients} clients")
            self.stack.set_latency(0)
            bare = self.load.wrk(
                f"bare-c{clients}", "get.lua", clients, self.cfg.duration, data=["/bench/bare"]
            )
            self.record("ceiling", "bare", clients, 0, bare)
            ref = self.load.wrk(
                f"reference-c{clients}",
                "initiate.lua",
                clients,
                self.cfg.duration,
                path="/bench/reference",
            )
            self.record("ceiling", "reference", clients, 0, ref)
            for endpoint in self.cfg.endpoints:
                self.record("alone", endpoint, clients, 0, self.endpoint_pass(endpoint, clients, 0))
        self.stack.set_latency(0)

    def phase_latency(self) -> None:
        ms = self.cfg.latency_ms
        for clients in self.cfg.clients:
            log(f"endpoints alone, gateway +{ms} ms, {clients} clients")
            for endpoint in self.cfg.endpoints:
                if endpoint in GATEWAY_ENDPOINTS:
                    self.record(
                        "alone", endpoint, clients, ms, self.endpoint_pass(endpoint, clients, ms)
                    )
        self.stack.set_latency(0)

    def phase_mix(self) -> None:
        for gateway_ms in (0, self.cfg.latency_ms):
            for clients in self.cfg.mix_clients:
                log(f"mixed traffic, {clients} clients, gateway +{gateway_ms} ms")
                mix = {e: share for e, share in MIX.items() if e in self.cfg.endpoints}
                shares = split(clients, mix)
                self.stack.set_latency(0)
                self.stack.sim_post("/_sim/reset")
                jobs = []
                for endpoint, conns in shares.items():
                    if not conns:
                        continue
                    share = conns / clients
                    if endpoint == "initiate":
                        opts = {"token": self.shop}
                        script = "initiate.lua"
                    elif endpoint == "confirm":
                        n = self.sized("confirm", clients, gateway_ms, share)
                        opts = {"data": self.prep.confirm_bodies(self.shop, n)}
                        script = "confirm.lua"
                    elif endpoint == "webhook":
                        n = self.sized("webhook", clients, gateway_ms, share)
                        lines = self.prep.webhook_lines(self.shop, n, self.cfg.webhook_duplicates)
                        opts = {"data": lines}
                        script = "webhook.lua"
                    elif endpoint == "refund":
                        n = self.sized("refund", clients, gateway_ms, share)
                        opts = {"data": self.prep.refund_lines(self.shop, n), "token": self.shop}
                        script = "refund.lua"
                    else:
                        data = self.gets if endpoint == "get" else self.lists
                        opts = {"data": data, "token": self.reader}
                        script = "get.lua"
                    jobs.append((f"mix{clients}-gw{gateway_ms}-{endpoint}", script, conns, opts))
                self.stack.set_latency(gateway_ms)
                results = self.load.wrk_many(jobs, self.cfg.duration)
                for (name, _, conns, _), result in zip(jobs, results.values(), strict=True):
                    endpoint = name.rsplit("-", 1)[1]
                    result["connections"] = conns
                    self.record(f"mix{clients}", endpoint, clients, gateway_ms, result)
        self.stack.set_latency(0)

    def phase_tune(self) -> None:
        """Other gunicorn worker x thread counts, on what decides them: initiate at the top
        client count with both gateways, against the reference view (the main configuration's
        figures come from the passes above)."""
        clients, ms, d = max(self.cfg.clients), self.cfg.latency_ms, self.cfg.duration
        for workers, threads in self.cfg.tune:
            log(f"tuning: {workers} workers x {threads} threads, {clients} clients")
            self.stack.set_latency(0)
            self.stack.start_gunicorn(workers, threads)
            group = f"tune {workers}x{threads}"
            self.load.wrk("tune-warmup", "initiate.lua", 32, 2, token=self.shop)
            ref = self.load.wrk(f"{group}-ref", "initiate.lua", clients, d, path="/bench/reference")
            self.record(group, "reference", clients, 0, ref)
            self.record(group, "initiate", clients, 0, self.endpoint_pass("initiate", clients, 0))
            self.record(group, "initiate", clients, ms, self.endpoint_pass("initiate", clients, ms))
        self.stack.set_latency(0)

    def phase_profile(self) -> None:
        spy = shutil.which("py-spy", path=str(Path(PYTHON).parent)) or shutil.which("py-spy")
        workers = self.stack.workers()
        if not spy or not workers:
            log("profile skipped: py-spy or a worker is missing")
            return
        self.meta["profiles"] = {}
        for endpoint in ("initiate", "webhook"):
            if endpoint in self.cfg.endpoints:
                self.profile(spy, workers, endpoint)

    def profile(self, spy: str, workers: list[int], endpoint: str) -> None:
        seconds, clients = round(self.cfg.profile_seconds), 32
        self.stack.set_latency(0)
        if endpoint == "webhook":
            self.stack.sim_post("/_sim/reset")
            n = self.sized("webhook", clients, 0, (seconds + 4) / self.cfg.duration)
            job = {"data": self.prep.webhook_lines(self.shop, n, self.cfg.webhook_duplicates)}
        else:
            job = {"token": self.shop}
        log(f"profiling the {len(workers)} workers under {endpoint} load for {seconds}s")
        cmd, env, _ = self.load._wrk_job(
            f"profile-{endpoint}", f"{endpoint}.lua", clients, seconds + 4, **job
        )
        wrk = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # noqa: S603 - fixed local tools, no user input
        spies = []
        try:
            time.sleep(2)
            # One py-spy per worker, at once: more samples than one worker alone gives, and
            # each worker is still profiled on its own (py-spy pauses it to sample).
            for pid in workers:
                raw = self.outdir / f"{endpoint}-profile-{pid}.txt"
                spy_cmd = [spy, "record", "--pid", str(pid), "--duration", str(seconds)]
                spy_cmd += ["--rate", "250", "--gil", "--format", "raw", "--output", str(raw)]
                out = subprocess.DEVNULL
                proc = subprocess.Popen(spy_cmd, stdout=out, stderr=out)  # noqa: S603 - fixed local tools
                spies.append((proc, raw))
            for spy_proc, _ in spies:
                spy_proc.wait(seconds + 60)
            merged = self.outdir / f"{endpoint}-profile.txt"
            merged.write_text("".join(raw.read_text() for _, raw in spies if raw.exists()))
            found = analyse_profile(merged, seconds * len(workers), 250, endpoint)
            found |= {"file": str(merged), "workers": len(workers)}
            self.meta["profiles"][endpoint] = found
        except (BenchError, OSError, subprocess.TimeoutExpired) as exc:
            log(f"profile failed: {exc}")
        finally:
            for spy_proc, _ in spies:
                if spy_proc.poll() is None:
                    spy_proc.kill()
                    spy_proc.wait(10)
            with contextlib.suppress(subprocess.TimeoutExpired):
                wrk.communicate(timeout=seconds + 30)
            if wrk.poll() is None:
                wrk.kill()
                wrk.communicate(timeout=10)


def split(total: int, shares: dict[str, float]) -> dict[str, int]:
    """Connections per endpoint: at least one each, the rest by largest remainder."""
    counts = {name: max(1, math.floor(total * share)) for name, share in shares.items()}
    while sum(counts.values()) > total:
        biggest = max(counts, key=counts.get)
        counts[biggest] -= 1
    order = sorted(
        shares, key=lambda n: total * shares[n] - math.floor(total * shares[n]), reverse=True
    )
    for name in itertools.islice(itertools.cycle(order), max(0, total - sum(counts.values()))):
        counts[name] += 1
    return counts


# --- profile analysis -------------------------------------------------------------------------
# py-spy --gil samples only the thread holding the GIL, i.e. the worker's Python CPU time (waits
# on PostgreSQL, Redis or the gateway release the GIL and are not sampled). Stages are matched
# on the whole stack ("function (file)" frames, line numbers dropped), so they are inclusive.
VIEWS = {
    "initiate": r"dispatch \(rest_framework/views\.py\)",
    "webhook": r"\(webhooks/api\.py\)",  # a function view or an APIView alike
}
_MAIN_LOOP = r"run \(gunicorn/workers/gthread\.py\)(?!.*handle)"
_COMMON = [
    ("cross-cutting: psycopg (all queries)", r"\(psycopg/"),
    ("cross-cutting: Django ORM (query building, SQL compiling, model instances)", r"\(django/db/"),
    ("cross-cutting: logging (JSON formatting, masking, handlers)", r"\(logging/|pythonjsonlogger"),
    ("cross-cutting: Prometheus metrics", r"prometheus_client"),
]
PROFILE_STAGES = {
    "initiate": [
        ("outside the view: gunicorn, WSGI, middleware, response rendering", None),
        ("  of which response rendering (DRF JSONRenderer)", r"render \(rest_framework/renderers"),
        ("  of which gunicorn's gthread main loop (poll, accept, futures)", _MAIN_LOOP),
        ("API-key authentication (one SELECT)", r"client_app_for_key"),
        ("rate limit (django-ratelimit, Redis)", r"allow_request \(payments_service/ratelimit"),
        ("idempotency claim (INSERT key row)", r"idempotency_claim"),
        ("input validation (PaymentInitiateInput)", r"is_valid \(rest_framework/serializers"),
        ("payment INSERT + status-change INSERT (1 transaction)", r"_payment_insert_or_get"),
        ("gateway: create order (SDK + requests + JSON)", r"create_order \(payments_service"),
        (
            "UPDATE payment with the order id",
            r"payment_initiate \(payments/services\.py\);update \(django/db/models/query\.py",
        ),
        ("idempotency complete (UPDATE with the response)", r"idempotency_complete"),
        (
            "output serialisation (PaymentOutput.data)",
            r"data \(rest_framework/serializers\.py\)(?!.*is_valid)",
        ),
        *_COMMON,
    ],
    "webhook": [
        ("outside the view: gunicorn, WSGI, middleware", None),
        ("  of which gunicorn's gthread main loop (poll, accept, futures)", _MAIN_LOOP),
        (
            "receive: verify signature, parse, INSERT the event",
            r"webhook_receive \(webhooks/services",
        ),
        ("  of which signature (HMAC)", r"webhook_signature_valid"),
        (
            "process: lock the event, apply, save it (1 transaction)",
            r"webhook_process \(webhooks/services",
        ),
        (
            "  of which the handler (payment lock, attempt, transition)",
            r"_apply \(webhooks/services",
        ),
        (
            "  of which saving the event row (full-row UPDATE)",
            r"webhook_process \(webhooks/services\.py\);save \(django/db/models/base\.py",
        ),
        ("JSON parsing of the body", r"loads \(json/"),
        *_COMMON,
    ],
}


def analyse_profile(path: Path, seconds: float, rate: int, endpoint: str) -> dict:
    samples: list[tuple[str, int]] = []
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if count.isdigit():
            samples.append((re.sub(r":\d+\)", ")", stack), int(count)))
    total = sum(count for _, count in samples) or 1
    stages = []
    for label, pattern in PROFILE_STAGES[endpoint]:
        if pattern is None:
            hit = sum(c for stack, c in samples if not re.search(VIEWS[endpoint], stack))
        else:
            hit = sum(c for stack, c in samples if re.search(pattern, stack))
        stages.append((label, round(hit / total, 3)))
    leaves: dict[str, int] = {}
    modules: dict[str, int] = {}
    for stack, count in samples:
        leaf = stack.rsplit(";", 1)[-1]
        leaves[leaf] = leaves.get(leaf, 0) + count
        match = re.search(r"\(([^/)]+)", leaf)
        module = (match.group(1) if match else leaf).removesuffix(".py")
        modules[module] = modules.get(module, 0) + count

    def top(table, n):
        ranked = sorted(table.items(), key=lambda kv: kv[1], reverse=True)[:n]
        return [(name[:120], round(count / total, 3)) for name, count in ranked]

    return {
        "samples": total,
        # Share of the recording in which one of the worker's threads held the GIL.
        "gil_busy": round(total / (seconds * rate), 3),
        "stages": stages,
        "leaf_modules": top(modules, 12),
        "leaf_functions": top(leaves, 15),
    }


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
    for package in ("Django", "djangorestframework", "gunicorn", "psycopg", "razorpay", "requests"):
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


# --- RESULTS.md -------------------------------------------------------------------------------
def write_results(bench: Bench, target: Path | None) -> None:
    from bench.report import render

    text = render(bench.meta, bench.results, bench.cfg)
    (bench.outdir / "RESULTS.md").write_text(text)
    log(f"results in {bench.outdir}")
    if target is None:
        return
    kept = ""
    if target.exists():
        old = target.read_text()
        if ANALYSIS_MARKER in old:
            kept = old[old.index(ANALYSIS_MARKER) :]
    target.write_text(text + ("\n" + kept if kept else ""))
    # The raw figures beside it, so that RESULTS.md can be re-read (and re-rendered) later.
    shutil.copyfile(bench.outdir / "results.json", target.with_suffix(".json"))
    log(f"wrote {target} and {target.with_suffix('.json').name}")


# --- command line -----------------------------------------------------------------------------
def parse_args(argv=None):
    env = os.environ.get
    parser = argparse.ArgumentParser(prog="bench/run.py", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--duration",
        type=float,
        default=float(env("BENCH_DURATION", "10")),
        help="seconds per timed pass (default 10)",
    )
    parser.add_argument(
        "--warmup",
        type=float,
        default=float(env("BENCH_WARMUP", "3")),
        help="seconds of warm-up per endpoint (0: none)",
    )
    parser.add_argument("--clients", default=env("BENCH_CLIENTS", "8,32,64"))
    parser.add_argument("--mix-clients", default=env("BENCH_MIX_CLIENTS", "32,64"))
    parser.add_argument("--latency-ms", type=int, default=int(env("BENCH_LATENCY_MS", "150")))
    parser.add_argument("--endpoints", default=env("BENCH_ENDPOINTS", ",".join(ENDPOINTS)))
    parser.add_argument(
        "--phases", default=env("BENCH_PHASES", "pgbench,alone,latency,mix,profile,tune")
    )
    parser.add_argument("--workers", type=int, default=int(env("WEB_CONCURRENCY", "3")))
    parser.add_argument("--threads", type=int, default=int(env("GUNICORN_THREADS", "16")))
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument(
        "--tune",
        default=env("BENCH_TUNE", "2x32,4x8,6x4,6x8"),
        help="other WORKERSxTHREADS to compare (phase tune; '' for none)",
    )
    parser.add_argument(
        "--webhook-duplicates", type=float, default=0.25, help="share of events sent twice"
    )
    parser.add_argument("--rate-limit", default="1000000/m")
    parser.add_argument("--redis-db", type=int, default=5)
    parser.add_argument(
        "--settings",
        default="bench.settings",
        help="settings module (e.g. one that adds a candidate change, to measure it first)",
    )
    parser.add_argument(
        "--max-prep", type=int, default=12000, help="most items prepared for one pass"
    )
    parser.add_argument("--profile-seconds", type=float, default=8)
    parser.add_argument(
        "--max-load",
        type=float,
        default=float(env("BENCH_MAX_LOAD", "0.5")),
        help="wait until the 1-minute load average is below this",
    )
    parser.add_argument(
        "--max-load-wait",
        type=float,
        default=float(env("BENCH_MAX_LOAD_WAIT", "180")),
        help="seconds to wait for it at most",
    )
    parser.add_argument(
        "--results",
        default=env("BENCH_RESULTS", str(BENCH / "RESULTS.md")),
        help="where to write RESULTS.md ('' for only the run folder)",
    )
    parser.add_argument("--out-dir", default="")
    parser.add_argument("--keep-db", action="store_true")
    cfg = parser.parse_args(argv)
    cfg.clients = [int(c) for c in cfg.clients.split(",") if c]
    cfg.mix_clients = [int(c) for c in cfg.mix_clients.split(",") if c]
    cfg.endpoints = [e for e in cfg.endpoints.split(",") if e]
    cfg.phases = {p for p in cfg.phases.split(",") if p}
    cfg.tune = [tuple(int(n) for n in item.split("x")) for item in cfg.tune.split(",") if item]
    cfg.results = Path(cfg.results).resolve() if cfg.results else None
    unknown = set(cfg.endpoints) - set(ENDPOINTS)
    if unknown:
        parser.error(f"unknown endpoints: {', '.join(sorted(unknown))}")
    return cfg


def main(argv=None) -> int:
    cfg = parse_args(argv)
    for tool in ("wrk", "pgbench", "psql", "createdb", "dropdb", "redis-cli"):
        if not shutil.which(tool):
            raise SystemExit(f"bench: {tool} is missing; run bench/setup.sh (make bench does)")
    sys.path.insert(0, str(ROOT))
    bench = Bench(cfg)
    bench.meta["command"] = "make bench" if env_is_make() else shlex.join([PYTHON, *sys.argv])
    bench.meta["config"] = {
        k: (sorted(v) if isinstance(v, set) else str(v) if isinstance(v, Path) else v)
        for k, v in vars(cfg).items()
    }
    bench.run()
    return 0


def env_is_make() -> bool:
    return bool(os.environ.get("MAKELEVEL"))


if __name__ == "__main__":
    sys.exit(main())
