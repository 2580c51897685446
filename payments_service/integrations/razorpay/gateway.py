"""The one place that talks to Razorpay, through the official SDK.

The SDK sets no timeout, prints to stdout on network errors, recomputes its version string on
every call and drops the HTTP status of errors. The SDK asks its session only for `get`,
`post`, … answering `status_code` and `json()`; ours is urllib3's connection pool behind those
names (requests' per-call work, hooks, cookies, adapters and environment lookups, cost a third
of a call's CPU). It applies timeouts, turns every non-2xx or non-JSON answer and every network
failure into the service's gateway errors before the SDK sees them (so the SDK's printing
handlers never run), and knows the status.
"""

import base64
import hashlib
import hmac
import json
import logging
import os
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from typing import TypeVar

import certifi
import razorpay
import urllib3

from payments_service.db import release_connections
from payments_service.metrics import GATEWAY_CALLS

from ..errors import GatewayError, GatewayRejected, GatewayTimeout, GatewayUnavailable
from .types import Document, GatewayDispute, GatewayOrder, GatewayPayment, GatewayRefund

logger = logging.getLogger(__name__)
T = TypeVar("T")

_SDK_USER_AGENT = f"Razorpay-Python/{version('razorpay')} "
_ALREADY_CAPTURED = "This payment has already been captured"


@dataclass(frozen=True)
class _Answer:
    """A 2xx JSON answer, as the SDK reads it (parsed once)."""

    status_code: int
    body: dict

    def json(self) -> dict:
        return self.body


class _GatewaySession:
    def __init__(self, base_url: str, timeout: tuple[float, float], pool_size: int):
        self._timeout = urllib3.Timeout(connect=timeout[0], read=timeout[1])
        # The proxy and CA-bundle variables requests would honour, read once.
        ca_certs = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        options = {"maxsize": pool_size, "ca_certs": ca_certs or certifi.where()}
        scheme = base_url.split("://", 1)[0]
        proxy = urllib.request.getproxies().get(scheme)
        if proxy and not urllib.request.proxy_bypass(urllib3.util.parse_url(base_url).host):
            self._pool = urllib3.ProxyManager(proxy, **options)
        else:
            self._pool = urllib3.PoolManager(**options)
        self._authorization: dict[tuple, str] = {}

    def get(self, url, **options):
        return self._request("GET", url, **options)

    def post(self, url, **options):
        return self._request("POST", url, **options)

    def patch(self, url, **options):
        return self._request("PATCH", url, **options)

    def put(self, url, **options):
        return self._request("PUT", url, **options)

    def delete(self, url, **options):
        return self._request("DELETE", url, **options)

    def _request(
        self, method, url, *, auth, verify=None, headers=None, params=None, data=None, files=None
    ):
        # `verify` is the SDK's own (dated) CA bundle; ours is certifi's, or the environment's.
        headers = {**(headers or {}), "Authorization": self._basic(auth)}
        if params:  # a query
            content = {"fields": params}
        elif files:  # the Documents API: a multipart form of the file and the other fields
            content = {"fields": {**(data or {}), **files}}
        else:  # the SDK's JSON, already encoded
            content = {"body": data.encode() if isinstance(data, str) else data}
        try:
            response = self._pool.request(
                method, url, headers=headers, timeout=self._timeout, retries=False, **content
            )
        except urllib3.exceptions.TimeoutError as exc:
            raise GatewayTimeout("Razorpay did not answer in time.") from exc
        except urllib3.exceptions.HTTPError as exc:
            raise GatewayUnavailable("Razorpay could not be reached.") from exc
        try:
            body = json.loads(response.data)
        except ValueError:
            body = None
        if 200 <= response.status < 300 and isinstance(body, dict):
            return _Answer(response.status, body)
        raise _error_for(response.status, body)

    def _basic(self, auth: tuple[str, str]) -> str:
        header = self._authorization.get(auth)
        if header is None:
            token = base64.b64encode(":".join(auth).encode()).decode()
            header = self._authorization[auth] = f"Basic {token}"
        return header


def _error_for(status: int, body) -> Exception:
    error = body.get("error") if isinstance(body, dict) else None
    error = error if isinstance(error, dict) else {}
    description = str(error.get("description") or "")
    if status in (401, 403):
        logger.error("Razorpay refused our credentials (HTTP %s)", status)
        return GatewayUnavailable("The payment gateway refused the service's credentials.")
    if status == 504:
        return GatewayTimeout("Razorpay timed out on its side.")
    if status in (400, 404, 422) and error:
        return GatewayRejected(description)
    # 409 (an idempotent refund still in flight), 429, 5xx, or an answer that is not JSON.
    logger.warning("Razorpay answered HTTP %s: %s", status, description or "(no JSON error)")
    return GatewayUnavailable(f"Razorpay answered HTTP {status}.")


class _Client(razorpay.Client):
    def _update_user_agent_header(self, options):
        # The SDK looks its own version up on every request (~0.4 ms of CPU); do it once.
        options.setdefault("headers", {})["User-Agent"] = _SDK_USER_AGENT
        return options


class RazorpayGateway:
    """Orders, payments, refunds, disputes and signatures, returning plain dataclasses."""

    def __init__(
        self,
        *,
        key_id: str,
        key_secret: str,
        base_url: str,
        webhook_secrets: list[str],
        connect_timeout: float = 3.05,
        read_timeout: float = 10.0,
        retries: int = 1,
        pool_size: int = 32,
    ):
        self.key_id = key_id
        self._key_secret = key_secret
        self._webhook_secrets = [secret for secret in webhook_secrets if secret]
        self._retries = retries
        session = _GatewaySession(base_url, (connect_timeout, read_timeout), pool_size)
        self._client = _Client(session=session, auth=(key_id, key_secret), base_url=base_url)

    # --- orders ---------------------------------------------------------------------------
    def create_order(
        self, *, amount: int, currency: str, receipt: str, notes: dict[str, str]
    ) -> GatewayOrder:
        """Not retried: Razorpay has no idempotency for orders. A caller that loses the answer
        finds the order again with `find_orders_by_receipt`."""
        data = {"amount": amount, "currency": currency, "receipt": receipt, "notes": notes}
        return GatewayOrder.from_api(
            self._call("order.create", lambda: self._client.order.create(data))
        )

    def find_orders_by_receipt(self, receipt: str) -> list[GatewayOrder]:
        answer = self._call(
            "order.all", lambda: self._client.order.all({"receipt": receipt}), safe=True
        )
        return [GatewayOrder.from_api(item) for item in answer.get("items", [])]

    def list_orders(self, *, created_from: int, created_to: int) -> list[GatewayOrder]:
        """Every order created in [from, to] (unix seconds), a page of 100 at a time."""
        orders: list[GatewayOrder] = []
        while True:
            query = {"from": created_from, "to": created_to, "count": 100, "skip": len(orders)}
            answer = self._call("order.all", lambda q=query: self._client.order.all(q), safe=True)
            page = [GatewayOrder.from_api(item) for item in answer.get("items", [])]
            orders += page
            if len(page) < 100:
                return orders

    def fetch_order(self, order_id: str) -> GatewayOrder:
        return GatewayOrder.from_api(
            self._call("order.fetch", lambda: self._client.order.fetch(order_id), safe=True)
        )

    def order_payments(self, order_id: str) -> list[GatewayPayment]:
        answer = self._call(
            "order.payments", lambda: self._client.order.payments(order_id), safe=True
        )
        return [GatewayPayment.from_api(item) for item in answer.get("items", [])]

    # --- payments -------------------------------------------------------------------------
    def fetch_payment(self, payment_id: str) -> GatewayPayment:
        return GatewayPayment.from_api(
            self._call("payment.fetch", lambda: self._client.payment.fetch(payment_id), safe=True)
        )

    def capture_payment(self, *, payment_id: str, amount: int, currency: str) -> GatewayPayment:
        """Capturing twice is harmless: Razorpay's "already captured" answer becomes a fetch."""
        try:
            answer = self._call(
                "payment.capture",
                lambda: self._client.payment.capture(payment_id, amount, {"currency": currency}),
            )
        except GatewayRejected as exc:
            if _ALREADY_CAPTURED not in exc.detail:
                raise
            return self.fetch_payment(payment_id)
        return GatewayPayment.from_api(answer)

    # --- refunds --------------------------------------------------------------------------
    def create_refund(
        self,
        *,
        payment_id: str,
        amount: int,
        speed: str,
        notes: dict[str, str],
        idempotency_key: str,
    ) -> GatewayRefund:
        """Safe to retry: Razorpay answers the same refund again for the same key and body."""
        data = {"amount": amount, "speed": speed, "notes": notes}
        headers = {"X-Refund-Idempotency": idempotency_key}
        answer = self._call(
            "payment.refund",
            lambda: self._client.payment.refund(payment_id, data, headers=dict(headers)),
            safe=True,
        )
        return GatewayRefund.from_api(answer)

    def fetch_refund(self, refund_id: str) -> GatewayRefund:
        return GatewayRefund.from_api(
            self._call("refund.fetch", lambda: self._client.refund.fetch(refund_id), safe=True)
        )

    def payment_refunds(self, payment_id: str) -> list[GatewayRefund]:
        answer = self._call(
            "payment.refunds",
            lambda: self._client.payment.fetch_multiple_refund(payment_id, {"count": 100}),
            safe=True,
        )
        return [GatewayRefund.from_api(item) for item in answer.get("items", [])]

    # --- disputes -------------------------------------------------------------------------
    def fetch_dispute(self, dispute_id: str) -> GatewayDispute:
        return GatewayDispute.from_api(
            self._call("dispute.fetch", lambda: self._client.dispute.fetch(dispute_id), safe=True)
        )

    def accept_dispute(self, dispute_id: str) -> GatewayDispute:
        """Concedes the dispute: Razorpay makes it `lost` and deducts its amount."""
        return GatewayDispute.from_api(
            self._call("dispute.accept", lambda: self._client.dispute.accept(dispute_id, {}))
        )

    def contest_dispute(
        self,
        dispute_id: str,
        *,
        summary: str,
        amount: int,
        document_ids: list[str],
        submit: bool,
    ) -> GatewayDispute:
        """Sends evidence: saved as a draft, or submitted for review (`submit`). The documents
        go as Razorpay's `others` evidence, of type `merchant_evidence`."""
        data = {
            "summary": summary,
            "amount": amount,
            "others": [{"type": "merchant_evidence", "document_ids": document_ids}],
            "action": "submit" if submit else "draft",
        }
        return GatewayDispute.from_api(
            self._call("dispute.contest", lambda: self._client.dispute.contest(dispute_id, data))
        )

    def upload_document(self, *, name: str, content: bytes, content_type: str) -> Document:
        """A file for a dispute's evidence, through the Documents API (multipart)."""
        data = {"file": (name, content, content_type), "purpose": "dispute_evidence"}
        return Document.from_api(
            self._call("document.create", lambda: self._client.document.create(dict(data)))
        )

    # --- signatures -----------------------------------------------------------------------
    def checkout_signature_valid(self, *, order_id: str, payment_id: str, signature: str) -> bool:
        """Checkout's proof that the customer authorised `payment_id` for our `order_id`."""
        return _hmac_matches(self._key_secret, f"{order_id}|{payment_id}".encode(), signature)

    def webhook_signature_valid(self, body: bytes, signature: str) -> bool:
        """HMAC of the raw body with the current or (during a rotation) previous secret."""
        return any(_hmac_matches(secret, body, signature) for secret in self._webhook_secrets)

    # --- plumbing -------------------------------------------------------------------------
    def _call(self, operation: str, send: Callable[[], T], *, safe: bool = False) -> T:
        # A thread waiting on Razorpay holds no database connection: threads can outnumber them.
        release_connections()
        attempts = 1 + (self._retries if safe else 0)
        for attempt in range(1, attempts + 1):
            started = time.perf_counter()
            try:
                result = send()
            except GatewayError as exc:
                _log_call(operation, exc.code, started, attempt)
                # Only "unavailable" is worth another try at once; a timeout already cost the
                # whole read timeout, and a rejection will not change.
                if type(exc) is not GatewayUnavailable or attempt == attempts:
                    raise
                time.sleep(0.1 * 2**attempt)
            else:
                _log_call(operation, "ok", started, attempt)
                return result
        raise AssertionError("the last attempt returns or raises")


def _log_call(operation: str, outcome: str, started: float, attempt: int) -> None:
    elapsed = time.perf_counter() - started
    GATEWAY_CALLS.labels(operation, outcome).observe(elapsed)
    logger.info(
        "gateway %s %s",
        operation,
        outcome,
        extra={
            "gateway_operation": operation,
            "gateway_outcome": outcome,
            "gateway_ms": round(elapsed * 1000, 1),
            "gateway_attempt": attempt,
        },
    )


def _hmac_matches(secret: str, message: bytes, signature: str) -> bool:
    expected = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest().encode()
    return hmac.compare_digest(expected, str(signature or "").strip().encode(errors="replace"))
