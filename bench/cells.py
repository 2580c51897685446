"""How one figure of a pass is written in a RESULTS.md table cell."""

import json

from bench.common import is_service_role, row_errors

CPU_ROLES = ["service", "postgres", "simulator", "redis", "load tool", "other", "idle"]


def table_header(*columns: str) -> str:
    return "| " + " | ".join(columns) + " |\n|" + "---|" * len(columns)


def ratio_cell(a, b) -> str:
    if not a or not b or not b.get("rps"):
        return "n/a"
    return f"{a['rps'] / b['rps']:.2f}"


def rps_cell(row) -> str:
    return f"{row['rps']:,.0f}" if row else "n/a"


def ms_cell(row, key) -> str:
    value = row.get(key)
    return "n/a" if value is None else f"{value:.0f}" if value >= 10 else f"{value:.1f}"


NPROC = [2]


def svc_cpu_ms(row) -> float | None:
    """The service's CPU time per request (all workers), less sensitive to neighbours' load
    than requests/s."""
    share = service_share(row)
    return share * NPROC[0] * 1000 / row["rps"] if share and row.get("rps") else None


def svc_ms(row) -> str:
    ms = svc_cpu_ms(row)
    return "n/a" if ms is None else f"{ms:.1f}"


BENCH_ROLES = ("postgres", "simulator", "redis", "load tool")


def service_share(row) -> float:
    """The service's share of the cores, whichever server it ran under."""
    return sum(v for role, v in (row.get("cpu") or {}).items() if is_service_role(role))


def per_cpu(row) -> float | None:
    """Requests per CPU-second of the benchmark's own processes (service, PostgreSQL, the
    simulator, Redis, wrk): what neighbours on the machine take is left out."""
    cpu = row.get("cpu") or {}
    used = (sum(cpu.get(role, 0) for role in BENCH_ROLES) + service_share(row)) * NPROC[0]
    return row["rps"] / used if used and row.get("rps") else None


def cpu_ratio(a, b) -> str:
    x, y = (per_cpu(a) if a else None), (per_cpu(b) if b else None)
    return f"{x / y:.2f}" if x and y else "n/a"


def cpu_cell(row) -> str:
    cpu = (row.get("cpu") or {}) | {"service": service_share(row)}
    short = {"service": "svc", "postgres": "pg", "simulator": "sim", "redis": "redis"}
    short |= {"load tool": "load", "other": "other", "idle": "idle"}
    parts = [f"{short[r]} {cpu[r] * 100:.0f}" for r in CPU_ROLES if cpu.get(r, 0) >= 0.005]
    return " · ".join(parts)


def err_cell(row) -> str:
    n = row_errors(row)
    if not n:
        return "0"
    parts = [f"{status}: {count}" for status, count in sorted(row.get("non2xx", {}).items())]
    parts += [f"{kind}: {count}" for kind, count in row.get("socket_errors", {}).items()]
    return f"**{n}** ({', '.join(parts)})"


def wraps_note(row) -> str:
    # Reads cycle through their paths and refunds through their payments on purpose.
    if row.get("data_wraps") and row["endpoint"] in ("confirm", "webhook"):
        return f" ⚠ data reused {row['data_wraps']} times"
    return ""


SERVER_KINDS = {
    "gunicorn": "gunicorn gthread",
    "granian": "granian WSGI (blocking threads)",
}


def server_of(row) -> str:
    return row.get("server", "gunicorn")  # rows of runs before the server choice


def error_code(body: str) -> str:
    try:
        data = json.loads(body)
        return f"{data.get('code')}: {str(data.get('detail', ''))[:120]}"
    except (ValueError, AttributeError):
        return body[:120].replace("|", "/").replace("\n", " ")
