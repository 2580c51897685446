"""Real gunicorn processes of the service for tests, on the test database."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = str(Path(sys.executable).parent / "gunicorn")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def current_database_url() -> str:
    """The DATABASE_URL of the database the running test uses (it must commit: transaction=True)."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    host = db["HOST"] or "127.0.0.1"
    return f"postgresql://{db['USER']}{password}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


class Gunicorn:
    """`gunicorn` as deployed (gunicorn.conf.py), its output in a file, stopped with SIGTERM."""

    def __init__(self, log: Path, **env: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        environment = {
            **os.environ,
            "DATABASE_URL": current_database_url(),
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            **env,
        }
        with open(log, "wb") as out:
            self.process = subprocess.Popen(
                [GUNICORN], cwd=ROOT, env=environment, stdout=out, stderr=subprocess.STDOUT
            )

    def wait_ready(self, seconds: float = 60) -> "Gunicorn":
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"gunicorn exited: {self.log.read_text()[-3000:]}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return self
            except (requests.ConnectionError, requests.Timeout):  # still booting
                pass
            time.sleep(0.1)
        raise AssertionError(f"gunicorn not ready in {seconds}s: {self.log.read_text()[-3000:]}")

    def stop(self, seconds: float = 30) -> int:
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise
