from django.contrib import admin

from payments_service.admin import ReadOnlyAdmin

from .models import Event


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    """What each client app was told, in feed order."""

    list_display = ["id", "type", "client_app", "object_id", "actor", "created_at"]
    list_filter = ["type", "client_app", "actor", "created_at"]
    search_fields = ["=object_id"]
    list_select_related = ["client_app"]
    show_full_result_count = False
    readonly_fields = ["id", "type", "client_app", "object_id", "actor", "data", "created_at"]
    fields = readonly_fields
