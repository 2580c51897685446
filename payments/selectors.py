"""Reads of payments: the API's always within one client app; operators' and Razorpay's
by any id the payment is known by."""

from django.db.models import Q, QuerySet

from clients.models import ClientApp
from payments_service.db import Select

from .models import Payment, PaymentAttempt

# Compiled once: every read of a payment and every refund asked by an app starts here
# (see payments_service.db).
_OWN_PAYMENT = Select(
    lambda app_id, payment_id: Payment.objects.select_related("client_app").filter(
        client_app_id=app_id, pk=payment_id
    )[:1]
)


def payment_get(*, client_app: ClientApp, payment_id: str) -> Payment | None:
    """Another app's payment is simply not there."""
    return _OWN_PAYMENT.first(app_id=client_app.pk, payment_id=payment_id)


def payment_list(
    *,
    client_app: ClientApp,
    external_ref: str | None = None,
    status: str | None = None,
    created_after=None,
    created_before=None,
) -> QuerySet[Payment]:
    # Through the app's own manager: each payment knows its app without a join or a second copy.
    payments = client_app.payments.all()
    if external_ref:
        payments = payments.filter(external_ref=external_ref)
    if status:
        payments = payments.filter(status=status)
    if created_after:
        payments = payments.filter(created_at__gte=created_after)
    if created_before:
        payments = payments.filter(created_at__lt=created_before)
    return payments.order_by("-created_at", "-id")


def payment_of_razorpay_order(*, order_id: str | None) -> Payment | None:
    """The payment a Razorpay order belongs to, whatever its app (confirm has no API key)."""
    if not order_id:
        return None
    return Payment.objects.select_related("client_app").filter(razorpay_order_id=order_id).first()


def payment_find(*, reference: str, app_name: str | None = None) -> Payment | None:
    """A payment by our id or a Razorpay payment id of one of its attempts; with `app_name`,
    also by that app's externalRef (operators know the shop's order number)."""
    by_id = (
        Q(pk=reference)
        | Q(razorpay_payment_id=reference)
        | Q(pk__in=PaymentAttempt.objects.filter(razorpay_payment_id=reference).values("payment"))
    )
    payments = Payment.objects.select_related("client_app")
    if app_name is None:
        return payments.filter(by_id).first()
    return payments.filter(by_id | Q(external_ref=reference), client_app__name=app_name).first()


def payment_id_for_razorpay_payment(razorpay_payment_id: str) -> str | None:
    """Our payment whose successful attempt, or any attempt, is this Razorpay payment."""
    found = Payment.objects.filter(razorpay_payment_id=razorpay_payment_id)
    payment_id = found.values_list("pk", flat=True).first()
    if payment_id is None:
        attempts = PaymentAttempt.objects.filter(razorpay_payment_id=razorpay_payment_id)
        payment_id = attempts.values_list("payment_id", flat=True).first()
    return payment_id
