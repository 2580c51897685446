"""OpenAPI examples of the refunds endpoints, each validated against its schema by test_openapi."""

from payments.examples import request, response

REFUND_PENDING = {
    "id": "rfd_01JD9A1B2C3D4E5F6G7H8J9K0M",
    "paymentId": "pmt_01JD8ZQ4S3V7K2M9X5T1B6N0RC",
    "amount": 400,
    "currency": "INR",
    "status": "pending",
    "speedRequested": "normal",
    "speedProcessed": "normal",
    "reason": "damaged",
    "notes": {"ticket": "T-881"},
    "razorpayRefundId": "rfnd_Pb4aD6Fg1Jk3Lm",
    "failureReason": None,
    "createdAt": "2026-12-01T11:00:00.000000Z",
    "updatedAt": "2026-12-01T11:00:00.200000Z",
    "processedAt": None,
    "version": 2,
}
REFUND_PROCESSED = {
    **REFUND_PENDING,
    "status": "processed",
    "updatedAt": "2026-12-01T11:00:01.000000Z",
    "processedAt": "2026-12-01T11:00:01.000000Z",
    "version": 3,
}

CREATE = [
    request("partial", {"amount": 400, "reason": "damaged", "notes": {"ticket": "T-881"}}),
    request("everything left", {}, "Without amount: refund all that is left"),
    response("pending", REFUND_PENDING, 201, "Reserved and sent to Razorpay"),
]
LIST = [response("a page", REFUND_PROCESSED, 200, "A payment's refunds")]
DETAIL = [response("processed", REFUND_PROCESSED, 200, "A settled refund")]
