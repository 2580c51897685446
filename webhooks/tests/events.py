"""Razorpay-shaped webhook deliveries (envelope and entities as in Razorpay's documentation
and SDK fixtures), signed like Razorpay signs them."""

import hashlib
import hmac
import itertools
import json
import time

from conftest import SIM_WEBHOOK_SECRET

_ids = itertools.count(1)


def payment_entity(
    *, order_id: str, payment_id: str, amount: int = 1000, status: str = "captured", **extra
) -> dict:
    failed = status == "failed"
    return {
        "id": payment_id,
        "entity": "payment",
        "amount": amount,
        "currency": "INR",
        "status": status,
        "order_id": order_id,
        "invoice_id": None,
        "international": False,
        "method": "card",
        "amount_refunded": 0,
        "refund_status": None,
        "captured": status in ("captured", "refunded"),
        "description": None,
        "card_id": "card_6koWNAT6LASUqy",
        "bank": None,
        "wallet": None,
        "vpa": None,
        "email": "customer@example.com",
        "contact": "+919876543210",
        "notes": [],
        "fee": 20 if status == "captured" else None,
        "tax": 4 if status == "captured" else None,
        "error_code": "BAD_REQUEST_ERROR" if failed else None,
        "error_description": "Payment failed" if failed else None,
        "error_source": "bank" if failed else None,
        "error_step": "payment_authorization" if failed else None,
        "error_reason": "payment_failed" if failed else None,
        "acquirer_data": {"auth_code": "123456"},
        "created_at": 1700000000,
        **extra,
    }


def event(name: str, payment: dict, **entities) -> dict:
    payload = {"payment": {"entity": payment}}
    payload.update({key: {"entity": value} for key, value in entities.items()})
    return {
        "entity": "event",
        "account_id": "acc_BFQ7uQEaa7j2z7",
        "event": name,
        "contains": list(payload),
        "payload": payload,
        # Made just now, as a live event is: its age decides whether a failure is redelivered.
        "created_at": int(time.time()),
    }


def order_entity(order_id: str, amount: int = 1000) -> dict:
    return {
        "id": order_id,
        "entity": "order",
        "amount": amount,
        "amount_paid": amount,
        "amount_due": 0,
        "currency": "INR",
        "receipt": None,
        "offer_id": None,
        "status": "paid",
        "attempts": 1,
        "notes": [],
        "created_at": 1700000000,
    }


def sign(body: bytes, secret: str = SIM_WEBHOOK_SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def deliver(client, envelope: dict | bytes, *, event_id: str | None = None, signature=None):
    """POST a delivery as Razorpay does; the same `event_id` means a redelivery."""
    body = envelope if isinstance(envelope, bytes) else json.dumps(envelope).encode()
    headers = {"X-Razorpay-Event-Id": event_id or f"evt_test{next(_ids):010d}"}
    headers["X-Razorpay-Signature"] = sign(body) if signature is None else signature
    return client.post("/webhooks/razorpay", body, content_type="application/json", headers=headers)


def refund_entity(
    *, razorpay_id: str, payment_id: str, amount: int, status: str = "processed", notes=None
) -> dict:
    return {
        "id": razorpay_id,
        "entity": "refund",
        "amount": amount,
        "currency": "INR",
        "payment_id": payment_id,
        "notes": notes or [],
        "receipt": None,
        "acquirer_data": {"arn": None},
        "created_at": 1700000100,
        "batch_id": None,
        "status": status,
        "speed_processed": "normal",
        "speed_requested": "normal",
    }
