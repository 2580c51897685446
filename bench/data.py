"""The data a pass consumes, made through the service and the simulator before the pass (so a
timed pass only sends requests)."""

import hashlib
import hmac
import itertools
import json
import math
import os
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from bench.common import STOP, BenchError, log


class Prep:
    """Makes what a pass consumes, concurrently but bounded in count and time."""

    def __init__(self, stack, workers: int = 16):
        self.stack = stack
        self.workers = workers
        self._local = threading.local()
        self._serial = itertools.count()

    def _session(self) -> requests.Session:
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
        return self._local.session

    def _post(self, url, *, json_body, headers=None, expect=(200, 201)) -> dict:
        answer = self._session().post(url, json=json_body, headers=headers or {}, timeout=30)
        if answer.status_code not in expect:
            raise BenchError(f"POST {url} answered {answer.status_code}: {answer.text[:300]}")
        return answer.json()

    def initiate(self, token: str, tag: str, amount: int) -> dict:
        ref = f"prep-{tag}-{os.getpid()}-{next(self._serial)}"
        body = {
            "externalRef": ref,
            "amount": amount,
            "currency": "INR",
            "email": "buyer@example.com",
            "contact": "+919876543210",
        }
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": f"prep-{ref}"}
        return self._post(f"{self.stack.base}/payments/initiate", json_body=body, headers=headers)

    def pay(self, order_id: str, outcome: str) -> dict:
        fields = self._post(
            f"{self.stack.sim}/_sim/orders/{order_id}/pay",
            json_body={"outcome": outcome, "method": "card"},
            expect=(200,),
        )
        if "razorpay_signature" not in fields:
            raise BenchError(f"paying {order_id} failed: {fields}")
        return fields

    def confirm(self, fields: dict) -> dict:
        return self._post(f"{self.stack.base}/payments/confirm", json_body=fields, expect=(200,))

    def many(self, what: str, count: int, make, timeout: float = 240.0) -> list:
        """`make(i)` for i < count on a thread pool; the results that succeeded, in order."""
        if count <= 0:
            return []
        started = time.monotonic()
        deadline = started + timeout
        failures: list[str] = []

        def one(i):
            if STOP.is_set() or time.monotonic() > deadline:
                return None
            try:
                return make(i)
            except Exception as exc:
                failures.append(str(exc))
                return None

        with ThreadPoolExecutor(self.workers) as pool:
            results = [r for r in pool.map(one, range(count)) if r is not None]
        elapsed = time.monotonic() - started
        log(f"  prepared {len(results)}/{count} {what} in {elapsed:.1f}s")
        if failures:
            log(f"  {len(failures)} failed while preparing {what}, e.g. {failures[0][:300]}")
        if len(results) < max(1, count // 2):
            raise BenchError(f"could not prepare {what}: {len(results)} of {count}")
        return results

    # What each endpoint's pass consumes -------------------------------------------------
    def confirm_bodies(self, token: str, count: int) -> list[str]:
        """Orders paid in the simulator, not yet confirmed: three in four captured at
        checkout (Razorpay's auto-capture), one in four only authorized (confirm captures)."""

        def make(i):
            payment = self.initiate(token, "confirm", 50_000 + (i % 50) * 100)
            outcome = "authorized" if i % 4 == 3 else "captured"
            return json.dumps(self.pay(payment["checkout"]["orderId"], outcome))

        return self.many("paid orders to confirm", count, make)

    def webhook_lines(self, token: str, count: int, duplicate_share: float) -> list[str]:
        """Razorpay's own events for freshly paid (unconfirmed) orders, as the simulator made
        them (payment.authorized, payment.captured, order.paid), signed with the webhook
        secret; `duplicate_share` of them are sent twice: half right after the original (a
        concurrent copy), half a while later (a redelivery)."""
        per_payment = 3 * (1 + duplicate_share)
        payments = math.ceil(count / per_payment)
        paid = self.many(
            "paid orders for webhooks",
            payments,
            lambda i: self.pay(
                self.initiate(token, "webhook", 50_000)["checkout"]["orderId"], "captured"
            ),
        )
        orders = {fields["razorpay_order_id"] for fields in paid}
        log_items = requests.get(f"{self.stack.sim}/_sim/webhooks", timeout=60).json()["items"]
        lines = []
        for item in log_items:
            payment = item["payload"]["payload"].get("payment", {}).get("entity", {})
            if payment.get("order_id") not in orders:
                continue
            body = json.dumps(item["payload"], separators=(",", ":"))
            signature = hmac.new(
                self.stack.webhook_secret.encode(), body.encode(), hashlib.sha256
            ).hexdigest()
            lines.append(f"{item['event_id']}\t{signature}\t{body}")
        rng = random.Random(len(lines))  # noqa: S311 - shuffling load, not security
        out: list[str] = []
        later: list[tuple[int, str]] = []
        for index, line in enumerate(lines):
            out.append(line)
            if rng.random() < duplicate_share:
                if rng.random() < 0.5:
                    out.append(line)
                else:
                    later.append((index + rng.randint(50, 400), line))
            while later and later[0][0] <= index:
                out.append(later.pop(0)[1])
        out += [line for _, line in later]
        return out

    def refund_lines(self, token: str, count: int, per_payment: int = 4) -> list[str]:
        """Captured (confirmed) payments of ₹1,000, each to take about `per_payment` partial
        refunds of ₹10 during the pass (at most 100 fit)."""

        def make(i):
            payment = self.initiate(token, "refund", 100_000)
            self.confirm(self.pay(payment["checkout"]["orderId"], "captured"))
            return f"{payment['id']}\t1000"

        return self.many("captured payments to refund", math.ceil(count / per_payment), make)

    def reader_paths(self, token: str, count: int = 300) -> tuple[list[str], list[str]]:
        """A client app with `count` payments, two in three paid; paths to read them."""

        def make(i):
            payment = self.initiate(token, "read", 10_000 + i)
            if i % 3:
                self.confirm(self.pay(payment["checkout"]["orderId"], "captured"))
            return payment

        payments = self.many("payments to read", count, make)
        gets = [f"/payments/{p['id']}" for p in payments]
        lists = []
        for i, payment in enumerate(payments):
            lists.append(
                [
                    "/payments?pageSize=20",
                    "/payments?status=captured&pageSize=20",
                    f"/payments?externalRef={payment['externalRef']}",
                    "/payments?status=created&pageSize=10&page=2",
                ][i % 4]
            )
        return gets, lists
