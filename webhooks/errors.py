from payments_service.problems import ProblemError


class WebhookSignatureMissing(ProblemError):
    status = 400
    code = "signature_missing"
    title = "X-Razorpay-Signature header missing"


class WebhookSignatureInvalid(ProblemError):
    status = 400
    code = "signature_invalid"
    title = "Webhook signature is invalid"


class WebhookMalformed(ProblemError):
    status = 400
    code = "malformed_payload"
    title = "Webhook body is not a Razorpay event"


class WebhookProcessingFailed(ProblemError):
    """A transient failure: answering 500 makes Razorpay deliver the event again."""

    status = 500
    code = "webhook_processing_failed"
    title = "The event was stored but could not be applied yet"
