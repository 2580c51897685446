"""The ceilings the service is measured against.

`bare`: a bare Django JSON response through the production middleware (framework ceiling).
`ReferenceInitiate`: a DRF view that validates an initiate body and inserts one payment-like and
one idempotency-like row in one transaction, then answers the row (framework + database
ceiling). No auth, rate limit or gateway: those are what the service adds on top.
"""

import hashlib
import json
import uuid
from datetime import timedelta

from django.db import transaction
from django.http import JsonResponse
from django.utils import timezone
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from .models import RefIdempotencyKey, RefPayment


def bare(request):
    return JsonResponse({"status": "ok"})


class InitiateBody(serializers.Serializer):
    externalRef = serializers.RegexField(r"^[A-Za-z0-9][A-Za-z0-9._:/#-]*$", max_length=64)
    amount = serializers.IntegerField(min_value=100, max_value=50_000_000)
    currency = serializers.ChoiceField(choices=["AED", "EUR", "GBP", "INR", "SGD", "USD"])
    email = serializers.EmailField(required=False, allow_blank=True)
    contact = serializers.RegexField(r"^\+[1-9][0-9]{6,14}$", required=False, allow_blank=True)
    metadata = serializers.DictField(child=serializers.CharField(max_length=256), required=False)


class PaymentBody(serializers.ModelSerializer):
    externalRef = serializers.CharField(source="external_ref")
    createdAt = serializers.DateTimeField(source="created_at")

    class Meta:
        model = RefPayment
        fields = ["id", "status", "amount", "currency", "externalRef", "email", "contact"]
        fields += ["metadata", "createdAt"]


class ReferenceInitiate(APIView):
    def post(self, request):
        body = InitiateBody(data=request.data)
        body.is_valid(raise_exception=True)
        fields = body.validated_data
        canonical = json.dumps(request.data, sort_keys=True, separators=(",", ":"))
        current = timezone.now()
        with transaction.atomic():
            payment = RefPayment.objects.create(
                id="pmt_" + uuid.uuid4().hex[:26],
                app="reference",
                external_ref=fields["externalRef"],
                amount=fields["amount"],
                currency=fields["currency"],
                email=fields.get("email", ""),
                contact=fields.get("contact", ""),
                metadata=fields.get("metadata", {}),
            )
            answer = PaymentBody(payment).data
            RefIdempotencyKey.objects.create(
                app="reference",
                operation="payments.initiate",
                key=request.headers.get("Idempotency-Key", "") or payment.id,
                fingerprint=hashlib.sha256(canonical.encode()).hexdigest(),
                locked_until=current,
                response_status=201,
                response_body=answer,
                expires_at=current + timedelta(hours=24),
            )
        return Response(answer, status=status.HTTP_201_CREATED)
