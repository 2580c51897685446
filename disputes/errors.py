"""Dispute problems a caller (the webhooks app, the admin) can act on."""

from payments_service.problems import ProblemError


class DisputePaymentUnknown(ProblemError):
    """A Razorpay dispute of a payment this service does not know (the webhooks app ignores
    it)."""

    status = 404
    code = "dispute_payment_unknown"
    title = "The disputed payment is not known here"


class DisputeMismatch(ProblemError):
    """Razorpay's dispute contradicts ours (another payment, amount or currency): never
    applied, so an operator can look."""

    status = 409
    code = "dispute_mismatch"
    title = "The Razorpay dispute does not match this dispute"


class DisputeNotRespondable(ProblemError):
    """Accepting or contesting a dispute that is decided, under review, or past respond_by."""

    status = 409
    code = "dispute_not_respondable"
    title = "The dispute can no longer be accepted or contested"
