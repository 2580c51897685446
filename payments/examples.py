"""OpenAPI examples of the payments endpoints (each validated against its schema by
payments_service/tests/test_openapi.py)."""

from drf_spectacular.utils import OpenApiExample

INITIATE_REQUEST = {
    "externalRef": "order_123",
    "sourceApp": "shop",
    "amount": 1000,
    "currency": "INR",
    "metadata": {"productId": "prod_123"},
    "email": "customer@example.com",
    "contact": "+919876543210",
}
PAYMENT_CREATED = {
    "id": "pmt_01JD8ZQ4S3V7K2M9X5T1B6N0RC",
    "status": "created",
    "amount": 1000,
    "currency": "INR",
    "amountRefunded": 0,
    "externalRef": "order_123",
    "sourceApp": "shop",
    "email": "customer@example.com",
    "contact": "+919876543210",
    "metadata": {"productId": "prod_123"},
    "razorpayOrderId": "order_Pb3xK9Lm2Qw7Zt",
    "razorpayPaymentId": "",
    "createdAt": "2026-12-01T10:00:00.000000Z",
    "updatedAt": "2026-12-01T10:00:00.120000Z",
    "version": 1,
    "checkout": {
        "keyId": "rzp_test_1DP5mmOlF5G5ag",
        "orderId": "order_Pb3xK9Lm2Qw7Zt",
        "amount": 1000,
        "currency": "INR",
        "prefill": {"email": "customer@example.com", "contact": "+919876543210"},
    },
}
PAYMENT_CAPTURED = {
    **PAYMENT_CREATED,
    "status": "captured",
    "razorpayPaymentId": "pay_Pb3yR2Tn8Vc4Hs",
    "updatedAt": "2026-12-01T10:01:30.500000Z",
    "version": 3,
    "checkout": None,
}
CONFIRM_REQUEST = {
    "razorpay_order_id": "order_Pb3xK9Lm2Qw7Zt",
    "razorpay_payment_id": "pay_Pb3yR2Tn8Vc4Hs",
    "razorpay_signature": "b2335e3b0801106b84a7faff035df56ecffde06918c9ddd1f0fafbb37a51cc89",
}
CONFIRM_FAILURE_REQUEST = {
    "error": {
        "code": "BAD_REQUEST_ERROR",
        "description": "Your payment has been declined by your bank.",
        "source": "bank",
        "step": "payment_authorization",
        "reason": "card_declined",
        "metadata": {"order_id": "order_Pb3xK9Lm2Qw7Zt", "payment_id": "pay_Pb3yQ1Sm7Ub3Gr"},
    }
}


def request(name: str, value: dict, summary: str = "") -> OpenApiExample:
    return OpenApiExample(name, value=value, summary=summary or name, request_only=True)


def response(name: str, value: dict, status: int, summary: str = "") -> OpenApiExample:
    return OpenApiExample(
        name, value=value, summary=summary or name, status_codes=[status], response_only=True
    )


INITIATE = [
    request("initiate", INITIATE_REQUEST, "A ₹10.00 payment"),
    response("initiated", PAYMENT_CREATED, 201, "Created, with what Checkout needs"),
    response("unpaid", PAYMENT_CREATED, 200, "This externalRef's unpaid payment"),
]
CONFIRM = [
    request("handler fields", CONFIRM_REQUEST, "Checkout's success handler fields"),
    OpenApiExample(
        "redirect form post",
        value=CONFIRM_REQUEST,
        summary="Checkout's redirect mode: the same fields, posted by the customer's browser",
        request_only=True,
        media_type="application/x-www-form-urlencoded",
    ),
    request("failure", CONFIRM_FAILURE_REQUEST, "Checkout's payment.failed object"),
    response("captured", PAYMENT_CAPTURED, 200, "The payment, captured"),
]
LIST = [response("a page", PAYMENT_CAPTURED, 200, "One page of payments")]
DETAIL = [response("payment", PAYMENT_CAPTURED, 200, "A captured payment")]
