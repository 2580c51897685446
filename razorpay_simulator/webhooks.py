"""Webhook events: an in-memory log plus one background worker that delivers and retries.

One worker delivers one request at a time, in queue order, so the default order is the order
in which things happened; the fault knobs (duplicates, reorder, delay, drop) bend it on purpose.
"""

import dataclasses
import hashlib
import heapq
import hmac
import http.client
import itertools
import json
import logging
import threading
import time
import urllib.error
import urllib.request

from .errors import ApiError, not_found
from .ids import new_id

log = logging.getLogger("razorpay_simulator")

DELIVERY_TIMEOUT = 5  # seconds; Razorpay counts a slower answer as a failed delivery
USER_AGENT = "Razorpay-Webhook/v1"


def sign(secret, message):
    """Hex HMAC-SHA256, as in X-Razorpay-Signature and the checkout signature."""
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


@dataclasses.dataclass
class Delivery:
    """One copy of an event on its way to the webhook URL (duplicates are separate copies)."""

    event_id: str
    event: str
    body: bytes
    created_at: int
    status: str = "pending"  # pending | delivered | failed | dropped
    attempts: int = 0
    last_status_code: int | None = None
    last_error: str | None = None
    url: str | None = None
    signature: str | None = None
    generation: int = 0

    def public(self):
        return {
            "event_id": self.event_id,
            "event": self.event,
            "status": self.status,
            "attempts": self.attempts,
            "last_status_code": self.last_status_code,
            "last_error": self.last_error,
            "created_at": self.created_at,
            "payload": json.loads(self.body),
        }


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A 3xx answer is a failed delivery, not something to follow."""

    def redirect_request(self, *args, **kwargs):
        return None


class WebhookDispatcher:
    def __init__(self, config, account_id):
        self._config = config
        self._account_id = account_id
        self._cond = threading.Condition()
        self._log = []
        self._queue = []  # heap of (due time on the monotonic clock, sequence, delivery)
        self._sequence = itertools.count()
        # Bumped by reset(), so a delivery that was in flight during a reset is not retried.
        self._generation = 0
        self._running = False
        self._thread = None
        # Direct connections only: proxy variables of the environment must not reroute them.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())

    def start(self):
        self._running = True
        self._thread = threading.Thread(target=self._run, name="razorpay-sim-webhooks", daemon=True)
        self._thread.start()

    def stop(self):
        with self._cond:
            self._running = False
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(DELIVERY_TIMEOUT + 1)

    def reset(self):
        with self._cond:
            self._generation += 1
            self._log = []
            self._queue = []

    def emit(self, events):
        """Log the events one action produced, [(name, {entity kind: snapshot})], and queue them.

        Without a webhook URL they stay `pending` (visible, never sent unless redelivered).
        """
        faults = self._config.faults
        created_at = int(time.time())
        deliveries = [
            Delivery(new_id("evt"), name, self._envelope(name, entities, created_at), created_at)
            for name, entities in events
        ]
        if faults.webhook_reorder:
            deliveries.reverse()
        with self._cond:
            for original in deliveries:
                copies = [dataclasses.replace(original) for _ in range(faults.webhook_duplicates)]
                for delivery in [original, *copies]:
                    self._log.append(delivery)
                    if faults.roll(faults.webhook_drop_rate):
                        delivery.status = "dropped"
                        log.info("webhook %s %s dropped", delivery.event_id, delivery.event)
                    elif self._config.webhook_url:
                        self._enqueue(delivery, faults.webhook_delay_ms / 1000)

    def redeliver(self, event_id):
        """Queue the event again: same id and body, and the signature of its first delivery."""
        with self._cond:
            original = next((d for d in reversed(self._log) if d.event_id == event_id), None)
            if original is None:
                raise not_found()
            if not self._config.webhook_url:
                raise ApiError("No webhook_url is configured (POST /_sim/config).")
            again = dataclasses.replace(
                original, status="pending", attempts=0, last_status_code=None, last_error=None
            )
            self._log.append(again)
            self._enqueue(again)
            return again.public()

    def deliveries(self):
        with self._cond:
            return [delivery.public() for delivery in self._log]

    def _envelope(self, name, entities, created_at):
        envelope = {
            "entity": "event",
            "account_id": self._account_id,
            "event": name,
            "contains": list(entities),
            "payload": {kind: {"entity": entity} for kind, entity in entities.items()},
            "created_at": created_at,
        }
        return json.dumps(envelope, separators=(",", ":")).encode()

    def _enqueue(self, delivery, delay=0.0):
        # Signed once, with the secret of the moment: retries and redeliveries keep the signature.
        if delivery.signature is None and self._config.webhook_secret is not None:
            delivery.signature = sign(self._config.webhook_secret, delivery.body)
        delivery.url = self._config.webhook_url
        delivery.generation = self._generation
        heapq.heappush(self._queue, (time.monotonic() + delay, next(self._sequence), delivery))
        self._cond.notify()

    def _run(self):
        while True:
            with self._cond:
                delivery = self._next_due()
            if delivery is None:
                return
            status, error = self._post(delivery)
            with self._cond:
                self._record(delivery, status, error)

    def _next_due(self):
        """Wait for the earliest due delivery (called with the lock held); None once stopped."""
        while self._running:
            wait = self._queue[0][0] - time.monotonic() if self._queue else None
            if wait is not None and wait <= 0:
                return heapq.heappop(self._queue)[2]
            self._cond.wait(wait)
        return None

    def _post(self, delivery):
        headers = {
            "Content-Type": "application/json",
            "X-Razorpay-Event-Id": delivery.event_id,
            "User-Agent": USER_AGENT,
        }
        if delivery.signature is not None:
            headers["X-Razorpay-Signature"] = delivery.signature
        # The URL's scheme was checked to be http(s) when it was configured.
        request = urllib.request.Request(delivery.url, delivery.body, headers, method="POST")  # noqa: S310
        try:
            with self._opener.open(request, timeout=DELIVERY_TIMEOUT) as response:
                response.read()
                return response.status, None
        except urllib.error.HTTPError as error:
            error.close()
            return error.code, f"HTTP {error.code}"
        except (OSError, http.client.HTTPException, ValueError) as error:
            return None, str(error) or type(error).__name__

    def _record(self, delivery, status, error):
        delivery.attempts += 1
        delivery.last_status_code, delivery.last_error = status, error
        if error is None:
            delivery.status = "delivered"
        elif delivery.attempts >= self._config.webhook_max_attempts:
            delivery.status = "failed"
        elif delivery.generation == self._generation and self._running:
            backoff = self._config.webhook_backoff * 2 ** (delivery.attempts - 1)
            heapq.heappush(
                self._queue, (time.monotonic() + backoff, next(self._sequence), delivery)
            )
        log.info(
            "webhook %s %s attempt %d -> %s",
            delivery.event_id,
            delivery.event,
            delivery.attempts,
            status if error is None else error,
        )
