"""Control API housekeeping: config, reset, health, and the command line."""

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import razorpay
import requests

from .support import KEY_ID, REFUND_DELAY


def test_config_is_shown_without_secrets(control):
    control.post(
        "/_sim/config", {"webhook_url": "http://127.0.0.1:1/x", "webhook_secret": "s3cr3t"}
    )

    config = control.get("/_sim/config")

    assert config == {
        "key_id": KEY_ID,
        "webhook_url": "http://127.0.0.1:1/x",
        "webhook_secret_set": True,
        "refund_delay": REFUND_DELAY,
        "webhook_max_attempts": 8,
        "webhook_backoff": 0.05,
    }
    assert "s3cr3t" not in str(config)


def test_invalid_config_changes_nothing(control):
    error = control.post("/_sim/config", {"refund_delay": 1, "webhook_url": "ftp://x"}, 400)

    assert error["error"]["field"] == "webhook_url"
    assert control.get("/_sim/config")["refund_delay"] == REFUND_DELAY
    assert control.post("/_sim/config", {"key_secret": "x"}, 400)["error"]["field"] == "key_secret"


def test_requests_are_journaled_as_they_arrive_even_when_a_fault_swallows_them(client, control):
    control.post("/_sim/faults", {"timeout_rate": 1, "hang_seconds": 0.2, "paths": ["/v1/orders"]})
    with pytest.raises(requests.exceptions.RequestException):
        requests.post(f"{client.base_url}/v1/orders", json={}, timeout=0.1)
    control.post("/_sim/faults", {})
    client.order.all()

    received = control.get("/_sim/requests")["items"]
    assert received == [
        {"method": "POST", "path": "/v1/orders"},
        {"method": "GET", "path": "/v1/orders"},
    ]
    control.post("/_sim/reset")
    assert control.get("/_sim/requests") == {"count": 0, "items": []}


def test_reset_clears_state_faults_and_deliveries(client, control, order):
    control.pay(order["id"])
    control.post("/_sim/faults", {"latency_ms": 10})

    control.post("/_sim/reset")

    assert client.order.all()["count"] == 0
    assert client.payment.all()["count"] == 0
    assert control.webhooks() == []
    assert control.get("/_sim/faults")["latency_ms"] == 0
    assert control.get("/_sim/config")["refund_delay"] == REFUND_DELAY  # settings stay


def test_simulator_works_as_a_context_manager_on_its_own_port():
    from razorpay_simulator import Simulator

    with Simulator() as sim:
        assert re.match(r"^http://127\.0\.0\.1:\d+$", sim.url)
        client = razorpay.Client(auth=("rzp_test_simulator00000", "sim_secret"), base_url=sim.url)
        assert client.order.create({"amount": 100, "currency": "INR"})["status"] == "created"
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(sim.url + "/_sim/health", timeout=2)


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_command_line_starts_logs_and_stops_cleanly(stop_signal):
    env = {
        **os.environ,
        "RAZORPAY_SIM_PORT": "0",
        "RAZORPAY_SIM_KEY_ID": "rzp_test_FromEnvironment",
        "RAZORPAY_SIM_KEY_SECRET": "env-secret",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "razorpay_simulator", "--key-secret", "cli-secret"],
        cwd=Path(__file__).parents[2],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = re.search(r"listening on (http://\S+)", process.stdout.readline()).group(1)
        client = razorpay.Client(auth=("rzp_test_FromEnvironment", "cli-secret"), base_url=url)
        assert client.order.all()["count"] == 0
    finally:
        process.send_signal(stop_signal)
        _, stderr = process.communicate(timeout=10)
    assert process.returncode == 0
    assert "GET /v1/orders 200" in stderr
