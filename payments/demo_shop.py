"""The demo shop of `make run` (never in production): the demo app's return URL.

It does what a client app's shop does, in-process: "Buy" initiates a payment and sends the
customer to the checkout page (the simulator's, with Checkout's prefill and `callback_url`
set to confirm); confirm sends the browser back here with `?payment=<id>&status=<outcome>`,
and the page reads that payment by id (the demo app's own only), trusting nothing else in the
query: the status shown is the payment's, not the query's.
"""

import secrets
from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from clients.models import ClientApp
from payments_service.errors import ServiceError

from . import selectors, services
from .currencies import money

DEMO_APP = "demo"  # the client app `manage.py setup_local` creates
DEMO_AMOUNT = 1000  # ₹10.00, in paise
DEMO_CUSTOMER = {"name": "Asha Demo", "email": "asha@example.com", "contact": "+919876543210"}
_SIMULATOR_CHECKOUT = "/_sim/checkout/"


@require_http_methods(["GET", "POST"])
def demo_shop(request):
    if settings.IS_PRODUCTION:
        raise Http404
    app = ClientApp.objects.filter(name=DEMO_APP).first()
    context = {
        "app": app,
        "amount": money(DEMO_AMOUNT, "INR"),
        "customer": DEMO_CUSTOMER,
        "error": "",
    }
    if app is not None and request.method == "POST":
        try:
            return _buy(request, app)
        except ServiceError as error:
            context["error"] = f"Could not start the payment: {error.detail}"
    elif app is not None and "payment" in request.GET:
        payment = selectors.payment_get(client_app=app, payment_id=request.GET["payment"][:32])
        context["payment"] = payment
        if payment is not None:
            context["paid"] = money(payment.amount, payment.currency)
        else:
            context["error"] = "The demo app has no such payment."
    return render(request, "payments/demo_shop.html", context)


def _buy(request, app):
    payment, _ = services.payment_initiate(
        client_app=app,
        external_ref=f"demo-{secrets.token_hex(6)}",
        amount=DEMO_AMOUNT,
        currency="INR",
        email=DEMO_CUSTOMER["email"],
        contact=DEMO_CUSTOMER["contact"],
        metadata={"item": "demo"},
    )
    # What a shop's Checkout options carry: the order, prefill, and (redirect mode) callback_url.
    query = urlencode(
        {
            "callback_url": request.build_absolute_uri(reverse("payment-confirm")),
            **{f"prefill[{name}]": value for name, value in DEMO_CUSTOMER.items()},
        }
    )
    checkout = f"{settings.RAZORPAY_API_BASE_URL}{_SIMULATOR_CHECKOUT}{payment.razorpay_order_id}"
    response = HttpResponseRedirect(f"{checkout}?{query}")
    response.status_code = 303
    return response
