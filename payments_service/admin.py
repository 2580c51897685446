"""The admin's shared base: each app registers its own models (client apps: `clients.admin`)."""

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records staff may look at but never add, edit or delete by hand: money and audit
    trails change only through the service functions (the admins' actions call them)."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
