"""Payment problems a client can act on."""

from payments_service.problems import ProblemError


class PaymentNotFound(ProblemError):
    status = 404
    code = "payment_not_found"
    title = "Payment not found"


class PaymentConflict(ProblemError):
    """The externalRef already names a payment of another amount or currency."""

    status = 409
    code = "payment_conflict"
    title = "externalRef already used for another payment"


class PaymentAlreadyPaid(ProblemError):
    status = 409
    code = "payment_already_paid"
    title = "Payment already paid"


class PaymentInitiationInProgress(ProblemError):
    status = 409
    code = "payment_in_progress"
    title = "This payment is being initiated by another request"


class SignatureInvalid(ProblemError):
    status = 400
    code = "signature_invalid"
    title = "Checkout signature is invalid"


class PaymentMismatch(ProblemError):
    """The gateway's payment does not belong to this order, or its amount or currency differ."""

    status = 400
    code = "payment_mismatch"
    title = "The Razorpay payment does not match this payment"


class PaymentFailed(ProblemError):
    """Razorpay reports the customer's attempt failed. Members: `paymentId` (ours),
    `gatewayCode`, `gatewayDescription`, `gatewayReason` (Razorpay's, not the browser's) and
    `retryable` (whether the payment can still be paid, with a new attempt on the same order)."""

    status = 402
    code = "payment_failed"
    title = "Payment failed"
