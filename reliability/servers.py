"""The service as real processes (gunicorn as deployed, `manage.py worker`) on the test
database, to kill them.

Each process runs in a session (process group) of its own, so `kill()` takes the master and
its workers down together with SIGKILL, as an OOM kill or a lost machine would: nothing gets to
clean up. Only the process this object started is ever signalled, by its group id.
"""

import os
import signal
import subprocess
import sys
from pathlib import Path

import requests

from payments_service.tests.servers import GUNICORN, ROOT, current_database_url, free_port

from .waiting import wait_until


class _Process:
    command: list[str]

    def __init__(self, workdir: Path, name: str, env: dict[str, str]):
        self.log = workdir / f"{name}.log"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "payments_service.settings",
            "DATABASE_URL": current_database_url(),
            **env,
        }
        self.process: subprocess.Popen | None = None

    def start(self, *, timeout: float = 60):
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(  # noqa: S603 - our own programs, fixed arguments
                self.command,
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_until(self._ready, timeout=timeout, what=f"{self.command[-1]} ({self.log})")
        return self

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"{self.command[-1]} exited:\n{self.output()}")
        return True

    def kill(self) -> None:
        """SIGKILL to the whole process group: no request finishes, no handler runs."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM (graceful), then SIGKILL if it has not gone after a while."""
        if not self.process or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""


class ServiceProcess(_Process):
    """gunicorn with the project's gunicorn.conf.py: one worker, a few threads, a free port."""

    command = [GUNICORN]

    def __init__(self, workdir: Path, name: str, env: dict[str, str]):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        metrics = workdir / f"{name}-metrics"
        metrics.mkdir()
        super().__init__(
            workdir,
            name,
            {
                "GUNICORN_BIND": f"127.0.0.1:{self.port}",
                "WEB_CONCURRENCY": "1",
                "GUNICORN_THREADS": "4",
                "PROMETHEUS_MULTIPROC_DIR": str(metrics),
                **env,
            },
        )

    def _ready(self) -> bool:
        super()._ready()
        try:
            return requests.get(f"{self.url}/healthz", timeout=2).status_code == 200
        except requests.RequestException:  # not listening yet, or too busy starting to answer
            return False


class WorkerProcess(_Process):
    """`manage.py worker`: the task worker and the chore scheduler."""

    command = [sys.executable, "manage.py", "worker"]

    def _ready(self) -> bool:
        super()._ready()
        return "started (polling" in self.output()
