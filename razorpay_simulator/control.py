"""The /_sim control API (no auth): pay orders, drive refunds, disputes and webhooks, set faults.

Handlers take (simulator, request, *ids from the path) and return JSON data or a Response.
"""

from . import checkout
from . import validation as v
from .config import Faults
from .errors import ApiError
from .routing import Router, html_response

ID = "([^/]+)"


def _pay(sim, request, order_id):
    """Pay the order as the customer would; answers 200 with the handler fields or the error."""
    payment = sim.store.pay(order_id, checkout.resolve_attempt(request.json()))
    return checkout.handler_result(sim.config.key_secret, payment)


def _checkout_page(sim, request, order_id, message=None):
    try:
        order, auto_capture = sim.store.checkout_view(order_id)
    except ApiError as error:
        return html_response(checkout.message_page("Unknown order", error.description), 400)
    prefill = checkout.prefill_of(request.query)
    page = checkout.checkout_page(order, auto_capture, message, prefill)
    return html_response(page, 400 if message else 200)


def _callback_url(request):
    url = request.param("callback_url")
    if url is not None and not url.startswith(("http://", "https://")):
        raise ApiError("callback_url must be an http(s) URL", field="callback_url")
    return url


def _show_checkout(sim, request, order_id):
    _callback_url(request)  # a bad callback is refused before the customer fills the form
    return _checkout_page(sim, request, order_id)


def _checkout_submit(sim, request, order_id):
    callback_url = _callback_url(request)
    # Blank form fields mean "the default", as when the JSON body leaves them out.
    choice = {name: value for name, value in request.form().items() if value.strip()}
    try:
        payment = sim.store.pay(order_id, checkout.resolve_attempt(choice))
    except ApiError as error:
        return _checkout_page(sim, request, order_id, error.description)
    result = checkout.handler_result(sim.config.key_secret, payment)
    return html_response(checkout.result_page(result, callback_url))


def _authorize(sim, request, payment_id):
    body = request.json()
    v.reject_unknown(body, ("capture",))
    capture = v.boolean(body.get("capture", False), "capture")
    return sim.store.authorize_late(payment_id, capture)


def _open_dispute(sim, request, payment_id):
    return sim.store.open_dispute(payment_id, request.json())


def _resolve_dispute(sim, request, dispute_id):
    return sim.store.resolve_dispute(dispute_id, request.json())


def _set_faults(sim, request):
    sim.config.faults = Faults.parse(request.json())
    return sim.config.faults.public()


def _set_config(sim, request):
    sim.config.update(request.json())
    return sim.config.public()


def _webhooks(sim, request):
    items = sim.webhooks.deliveries()
    return {"count": len(items), "items": items}


def _received(sim, request):
    items = list(sim.received)
    return {"count": len(items), "items": items}


def _reset(sim, request):
    sim.reset()
    return {"reset": True}


ROUTER = Router(
    [
        ("GET", "/_sim/health", lambda sim, r: {"status": "ok"}),
        ("POST", f"/_sim/orders/{ID}/pay", _pay),
        ("GET", f"/_sim/checkout/{ID}", _show_checkout),
        ("POST", f"/_sim/checkout/{ID}", _checkout_submit),
        ("POST", f"/_sim/payments/{ID}/authorize", _authorize),
        ("POST", f"/_sim/refunds/{ID}/fail", lambda sim, r, rid: sim.store.fail_refund(rid)),
        ("POST", f"/_sim/payments/{ID}/dispute", _open_dispute),
        ("POST", f"/_sim/disputes/{ID}/resolve", _resolve_dispute),
        ("GET", "/_sim/faults", lambda sim, r: sim.config.faults.public()),
        ("POST", "/_sim/faults", _set_faults),
        ("GET", "/_sim/config", lambda sim, r: sim.config.public()),
        ("POST", "/_sim/config", _set_config),
        ("GET", "/_sim/webhooks", _webhooks),
        ("POST", f"/_sim/webhooks/{ID}/redeliver", lambda sim, r, eid: sim.webhooks.redeliver(eid)),
        ("GET", "/_sim/requests", _received),
        ("POST", "/_sim/reset", _reset),
    ]
)
