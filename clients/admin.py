"""Client apps in the back office: creating one shows its key once; rotate and revoke."""

from datetime import timedelta

from django.contrib import admin, messages

from audit.models import Action
from audit.services import audit_by_staff
from payments_service.admin import ReadOnlyAdmin, ReadOnlyInline, TimesInUtc

from .auth import forget_checked_keys
from .models import ApiKey, ClientApp, IdempotencyKey
from .services import api_key_issue, api_key_revoke_all, api_key_rotate


class ApiKeyInline(ReadOnlyInline):
    model = ApiKey
    fields = ["prefix", "created_at", "expires_at", "revoked_at"]


@admin.register(ClientApp)
class ClientAppAdmin(TimesInUtc, admin.ModelAdmin):
    list_display = ["name", "id", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "id"]
    readonly_fields = ["id", "created_at"]
    inlines = [ApiKeyInline]
    actions = ["rotate_keys", "revoke_keys"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change:  # e.g. deactivated: its keys stop working (other processes: within seconds)
            forget_checked_keys()
            changed = ", ".join(f"{name}={form.cleaned_data[name]}" for name in form.changed_data)
            _audit(request, Action.CLIENT_APP_CHANGE, obj, changed or "nothing changed")
        else:
            key = api_key_issue(client_app=obj)
            _audit(request, Action.CLIENT_APP_CREATE, obj, f"key {key[:12]}… issued")
            self._show_key_once(request, obj, key)

    @admin.action(
        description="Rotate API key (old keys work 24 more hours)", permissions=["change"]
    )
    def rotate_keys(self, request, queryset):
        for app in queryset:
            key = api_key_rotate(client_app=app, grace=timedelta(1))
            _audit(request, Action.API_KEY_ROTATE, app, f"key {key[:12]}… issued; old keys 24 h")
            self._show_key_once(request, app, key)

    @admin.action(description="Revoke every API key now", permissions=["change"])
    def revoke_keys(self, request, queryset):
        revoked = 0
        for app in queryset:
            count = api_key_revoke_all(client_app=app)
            _audit(request, Action.API_KEY_REVOKE, app, f"{count} key(s) revoked")
            revoked += count
        self.message_user(request, f"Revoked {revoked} key(s).", messages.WARNING)

    def _show_key_once(self, request, app, key):
        self.message_user(
            request,
            f"New API key for {app.name}: {key} — copy it now, it is not shown again.",
            messages.SUCCESS,
        )


def _audit(request, action: str, app: ClientApp, detail: str) -> None:
    audit_by_staff(
        request,
        action=action,
        object_type="client_app",
        object_id=app.pk,
        detail=f"{app.name}: {detail}",
    )


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(ReadOnlyAdmin):
    """Read-only: what each key answered, for support to explain a replay or a 409/422."""

    list_display = ["key", "operation", "client_app", "status", "response_status", "created_at"]
    list_filter = ["status", "operation", "client_app"]
    search_fields = ["=key", "operation"]
    date_hierarchy = "created_at"
    list_select_related = ["client_app"]
