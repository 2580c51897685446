from django.urls import path, re_path

from . import api, demo_shop

urlpatterns = [
    path("payments/initiate", api.PaymentInitiateApi.as_view(), name="payment-initiate"),
    path("payments/confirm", api.PaymentConfirmApi.as_view(), name="payment-confirm"),
    path("payments", api.PaymentListApi.as_view(), name="payment-list"),
    path("demo/shop", demo_shop.demo_shop, name="demo-shop"),
    # Our ids are at most 32 of [A-Za-z0-9_]: anything else (a NUL byte, which PostgreSQL
    # refuses in a query) is simply not found.
    re_path(
        r"^payments/(?P<payment_id>[A-Za-z0-9_]{1,32})$",
        api.PaymentDetailApi.as_view(),
        name="payment-detail",
    ),
]
