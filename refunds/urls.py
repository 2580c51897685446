from django.urls import path, re_path

from . import api

urlpatterns = [
    # Our ids are at most 32 characters: a longer one is simply not found, and never reaches
    # the idempotency scope (64 characters) the payment id is formatted into.
    re_path(
        r"^payments/(?P<payment_id>[A-Za-z0-9_]{1,32})/refunds$",
        api.PaymentRefundsApi.as_view(),
        name="payment-refunds",
    ),
    path("refunds/<str:refund_id>", api.RefundDetailApi.as_view(), name="refund-detail"),
]
