"""What each staff role may do in the back office, over HTTP as a browser does it: every
action that moves money or changes access, as support (refused, nothing changed) and as the
role allowed to (done). Finance may sync, capture, refund, reprocess webhooks and fix
reconciliation; API keys are managed by superusers only."""

from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser

import pytest
from django.contrib.messages import get_messages
from rest_framework.test import APIClient

from audit.models import AuditEntry
from clients.models import ClientApp
from payments import services as payment_services
from payments.models import Payment, Source
from payments_service.integrations.razorpay import get_gateway
from refunds.models import Refund
from webhooks.handlers import HANDLERS
from webhooks.models import WebhookEvent
from webhooks.tests.events import deliver, event, payment_entity

pytestmark = pytest.mark.django_db

PAYMENTS = "/admin/payments/payment/"
WEBHOOK_EVENTS = "/admin/webhooks/webhookevent/"
CLIENT_APPS = "/admin/clients/clientapp/"
RECONCILE = "/admin/payments/payment/reconcile/"


# --- a browser, as far as these pages need one ----------------------------------------------


class _Forms(HTMLParser):
    """Each <form>'s method and its <input>s (type, name, value), in the page's order."""

    def __init__(self):
        super().__init__()
        self.forms: list[tuple[str, list[tuple[str, str, str]]]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append((attrs.get("method", "get").lower(), []))
        elif tag == "input" and self.forms and attrs.get("name"):
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.forms[-1][1].append((kind, attrs["name"], attrs.get("value") or ""))


def posted_form(page: str, field: str) -> dict | None:
    """What the browser sends from the page's POST form that has `field`: its inputs as they
    are (hidden ones too: the CSRF token, the refund's one-time token), and of its buttons
    only `field` when it is the one pressed; None when the page has no such form."""
    parser = _Forms()
    parser.feed(page)
    for method, inputs in parser.forms:
        if method != "post" or field not in {name for _, name, _ in inputs}:
            continue
        sent: dict[str, list[str]] = {}
        for kind, name, value in inputs:
            if kind != "submit" or name == field:
                sent.setdefault(name, []).append(value)
        return {name: values if len(values) > 1 else values[0] for name, values in sent.items()}
    return None


def offered_actions(staff, changelist: str) -> set[str]:
    """The actions in the changelist's action menu."""
    page = staff.get(changelist)
    assert page.status_code == 200
    menu = page.context["action_form"]  # None: no action at all for this user
    return {value for value, _ in menu.fields["action"].choices if value} if menu else set()


def run_action(staff, changelist: str, action: str, pk, **typed) -> list:
    """Chooses `action` for the row `pk` and presses Go; on a confirmation page, fills in
    `typed` and confirms. The responses, in order."""
    chosen = {"action": action, "select_across": "0", "index": "0", "_selected_action": [pk]}
    responses = [staff.post(changelist, chosen)]
    form = posted_form(responses[0].content.decode(), "confirm")
    if responses[0].status_code == 200 and form is not None:
        responses.append(staff.post(changelist, {**form, **typed}))
    return responses


def forged_confirmation(staff, changelist: str, action: str, pk, **typed):
    """The confirmation step posted straight away, as someone who never saw the page would."""
    return staff.post(
        changelist,
        {"action": action, "_selected_action": [pk], "confirm": "yes", "token": "f" * 32, **typed},
    )


def refused(response, changelist: str) -> bool:
    """The admin's answer to an action the user may not run: 403; the list again, without
    an action menu (the user has no action there); or back to the list, no action run."""
    if response.status_code == 403:
        return True
    if response.status_code == 200:
        return "cl" in response.context and response.context["action_form"] is None
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    return (
        response.status_code == 302
        and response["Location"].startswith(changelist)
        and "No action selected." in messages
    )


# --- the actions: what each needs, how it is done, what it changes ---------------------------


@dataclass
class Case:
    changelist: str
    action: str
    typed: dict
    allowed: str  # the fixture name of a user who may do it
    arrange: Callable  # (request) -> subject
    state: Callable  # (subject) -> what the action changes, here and at Razorpay
    done: Callable  # (state before, state after) -> whether the action took effect


def _authorized_at_razorpay(request) -> Payment:
    """Paid (authorized, not captured) at Razorpay; we have not heard of it yet."""
    initiate, razorpay = request.getfixturevalue("initiate"), request.getfixturevalue("razorpay")
    body = initiate(key="k-authorized", externalRef="authorized").json()
    razorpay.pay(body["razorpayOrderId"], outcome="authorized")
    return Payment.objects.get(pk=body["id"])


def _authorized_here(request) -> Payment:
    payment = _authorized_at_razorpay(request)
    return payment_services.payment_sync(payment=payment, source=Source.COMMAND, actor="test")


def _staff_log(payment: Payment) -> int:
    return AuditEntry.objects.filter(object_type="payment", object_id=payment.pk).count()


def _sync_state(payment: Payment):
    payment.refresh_from_db()
    return payment.status, _staff_log(payment)


def _capture_state(payment: Payment):
    payment.refresh_from_db()
    at_razorpay = get_gateway().fetch_payment(payment.razorpay_payment_id).status
    return payment.status, at_razorpay, _staff_log(payment)


def _refund_state(payment: Payment):
    here = list(Refund.objects.filter(payment=payment).values_list("amount", "requested_by"))
    at_razorpay = [r.amount for r in get_gateway().payment_refunds(payment.razorpay_payment_id)]
    return here, at_razorpay


def _failed_webhook(request) -> WebhookEvent:
    """A payment.captured event for a paid payment, stored but failed by an error of ours
    (since fixed): reprocessing it captures the payment."""
    initiate, razorpay = request.getfixturevalue("initiate"), request.getfixturevalue("razorpay")
    monkeypatch = request.getfixturevalue("monkeypatch")
    body = initiate(key="k-webhook", externalRef="webhook").json()
    handler = razorpay.pay(body["razorpayOrderId"], outcome="captured")
    entity = payment_entity(
        order_id=body["razorpayOrderId"], payment_id=handler["razorpay_payment_id"]
    )

    def broken(payload, actor):
        raise RuntimeError("database hiccup")

    with monkeypatch.context() as patched:
        patched.setitem(HANDLERS, "payment.captured", broken)
        deliver(APIClient(), event("payment.captured", entity))
    stored = WebhookEvent.objects.get()
    assert stored.status == WebhookEvent.Status.FAILED
    return stored


def _reprocess_state(stored: WebhookEvent):
    stored.refresh_from_db()
    return stored.status, stored.attempts, Payment.objects.get(external_ref="webhook").status


def _shop(request) -> ClientApp:
    return request.getfixturevalue("client_app")


def _keys_state(app: ClientApp):
    keys = app.api_keys.all()
    return (
        keys.count(),
        keys.filter(revoked_at__isnull=True).count(),
        keys.filter(expires_at__isnull=True).count(),
    )


CASES = {
    "sync": Case(
        PAYMENTS,
        "sync_from_razorpay",
        {"reason": "customer says they paid"},
        "finance",
        _authorized_at_razorpay,
        _sync_state,
        lambda before, after: after == ("authorized", before[1] + 1),
    ),
    "capture": Case(
        PAYMENTS,
        "capture",
        {"reason": "goods shipped"},
        "finance",
        _authorized_here,
        _capture_state,
        lambda before, after: after == ("captured", "captured", before[2] + 1),
    ),
    "refund": Case(
        PAYMENTS,
        "refund",
        {"amount": "4.00", "reason": "damaged item"},
        "finance",
        lambda request: request.getfixturevalue("paid"),
        _refund_state,
        lambda before, after: after == ([(400, "user:fiona")], [400]),
    ),
    "reprocess": Case(
        WEBHOOK_EVENTS,
        "reprocess",
        {},
        "finance",
        _failed_webhook,
        _reprocess_state,
        lambda before, after: after == ("processed", before[1] + 1, "captured"),
    ),
    "rotate_keys": Case(
        CLIENT_APPS,
        "rotate_keys",
        {},
        "admin_client",
        _shop,
        _keys_state,
        # one key more; the old one now expires (after its grace), none is revoked
        lambda before, after: after == (before[0] + 1, before[1] + 1, 1),
    ),
    "revoke_keys": Case(
        CLIENT_APPS,
        "revoke_keys",
        {},
        "admin_client",
        _shop,
        _keys_state,
        lambda before, after: after == (before[0], 0, before[2]),
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_support_is_refused_every_money_and_access_action_and_nothing_changes(
    request, support, name
):
    case = CASES[name]
    subject = case.arrange(request)
    before = case.state(subject)

    assert case.action not in offered_actions(support, case.changelist)
    chosen = run_action(support, case.changelist, case.action, subject.pk, **case.typed)
    assert refused(chosen[-1], case.changelist)
    forged = forged_confirmation(support, case.changelist, case.action, subject.pk, **case.typed)
    assert refused(forged, case.changelist)

    assert case.state(subject) == before


@pytest.mark.parametrize("name", list(CASES))
def test_the_allowed_role_runs_each_action_as_the_pages_offer_it_and_it_takes_effect(request, name):
    case = CASES[name]
    staff = request.getfixturevalue(case.allowed)
    subject = case.arrange(request)
    before = case.state(subject)

    assert case.action in offered_actions(staff, case.changelist)
    responses = run_action(staff, case.changelist, case.action, subject.pk, **case.typed)
    confirmed_first = case.changelist == PAYMENTS  # payment actions ask for a reason first
    assert len(responses) == (2 if confirmed_first else 1)
    assert responses[-1].status_code == 302  # done: back to the list, with its messages

    assert case.done(before, case.state(subject)), (before, case.state(subject))


@pytest.mark.parametrize("name", ["rotate_keys", "revoke_keys"])
def test_finance_is_refused_api_key_actions_and_the_keys_stay_as_they_were(
    request, finance, client_app, name
):
    case = CASES[name]
    before = case.state(client_app)
    assert case.action not in offered_actions(finance, CLIENT_APPS)
    assert refused(run_action(finance, CLIENT_APPS, case.action, client_app.pk)[-1], CLIENT_APPS)
    assert case.state(client_app) == before
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {client_app.api_key}")
    assert api.get("/payments").status_code == 200  # the app's key still works


# --- reconciliation's fix: its own page, a POST the worker carries out ----------------------


@pytest.fixture
def unconfirmed(initiate, razorpay) -> Payment:
    """Paid at Razorpay, but neither confirm nor any webhook reached us: the fix captures it."""
    body = initiate(key="k-unconfirmed", externalRef="unconfirmed").json()
    razorpay.pay(body["razorpayOrderId"], outcome="captured")
    return Payment.objects.get(pk=body["id"])


def press(staff, button: str):
    """Loads the reconciliation page and presses `button` on it; None if it is not there."""
    page = staff.get(RECONCILE)
    assert page.status_code == 200
    form = posted_form(page.content.decode(), button)
    return None if form is None else staff.post(RECONCILE, form)


def test_finance_reconciles_then_presses_fix_and_the_worker_captures_the_payment(
    finance, unconfirmed, queued_tasks
):
    assert press(finance, "window").status_code == 302
    assert queued_tasks.run() == 1
    assert b"fixable" in finance.get(RECONCILE).content
    unconfirmed.refresh_from_db()
    assert unconfirmed.status == "created"  # a report alone changes nothing

    assert press(finance, "fix").status_code == 302
    assert queued_tasks.run() == 1
    unconfirmed.refresh_from_db()
    assert unconfirmed.status == "captured"
    assert unconfirmed.status_changes.last().actor == "fiona"


@pytest.mark.parametrize("button", ["window", "fix"])
def test_support_is_refused_the_reconciliation_page_and_its_posts_and_nothing_is_queued(
    finance, support, unconfirmed, queued_tasks, button
):
    press(finance, "window")  # a report with a fixable mismatch, as support would find it
    queued_tasks.run()
    assert support.get(RECONCILE).status_code == 403
    assert support.post(RECONCILE, {"since": "", "until": "", button: "1"}).status_code == 403
    assert queued_tasks.names() == []
    unconfirmed.refresh_from_db()
    assert unconfirmed.status == "created"
    assert not unconfirmed.status_changes.filter(to_status="captured").exists()
