import json
import re

from django.conf import settings
from django.http import QueryDict
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from payments_service.openapi import ProblemSerializer
from payments_service.serializers import (
    NotesField,
    OutputSerializer,
    StrictInputSerializer,
    StrictIntegerField,
    UtcDateTimeField,
)

from .currencies import MINIMUM_AMOUNT
from .models import RANK, Payment, PaymentStatus


class PaymentInitiateInput(StrictInputSerializer):
    externalRef = serializers.RegexField(
        r"^[A-Za-z0-9][A-Za-z0-9._:/#-]*$",
        max_length=64,
        error_messages={"invalid": "Letters, digits and . _ : / # - only."},
        help_text="Your order reference, unique per app (1-64 of letters, digits, `._:/#-`): "
        "initiating it again while unpaid, with the same amount and currency, returns the same "
        "payment.",
    )
    sourceApp = serializers.CharField(
        max_length=64, required=False, help_text="Optional; when sent, your app's name."
    )
    amount = StrictIntegerField(
        help_text="A JSON integer in the currency's smallest unit (paise for INR: 1000 is "
        "₹10.00), from the currency's minimum (INR 100, USD 50, EUR 50, GBP 30, SGD 50, AED 200) "
        "up to PAYMENT_MAX_AMOUNT (default 50,000,000)."
    )
    currency = serializers.ChoiceField(choices=sorted(MINIMUM_AMOUNT), help_text="ISO 4217 code.")
    email = serializers.EmailField(
        max_length=254,
        required=False,
        allow_blank=True,
        help_text="The customer's, to prefill Checkout (at most 254 characters).",
    )
    contact = serializers.RegexField(
        r"^\+[1-9][0-9]{6,14}$",
        max_length=20,
        required=False,
        allow_blank=True,
        error_messages={"invalid": "An E.164 phone number, e.g. +919876543210."},
        help_text="The customer's phone, E.164 (e.g. +919876543210), to prefill Checkout.",
    )
    # Three notes are the service's own: payment_id, source_app, external_ref.
    metadata = NotesField(
        reserved=3,
        required=False,
        help_text="Your string values, kept with the payment and sent to Razorpay as notes: "
        "at most 12 keys of up to 64 characters, values up to 256 characters.",
    )

    def validate_sourceApp(self, value):
        if value != self.context["client_app"].name:
            raise serializers.ValidationError("Must be the name of the app whose key is used.")
        return value

    def validate(self, attrs):
        minimum = MINIMUM_AMOUNT[attrs["currency"]]
        if attrs["amount"] < minimum:
            raise serializers.ValidationError(
                {"amount": [f"At least {minimum} (minor units of {attrs['currency']})."]}
            )
        if attrs["amount"] > settings.PAYMENT_MAX_AMOUNT:
            raise serializers.ValidationError(
                {"amount": [f"At most {settings.PAYMENT_MAX_AMOUNT}."]}
            )
        return attrs


class PaymentConfirmInput(StrictInputSerializer):
    # At most as long as the columns they are looked up in and stored in (Razorpay's are 20).
    razorpay_order_id = serializers.RegexField(
        r"^[A-Za-z0-9_]+$", max_length=40, help_text="Checkout's, as the handler received it."
    )
    razorpay_payment_id = serializers.RegexField(
        r"^[A-Za-z0-9_]+$", max_length=40, help_text="Checkout's, as the handler received it."
    )
    razorpay_signature = serializers.RegexField(
        r"^[A-Za-z0-9]+$",
        max_length=128,
        help_text="Hex HMAC-SHA256 of `order_id|payment_id`; checked against our own order id.",
    )


# The ids a failure report names; as long as the columns they are looked up in.
_RAZORPAY_ID = r"^[A-Za-z0-9_]+$"
_FORM_ERROR_FIELD = re.compile(r"^error\[(\w+)\]$")


class CheckoutErrorMetadataInput(StrictInputSerializer):
    """The Razorpay order and payment of a failed attempt: an object, or (Checkout's form post)
    that object as a JSON string."""

    order_id = serializers.RegexField(_RAZORPAY_ID, max_length=40)
    payment_id = serializers.RegexField(_RAZORPAY_ID, max_length=40)

    def to_internal_value(self, data):
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except ValueError:
                data = None
        if not isinstance(data, dict):  # named as this field, not as its non_field_errors
            raise serializers.ValidationError("Must be a JSON object with order_id and payment_id.")
        return super().to_internal_value(data)


class CheckoutErrorInput(serializers.Serializer):
    """Checkout's `error` object. Only `metadata` is used: the rest is the browser's word, and
    the failure recorded is the one Razorpay reports. Not strict: this object is Razorpay's,
    which may add members."""

    code = serializers.CharField(max_length=64, required=False, allow_blank=True)
    description = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    source = serializers.CharField(max_length=64, required=False, allow_blank=True)
    step = serializers.CharField(max_length=64, required=False, allow_blank=True)
    reason = serializers.CharField(max_length=64, required=False, allow_blank=True)
    metadata = CheckoutErrorMetadataInput()

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError("Must be Checkout's error object.")
        return super().to_internal_value(data)


class PaymentConfirmFailureInput(StrictInputSerializer):
    """A failed Checkout attempt: `{"error": {...}}` as JSON (a `payment.failed` handler), or
    the `error[code]`, ..., `error[metadata]` form fields of the redirect mode."""

    error = CheckoutErrorInput()

    @staticmethod
    def is_failure(data) -> bool:
        """Whether a confirm body reports a failure (then this serializer validates it)."""
        if not isinstance(data, dict):  # a QueryDict is one too
            return False
        return any(name == "error" or _FORM_ERROR_FIELD.match(name) for name in data)

    def to_internal_value(self, data):
        if isinstance(data, QueryDict):
            data = _form_failure(data)
        if isinstance(data, dict):
            mixed = sorted(set(data) & set(PaymentConfirmInput._declared_fields))
            if mixed:
                message = "Not allowed with error: an attempt either succeeded or failed."
                raise serializers.ValidationError({name: [message] for name in mixed})
        return super().to_internal_value(data)


def _form_failure(form: QueryDict) -> dict:
    """The form's `error[name]` fields as one `error` object; other fields stay as they are
    (so they are refused by name)."""
    data: dict = {}
    error: dict = {}
    for name, value in form.items():
        field = _FORM_ERROR_FIELD.match(name)
        if field:
            error[field[1]] = value
        else:
            data[name] = value
    if error:
        data["error"] = error
    return data


class PaymentFailedProblem(ProblemSerializer):
    """The 402 `payment_failed` problem."""

    example_members = {
        "paymentId": "pmt_01JD8ZQ4S3V7K2M9X5T1B6N0RC",
        "gatewayCode": "BAD_REQUEST_ERROR",
        "gatewayDescription": "Your payment has been declined by your bank.",
        "gatewayReason": "card_declined",
        "retryable": True,
    }

    paymentId = serializers.CharField(help_text="Ours (`pmt_…`).")
    gatewayCode = serializers.CharField(help_text="Razorpay's error code, e.g. BAD_REQUEST_ERROR.")
    gatewayDescription = serializers.CharField(help_text="Razorpay's, for the customer.")
    gatewayReason = serializers.CharField(help_text="Razorpay's, e.g. `card_declined`.")
    retryable = serializers.BooleanField(
        help_text="Whether the payment can still be paid (Checkout again on the same order)."
    )


class PaymentListFilters(serializers.Serializer):
    externalRef = serializers.CharField(
        max_length=64, required=False, source="external_ref", help_text="Exactly this one."
    )
    status = serializers.ChoiceField(
        choices=PaymentStatus.values, required=False, help_text="Only this status."
    )
    createdAfter = serializers.DateTimeField(
        required=False, source="created_after", help_text="ISO 8601; created at or after."
    )
    createdBefore = serializers.DateTimeField(
        required=False, source="created_before", help_text="ISO 8601; created before."
    )


class CheckoutPrefillOutput(serializers.Serializer):
    email = serializers.CharField(help_text="Checkout's `prefill.email`.")
    contact = serializers.CharField(help_text="Checkout's `prefill.contact`.")


class CheckoutOutput(serializers.Serializer):
    """Razorpay Checkout's options, as they are."""

    keyId = serializers.CharField(help_text="Checkout's `key`: the Razorpay key id.")
    orderId = serializers.CharField(help_text="Checkout's `order_id`.")
    amount = serializers.IntegerField(help_text="Checkout's `amount`, smallest unit.")
    currency = serializers.CharField(help_text="Checkout's `currency`.")
    prefill = CheckoutPrefillOutput(help_text="Checkout's `prefill`.")


class PaymentOutput(OutputSerializer):
    # Declared, not a ModelSerializer: that one rebuilds its fields from the model on every
    # response, a tenth of an initiate's CPU.
    id = serializers.CharField(help_text="Ours, opaque (`pmt_…`).")
    status = serializers.ChoiceField(
        choices=PaymentStatus.choices,
        help_text="created → authorized → captured → partially_refunded → refunded; failed "
        "(every attempt so far) may still become authorized or captured.",
    )
    amount = serializers.IntegerField(help_text="In the currency's smallest unit.")
    currency = serializers.CharField(help_text="ISO 4217 code.")
    amountRefunded = serializers.IntegerField(
        source="amount_refunded", help_text="Processed refunds, in the smallest unit."
    )
    externalRef = serializers.CharField(source="external_ref", help_text="Your reference.")
    sourceApp = serializers.CharField(source="client_app.name", help_text="Your app's name.")
    email = serializers.CharField(help_text="Empty when not given.")
    contact = serializers.CharField(help_text="Empty when not given.")
    metadata = serializers.DictField(
        child=serializers.CharField(), help_text="Your values, as given."
    )
    razorpayOrderId = serializers.CharField(
        source="razorpay_order_id",
        allow_null=True,
        help_text="Razorpay's order; null or empty until it exists.",
    )
    razorpayPaymentId = serializers.CharField(
        source="razorpay_payment_id", help_text="Razorpay's paying attempt; empty until paid."
    )
    createdAt = UtcDateTimeField(source="created_at", help_text="ISO 8601, UTC.")
    updatedAt = UtcDateTimeField(source="updated_at", help_text="ISO 8601, UTC.")
    version = serializers.IntegerField(
        help_text="Grows with every change: of two copies of this payment (an answer, an "
        "event), the higher version is the newer."
    )
    checkout = serializers.SerializerMethodField()

    @extend_schema_field(CheckoutOutput(allow_null=True))
    def get_checkout(self, payment: Payment) -> dict | None:
        """What Razorpay Checkout needs to take (or retake) the payment; null once paid."""
        if not payment.razorpay_order_id or RANK[payment.status] >= RANK["authorized"]:
            return None
        return {
            "keyId": settings.RAZORPAY_KEY_ID,
            "orderId": payment.razorpay_order_id,
            "amount": payment.amount,
            "currency": payment.currency,
            "prefill": {"email": payment.email, "contact": payment.contact},
        }
