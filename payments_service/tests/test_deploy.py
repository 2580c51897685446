"""The deployment pieces, proven without a Docker engine: the Dockerfile (hadolint and its
required directives), the entry point's migrate switch, and gunicorn as configured."""

import json
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from payments_service.tests.servers import ROOT, Gunicorn

DOCKERFILE = (ROOT / "Dockerfile").read_text()


def test_dockerfile_passes_hadolint():
    hadolint = Path(sys.executable).parent / "hadolint"
    result = subprocess.run(
        [hadolint, "--failure-threshold", "info", "Dockerfile"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_builds_a_slim_non_root_image_that_runs_gunicorn():
    joined = DOCKERFILE.replace("\\\n", " ")  # continuation lines
    instructions = re.findall(r"^([A-Z]+)\s+(.*)$", joined, re.MULTILINE)
    stages = [i for i, (name, _) in enumerate(instructions) if name == "FROM"]
    assert len(stages) >= 2, "multi-stage: build tools stay out of the runtime image"
    runtime = instructions[stages[-1] :]
    assert re.match(r"python:3\.\d+-slim\b", runtime[0][1])
    directives = {name: args for name, args in runtime}
    assert "--from=build" in " ".join(args for name, args in runtime if name == "COPY")
    assert directives["USER"].split(":")[0] not in {"root", "0"}
    assert "/healthz" in directives["HEALTHCHECK"]
    assert any("collectstatic" in args for name, args in runtime if name == "RUN")
    assert json.loads(directives["ENTRYPOINT"]) == ["./docker-entrypoint.sh"]
    assert json.loads(directives["CMD"]) == ["gunicorn"]
    user_line = next(i for i, (name, _) in enumerate(runtime) if name == "USER")
    assert [name for name, _ in runtime[user_line:]] == ["USER", "EXPOSE", "HEALTHCHECK",
                                                         "ENTRYPOINT", "CMD"]  # fmt: skip


def run_entrypoint(tmp_path, migrate: str, python: str) -> subprocess.CompletedProcess:
    """docker-entrypoint.sh with `python` (a shell script) standing in for the real one."""
    (tmp_path / "python").write_text(f"#!/bin/sh\n{python}\n")
    (tmp_path / "python").chmod(0o755)
    return subprocess.run(
        ["/bin/sh", "docker-entrypoint.sh", "echo", "serving"],
        cwd=ROOT,
        env={"PATH": f"{tmp_path}:/usr/bin:/bin", "MIGRATE_ON_START": migrate},
        capture_output=True,
        text=True,
        timeout=30,
    )


@pytest.mark.parametrize("migrate", ["", "false", "true"])
def test_entrypoint_runs_migrations_only_when_asked(tmp_path, migrate):
    calls = tmp_path / "calls"
    result = run_entrypoint(tmp_path, migrate, f'echo "python $*" >> {calls}')
    assert result.returncode == 0, result.stderr
    assert result.stdout == "serving\n"  # then the command itself runs (exec)
    migrated = calls.read_text() if calls.exists() else ""
    assert migrated == ("python manage.py migrate --noinput\n" if migrate == "true" else "")


def test_entrypoint_stops_when_migrations_fail(tmp_path):
    result = run_entrypoint(tmp_path, "true", "exit 3")
    assert result.returncode == 3
    assert "serving" not in result.stdout


@pytest.mark.django_db(transaction=True)
def test_gunicorn_workers_share_metrics_log_json_and_stop_gracefully(tmp_path):
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_1.db").write_bytes(b"stale, from an earlier run")
    server = Gunicorn(
        tmp_path / "gunicorn.log",
        WEB_CONCURRENCY="2",
        GUNICORN_THREADS="2",
        LOG_FORMAT="json",
        GUNICORN_ACCESSLOG="-",  # off by default
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
    )
    try:
        server.wait_ready()
        assert not (metrics_dir / "counter_1.db").exists()
        with ThreadPoolExecutor(max_workers=8) as pool:
            ids = [f"probe-{i}" for i in range(20)]
            answers = list(
                pool.map(
                    lambda rid: requests.get(
                        f"{server.url}/readyz", headers={"X-Request-ID": rid}, timeout=10
                    ),
                    ids,
                )
            )
        assert {answer.status_code for answer in answers} == {200}
        counts = set()
        for _ in range(4):  # whichever worker answers the scrape, it counts every worker's
            scraped = requests.get(f"{server.url}/metrics", timeout=10).text
            counts.add(readyz_count(scraped))
        assert counts == {20.0}
    finally:
        exit_code = server.stop()
    output = server.log.read_text()
    assert exit_code == 0, output[-4000:]
    lines = [json.loads(line) for line in output.splitlines()]
    access = {line["request_id"]: line for line in lines if line["logger"] == "gunicorn.access"}
    assert set(ids) <= set(access)
    assert access["probe-7"]["path"] == "/readyz"
    assert access["probe-7"]["status"] == 200
    assert any(line["message"] == "Shutting down: Master" for line in lines)


def readyz_count(exposition: str) -> float:
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            if sample.name == "http_request_duration_seconds_count" and sample.labels == {
                "route": "readyz",
                "method": "GET",
                "status": "200",
            }:
                return sample.value
    return 0.0
