"""The two staff roles. Support reads everything; finance may also move money and fix."""

VIEW = [
    "payments.view_payment",
    "payments.view_paymentattempt",
    "payments.view_paymentstatuschange",
    "refunds.view_refund",
    "disputes.view_dispute",
    "webhooks.view_webhookevent",
    "webhooks.view_rejecteddelivery",
    "clients.view_clientapp",
    "clients.view_apikey",
    "clients.view_idempotencykey",
    "backoffice.view_chore",
    "backoffice.view_chorerun",
    "backoffice.view_reconciliationreport",
    "audit.view_auditentry",
    # Events and their deliveries; endpoints (their secrets) are managed by superusers.
    "notifications.view_event",
    "notifications.view_webhookendpoint",
    "notifications.view_delivery",
    "notifications.view_deliveryattempt",
]
ROLES = {
    "support": VIEW,
    "finance": [
        *VIEW,
        "payments.sync_payment",
        "payments.capture_payment",
        "payments.refund_payment",
        "refunds.approve_refund",  # another's refund above the approval threshold
        "payments.reconcile_payments",
        "disputes.respond_dispute",  # accept or contest a dispute
        "webhooks.reprocess_webhookevent",
        "backoffice.run_chore",
    ],
}


def roles_sync(*, group_model, permission_model, migrating: bool = False) -> None:
    """Gives the groups exactly their permissions (the data migrations; tests after a flush).
    Takes the models so a migration can pass its historical ones; `migrating`: a permission
    whose model a later migration creates is skipped (that migration's own sync adds it)."""
    for name, dotted_names in ROLES.items():
        group, _ = group_model.objects.get_or_create(name=name)
        wanted = [dotted.split(".") for dotted in dotted_names]
        permissions = [
            permission
            for app_label, codename in wanted
            for permission in permission_model.objects.filter(
                content_type__app_label=app_label, codename=codename
            )
        ]
        if len(permissions) != len(wanted) and not migrating:
            found = {f"{p.content_type.app_label}.{p.codename}" for p in permissions}
            raise LookupError(f"no such permission: {sorted(set(dotted_names) - found)}")
        group.permissions.set(permissions)
