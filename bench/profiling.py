"""py-spy profiles of the service's workers under load, and what they say."""

import contextlib
import re
import shutil
import subprocess
import time
from pathlib import Path

from bench.common import PYTHON, BenchError, log

RATE = 250  # samples per second

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


def find_py_spy() -> str | None:
    return shutil.which("py-spy", path=str(Path(PYTHON).parent)) or shutil.which("py-spy")


def record(load, spy: str, workers: list[int], endpoint: str, seconds: int, job: dict, name: str):
    """py-spy on every worker while wrk sends `endpoint` (with `job`'s data) at 32 clients; the
    analysis of the merged samples, or None when the recording failed."""
    log(f"profiling the {len(workers)} workers under {endpoint} load for {seconds}s")
    cmd, env, _ = load.wrk_job(f"profile-{name}", f"{endpoint}.lua", 32, seconds + 4, **job)
    wrk = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # noqa: S603 - fixed local tools, no user input
    spies = []
    try:
        time.sleep(2)
        # One py-spy per worker, at once: more samples than one worker alone gives, and
        # each worker is still profiled on its own (py-spy pauses it to sample).
        for pid in workers:
            raw = load.outdir / f"{name}-profile-{pid}.txt"
            spy_cmd = [spy, "record", "--pid", str(pid), "--duration", str(seconds)]
            spy_cmd += ["--rate", str(RATE), "--gil", "--format", "raw", "--output", str(raw)]
            out = subprocess.DEVNULL
            proc = subprocess.Popen(spy_cmd, stdout=out, stderr=out)  # noqa: S603 - fixed local tools
            spies.append((proc, raw))
        for spy_proc, _ in spies:
            spy_proc.wait(seconds + 60)
        merged = load.outdir / f"{name}-profile.txt"
        merged.write_text("".join(raw.read_text() for _, raw in spies if raw.exists()))
        found = analyse_profile(merged, seconds * len(workers), RATE, endpoint)
        return found | {"file": str(merged), "workers": len(workers)}
    except (BenchError, OSError, subprocess.TimeoutExpired) as exc:
        log(f"profile failed: {exc}")
        return None
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
