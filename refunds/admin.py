"""Refunds in the back office: read-only (money changes only through the services)."""

from django.contrib import admin

from .models import Refund


@admin.register(Refund)
class RefundAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "payment",
        "amount",
        "currency",
        "status",
        "speed_requested",
        "source",
        "requested_by",
        "created_at",
    ]
    list_filter = ["status", "speed_requested", "source"]
    search_fields = [
        "id",
        "razorpay_refund_id",
        "payment__id",
        "payment__razorpay_payment_id",
        "payment__external_ref",
    ]
    list_select_related = ["payment"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
