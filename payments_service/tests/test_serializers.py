import copy
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from django.http import QueryDict
from rest_framework import serializers
from rest_framework.test import APIClient

from notifications.models import Event, WebhookEndpoint
from notifications.serializers import EventFeedOutput, EventOutput, WebhookEndpointOutput
from payments.models import Payment
from payments.serializers import (
    CheckoutErrorInput,
    CheckoutErrorMetadataInput,
    PaymentConfirmFailureInput,
    PaymentConfirmInput,
    PaymentInitiateInput,
    PaymentOutput,
)
from payments_service.clock import now
from payments_service.serializers import (
    NotesField,
    OutputSerializer,
    StrictInputSerializer,
    StrictIntegerField,
)
from refunds.models import Refund
from refunds.serializers import RefundCreateInput, RefundOutput


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


# --- inputs: shared fields keep no request's state -----------------------------------------------

SHOP, BILLING = SimpleNamespace(name="shop"), SimpleNamespace(name="billing")
INITIATE = {
    "externalRef": "order_1",
    "sourceApp": "shop",
    "amount": 1000,
    "currency": "INR",
    "email": "buyer@example.com",
    "contact": "+919876543210",
    "metadata": {"cart": "c-1"},
}
FAILURE = {"code": "BAD_REQUEST_ERROR", "metadata": {"order_id": "order_1", "payment_id": "pay_1"}}
CONFIRM = {
    "razorpay_order_id": "order_1",
    "razorpay_payment_id": "pay_1",
    "razorpay_signature": "ab12",
}
# (serializer, data, context): valid and invalid, so that errors and validated data of one
# request would show in the next if a field kept them; initiate's sourceApp reads the context.
CASES = [
    (PaymentInitiateInput, INITIATE, {"client_app": SHOP}),
    (PaymentInitiateInput, INITIATE, {"client_app": BILLING}),
    (PaymentInitiateInput, {**INITIATE, "amount": "1000", "email": "nope"}, {"client_app": SHOP}),
    (PaymentInitiateInput, {**INITIATE, "amount": 10}, {"client_app": SHOP}),
    (PaymentInitiateInput, {"amount": 1000, "currency": "XYZ", "extra": 1}, {"client_app": SHOP}),
    (
        PaymentInitiateInput,
        {**INITIATE, "metadata": {f"k{n}": "v" for n in range(13)}, "contact": "12"},
        {"client_app": SHOP},
    ),
    (PaymentConfirmInput, CONFIRM, {}),
    (PaymentConfirmInput, QueryDict("razorpay_order_id=order_2&razorpay_payment_id=pay_2"), {}),
    (PaymentConfirmInput, {**CONFIRM, "razorpay_signature": "zz-"}, {}),
    (PaymentConfirmFailureInput, {"error": FAILURE}, {}),
    (PaymentConfirmFailureInput, {"error": {**FAILURE, "metadata": '{"order_id": "o_2"}'}}, {}),
    (PaymentConfirmFailureInput, {"error": FAILURE, "razorpay_payment_id": "pay_1"}, {}),
    (
        PaymentConfirmFailureInput,
        QueryDict('error[code]=X&error[metadata]={"order_id":"o_3","payment_id":"p_3"}'),
        {},
    ),
    (RefundCreateInput, {"amount": 500, "reason": "damaged", "speed": "optimum"}, {}),
    (RefundCreateInput, {}, {}),
    (RefundCreateInput, {"amount": 0, "speed": "fast", "notes": {"a": 1}}, {}),
]
# Field types whose validation reads nothing of their parent (reviewed): a new one fails below.
REVIEWED_FIELDS = {
    serializers.CharField,
    serializers.RegexField,
    serializers.EmailField,
    serializers.ChoiceField,
    serializers.IntegerField,
    serializers.DictField,
    StrictIntegerField,
    NotesField,
    # nested: their own fields are checked too, and their validate methods read no context
    CheckoutErrorInput,
    CheckoutErrorMetadataInput,
}


def _subclasses(cls) -> list[type]:
    return [each for sub in cls.__subclasses__() for each in [sub, *_subclasses(sub)]]


def _fields_within(serializer):
    """Every field object under `serializer`: nested serializers' fields and children too."""
    for field in serializer.fields.values():
        yield field
        if isinstance(field, serializers.Serializer):
            yield from _fields_within(field)
        if getattr(field, "child", None) is not None:
            yield field.child


def _deep_copying_twin(cls) -> type:
    """`cls` with DRF's own `fields`: a deep copy per instance, as without SharedFields."""
    return type(f"Copying{cls.__name__}", (cls,), {"fields": serializers.Serializer.fields})


def _outcome(cls, data, context):
    """As a request validates its own body: a new copy of the data each time."""
    serializer = cls(data=copy.deepcopy(data), context=context)
    valid = serializer.is_valid()
    return valid, serializer.errors, serializer.validated_data if valid else None


def _state(field) -> dict:
    """What a field holds: each attribute's object, and a copy of each container's content."""
    return {
        name: (id(value), copy.copy(value) if isinstance(value, dict | list | set) else None)
        for name, value in vars(field).items()
    }


def test_every_shared_input_has_only_reviewed_fields_that_read_nothing_of_their_root():
    shared = [cls for cls in _subclasses(StrictInputSerializer) if "tests" not in cls.__module__]
    assert {PaymentInitiateInput, PaymentConfirmInput, RefundCreateInput} <= set(shared)
    for cls in shared:
        assert cls().fields is cls().fields, cls
        for field in _fields_within(cls()):
            assert type(field) in REVIEWED_FIELDS, (cls, field)
            assert not any(getattr(v, "requires_context", False) for v in field.validators)
            assert not getattr(field.default, "requires_context", False), (cls, field)


def test_shared_inputs_answer_what_drf_answers_from_many_threads_and_keep_nothing():
    expected = [_outcome(_deep_copying_twin(cls), data, ctx) for cls, data, ctx in CASES]
    assert expected[0][0] and not expected[1][0]  # the context decides sourceApp
    for cls, data, context in CASES:  # a first validation caches each field's validators
        _outcome(cls, data, context)
    fields = {id(f): f for cls, _, _ in CASES for f in _fields_within(cls())}.values()
    before = {id(field): _state(field) for field in fields}

    def run(n: int):
        cls, data, context = CASES[n % len(CASES)]
        return n % len(CASES), _outcome(cls, data, context)

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(run, range(40 * len(CASES))))
    assert all(outcome == expected[case] for case, outcome in outcomes)
    assert {id(field): _state(field) for field in fields} == before
    for cls, _, _ in CASES:  # the instance the fields are bound to saw no request
        root = next(iter(cls().fields.values())).root
        assert root.context == {"fields": "shared by every instance"}
        assert not hasattr(root, "initial_data") and not hasattr(root, "_errors")
        assert not hasattr(root, "_validated_data")


@pytest.mark.django_db
def test_schema_generation_keeps_no_request_in_the_shared_fields_context(client):
    # drf-spectacular fills in an empty context when it maps a nested serializer (confirm's
    # `error`): that of the root the shared fields are bound to, were it empty.
    assert client.get("/api/schema/", {"format": "json"}).status_code == 200
    for cls in (PaymentConfirmFailureInput, PaymentOutput):
        root = cls().fields[next(iter(cls().fields))].root
        assert root.context == {"fields": "shared by every instance"}
