"""Razorpay's /v1 endpoints (the SDK calls of the contract's §1 table, and §4.4's disputes and
documents), as a route table.

Handlers take (simulator, request, *ids from the path) and return the JSON entity.
"""

from .errors import invalid
from .routing import Router

ID = "([^/]+)"


def _refund_key(request):
    return request.headers.get("X-Refund-Idempotency")


def _create_refund(sim, request):
    """POST /v1/refunds (`client.refund.create`): the payment id travels in the body."""
    body = request.json()
    payment_id = body.pop("payment_id", None)
    if payment_id is None:
        raise invalid("payment_id", "The payment id field is required.")
    return sim.store.create_refund(str(payment_id), body, _refund_key(request))


def _create_document(sim, request):
    """POST /v1/documents (`client.document.create`): multipart, with `file` and `purpose`."""
    fields, files = request.multipart()
    return sim.store.create_document(fields, files)


ROUTER = Router(
    [
        ("POST", "/v1/orders", lambda sim, r: sim.store.create_order(r.json())),
        ("GET", "/v1/orders", lambda sim, r: sim.store.list_orders(r.query)),
        ("GET", f"/v1/orders/{ID}", lambda sim, r, oid: sim.store.fetch("order", oid, r.query)),
        (
            "PATCH",
            f"/v1/orders/{ID}",
            lambda sim, r, oid: sim.store.edit_notes("order", oid, r.json()),
        ),
        (
            "GET",
            f"/v1/orders/{ID}/payments",
            lambda sim, r, oid: sim.store.list_order_payments(oid, r.query),
        ),
        ("GET", "/v1/payments", lambda sim, r: sim.store.list("payment", r.query)),
        (
            "GET",
            f"/v1/payments/{ID}",
            lambda sim, r, pid: sim.store.fetch("payment", pid, r.query),
        ),
        (
            "PATCH",
            f"/v1/payments/{ID}",
            lambda sim, r, pid: sim.store.edit_notes("payment", pid, r.json()),
        ),
        (
            "POST",
            f"/v1/payments/{ID}/capture",
            lambda sim, r, pid: sim.store.capture(pid, r.json()),
        ),
        (
            "POST",
            f"/v1/payments/{ID}/refund",
            lambda sim, r, pid: sim.store.create_refund(pid, r.json(), _refund_key(r)),
        ),
        (
            "GET",
            f"/v1/payments/{ID}/refunds",
            lambda sim, r, pid: sim.store.list_payment_refunds(pid, r.query),
        ),
        (
            "GET",
            f"/v1/payments/{ID}/refunds/{ID}",
            lambda sim, r, pid, rid: sim.store.fetch_payment_refund(pid, rid),
        ),
        ("POST", "/v1/refunds", _create_refund),
        ("GET", "/v1/refunds", lambda sim, r: sim.store.list("refund", r.query)),
        ("GET", f"/v1/refunds/{ID}", lambda sim, r, rid: sim.store.fetch("refund", rid, r.query)),
        (
            "PATCH",
            f"/v1/refunds/{ID}",
            lambda sim, r, rid: sim.store.edit_notes("refund", rid, r.json()),
        ),
        ("GET", "/v1/disputes", lambda sim, r: sim.store.list("dispute", r.query)),
        ("GET", f"/v1/disputes/{ID}", lambda sim, r, did: sim.store.fetch("dispute", did, r.query)),
        (
            "POST",
            f"/v1/disputes/{ID}/accept",
            lambda sim, r, did: sim.store.accept_dispute(did, r.json()),
        ),
        (
            "PATCH",
            f"/v1/disputes/{ID}/contest",
            lambda sim, r, did: sim.store.contest_dispute(did, r.json()),
        ),
        ("POST", "/v1/documents", _create_document),
        (
            "GET",
            f"/v1/documents/{ID}",
            lambda sim, r, did: sim.store.fetch("document", did, r.query),
        ),
    ]
)
