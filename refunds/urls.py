from django.urls import re_path

from payments_service.api import by_method

from . import api

urlpatterns = [
    # Our ids are at most 32 of [A-Za-z0-9_]: anything else is simply not found (a NUL byte
    # would fail PostgreSQL's query), and never reaches the idempotency scope (64 characters)
    # the payment id is formatted into.
    re_path(
        r"^payments/(?P<payment_id>[A-Za-z0-9_]{1,32})/refunds$",
        by_method(post=api.RefundCreateApi.as_view(), get=api.RefundListApi.as_view()),
        name="payment-refunds",
    ),
    re_path(
        r"^refunds/(?P<refund_id>[A-Za-z0-9_]{1,32})$",
        api.RefundDetailApi.as_view(),
        name="refund-detail",
    ),
]
