from django.urls import path

from . import api

urlpatterns = [
    path("events", api.EventFeedApi.as_view(), name="event-feed"),
    path("webhook-endpoints", api.WebhookEndpointListApi.as_view(), name="webhook-endpoints"),
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
