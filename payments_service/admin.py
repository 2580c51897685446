"""The admin's shared base: each app registers its own models (client apps: `clients.admin`).
Every admin page shows a status as a badge and a time as `when` does."""

import functools
from datetime import UTC
from urllib.parse import urlencode

from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

_BADGE = {
    "created": "#6c757d",
    "pending": "#6c757d",
    "awaiting_approval": "#b9770e",
    "failed": "#c0392b",
    "disabled": "#c0392b",
    "authorized": "#d68910",
    "captured": "#1e8449",
    "processed": "#1e8449",
    "delivered": "#1e8449",
    "enabled": "#1e8449",
    "partially_refunded": "#2874a6",
    "refunded": "#5b2c6f",
    "ignored": "#7f8c8d",
}


def badge(status: str):
    colour = _BADGE.get(status, "#34495e")
    return format_html(
        '<span style="background:{};color:#fff;padding:2px 8px;border-radius:10px;'
        'font-size:11px;white-space:nowrap">{}</span>',
        colour,
        status.replace("_", " "),
    )


def utc_text(value) -> str:
    """`2026-12-01T09:30:00Z`: a time as text (a message, a CSV-free line), ISO 8601 in UTC."""
    return f"{value.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"


@admin.display(description="status", ordering="status")
def status_column(model_admin, obj):
    """A ModelAdmin's status column (`status_badge = status_column`): the status as a badge."""
    return badge(obj.status)


def when(value):
    """A time as every admin page shows it: ISO 8601 in UTC to the second, the same instant
    in the reader's own time zone as its tooltip (local_time.js sets it in the browser; the
    server's TIME_ZONE until then)."""
    if value is None:
        return "—"
    utc = value.astimezone(UTC)
    local = timezone.localtime(value)
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        utc.isoformat(),
        f"{local:%Y-%m-%d %H:%M:%S} {local.tzname()}",
        utc_text(utc),
    )


# Whose id it is, by its prefix: our own open their page, Razorpay's a search of ours.
_PAGES = {
    "pmt": "admin:payments_payment_change",
    "rfd": "admin:refunds_refund_change",
    "dsp": "admin:disputes_dispute_change",
    "app": "admin:clients_clientapp_change",
    "we": "admin:notifications_webhookendpoint_change",
}
_SEARCHES = {
    "pay": "admin:payments_payment_changelist",
    "order": "admin:payments_payment_changelist",
    "rfnd": "admin:refunds_refund_changelist",
}


def admin_page(model_admin, route: str, view, name: str):
    """A page of `model_admin`'s own (its get_urls), behind the admin's sign-in and checks."""
    return path(route, model_admin.admin_site.admin_view(view), name=name)


def holds(permission: str):
    """A ModelAdmin's `has_<name>_permission` (an action's, a page's): the user holds it."""

    def check(self, request, obj=None) -> bool:
        return request.user.has_perm(permission)

    return check


def id_column(attribute: str, description: str):
    """A list column showing the id held in `attribute` (e.g. `payment_id`) as a link."""

    def column(obj):
        return id_link(getattr(obj, attribute))

    column.__name__ = attribute
    return admin.display(description=description, ordering=attribute)(column)


def id_link(value):
    """An id as a link to what it names (`pmt_…` its payment's page, Razorpay's `pay_…` the
    payments found by it); anything else as it is."""
    if not value:
        return "—"
    prefix = str(value).partition("_")[0]
    if prefix in _PAGES:
        url = reverse(_PAGES[prefix], args=[value])
    elif prefix in _SEARCHES:
        url = reverse(_SEARCHES[prefix]) + "?" + urlencode({"q": value})
    else:
        return value
    return format_html('<a href="{}">{}</a>', url, value)


@functools.cache
def _time_column(model, name):
    """The model's date-time field `name` as a column shown by `when`; anything else as is."""
    if not isinstance(name, str):
        return name
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return name
    if not isinstance(field, models.DateTimeField):
        return name

    def column(obj):
        return when(getattr(obj, name))

    column.__name__ = name  # the cell's CSS class, as for the field itself
    return admin.display(description=field.verbose_name, ordering=name)(column)


class TimesInUtc:
    """Shows every date-time field, in the list and on the object's page, through `when`
    (Django's own display is localised text in the server's time zone)."""

    class Media:
        js = ["payments_service/local_time.js"]

    def get_list_display(self, request):
        return [_time_column(self.model, name) for name in super().get_list_display(request)]

    def get_readonly_fields(self, request, obj=None):
        names = super().get_readonly_fields(request, obj)
        return [_time_column(self.model, name) for name in names]

    def get_fieldsets(self, request, obj=None):
        return [
            (title, {**options, "fields": [_time_column(self.model, n) for n in options["fields"]]})
            for title, options in super().get_fieldsets(request, obj)
        ]


class ReadOnlyInline(TimesInUtc, admin.TabularInline):
    """Rows shown under their parent (a client app's keys, a delivery's attempts), never added,
    edited or deleted there: every field in `fields` is read-only."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return [_time_column(self.model, name) for name in self.fields]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyAdmin(TimesInUtc, admin.ModelAdmin):
    """Records staff may look at but never add, edit or delete by hand: money and audit
    trails change only through the service functions (the admins' actions call them)."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
