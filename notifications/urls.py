from django.conf import settings
from django.urls import path

from payments_service.api import by_method

from . import api

urlpatterns = [
    path("events", api.EventFeedApi.as_view(), name="event-feed"),
    path(
        "webhook-endpoints",
        by_method(
            get=api.WebhookEndpointListApi.as_view(), post=api.WebhookEndpointCreateApi.as_view()
        ),
        name="webhook-endpoints",
    ),
    path(
        "webhook-endpoints/<str:endpoint_id>",
        api.WebhookEndpointApi.as_view(),
        name="webhook-endpoint",
    ),
    path(
        "webhook-endpoints/<str:endpoint_id>/rotate-secret",
        api.WebhookEndpointRotateApi.as_view(),
        name="webhook-endpoint-rotate-secret",
    ),
]

if not settings.IS_PRODUCTION:  # make run: the demo app's endpoint (dev_receiver.py)
    from .dev_receiver import dev_webhook_receiver

    urlpatterns.append(path("_dev/webhook-receiver", dev_webhook_receiver))
