"""Refund problems a client (or the webhooks app) can act on."""

from payments_service.problems import ProblemError


class PaymentNotRefundable(ProblemError):
    status = 409
    code = "payment_not_refundable"
    title = "Payment cannot be refunded"


class RefundExceedsRefundable(ProblemError):
    status = 409
    code = "refund_exceeds_refundable"
    title = "Refund exceeds the refundable amount"


class PaymentDisputed(ProblemError):
    """The payment has an open dispute (chargeback): it may yet be taken back, so it is not
    refunded until the dispute is decided (a finance user may override that in the admin)."""

    status = 409
    code = "payment_disputed"
    title = "Payment is disputed"


class RefundAmountTooSmall(ProblemError):
    status = 400
    code = "refund_amount_too_small"
    title = "Refund amount below the gateway minimum"


class RefundNotFound(ProblemError):
    status = 404
    code = "refund_not_found"
    title = "Refund not found"


class RefundPaymentUnknown(ProblemError):
    """A Razorpay refund of a payment this service does not know (the webhooks app ignores it)."""

    status = 404
    code = "refund_payment_unknown"
    title = "The refunded payment is not known here"


class RefundMismatch(ProblemError):
    """Razorpay's refund contradicts ours (payment, amount, currency, id or final status): it is
    never applied, so an operator can look."""

    status = 409
    code = "refund_mismatch"
    title = "The Razorpay refund does not match this refund"


class RefundAlreadyRequested(ProblemError):
    """A staff refund whose idempotency key (the admin form's token, the command's key) has
    already made its refund: a double submit, answered without refunding again."""

    status = 409
    code = "refund_already_requested"
    title = "This refund was already requested"


class RefundNotAwaitingApproval(ProblemError):
    """Approving or rejecting a refund that is no longer waiting: another approver, a
    rejection or its expiry settled it first (the race is settled once, under the lock)."""

    status = 409
    code = "refund_not_awaiting_approval"
    title = "The refund is not awaiting approval"


class RefundApprovalBySameUser(ProblemError):
    """Four eyes: whoever asked for a refund may not approve (or reject) it themselves."""

    status = 403
    code = "refund_approval_by_requester"
    title = "A refund must be approved by someone other than who asked for it"
