"""Client-app endpoints for refunds. Views validate, call one service, serialize."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from clients.api import ClientAppApi
from clients.idempotency import idempotent
from payments.errors import PaymentNotFound
from payments.models import Source
from payments.selectors import payment_get
from payments_service.api import Pagination
from payments_service.openapi import problems

from . import examples, selectors, services
from .errors import RefundNotFound
from .models import RefundSpeed
from .serializers import RefundCreateInput, RefundOutput


def _own_payment(request, payment_id: str):
    payment = payment_get(client_app=request.user, payment_id=payment_id)
    if payment is None:
        raise PaymentNotFound(f"No payment {payment_id!r}.")
    return payment


class RefundCreateApi(ClientAppApi):
    @extend_schema(
        operation_id="refunds_create",
        summary="Refund a payment, fully or in part",
        description="Without `amount`, refunds all that is left. The refund is `pending` until "
        "Razorpay settles it; above the app's approval limit (off by default) it is "
        "`awaiting_approval`, held but not sent until a person approves it (then `pending`) or "
        "rejects it or it expires (`failed`, told as `refund.failed`).",
        request=RefundCreateInput,
        examples=examples.CREATE,
        responses={
            201: RefundOutput,
            **problems(
                400,
                404,
                409,
                422,
                502,
                504,
                codes={
                    400: [
                        "refund_amount_too_small",
                        "gateway_rejected",
                        "idempotency_key_missing",
                    ],
                    404: ["payment_not_found"],
                    409: [
                        "payment_not_refundable",
                        "refund_exceeds_refundable",
                        "payment_disputed",
                        "refund_already_requested",
                        "refund_mismatch",
                        "idempotency_key_in_use",
                    ],
                    422: ["idempotency_key_reused"],
                },
            ),
        },
    )
    @idempotent("refunds.create:{payment_id}")
    def post(self, request, payment_id: str):
        payment = _own_payment(request, payment_id)
        data = RefundCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        refund = services.refund_create(
            payment_id=payment.id,
            amount=fields.get("amount"),
            reason=fields.get("reason", ""),
            speed=fields.get("speed", RefundSpeed.NORMAL),
            notes=fields.get("notes"),
            requested_by=f"app:{request.user.name}",
            source=Source.API,
            claim=request.idempotency_claim,
        )
        return Response(RefundOutput(refund).data, status=status.HTTP_201_CREATED)


class RefundDetailApi(ClientAppApi):
    @extend_schema(
        operation_id="refunds_retrieve",
        summary="Get one of the caller's refunds",
        examples=examples.DETAIL,
        responses={200: RefundOutput, **problems(404, codes={404: ["refund_not_found"]})},
    )
    def get(self, request, refund_id: str):
        refund = selectors.refund_get(client_app=request.user, refund_id=refund_id)
        if refund is None:
            raise RefundNotFound(f"No refund {refund_id!r}.")
        return Response(RefundOutput(refund).data)


class RefundListApi(ClientAppApi):
    pagination_class = Pagination

    @extend_schema(
        operation_id="refunds_list",
        summary="List a payment's refunds",
        examples=examples.LIST,
        responses={
            200: RefundOutput(many=True),
            **problems(404, codes={404: ["payment_not_found"]}),
        },
    )
    def get(self, request, payment_id: str):
        refunds = selectors.refund_list(payment=_own_payment(request, payment_id))
        return self.paginated(refunds, RefundOutput)
