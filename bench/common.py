"""What every part of the benchmark shares: paths, the endpoints, logging, running a tool."""

import os
import shlex
import subprocess
import sys
import threading
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
WRK = BENCH / "wrk"
PYTHON = sys.executable
HOST = "127.0.0.1"

ENDPOINTS = ("initiate", "confirm", "webhook", "refund", "get", "list")
GATEWAY_ENDPOINTS = ("initiate", "confirm", "refund")
# The HTTP servers the service can run under: gunicorn (with gunicorn.conf.py, as tests and
# operations start it) and granian (WSGI, blocking threads).
SERVERS = ("gunicorn", "granian")

STOP = threading.Event()  # set on SIGINT/SIGTERM/SIGHUP: preparation threads stop early


class BenchError(RuntimeError):
    pass


def log(message: str) -> None:
    stamp = datetime.now().strftime("%H:%M:%S")
    print(f"[bench {stamp}] {message}", file=sys.stderr, flush=True)


def run_cmd(cmd: list[str], *, env=None, timeout: float = 120, check=True) -> str:
    result = subprocess.run(  # noqa: S603 - fixed local tools, no user input
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and result.returncode != 0:
        raise BenchError(f"{shlex.join(cmd)} exited {result.returncode}: {result.stderr[-2000:]}")
    return result.stdout


def proc_stat(pid: str):
    """comm, ppid, utime + stime (ticks) and start time (tells a reused pid apart) of a process,
    or None once it has gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    comm = raw[raw.index("(") + 1 : raw.rindex(")")]
    fields = raw[raw.rindex(")") + 2 :].split()
    return comm, int(fields[1]), int(fields[11]) + int(fields[12]), int(fields[19])


def service_role(server: str) -> str:
    """The CPU meter's name for the service's processes under `server`."""
    return f"service ({server})"


def is_service_role(role: str) -> bool:
    return role.startswith("service (")


def find_row(results: list[dict], group, endpoint, clients, gateway_ms=0, server=None):
    """The first recorded pass with these keys (of `server` when given: rows of runs before
    the server choice have none and count as gunicorn's)."""
    for row in results:
        if (row["group"], row["endpoint"], row["clients"], row["gateway_ms"]) == (
            group,
            endpoint,
            clients,
            gateway_ms,
        ) and (server is None or row.get("server", "gunicorn") == server):
            return row
    return None


def row_errors(row: dict) -> int:
    """A pass's failed requests: non-2xx answers, socket errors and timeouts."""
    return sum(row.get("non2xx", {}).values()) + sum(row.get("socket_errors", {}).values())


def is_make() -> bool:
    return bool(os.environ.get("MAKELEVEL"))
