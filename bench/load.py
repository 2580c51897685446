"""The load: wrk and pgbench passes, and the CPU meter that says who used the cores."""

import itertools
import json
import math
import os
import re
import resource
import secrets
import subprocess
import time
from pathlib import Path

from bench.common import BENCH, HOST, WRK, BenchError, is_service_role, proc_stat, run_cmd

# --- CPU accounting (who used the two cores during a pass) ------------------------------------
CLK_TCK = os.sysconf("SC_CLK_TCK")


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
            stat = proc_stat(pid)
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
        known = sum(v for role, v in shares.items() if role in BENCH_ROLES or is_service_role(role))
        shares["other"] = max(0.0, 1 - shares["idle"] - known)
        shares.pop("postgres (other databases)", None)
        rounded: dict = {role: round(value, 3) for role, value in shares.items()}
        rounded["other_top"] = [
            f"{name} {ticks / capacity * 100:.0f}%"
            for ticks, name in sorted(others, reverse=True)[:3]
            if ticks / capacity >= 0.01
        ]
        return rounded


# The service (under whichever server) counts too: see is_service_role.
BENCH_ROLES = {"simulator", "postgres", "redis", "load tool", "bench driver"}


class Load:
    def __init__(self, cfg, stack, outdir: Path, meter: CpuMeter):
        self.cfg = cfg
        self.stack = stack
        self.outdir = outdir
        self.meter = meter
        self._n = itertools.count()

    def wrk_job(self, name: str, script: str, clients: int, duration: float, **opts):
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
        cmd, env, out = self.wrk_job(name, script, clients, duration, **opts)
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
            cmd, env, out = self.wrk_job(name, script, clients, duration, wrk_threads=1, **opts)
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
