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


def roles_sync(*, group_model, permission_model) -> None:
    """Creates the groups with exactly their permissions (the data migration; tests after a
    flush). Takes the models so the migration can pass its historical ones."""
    for name, dotted_names in ROLES.items():
        group, _ = group_model.objects.get_or_create(name=name)
        permissions = [
            permission_model.objects.get(content_type__app_label=app_label, codename=codename)
            for app_label, codename in (dotted.split(".") for dotted in dotted_names)
        ]
        group.permissions.set(permissions)
