"""The gateway's failures in the service's own terms. They speak no HTTP: the API layer
(`payments_service.problems`) decides what each one answers."""

from payments_service.errors import ServiceError


class GatewayError(ServiceError):
    """Base of every failure talking to Razorpay."""

    code = "gateway_error"


class GatewayUnavailable(GatewayError):
    """Razorpay could not be reached or failed on its side; the same request may succeed later."""

    code = "gateway_unavailable"


class GatewayTimeout(GatewayUnavailable):
    """No answer in time: the call may or may not have taken effect at Razorpay."""

    code = "gateway_timeout"


class GatewayRejected(GatewayError):
    """Razorpay refused what was sent (its BAD_REQUEST_ERROR); repeating it will not help."""

    code = "gateway_rejected"

    def __init__(self, description: str):
        super().__init__(description or "The payment gateway rejected the request.")
