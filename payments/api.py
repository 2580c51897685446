"""Client-app endpoints for payments. Views validate, call one service, serialize."""

from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser
from rest_framework.response import Response
from rest_framework.views import APIView

from clients.api import ClientAppApi
from clients.idempotency import idempotent
from payments_service.api import Pagination
from payments_service.openapi import problems
from payments_service.parsers import JSONParser
from payments_service.ratelimit import ConfirmIpRateLimit

from . import selectors, services
from .serializers import (
    PaymentConfirmFailureInput,
    PaymentConfirmInput,
    PaymentFailedProblem,
    PaymentInitiateInput,
    PaymentListFilters,
    PaymentOutput,
)


class PaymentInitiateApi(ClientAppApi):
    @extend_schema(
        operation_id="payments_initiate",
        summary="Initiate a payment",
        description="Creates the payment and its Razorpay order; answers what Checkout needs.",
        request=PaymentInitiateInput,
        responses={
            201: OpenApiResponse(PaymentOutput, description="Initiated (or replayed)."),
            200: OpenApiResponse(
                PaymentOutput, description="This externalRef's unpaid payment, initiated before."
            ),
            **problems(400, 409, 502, 504),
        },
    )
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
    takes the form post of Checkout's redirect mode (`callback_url`), and a failed attempt's
    report (`error`), which proves nothing: its payment is looked up at Razorpay."""

    throttle_classes = [ConfirmIpRateLimit]
    parser_classes = [JSONParser, FormParser]

    @extend_schema(
        operation_id="payments_confirm",
        summary="Confirm a payment after Checkout",
        description="Checks the checkout signature, then fetches (and captures) the payment "
        "at Razorpay. Repeating it is harmless. A failed attempt's `error` (Checkout's "
        "`payment.failed` object, or its `error[code]`, ..., `error[metadata]` form fields with "
        "`metadata` as a JSON string) answers 402 `payment_failed` when Razorpay has that "
        "payment failed, and what a success answers when Razorpay says otherwise.",
        request=PolymorphicProxySerializer(
            component_name="PaymentConfirmRequest",
            serializers=[PaymentConfirmInput, PaymentConfirmFailureInput],
            resource_type_field_name=None,
        ),
        responses={
            200: PaymentOutput,
            **problems(400, 402, 404, 502, 504, bodies={402: PaymentFailedProblem}),
        },
    )
    def post(self, request):
        if PaymentConfirmFailureInput.is_failure(request.data):
            failure = PaymentConfirmFailureInput(data=request.data)
            failure.is_valid(raise_exception=True)
            metadata = failure.validated_data["error"]["metadata"]
            payment = services.payment_confirm_failure(
                order_id=metadata["order_id"], payment_id=metadata["payment_id"]
            )
            return Response(PaymentOutput(payment).data)
        data = PaymentConfirmInput(data=request.data)
        data.is_valid(raise_exception=True)
        payment = services.payment_confirm(
            order_id=data.validated_data["razorpay_order_id"],
            payment_id=data.validated_data["razorpay_payment_id"],
            signature=data.validated_data["razorpay_signature"],
        )
        return Response(PaymentOutput(payment).data)


class PaymentListApi(ClientAppApi):
    pagination_class = Pagination

    @extend_schema(
        operation_id="payments_list",
        summary="List the caller's payments",
        parameters=[PaymentListFilters],
        # 404: a `page` past the end (or not a page number).
        responses={200: PaymentOutput(many=True), **problems(400, 404)},
    )
    def get(self, request):
        filters = PaymentListFilters(data=request.query_params)
        filters.is_valid(raise_exception=True)
        payments = selectors.payment_list(client_app=request.user, **filters.validated_data)
        return self.paginated(payments, PaymentOutput)


class PaymentDetailApi(ClientAppApi):
    @extend_schema(
        operation_id="payments_retrieve",
        summary="Get one of the caller's payments",
        responses={200: PaymentOutput, **problems(404)},
    )
    def get(self, request, payment_id: str):
        payment = selectors.payment_get(client_app=request.user, payment_id=payment_id)
        if payment is None:
            raise Http404
        return Response(PaymentOutput(payment).data)
