"""The gateway's failures in the service's own terms, each a problem a client can act on."""

from payments_service.problems import ProblemError


class GatewayError(ProblemError):
    """Base of every failure talking to Razorpay."""


class GatewayUnavailable(GatewayError):
    """Razorpay could not be reached or failed on its side; the same request may succeed later."""

    status = 502
    code = "gateway_unavailable"
    title = "Payment gateway unavailable"

    def __init__(self, detail: str | None = None, **kwargs):
        kwargs.setdefault("retry_after", 5)
        super().__init__(detail, **kwargs)


class GatewayTimeout(GatewayUnavailable):
    """No answer in time: the call may or may not have taken effect at Razorpay."""

    status = 504
    code = "gateway_timeout"
    title = "Payment gateway timed out"


class GatewayRejected(GatewayError):
    """Razorpay refused what was sent (its BAD_REQUEST_ERROR); repeating it will not help."""

    status = 400
    code = "gateway_rejected"
    title = "Rejected by the payment gateway"

    def __init__(self, description: str):
        super().__init__(description or "The payment gateway rejected the request.")
