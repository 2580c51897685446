"""A newcomer's first hour with the real `make run` script (scripts/run_local.sh), on free
ports with a SQLite database and a simulator state file of its own: pay in headless Chromium
through the demo shop and the checkout page, land back on the shop showing "captured"; a
second start beside the running one fails at once, naming the port variable, and breaks
nothing; stop, start again, and refund that payment with the newly printed key."""

import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

from reliability.browser import chromium, needs_chromium

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "run_local.sh"
SIM_KEY = ("rzp_test_L0calS1mulat0r", "local_simulator_key_secret")  # as run_local.sh sets


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def http() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # straight to 127.0.0.1, whatever proxy the environment names
    return session


class MakeRun:
    """scripts/run_local.sh in a process group of its own, its output in a file."""

    def __init__(self, tmp_path: Path, port: int, sim_port: int, name: str):
        self.url = f"http://127.0.0.1:{port}"
        self.sim_url = f"http://127.0.0.1:{sim_port}"
        self.output = tmp_path / f"{name}.log"
        env = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("DATABASE_", "REDIS_", "RAZORPAY_", "GUNICORN_"))
        }
        env.update(
            PORT=str(port),
            SIM_PORT=str(sim_port),
            # `make run` is the embedded default: SQLite (CI's DATABASE_URL is PostgreSQL).
            DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
            SIM_STATE_FILE=str(tmp_path / "simulator-state.json"),
            WEB_CONCURRENCY="1",
        )
        with self.output.open("w") as out:
            self.proc = subprocess.Popen(
                [str(SCRIPT)],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def text(self) -> str:
        return self.output.read_text(errors="replace")

    def wait_started(self, timeout: float = 40) -> str:
        """The demo app's API key, once the service answers."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"make run exited:\n{self.text()}"
            key = re.search(r"API key (psk_\S+)", self.text())
            if key:
                try:
                    if http().get(f"{self.url}/healthz", timeout=1).ok:
                        return key[1]
                except requests.RequestException:  # still booting
                    pass
            time.sleep(0.2)
        raise AssertionError(f"make run did not start within {timeout}s:\n{self.text()}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)  # what Ctrl-C does to the whole group
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
                raise AssertionError(f"make run did not stop:\n{self.text()}") from None
        # Nothing of it is left behind (simulator, worker, gunicorn).
        try:
            os.killpg(self.proc.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(1)
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        raise AssertionError("processes of make run outlived it")


def key_works(run: MakeRun, key: str) -> bool:
    response = http().get(f"{run.url}/payments", headers={"Authorization": f"Bearer {key}"})
    return response.status_code == 200


def test_a_busy_port_stops_make_run_at_once_naming_its_variable(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        sim_port = taken.getsockname()[1]
        started = time.monotonic()
        run = MakeRun(tmp_path, free_port(), sim_port, "busy")
        assert run.proc.wait(timeout=10) != 0
    assert time.monotonic() - started < 5
    assert f"port {sim_port}" in run.text() and f"SIM_PORT={sim_port + 1}" in run.text()
    assert not (tmp_path / "db.sqlite3").exists()  # nothing was changed: not even migrated


def pay_in_the_browser(run: MakeRun) -> str:
    """Buy in the demo shop, pay on the checkout page, and come back: the payment's id."""
    with chromium() as browser:
        page = browser.new_page()
        page.goto(f"{run.url}/")
        page.click("text=Demo shop")
        page.click("#buy")
        page.wait_for_url(f"{run.sim_url}/_sim/checkout/**")
        assert page.text_content("#prefill_name") == "Asha Demo"
        assert page.input_value("input[name=email]") == "asha@example.com"
        assert page.is_visible("input[name=card_number]")
        assert not page.is_visible("input[name=vpa]")  # paying by card: no UPI field
        page.click("button[type=submit]")
        page.wait_for_url(f"{run.url}/demo/shop?payment=*")
        assert page.text_content("#status") == "captured"
        return page.text_content("#payment-id")


@needs_chromium
@pytest.mark.timeout(150)
def test_pay_restart_and_refund_with_make_run(tmp_path):
    port, sim_port = free_port(), free_port()
    first = MakeRun(tmp_path, port, sim_port, "first")
    try:
        key = first.wait_started()
        payment_id = pay_in_the_browser(first)

        # A second make run beside the first: it fails at once and the first key still works.
        second = MakeRun(tmp_path, port, sim_port, "second")
        assert second.proc.wait(timeout=10) != 0
        assert "PORT=" in second.text() and "SIM_PORT=" in second.text()
        assert "API key" not in second.text()
        assert key_works(first, key)
    finally:
        first.stop()

    again = MakeRun(tmp_path, port, sim_port, "again")
    try:
        new_key = again.wait_started()
        assert key_works(again, new_key)
        refund = http().post(
            f"{again.url}/payments/{payment_id}/refunds",
            json={"amount": 400},
            headers={"Authorization": f"Bearer {new_key}", "Idempotency-Key": "first-hour-1"},
        )
        assert refund.status_code == 201, refund.text
        assert refund.json()["status"] in ("pending", "processed")
        at_razorpay = http().get(
            f"{again.sim_url}/v1/refunds/{refund.json()['razorpayRefundId']}", auth=SIM_KEY
        )
        assert at_razorpay.status_code == 200 and at_razorpay.json()["status"] in (
            "pending",
            "processed",
        )
    finally:
        again.stop()
