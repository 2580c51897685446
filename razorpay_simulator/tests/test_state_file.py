"""`--state-file`: what the simulator acknowledged survives a kill and a restart."""

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import razorpay
import requests

from razorpay_simulator import Simulator

from .support import KEY_ID, KEY_SECRET, wait_until

ROOT = Path(__file__).resolve().parents[2]


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Process:
    """`python -m razorpay_simulator --state-file PATH` on a port of its own."""

    def __init__(self, state_file, refund_delay="0.3"):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "razorpay_simulator", "--port", str(self.port)),
                *("--key-id", KEY_ID, "--key-secret", KEY_SECRET),
                *("--refund-delay", refund_delay, "--state-file", str(state_file)),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        wait_until(self._up, timeout=10)
        self.client = razorpay.Client(auth=(KEY_ID, KEY_SECRET), base_url=self.url)

    def _up(self):
        assert self.proc.poll() is None, self.proc.communicate()
        try:
            return requests.get(f"{self.url}/_sim/health", timeout=1).ok
        except requests.ConnectionError:
            return False

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.communicate(timeout=5)


def test_a_killed_simulator_restarts_with_every_acknowledged_change(tmp_path):
    state = tmp_path / "sim.json"
    first = Process(state, refund_delay="30")  # the refund is still pending at the kill
    order = first.client.order.create({"amount": 50000, "currency": "INR", "receipt": "r-1"})
    paid = requests.post(
        f"{first.url}/_sim/orders/{order['id']}/pay", json={"outcome": "captured"}, timeout=5
    ).json()
    payment_id = paid["razorpay_payment_id"]
    refund = first.client.payment.refund(
        payment_id, {"amount": 10000}, headers={"X-Refund-Idempotency": "refund-key-0001"}
    )
    first.kill()

    second = Process(state)  # restarted with a short refund delay: the pending refund settles
    try:
        assert second.client.order.fetch(order["id"])["status"] == "paid"
        payment = second.client.payment.fetch(payment_id)
        assert payment["status"] == "captured" and payment["amount_refunded"] == 10000
        assert second.client.refund.fetch(refund["id"])["amount"] == 10000
        again = second.client.payment.refund(
            payment_id, {"amount": 10000}, headers={"X-Refund-Idempotency": "refund-key-0001"}
        )
        assert again["id"] == refund["id"]  # the idempotency key was kept too
        wait_until(lambda: second.client.refund.fetch(refund["id"])["status"] == "processed")
        # ...and new ids still sort after the old ones.
        assert second.client.order.create({"amount": 100, "currency": "INR"})["id"] > order["id"]
    finally:
        second.kill()


def test_reset_empties_the_state_file(tmp_path):
    state = tmp_path / "sim.json"
    with Simulator(key_id=KEY_ID, key_secret=KEY_SECRET, state_file=str(state)) as sim:
        client = razorpay.Client(auth=(KEY_ID, KEY_SECRET), base_url=sim.url)
        client.order.create({"amount": 100, "currency": "INR"})
        assert len(json.loads(state.read_text())["entities"]["order"]) == 1
        requests.post(f"{sim.url}/_sim/reset", timeout=5)
    assert json.loads(state.read_text())["entities"]["order"] == {}
    assert os.listdir(tmp_path) == ["sim.json"]  # no temporary file left behind


def test_without_a_state_file_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with Simulator(key_id=KEY_ID, key_secret=KEY_SECRET) as sim:
        razorpay.Client(auth=(KEY_ID, KEY_SECRET), base_url=sim.url).order.create(
            {"amount": 100, "currency": "INR"}
        )
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("content", ["{not json", '{"format": 99}'])
def test_an_unreadable_state_file_stops_the_start_with_its_name(tmp_path, content):
    state = tmp_path / "sim.json"
    state.write_text(content)

    run = subprocess.run(
        [sys.executable, "-m", "razorpay_simulator", "--port", "0", "--state-file", str(state)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=10,
    )

    assert run.returncode != 0 and str(state) in run.stderr
    assert state.read_text() == content  # left for the user to look at
