from django.urls import path

from . import api

urlpatterns = [path("webhooks/razorpay", api.razorpay_webhook, name="razorpay-webhook")]
