"""bench/run.py's command line: the options (each also read from the environment where named),
the tools a run needs, and the run itself."""

import argparse
import os
import shlex
import shutil
import sys
from pathlib import Path

from bench.common import BENCH, ENDPOINTS, PYTHON, SERVERS, is_make
from bench.phases import Bench

# flag, type, environment variable (or None), default, help
OPTIONS = [
    ("--duration", float, "BENCH_DURATION", "10", "seconds per timed pass (default 10)"),
    ("--warmup", float, "BENCH_WARMUP", "3", "seconds of warm-up per endpoint (0: none)"),
    ("--clients", str, "BENCH_CLIENTS", "8,32,64", None),
    ("--mix-clients", str, "BENCH_MIX_CLIENTS", "32,64", None),
    ("--latency-ms", int, "BENCH_LATENCY_MS", "150", None),
    ("--latency-repeats", int, "BENCH_LATENCY_REPEATS", "3", "latency passes at top clients"),
    ("--endpoints", str, "BENCH_ENDPOINTS", ",".join(ENDPOINTS), None),
    ("--phases", str, "BENCH_PHASES", "pgbench,alone,latency,mix,profile,tune", None),
    ("--workers", int, "WEB_CONCURRENCY", "3", None),
    ("--threads", int, "GUNICORN_THREADS", "24", None),
    (
        "--server",
        str,
        "BENCH_SERVER",
        "gunicorn",
        "HTTP server of the service: gunicorn (with gunicorn.conf.py) or granian (WSGI); "
        "several, comma-separated (gunicorn,granian), run the phases once per server and "
        "compare them side by side (the first one's figures fill the other tables)",
    ),
    ("--wrk-threads", int, None, 2, None),
    (
        "--tune",
        str,
        "BENCH_TUNE",
        "3x16,3x32,2x32,4x16",
        "other WORKERSxTHREADS to compare (phase tune; '' for none)",
    ),
    ("--webhook-duplicates", float, None, 0.25, "share of events sent twice"),
    ("--rate-limit", str, None, "1000000/m", None),
    ("--redis-db", int, None, 5, None),
    (
        "--settings",
        str,
        None,
        "bench.settings",
        "settings module (e.g. one that adds a candidate change, to measure it first)",
    ),
    ("--max-prep", int, None, 12000, "most items prepared for one pass"),
    ("--profile-seconds", float, None, 8, None),
    (
        "--max-load",
        float,
        "BENCH_MAX_LOAD",
        "0.5",
        "wait until the 1-minute load average is below this",
    ),
    ("--max-load-wait", float, "BENCH_MAX_LOAD_WAIT", "180", "seconds to wait for it at most"),
    (
        "--results",
        str,
        "BENCH_RESULTS",
        str(BENCH / "RESULTS.md"),
        "where to write RESULTS.md ('' for only the run folder)",
    ),
    ("--out-dir", str, None, "", None),
]
DESCRIPTION = (
    "`make bench`: the service as in production against its ceilings, in one run, on this machine."
)
TOOLS = ("wrk", "pgbench", "psql", "createdb", "dropdb", "redis-cli")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="bench/run.py", description=DESCRIPTION)
    for flag, kind, variable, default, text in OPTIONS:
        # A string default goes through `type` as a command-line value would.
        value = os.environ.get(variable, default) if variable else default
        parser.add_argument(flag, type=kind, default=value, help=text)
    parser.add_argument("--keep-db", action="store_true")
    cfg = parser.parse_args(argv)
    cfg.clients = [int(c) for c in cfg.clients.split(",") if c]
    cfg.mix_clients = [int(c) for c in cfg.mix_clients.split(",") if c]
    cfg.endpoints = [e for e in cfg.endpoints.split(",") if e]
    cfg.phases = {p for p in cfg.phases.split(",") if p}
    cfg.servers = list(dict.fromkeys(s for s in cfg.server.split(",") if s))
    cfg.tune = [tuple(int(n) for n in item.split("x")) for item in cfg.tune.split(",") if item]
    cfg.results = Path(cfg.results).resolve() if cfg.results else None
    unknown = set(cfg.endpoints) - set(ENDPOINTS)
    if unknown:
        parser.error(f"unknown endpoints: {', '.join(sorted(unknown))}")
    if not cfg.servers or set(cfg.servers) - set(SERVERS):
        parser.error(f"--server takes {' or '.join(SERVERS)}, or both comma-separated")
    return cfg


def main(argv=None) -> int:
    cfg = parse_args(argv)
    for tool in TOOLS + tuple(s for s in cfg.servers if s != "gunicorn"):
        if not shutil.which(
            tool, path=f"{Path(PYTHON).parent}{os.pathsep}{os.environ.get('PATH', '')}"
        ):
            raise SystemExit(f"bench: {tool} is missing; run bench/setup.sh (make bench does)")
    bench = Bench(cfg)
    bench.meta["command"] = "make bench" if is_make() else shlex.join([PYTHON, *sys.argv])
    bench.meta["config"] = {
        k: (sorted(v) if isinstance(v, set) else str(v) if isinstance(v, Path) else v)
        for k, v in vars(cfg).items()
    }
    bench.run()
    return 0
