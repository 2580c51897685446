"""Webhooks: envelopes and payload snapshots, signatures, delivery, retries and the fault knobs."""

import json
import re
import time

from razorpay_simulator.webhooks import sign

from .support import (
    EVENT_ID,
    FIXTURES,
    WEBHOOK_BACKOFF,
    WEBHOOK_SECRET,
    Receiver,
    fixture,
    wait_until,
)

OLD_FIXTURE_FIELDS = {"udf", "service_tax"}


def _bodies(deliveries):
    return [json.loads(body) for _, body in deliveries]


def _order_ids(receiver):
    """The order of each delivery so far, in arrival order."""
    with receiver._lock:
        bodies = [json.loads(body) for _, body in receiver.deliveries]
    return [
        body["payload"]["payment"]["entity"]["order_id"]
        if "payment" in body["payload"]
        else body["payload"]["order"]["entity"]["id"]
        for body in bodies
    ]


def test_signing_function_reproduces_the_sdk_test_vector():
    body = (FIXTURES / "fake_payment_authorized_webhook.json").read_bytes()

    assert len(body) == 971
    assert sign("key_secret", body) == (
        "d60e67fd884556c045e9be7dad57903e33efc7172c17c6e3ef77db42d2b366e9"
    )


def test_captured_payment_emits_authorized_captured_and_order_paid(
    client, control, order, receiver
):
    payment_id = control.pay(order["id"], "captured")["razorpay_payment_id"]

    deliveries = receiver.wait_for(3)

    events = _bodies(deliveries)
    assert [e["event"] for e in events] == ["payment.authorized", "payment.captured", "order.paid"]
    for (headers, body), event in zip(deliveries, events, strict=True):
        signature = headers["X-Razorpay-Signature"]
        assert client.utility.verify_webhook_signature(body.decode(), signature, WEBHOOK_SECRET)
        assert EVENT_ID.match(headers["X-Razorpay-Event-Id"])
        assert headers["Content-Type"] == "application/json"
        assert headers["User-Agent"] == "Razorpay-Webhook/v1"
        assert body == json.dumps(event, separators=(",", ":")).encode()  # compact JSON
        assert event["entity"] == "event"
        assert re.match(r"^acc_[0-9A-Za-z]{14}$", event["account_id"])
        assert isinstance(event["created_at"], int)
        assert set(fixture("fake_payment_authorized_webhook.json")) <= set(event)
    assert len({headers["X-Razorpay-Event-Id"] for headers, _ in deliveries}) == 3

    authorized, captured, paid = events
    assert authorized["contains"] == ["payment"]
    snapshot = authorized["payload"]["payment"]["entity"]
    assert (snapshot["id"], snapshot["status"], snapshot["captured"]) == (
        payment_id,
        "authorized",
        False,
    )
    assert snapshot["fee"] is None
    fixture_payment = fixture("fake_payment_authorized_webhook.json")["payload"]["payment"][
        "entity"
    ]
    assert set(fixture_payment) - OLD_FIXTURE_FIELDS <= set(snapshot)
    assert {"base_amount", "amount_transferred"} <= set(snapshot)
    assert captured["payload"]["payment"]["entity"]["status"] == "captured"
    assert captured["payload"]["payment"]["entity"]["fee"] == 1180
    assert paid["contains"] == ["payment", "order"]
    assert paid["payload"]["order"]["entity"]["status"] == "paid"
    assert paid["payload"]["order"]["entity"]["amount_due"] == 0
    assert paid["payload"]["payment"]["entity"]["captured"] is True


def test_authorize_then_api_capture(client, control, order, receiver):
    payment_id = control.pay(order["id"], "authorized")["razorpay_payment_id"]
    receiver.wait_for(1)
    client.payment.capture(payment_id, 50000, {"currency": "INR"})

    receiver.wait_for(3)

    assert receiver.events() == ["payment.authorized", "payment.captured", "order.paid"]


def test_failed_payment_emits_payment_failed(control, order, receiver):
    control.pay(order["id"], "failed", error_reason="card_declined")

    ((_, body),) = receiver.wait_for(1)

    event = json.loads(body)
    assert event["event"] == "payment.failed"
    payment = event["payload"]["payment"]["entity"]
    assert (payment["status"], payment["error_code"], payment["error_reason"]) == (
        "failed",
        "BAD_REQUEST_ERROR",
        "card_declined",
    )


def test_late_authorization_emits_its_events(control, order, receiver):
    payment_id = control.pay(order["id"], "failed")["error"]["metadata"]["payment_id"]
    control.post(f"/_sim/payments/{payment_id}/authorize", {"capture": True})

    receiver.wait_for(4)

    assert receiver.events() == [
        "payment.failed",
        "payment.authorized",
        "payment.captured",
        "order.paid",
    ]


def test_refund_events_carry_refund_and_payment(client, control, receiver, captured):
    receiver.wait_for(3)
    processed = client.payment.refund(captured["id"], {"amount": 1000})
    failed = client.payment.refund(captured["id"], {"amount": 2000})
    control.post(f"/_sim/refunds/{failed['id']}/fail")

    events = _bodies(receiver.wait_for(7))[3:]

    assert sorted(e["event"] for e in events) == [
        "refund.created",
        "refund.created",
        "refund.failed",
        "refund.processed",
    ]
    by_refund = {(e["event"], e["payload"]["refund"]["entity"]["id"]): e for e in events}
    created = by_refund[("refund.created", processed["id"])]
    assert created["contains"] == ["refund", "payment"]
    assert created["payload"]["refund"]["entity"]["status"] == "pending"
    assert created["payload"]["payment"]["entity"]["amount_refunded"] == 1000
    assert (
        by_refund[("refund.processed", processed["id"])]["payload"]["refund"]["entity"]["status"]
        == "processed"
    )
    failure = by_refund[("refund.failed", failed["id"])]["payload"]
    assert failure["refund"]["entity"]["status"] == "failed"
    assert failure["payment"]["entity"]["amount_refunded"] == 1000


def test_failed_deliveries_are_retried_with_the_same_event(control, order, receiver):
    receiver.statuses = [500, 500, 503]
    control.pay(order["id"], "authorized")

    deliveries = receiver.wait_for(4)

    assert {headers["X-Razorpay-Event-Id"] for headers, _ in deliveries} == {
        deliveries[0][0]["X-Razorpay-Event-Id"]
    }
    assert len({body for _, body in deliveries}) == 1
    (item,) = wait_until(
        lambda: [i for i in control.webhooks() if i["status"] == "delivered"], timeout=2
    )
    assert (item["attempts"], item["last_status_code"], item["last_error"]) == (4, 200, None)


def test_delivery_gives_up_after_max_attempts(control, client, order, receiver):
    control.post("/_sim/config", {"webhook_max_attempts": 2})
    receiver.statuses = [500] * 10
    control.pay(order["id"], "authorized")

    (item,) = wait_until(lambda: [i for i in control.webhooks() if i["status"] == "failed"])

    assert (item["attempts"], item["last_status_code"], item["last_error"]) == (2, 500, "HTTP 500")
    # A third attempt would be due one backoff (2 x WEBHOOK_BACKOFF) after the second. The one
    # worker delivers in due order, so a later event held back longer than that backoff arrives
    # after any third attempt: once it is in, whatever came before it is in too.
    backoff_ms = int(WEBHOOK_BACKOFF * 2 * 1000)
    control.post("/_sim/faults", {"webhook_delay_ms": 2 * backoff_ms})
    marker = client.order.create({"amount": 100, "currency": "INR", "receipt": "marker"})
    control.pay(marker["id"], "authorized")
    wait_until(lambda: marker["id"] in _order_ids(receiver))
    assert _order_ids(receiver) == [order["id"], order["id"], marker["id"]]


def test_unreachable_endpoint_fails_with_the_error(control, order):
    control.post(
        "/_sim/config", {"webhook_url": "http://127.0.0.1:9/hook", "webhook_max_attempts": 2}
    )
    control.pay(order["id"], "authorized")

    (item,) = wait_until(lambda: [i for i in control.webhooks() if i["status"] == "failed"])

    assert item["last_status_code"] is None
    assert item["last_error"]


def test_slow_receiver_does_not_block_the_api(control, client, order, receiver):
    receiver.hold.clear()  # the receiver takes the deliveries and answers none until released
    try:
        control.pay(order["id"], "captured")
        receiver.wait_for(1)
        client.order.fetch(order["id"])  # the API answers while a delivery waits for an answer
        assert receiver.answered == 0
    finally:
        receiver.hold.set()

    # Had the API waited for the receiver, the first delivery would have timed out at the
    # simulator long before the release; it was answered instead, at the first attempt.
    def all_delivered():
        items = control.webhooks()
        return items if all(i["status"] == "delivered" for i in items) else None

    assert [(i["event"], i["attempts"]) for i in wait_until(all_delivered)] == [
        ("payment.authorized", 1),
        ("payment.captured", 1),
        ("order.paid", 1),
    ]


def test_without_a_url_events_are_logged_pending_and_can_be_redelivered(control, order):
    control.pay(order["id"], "authorized")
    (item,) = control.webhooks()
    assert (item["event"], item["status"], item["attempts"]) == ("payment.authorized", "pending", 0)
    assert item["payload"]["payload"]["payment"]["entity"]["order_id"] == order["id"]
    control.post(f"/_sim/webhooks/{item['event_id']}/redeliver", expect=400)

    receiver = Receiver()
    try:
        control.post(
            "/_sim/config", {"webhook_url": receiver.url, "webhook_secret": WEBHOOK_SECRET}
        )
        control.post(f"/_sim/webhooks/{item['event_id']}/redeliver")
        ((headers, _),) = receiver.wait_for(1)
        assert headers["X-Razorpay-Event-Id"] == item["event_id"]
    finally:
        receiver.close()


def test_redelivery_repeats_id_body_and_signature(control, order, receiver):
    control.pay(order["id"], "authorized")
    ((first_headers, first_body),) = receiver.wait_for(1)
    event_id = first_headers["X-Razorpay-Event-Id"]
    control.post("/_sim/config", {"webhook_secret": "rotated-secret"})

    control.post(f"/_sim/webhooks/{event_id}/redeliver")

    (_, (headers, body)) = receiver.wait_for(2)
    assert headers["X-Razorpay-Event-Id"] == event_id
    assert body == first_body
    assert headers["X-Razorpay-Signature"] == first_headers["X-Razorpay-Signature"]
    assert [i["event_id"] for i in control.webhooks()] == [event_id, event_id]
    control.post("/_sim/webhooks/evt_00000000000000/redeliver", expect=400)


def test_duplicates_knob_sends_identical_copies(control, order, receiver):
    control.post("/_sim/faults", {"webhook_duplicates": 2})
    control.pay(order["id"], "authorized")

    deliveries = receiver.wait_for(3)

    assert (
        len({(h["X-Razorpay-Event-Id"], h["X-Razorpay-Signature"], b) for h, b in deliveries}) == 1
    )
    assert len(control.webhooks()) == 3


def test_reorder_knob_reverses_each_batch(control, order, receiver):
    control.post("/_sim/faults", {"webhook_reorder": True})
    control.pay(order["id"], "captured")

    receiver.wait_for(3)

    assert receiver.events() == ["order.paid", "payment.captured", "payment.authorized"]


def test_drop_knob_never_delivers(control, client, order, receiver):
    control.post("/_sim/faults", {"webhook_drop_rate": 1})
    control.pay(order["id"], "captured")
    assert [i["status"] for i in control.webhooks()] == ["dropped"] * 3

    # The one worker delivers in queue order: an event emitted after the drops arrives after
    # anything they might have queued.
    control.post("/_sim/faults", {})
    marker = client.order.create({"amount": 100, "currency": "INR", "receipt": "marker"})
    control.pay(marker["id"], "authorized")
    wait_until(lambda: marker["id"] in _order_ids(receiver))
    assert _order_ids(receiver) == [marker["id"]]


def test_delay_knob_holds_deliveries_back(control, order, receiver):
    control.post("/_sim/faults", {"webhook_delay_ms": 400})
    started = time.monotonic()
    control.pay(order["id"], "authorized")

    receiver.wait_for(1)

    assert time.monotonic() - started >= 0.4


def test_drop_rate_is_repeatable_with_a_seed(control, client, receiver):
    def dropped_pattern():
        control.post("/_sim/reset")
        control.post("/_sim/faults", {"webhook_drop_rate": 0.5, "seed": 7})
        for _ in range(4):
            order = client.order.create({"amount": 100, "currency": "INR"})
            control.pay(order["id"], "failed")
        return [i["status"] == "dropped" for i in control.webhooks()]

    first = dropped_pattern()
    assert first == dropped_pattern()
    assert True in first and False in first
