"""Client-app endpoints for payments. Views validate, call one service, serialize."""

from django.http import Http404
from rest_framework import status
from rest_framework.parsers import FormParser, JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from payments_service.api import ClientAppApi, Pagination
from payments_service.idempotency import idempotent
from payments_service.ratelimit import ConfirmIpRateLimit

from . import selectors, services
from .serializers import (
    PaymentConfirmInput,
    PaymentInitiateInput,
    PaymentListFilters,
    PaymentOutput,
)


class PaymentInitiateApi(ClientAppApi):
    @idempotent("payments.initiate")
    def post(self, request):
        data = PaymentInitiateInput(data=request.data, context={"client_app": request.user})
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        payment, initiated = services.payment_initiate(
            client_app=request.user,
            external_ref=fields["externalRef"],
            amount=fields["amount"],
            currency=fields["currency"],
            email=fields.get("email", ""),
            contact=fields.get("contact", ""),
            metadata=fields.get("metadata", {}),
        )
        code = status.HTTP_201_CREATED if initiated else status.HTTP_200_OK
        return Response(PaymentOutput(payment).data, status=code)


class PaymentConfirmApi(APIView):
    """No API key: the checkout signature authenticates it, so a browser may call it. Also
    takes the form post of Checkout's redirect mode (`callback_url`)."""

    throttle_classes = [ConfirmIpRateLimit]
    parser_classes = [JSONParser, FormParser]

    def post(self, request):
        data = PaymentConfirmInput(data=request.data)
        data.is_valid(raise_exception=True)
        payment = services.payment_confirm(
            order_id=data.validated_data["razorpay_order_id"],
            payment_id=data.validated_data["razorpay_payment_id"],
            signature=data.validated_data["razorpay_signature"],
        )
        return Response(PaymentOutput(payment).data)


class PaymentListApi(ClientAppApi):
    def get(self, request):
        filters = PaymentListFilters(data=request.query_params)
        filters.is_valid(raise_exception=True)
        payments = selectors.payment_list(client_app=request.user, **filters.validated_data)
        paginator = Pagination()
        page = paginator.paginate_queryset(payments, request, view=self)
        return paginator.get_paginated_response(PaymentOutput(page, many=True).data)


class PaymentDetailApi(ClientAppApi):
    def get(self, request, payment_id: str):
        payment = selectors.payment_get(client_app=request.user, payment_id=payment_id)
        if payment is None:
            raise Http404
        return Response(PaymentOutput(payment).data)
