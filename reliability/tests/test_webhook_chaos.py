"""Webhooks at volume, delivered by the simulator to a live server while it duplicates,
reorders, delays and drops them: every payment ends in Razorpay's state, exactly once."""

import random
from io import StringIO

import pytest
from django.core.management import call_command

from payments.models import Payment
from payments_service.integrations.razorpay import get_gateway
from reliability.invariants import assert_invariants
from reliability.waiting import wait_until
from webhooks.models import WebhookEvent

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(240)]

SCRIPTS = [
    "unpaid",
    "captured",
    "authorized",
    "failed",
    "failed_then_captured",
    "captured_and_confirmed",
    "authorized_and_confirmed",
    "partial_refund",
    "full_refund",
    "two_refunds",
]
DELAYS_MS = [0, 0, 150, 400, 900]  # per action, so later actions' events overtake earlier ones


class Scenario:
    """Plays one script per payment against the simulator and the live server."""

    def __init__(self, shop, sim, rng: random.Random, **faults):
        self.shop, self.sim, self.rng, self.faults = shop, sim, rng, faults
        self.refunds = 0

    def initiate(self, count: int) -> list[dict]:
        payments = []
        for i in range(count):
            response = self.shop.initiate(key=f"chaos-{i}", externalRef=f"chaos-{i}", amount=1000)
            assert response.status_code == 201, response.text
            payments.append(response.json())
        return payments

    def act(self, order_id: str, outcome: str) -> dict:
        """One customer action, its webhooks bent by a delay of its own."""
        delay = self.rng.choice(DELAYS_MS)
        self.sim.faults(**self.faults, webhook_delay_ms=delay, seed=self.rng.randrange(10**6))
        return self.sim.pay(order_id, outcome=outcome)

    def confirm(self, handler: dict) -> None:
        response = self.shop.confirm(handler)
        assert (response.status_code, response.json()["status"]) == (200, "captured"), response.text

    def refund(self, payment_id: str, key: str, **fields) -> None:
        response = self.shop.refund(payment_id, key=key, **fields)
        assert response.status_code == 201, response.text
        self.refunds += 1

    def play(self, script: str, payment: dict) -> None:
        order, pid = payment["razorpayOrderId"], payment["id"]
        if script == "unpaid":
            return
        if script in ("captured", "authorized", "failed"):
            self.act(order, script)
        elif script == "failed_then_captured":
            self.act(order, "failed")
            self.act(order, "captured")
        elif script == "authorized_and_confirmed":
            self.confirm(self.act(order, "authorized"))
        else:  # captured and confirmed, then perhaps refunded
            self.confirm(self.act(order, "captured"))
            if script == "partial_refund":
                self.refund(pid, f"{pid}-r1", amount=300)
            elif script == "full_refund":
                self.refund(pid, f"{pid}-r1")
            elif script == "two_refunds":
                self.refund(pid, f"{pid}-r1", amount=300)
                self.refund(pid, f"{pid}-r2")

    def wait_delivered(self, timeout: float = 90) -> list[dict]:
        """Every copy of every event sent (or dropped), refunds settled and announced."""

        def quiet():
            deliveries = self.sim.webhooks()
            processed = {d["event_id"] for d in deliveries if d["event"] == "refund.processed"}
            busy = any(d["status"] == "pending" for d in deliveries)
            return deliveries if not busy and len(processed) == self.refunds else None

        return wait_until(quiet, timeout=timeout, what="the simulator's webhooks to be sent")


def gateway_truth(payment: Payment) -> dict:
    """What Razorpay says the payment is, in the service's terms."""
    gateway = get_gateway()
    rank = {"failed": 1, "authorized": 2, "captured": 3, "refunded": 3}
    attempts = gateway.order_payments(payment.razorpay_order_id)
    best = max(attempts, key=lambda a: rank.get(a.status, 0), default=None)
    if best is None:
        return {"status": "created", "paid_by": "", "refunded": 0, "refunds": {}}
    if best.status == "failed":
        return {"status": "failed", "paid_by": "", "refunded": 0, "refunds": {}}
    refunds = gateway.payment_refunds(best.id)
    refunded = sum(r.amount for r in refunds if r.status == "processed")
    status = "authorized" if best.status == "authorized" else "captured"
    if refunded:
        status = "refunded" if refunded == payment.amount else "partially_refunded"
    return {
        "status": status,
        "paid_by": best.id,
        "refunded": refunded,
        "refunds": {r.id: r.status for r in refunds},
    }


def local_state(payment: Payment) -> dict:
    return {
        "status": payment.status,
        "paid_by": payment.razorpay_payment_id,
        "refunded": payment.amount_refunded,
        "refunds": {r.razorpay_refund_id: r.status for r in payment.refunds.all()},
    }


def differences() -> dict:
    found = {}
    for payment in Payment.objects.all():
        ours, theirs = local_state(payment), gateway_truth(payment)
        if ours != theirs:
            found[payment.id] = {"ours": ours, "razorpay": theirs}
    return found


def test_forty_payments_with_duplicated_reordered_delayed_webhooks_end_in_razorpays_state(
    shop, webhooks_to_live_server
):
    sim = webhooks_to_live_server
    rng = random.Random(20261126)
    scenario = Scenario(shop, sim, rng, webhook_duplicates=2, webhook_reorder=True)
    payments = scenario.initiate(40)
    scripts = SCRIPTS * 4
    rng.shuffle(scripts)

    for script, payment in zip(scripts, payments, strict=True):
        scenario.play(script, payment)
    deliveries = scenario.wait_delivered()

    assert len(deliveries) > 250  # the volume: three copies of each event
    assert {d["status"] for d in deliveries} == {"delivered"}, "every copy answered 2xx"
    assert {d["last_status_code"] for d in deliveries} == {200}
    event_ids = {d["event_id"] for d in deliveries}
    stored = dict(WebhookEvent.objects.values_list("event_id", "status"))
    assert stored == dict.fromkeys(event_ids, "processed")  # each once, applied
    assert WebhookEvent.objects.filter(attempts__gt=1).count() == 0  # copies changed nothing
    assert differences() == {}
    assert_invariants()


@pytest.mark.parametrize("recovery", ["redelivery", "reconcile"])
def test_dropped_webhooks_leave_payments_behind_until_redelivery_or_reconcile_brings_them_level(
    shop, webhooks_to_live_server, recovery
):
    sim = webhooks_to_live_server
    rng = random.Random(7)
    scenario = Scenario(shop, sim, rng, webhook_drop_rate=0.6, webhook_reorder=True)
    payments = scenario.initiate(12)
    for payment, outcome in zip(payments, ["captured", "authorized", "failed"] * 4, strict=True):
        scenario.act(payment["razorpayOrderId"], outcome)
    deliveries = scenario.wait_delivered()
    dropped = {d["event_id"] for d in deliveries if d["status"] == "dropped"}
    assert dropped, "the seed drops some"
    assert differences(), "dropped events leave some payments behind Razorpay"
    sim.faults()

    if recovery == "redelivery":  # Razorpay's own retry, by event id: same body and signature
        for event_id in dropped:
            answer = sim.http.post(f"{sim.url}/_sim/webhooks/{event_id}/redeliver", timeout=10)
            assert answer.status_code == 200, answer.text
        scenario.wait_delivered()
    else:  # the operator's command
        call_command("reconcile", "--fix", stdout=StringIO())

    assert differences() == {}
    assert_invariants()
