from django.urls import path

from . import api

urlpatterns = [
    path("payments/initiate", api.PaymentInitiateApi.as_view(), name="payment-initiate"),
    path("payments/confirm", api.PaymentConfirmApi.as_view(), name="payment-confirm"),
    path("payments", api.PaymentListApi.as_view(), name="payment-list"),
    path("payments/<str:payment_id>", api.PaymentDetailApi.as_view(), name="payment-detail"),
]
