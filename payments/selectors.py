"""Reads of payments, always within one client app."""

from django.db.models import QuerySet

from clients.models import ClientApp

from .models import Payment


def payment_get(*, client_app: ClientApp, payment_id: str) -> Payment | None:
    """Another app's payment is simply not there."""
    return (
        Payment.objects.select_related("client_app")
        .filter(client_app=client_app, pk=payment_id)
        .first()
    )


def payment_list(
    *,
    client_app: ClientApp,
    external_ref: str | None = None,
    status: str | None = None,
    created_after=None,
    created_before=None,
) -> QuerySet[Payment]:
    payments = Payment.objects.select_related("client_app").filter(client_app=client_app)
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
