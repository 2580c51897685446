"""Every path the service routes: which view it reaches (name, route, arguments), that reverse()
gives it back, and that its near misses and wrong methods answer as they did. The URLconf puts
the API's patterns first (most requests are API calls); these pin that no order of the patterns
ever changes where a path goes, e.g. /payments/initiate is not read as a payment id."""

import pytest
from django.urls import resolve, reverse

from payments_service.tests.test_http import assert_problem

PAYMENT_DETAIL = r"^payments/(?P<payment_id>[A-Za-z0-9_]{1,32})$"
PAYMENT_REFUNDS = r"^payments/(?P<payment_id>[A-Za-z0-9_]{1,32})/refunds$"
REFUND_DETAIL = r"^refunds/(?P<refund_id>[A-Za-z0-9_]{1,32})$"
REFUNDS_VIEWS = {"POST": "refunds.api.RefundCreateApi", "GET": "refunds.api.RefundListApi"}

# (path, URL name, the route the metrics and log lines are labelled with, view (or views, by
# method), arguments)
ROUTES = [
    (
        "/payments/initiate",
        "payment-initiate",
        "payments/initiate",
        "payments.api.PaymentInitiateApi",
        {},
    ),
    (
        "/payments/confirm",
        "payment-confirm",
        "payments/confirm",
        "payments.api.PaymentConfirmApi",
        {},
    ),
    ("/payments", "payment-list", "payments", "payments.api.PaymentListApi", {}),
    (
        "/payments/pay_Q1w2E3r4T5y6U7",
        "payment-detail",
        PAYMENT_DETAIL,
        "payments.api.PaymentDetailApi",
        {"payment_id": "pay_Q1w2E3r4T5y6U7"},
    ),
    (
        "/payments/pay_Q1w2E3r4T5y6U7/refunds",
        "payment-refunds",
        PAYMENT_REFUNDS,
        REFUNDS_VIEWS,
        {"payment_id": "pay_Q1w2E3r4T5y6U7"},
    ),
    # A payment id that spells a fixed path's last part still reaches its refunds.
    (
        "/payments/initiate/refunds",
        "payment-refunds",
        PAYMENT_REFUNDS,
        REFUNDS_VIEWS,
        {"payment_id": "initiate"},
    ),
    (
        "/refunds/rfnd_A1b2C3",
        "refund-detail",
        REFUND_DETAIL,
        "refunds.api.RefundDetailApi",
        {"refund_id": "rfnd_A1b2C3"},
    ),
    (
        "/webhooks/razorpay",
        "razorpay-webhook",
        "webhooks/razorpay",
        "webhooks.api.RazorpayWebhookApi",
        {},
    ),
    ("/events", "event-feed", "events", "notifications.api.EventFeedApi", {}),
    (
        "/webhook-endpoints",
        "webhook-endpoints",
        "webhook-endpoints",
        {
            "GET": "notifications.api.WebhookEndpointListApi",
            "POST": "notifications.api.WebhookEndpointCreateApi",
        },
        {},
    ),
    (
        "/webhook-endpoints/we_1",
        "webhook-endpoint",
        "webhook-endpoints/<str:endpoint_id>",
        "notifications.api.WebhookEndpointApi",
        {"endpoint_id": "we_1"},
    ),
    (
        "/webhook-endpoints/we_1/rotate-secret",
        "webhook-endpoint-rotate-secret",
        "webhook-endpoints/<str:endpoint_id>/rotate-secret",
        "notifications.api.WebhookEndpointRotateApi",
        {"endpoint_id": "we_1"},
    ),
    ("/demo/shop", "demo-shop", "demo/shop", "payments.demo_shop.demo_shop", {}),
    ("/", "home", "", "payments_service.home.home", {}),
    ("/healthz", "healthz", "healthz", "payments_service.health.healthz", {}),
    ("/readyz", "readyz", "readyz", "payments_service.health.readyz", {}),
    ("/metrics", "metrics", "metrics", "payments_service.metrics.metrics_view", {}),
    ("/api/schema/", "schema", "api/schema/", "drf_spectacular.views.SpectacularAPIView", {}),
    ("/api/docs/", "docs", "api/docs/", "drf_spectacular.views.SpectacularSwaggerView", {}),
    ("/admin/", "admin:index", "admin/", None, {}),  # the admin's views are bound methods
    ("/admin/login/", "admin:login", "admin/login/", None, {}),
]


def _name(view) -> str:
    view = getattr(view, "view_class", view)
    return f"{view.__module__}.{view.__qualname__}"


@pytest.mark.parametrize(("path", "name", "route", "view", "kwargs"), ROUTES)
def test_each_path_reaches_its_view_and_reverses_to_itself(path, name, route, view, kwargs):
    match = resolve(path)
    assert (match.view_name, match.route, match.kwargs) == (name, route, kwargs)
    if isinstance(view, dict):
        assert {method: _name(each) for method, each in match.func.views.items()} == view
    elif view:
        assert _name(match.func) == view
    assert reverse(name, kwargs=kwargs or None) == path


def test_the_dev_receiver_is_routed_outside_production():
    assert resolve("/_dev/webhook-receiver").func.__name__ == "dev_webhook_receiver"


NOT_FOUND = [
    "/payments/",
    "/payments/initiate/",
    "/payments/" + "a" * 33,
    "/payments/pay-1",
    "/payments/pay_1/refunds/",
    "/refunds/",
    "/webhooks/razorpay/",
    "/webhook-endpoints/we_1/",
    "/healthz/",
    "/admin",
    "/no/such/page",
]


@pytest.mark.django_db
@pytest.mark.parametrize("path", NOT_FOUND)
def test_near_misses_are_not_found(client, path):
    assert_problem(client.get(path), 404, "not_found")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/payments/initiate"),
        ("get", "/payments/confirm"),
        ("delete", "/payments"),
        ("post", "/payments/pay_1"),
        ("delete", "/payments/pay_1/refunds"),
        ("get", "/webhook-endpoints/we_1/rotate-secret"),
        ("get", "/webhooks/razorpay"),
        ("put", "/events"),
    ],
)
def test_wrong_methods_are_not_allowed(api, method, path):
    assert_problem(getattr(api, method)(path), 405, "method_not_allowed")
