"""What each Razorpay event means for our records, applied through the same services as the
API. A handler returns the payment (and refund) it touched; `Ignored` says the event is not ours,
`Malformed` that its entity is not what Razorpay sends. Any other exception is ours (a bug, the
database) and is retried."""

from disputes import services as disputes
from disputes.errors import DisputePaymentUnknown
from payments import services as payments
from payments.errors import PaymentNotFound
from payments.models import Payment, Source
from payments_service.integrations.razorpay import GatewayDispute, GatewayPayment, GatewayRefund
from refunds import services as refunds
from refunds.errors import RefundPaymentUnknown
from refunds.models import Refund


class Ignored(Exception):
    """The event is valid but not for this service (unknown order, unhandled type)."""


class Malformed(Exception):
    """The event's entity lacks a field or has one of the wrong type: redelivering the same
    body cannot fix it."""


def _entity(payload: dict, name: str, parse):
    """`parse` (a gateway type's `from_api`) of the payload's `name` entity. Only the reading
    of Razorpay's data is caught here: the same exceptions anywhere else are bugs of ours."""
    try:
        entity = payload[name]["entity"]
    except (KeyError, TypeError) as exc:
        raise Malformed(f"payload has no {name} entity") from exc
    if not isinstance(entity, dict):
        raise Malformed(f"payload's {name} entity is not an object")
    try:
        return parse(entity)
    except KeyError as exc:
        raise Malformed(f"{name} entity has no {exc}") from exc
    except (TypeError, ValueError) as exc:
        raise Malformed(f"{name} entity: {exc}") from exc


def apply_payment_entity(payload: dict, *, actor: str) -> tuple[Payment, None]:
    """payment.authorized / .captured / .failed and order.paid all carry the payment as it was
    when the event was made; applying a snapshot only ever moves our payment forward."""
    attempt = _entity(payload, "payment", GatewayPayment.from_api)
    try:
        payment = payments.payment_apply_attempt(
            attempt=attempt, source=Source.WEBHOOK, actor=actor
        )
    except PaymentNotFound as exc:
        raise Ignored(f"order {attempt.order_id} was not created by this service") from exc
    return payment, None


def apply_refund_entity(payload: dict, *, actor: str) -> tuple[Payment, Refund]:
    """refund.created / .processed / .failed. The payment snapshot comes first: a refund proves
    its payment was captured, even when payment.captured has not arrived yet."""
    if "payment" in payload:
        apply_payment_entity(payload, actor=actor)
    try:
        refund = refunds.refund_apply_gateway(
            refund=_entity(payload, "refund", GatewayRefund.from_api),
            source=Source.WEBHOOK,
            actor=actor,
        )
    except RefundPaymentUnknown as exc:
        raise Ignored(exc.detail) from exc
    return refund.payment, refund


def apply_dispute_entity(payload: dict, *, actor: str, event: str) -> tuple[Payment, None]:
    """payment.dispute.*: the dispute as it was when the event was made (the event's name
    tells `action_required`, which the entity does not). The payment snapshot comes first, as
    for refunds: a dispute proves its payment was captured."""
    if "payment" in payload:
        apply_payment_entity(payload, actor=actor)
    dispute = _entity(payload, "dispute", GatewayDispute.from_api)
    try:
        local = disputes.dispute_apply_gateway(
            dispute=dispute, source=Source.WEBHOOK, event=event, actor=actor
        )
    except DisputePaymentUnknown as exc:
        raise Ignored(exc.detail) from exc
    return local.payment, None


def _dispute_handler(event: str):
    return lambda payload, *, actor: apply_dispute_entity(payload, actor=actor, event=event)


DISPUTE_EVENTS = (
    "payment.dispute.created",
    "payment.dispute.under_review",
    "payment.dispute.action_required",
    "payment.dispute.won",
    "payment.dispute.lost",
    "payment.dispute.closed",
)

HANDLERS = {
    "payment.authorized": apply_payment_entity,
    "payment.captured": apply_payment_entity,
    "payment.failed": apply_payment_entity,
    "order.paid": apply_payment_entity,
    "refund.created": apply_refund_entity,
    "refund.processed": apply_refund_entity,
    "refund.failed": apply_refund_entity,
    **{event: _dispute_handler(event) for event in DISPUTE_EVENTS},
}
