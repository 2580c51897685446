"""Columns the money admins share (payments, refunds, approvals, disputes)."""

from django.contrib import admin

from payments.currencies import money


def money_column(attribute: str, description: str, *, zero: str | None = None):
    """A ModelAdmin method showing `attribute` (minor units) in the object's currency;
    `zero`: what stands for none (a payment not refunded shows "—")."""

    def column(model_admin, obj) -> str:
        amount = getattr(obj, attribute)
        return zero if zero is not None and not amount else money(amount, obj.currency)

    return admin.display(description=description, ordering=attribute)(column)
