from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from rest_framework import serializers
from rest_framework.test import APIClient

from notifications.models import Event, WebhookEndpoint
from notifications.serializers import EventFeedOutput, EventOutput, WebhookEndpointOutput
from payments.models import Payment
from payments.serializers import PaymentOutput
from payments_service.clock import now
from payments_service.serializers import OutputSerializer
from refunds.models import Refund
from refunds.serializers import RefundOutput


class Plain(serializers.Serializer):
    id = serializers.CharField()
    amountRefunded = serializers.IntegerField(source="amount_refunded")
    createdAt = serializers.DateTimeField(source="created_at")
    notes = serializers.DictField(child=serializers.CharField())
    label = serializers.SerializerMethodField()

    def get_label(self, obj) -> str:
        return f"{obj.id}:{obj.amount_refunded}"


class Shared(OutputSerializer, Plain):
    pass


def _thing(n: int):
    at = datetime(2026, 12, 1, 10, n, tzinfo=UTC)
    return SimpleNamespace(id=f"pmt_{n}", amount_refunded=n * 100, created_at=at, notes={"n": n})


def test_output_serializer_answers_what_drf_answers_for_every_object():
    things = [_thing(n) for n in range(5)]
    assert [Shared(t).data for t in things] == [Plain(t).data for t in things]
    assert Shared(things, many=True).data == Plain(things, many=True).data
    assert Shared(things[3]).data["label"] == "pmt_3:300"


def test_output_serializer_builds_its_fields_once_per_class():
    assert Shared().fields is Shared(_thing(1)).fields
    assert Plain().fields is not Plain().fields


class Odd(serializers.Serializer):
    """Sources that DRF reads by its own rules: defaults, null, skipped, callables, paths."""

    missing = serializers.CharField(default="fallback")
    absent = serializers.CharField(allow_null=True)
    optional = serializers.CharField(required=False)
    called = serializers.CharField(source="shout")
    nested = serializers.CharField(source="inner.name")
    whole = serializers.SerializerMethodField()
    nothing = serializers.IntegerField(allow_null=True)

    def get_whole(self, obj) -> str:
        return type(obj).__name__


class SharedOdd(OutputSerializer, Odd):
    pass


class _Thing:
    inner = SimpleNamespace(name="in")
    nothing = None

    def shout(self):
        return "called"


def test_output_serializer_leaves_what_is_not_a_plain_attribute_to_drf():
    thing = _Thing()
    assert SharedOdd(thing).data == Odd(thing).data
    assert SharedOdd(thing).data == {
        "missing": "fallback",
        "absent": None,
        "called": "called",
        "nested": "in",
        "whole": "_Thing",
        "nothing": None,
    }
    mapping = {"absent": "a", "shout": "from the dict", "inner": {"name": "n"}, "nothing": 3}
    assert SharedOdd(mapping).data == Odd(mapping).data
    assert SharedOdd(mapping).data["called"] == "from the dict"


@pytest.mark.django_db
def test_every_output_answers_what_drf_answers_for_the_services_objects(
    client_app, initiate, razorpay, settings
):
    # The service's own objects: payments, a refund, their events, a webhook endpoint.
    paid = initiate().json()
    confirmed = APIClient().post(
        "/payments/confirm", razorpay.pay(paid["razorpayOrderId"]), format="json"
    )
    assert confirmed.status_code == 200
    payment = Payment.objects.get(pk=paid["id"])
    refund = Refund.objects.create(
        payment=payment, amount=100, currency="INR", requested_by="t", source="api"
    )
    endpoint = WebhookEndpoint.objects.create(
        client_app=client_app,
        url="https://shop.example/hooks",
        secret="s",
        events=[],
        created_at=now(),
    )
    assert Event.objects.filter(type="payment.captured").exists()
    cases = [
        (PaymentOutput, payment),
        (RefundOutput, refund),
        (WebhookEndpointOutput, endpoint),
        *((EventOutput, event) for event in Event.objects.all()),
        (EventFeedOutput, {"results": list(Event.objects.all()), "hasMore": False}),
    ]
    for output, instance in cases:
        drf = serializers.Serializer.to_representation(output(), instance)
        assert output(instance).data == drf, output.__name__
    # Every time in UTC with a Z, whatever zone the process runs in.
    settings.TIME_ZONE = "Asia/Kolkata"
    assert PaymentOutput(payment).data["createdAt"].endswith("Z")
