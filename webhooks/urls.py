from django.urls import path

from . import api

urlpatterns = [path("webhooks/razorpay", api.RazorpayWebhookApi.as_view(), name="razorpay-webhook")]
