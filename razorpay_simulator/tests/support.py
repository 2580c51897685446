"""Helpers for the simulator's contract tests: control-API calls, polling, a webhook receiver."""

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import razorpay
import requests

KEY_ID = "rzp_test_ContractSuite0"
KEY_SECRET = "contract-suite-key-secret"
WEBHOOK_SECRET = "contract-suite-webhook-secret"
REFUND_DELAY = 0.3
WEBHOOK_BACKOFF = 0.05
# The SDK's own response and webhook mocks, kept unchanged in the repository's testdata.
FIXTURES = Path(__file__).resolve().parents[2] / "testdata" / "razorpay-sdk-mocks"

ORDER_ID = re.compile(r"^order_[0-9A-Za-z]{14}$")
PAYMENT_ID = re.compile(r"^pay_[0-9A-Za-z]{14}$")
REFUND_ID = re.compile(r"^rfnd_[0-9A-Za-z]{14}$")
EVENT_ID = re.compile(r"^evt_[0-9A-Za-z]{14}$")


def fixture(name):
    return json.loads((FIXTURES / name).read_text())


def wait_until(check, timeout=5.0, interval=0.02):
    """Poll `check` until it returns something truthy; fail the test at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


class Control:
    """The simulator's /_sim API over HTTP."""

    def __init__(self, base_url):
        self.base_url = base_url
        self.session = requests.Session()

    def get(self, path, expect=200):
        response = self.session.get(self.base_url + path, timeout=5)
        assert response.status_code == expect, response.text
        return response.json()

    def post(self, path, body=None, expect=200):
        response = self.session.post(self.base_url + path, json=body or {}, timeout=5)
        assert response.status_code == expect, response.text
        return response.json()

    def pay(self, order_id, outcome="captured", **choice):
        return self.post(f"/_sim/orders/{order_id}/pay", {"outcome": outcome, **choice})

    def webhooks(self):
        return self.get("/_sim/webhooks")["items"]


class Receiver:
    """A stand-in merchant webhook endpoint that records deliveries.

    `statuses` scripts the answers (popped one per request); 200 once it is empty. While
    `hold` (an Event) is clear, every request is recorded and then left unanswered until it is
    set; `answered` counts the answers sent.
    """

    def __init__(self):
        self.deliveries = []  # (headers dict, raw body bytes)
        self.statuses = []
        self.hold = threading.Event()
        self.hold.set()
        self.answered = 0
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver._lock:
                    receiver.deliveries.append((dict(self.headers), body))
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                receiver.hold.wait(30)  # bounded: a forgotten hold cannot hang the suite
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()
                with receiver._lock:
                    receiver.answered += 1

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        serve = self._server.serve_forever
        threading.Thread(target=serve, kwargs={"poll_interval": 0.05}, daemon=True).start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self._server.server_port}/webhooks/razorpay"

    def events(self):
        with self._lock:
            return [json.loads(body)["event"] for _, body in self.deliveries]

    def wait_for(self, count, timeout=5.0):
        """The first `count` deliveries, once they have arrived."""
        wait_until(lambda: len(self.deliveries) >= count, timeout)
        with self._lock:
            return list(self.deliveries[:count])

    def close(self):
        self._server.shutdown()
        self._server.server_close()


def rejected(message, error=None):
    """Expect the SDK to raise (BadRequestError by default) with exactly this description."""
    return pytest.raises(error or razorpay.errors.BadRequestError, match=f"^{re.escape(message)}$")
