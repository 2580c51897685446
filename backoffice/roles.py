"""The two staff roles. Support reads everything; finance may also move money and fix."""

VIEW = [
    "payments.view_payment",
    "payments.view_paymentattempt",
    "payments.view_paymentstatuschange",
    "refunds.view_refund",
    "webhooks.view_webhookevent",
    "webhooks.view_rejecteddelivery",
    "payments_service.view_clientapp",
    "payments_service.view_apikey",
    "payments_service.view_idempotencykey",
]
ROLES = {
    "support": VIEW,
    "finance": [
        *VIEW,
        "payments.sync_payment",
        "payments.capture_payment",
        "payments.refund_payment",
        "payments.reconcile_payments",
        "webhooks.reprocess_webhookevent",
    ],
}
