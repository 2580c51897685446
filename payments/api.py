"""Client-app endpoints for payments. Views validate, call one service, serialize."""

import json
import re
from urllib.parse import urlencode, urlsplit, urlunsplit

from django.http import Http404, HttpResponse
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.parsers import FormParser
from rest_framework.response import Response
from rest_framework.views import APIView

from clients.api import ClientAppApi
from clients.idempotency import idempotent
from payments_service.api import Pagination
from payments_service.errors import ServiceError
from payments_service.openapi import problems
from payments_service.parsers import JSONParser
from payments_service.ratelimit import ConfirmIpRateLimit

from . import examples, selectors, services
from .errors import PaymentFailed
from .models import Payment, PaymentStatus
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
        examples=examples.INITIATE,
        responses={
            201: OpenApiResponse(PaymentOutput, description="Initiated (or replayed)."),
            200: OpenApiResponse(
                PaymentOutput, description="This externalRef's unpaid payment, initiated before."
            ),
            **problems(
                400,
                409,
                422,
                502,
                504,
                codes={
                    400: ["gateway_rejected", "idempotency_key_missing"],
                    409: [
                        "payment_conflict",
                        "payment_already_paid",
                        "payment_in_progress",
                        "idempotency_key_in_use",
                    ],
                    422: ["idempotency_key_reused"],
                },
            ),
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
        "payment failed, and what a success answers when Razorpay says otherwise.\n\n"
        "Always JSON, except for a browser's form post (`application/x-www-form-urlencoded`, "
        "Checkout's redirect mode) whose `Accept` does not prefer JSON, for a payment whose "
        "client app has a return URL: after the same checks it answers **303** to the return "
        "URL with `?payment=<id>&status=<captured|authorized|failed|error>` added (`failed`: "
        "what would be the 402; `error`: any other problem, e.g. a bad signature or Razorpay "
        "unavailable). The shop reads the payment by id; the query proves nothing.",
        parameters=[
            OpenApiParameter(
                "Location",
                str,
                OpenApiParameter.HEADER,
                response=[303],
                description="The return URL with `payment` and `status` added to its query.",
            )
        ],
        request=PolymorphicProxySerializer(
            component_name="PaymentConfirmRequest",
            serializers=[PaymentConfirmInput, PaymentConfirmFailureInput],
            resource_type_field_name=None,
        ),
        examples=examples.CONFIRM,
        responses={
            200: PaymentOutput,
            303: OpenApiResponse(
                description="A browser's form post, sent back to the app's return URL."
            ),
            **problems(
                400,
                402,
                404,
                502,
                504,
                bodies={402: PaymentFailedProblem},
                codes={
                    400: ["signature_invalid", "payment_mismatch", "gateway_rejected"],
                    402: ["payment_failed"],
                    404: ["payment_not_found"],
                },
            ),
        },
    )
    def post(self, request):
        if not _browser_form_post(request):
            return Response(PaymentOutput(self._confirm(request.data)).data)
        # Checkout's redirect mode: the customer's browser goes back to the shop (303), once
        # verified exactly as above, when the payment's app has a return URL.
        try:
            payment = self._confirm(request.data)
        except (ServiceError, APIException) as error:
            payment = selectors.payment_of_razorpay_order(order_id=_reported_order_id(request))
            if payment is None or not payment.client_app.return_url:
                raise
            return _see_other(payment, "failed" if isinstance(error, PaymentFailed) else "error")
        if not payment.client_app.return_url:
            return Response(PaymentOutput(payment).data)
        return _see_other(payment, _outcome(payment))

    def perform_content_negotiation(self, request, force=False):
        # A browser's form post may be answered JSON (no return URL, or an unknown order)
        # whatever its Accept says, rather than 406.
        return super().perform_content_negotiation(request, force or _browser_form_post(request))

    @staticmethod
    def _confirm(data) -> Payment:
        if PaymentConfirmFailureInput.is_failure(data):
            failure = PaymentConfirmFailureInput(data=data)
            failure.is_valid(raise_exception=True)
            metadata = failure.validated_data["error"]["metadata"]
            return services.payment_confirm_failure(
                order_id=metadata["order_id"], payment_id=metadata["payment_id"]
            )
        fields = PaymentConfirmInput(data=data)
        fields.is_valid(raise_exception=True)
        return services.payment_confirm(
            order_id=fields.validated_data["razorpay_order_id"],
            payment_id=fields.validated_data["razorpay_payment_id"],
            signature=fields.validated_data["razorpay_signature"],
        )


_JSON_MEDIA_TYPE = re.compile(r"^application/(?:[\w.+-]+\+)?json$")


def _browser_form_post(request) -> bool:
    """A form post (Checkout's redirect to callback_url) whose Accept does not prefer JSON: a
    JSON type must be named, with a quality at least that of anything else."""
    media_type = request.content_type.partition(";")[0].strip().lower()
    if media_type != "application/x-www-form-urlencoded":
        return False
    best_json = best_other = 0.0
    for item in request.headers.get("Accept", "").split(","):
        media_type, *params = (part.strip().lower() for part in item.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    quality = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    quality = 0.0
        if _JSON_MEDIA_TYPE.match(media_type):
            best_json = max(best_json, quality)
        elif media_type:
            best_other = max(best_other, quality)
    return not (best_json > 0 and best_json >= best_other)


def _reported_order_id(request) -> str | None:
    """The Razorpay order a confirm form names (the success fields, or a failure's metadata),
    to find the return URL of a confirm that failed. Only for that: it proves nothing."""
    try:
        form = request.data
        order_id = form.get("razorpay_order_id")
        if order_id is None and "error[metadata]" in form:
            order_id = json.loads(form["error[metadata]"]).get("order_id")
    except (APIException, ValueError, AttributeError):
        return None
    if isinstance(order_id, str) and re.fullmatch(r"[A-Za-z0-9_]{1,40}", order_id):
        return order_id
    return None


# What the shop's return URL is told; it reads the payment by id and trusts nothing else.
_OUTCOMES = {
    PaymentStatus.AUTHORIZED: "authorized",
    PaymentStatus.CAPTURED: "captured",
    PaymentStatus.PARTIALLY_REFUNDED: "captured",
    PaymentStatus.REFUNDED: "captured",
    PaymentStatus.FAILED: "failed",
}


def _outcome(payment: Payment) -> str:
    return _OUTCOMES.get(payment.status, "error")


def _see_other(payment: Payment, outcome: str) -> HttpResponse:
    url = urlsplit(payment.client_app.return_url)
    added = urlencode({"payment": payment.id, "status": outcome})
    query = f"{url.query}&{added}" if url.query else added
    response = HttpResponse(status=status.HTTP_303_SEE_OTHER)
    response["Location"] = urlunsplit(url._replace(query=query))
    response["Cache-Control"] = "no-store"
    return response


class PaymentListApi(ClientAppApi):
    pagination_class = Pagination

    @extend_schema(
        operation_id="payments_list",
        summary="List the caller's payments",
        parameters=[PaymentListFilters],
        examples=examples.LIST,
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
        examples=examples.DETAIL,
        responses={200: PaymentOutput, **problems(404)},
    )
    def get(self, request, payment_id: str):
        payment = selectors.payment_get(client_app=request.user, payment_id=payment_id)
        if payment is None:
            raise Http404
        return Response(PaymentOutput(payment).data)
