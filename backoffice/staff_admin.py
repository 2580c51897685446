"""Staff accounts in the back office: the sign-in with a second factor, enrolment (a QR code and
recovery codes), "log out everywhere", two-factor reset and lockouts (django-axes' access
attempts, lifted by a superuser). Every change of access is written to the audit trail."""

from base64 import b32encode

import django_otp
from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.template.response import TemplateResponse
from django.utils.safestring import mark_safe
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import Via
from payments_service.admin import TimesInUtc, admin_page

from .two_factor import (
    has_device,
    lockout_lift,
    qr_svg,
    sessions_end,
    totp_device_pending,
    totp_enrol,
    two_factor_required,
    two_factor_reset,
)


class StaffAuthenticationForm(AdminAuthenticationForm):
    """The admin's sign-in; once a user has an authenticator, its current code (or one of the
    recovery codes) is needed too. A wrong code counts as a failed sign-in towards lockout."""

    otp_token = forms.CharField(
        required=False,
        label="Two-factor code",
        help_text="The 6 digits your authenticator app shows (or a recovery code), once you "
        "have set one up.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autocapitalize": "off"}),
    )

    def clean(self):
        cleaned = super().clean()
        user = self.get_user()
        if user is not None and has_device(user):
            device = _verified_device(user, "".join(cleaned.get("otp_token", "").split()))
            if device is None:
                user_login_failed.send(
                    sender=type(self),
                    credentials={"username": user.get_username()},
                    request=self.request,
                )
                raise forms.ValidationError(
                    "Enter the code your authenticator app shows now (or a recovery code).",
                    code="invalid_token",
                )
            user.otp_device = device  # django-otp marks the new session verified by it
        return cleaned


def _verified_device(user, token: str):
    """The device that accepts `token`: six digits are a TOTP code, anything else a recovery
    code (only that kind is tried, so a typo never throttles the other)."""
    if not token:
        return None
    model = TOTPDevice if token.isdigit() and len(token) == 6 else StaticDevice
    with transaction.atomic():
        for device in model.objects.devices_for_user(user, confirmed=True).select_for_update():
            if device.verify_is_allowed()[0] and device.verify_token(token):
                return device
    return None


admin.site.login_form = StaffAuthenticationForm
admin.site.login_template = "backoffice/login.html"


class CodeForm(forms.Form):
    code = forms.CharField(
        max_length=6,
        label="Code from the app",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(TimesInUtc, UserAdmin):
    list_display = [*UserAdmin.list_display, "two_factor"]
    actions = ["log_out_everywhere", "reset_two_factor"]

    def has_superuser_permission(self, request) -> bool:
        return request.user.is_superuser

    @admin.display(description="two-factor", boolean=True)
    def two_factor(self, user: User) -> bool:
        return has_device(user)

    @admin.action(description="Log out everywhere", permissions=["superuser"])
    def log_out_everywhere(self, request, queryset):
        for user in queryset:
            ended = sessions_end(user=user, actor=request.user.get_username(), via=Via.ADMIN)
            self.message_user(request, f"User {user.get_username()}: {ended} session(s) ended.")

    @admin.action(description="Reset two-factor (a lost device)", permissions=["superuser"])
    def reset_two_factor(self, request, queryset):
        for user in queryset:
            two_factor_reset(user=user, actor=request.user.get_username(), via=Via.ADMIN)
            self.message_user(
                request,
                f"User {user.get_username()}: authenticator and recovery codes removed, signed out;"
                " they enrol again at their next sign-in.",
                messages.WARNING,
            )

    def get_urls(self):
        enrol = admin_page(self, "two-factor/", self.enrol_view, "two_factor_enrol")
        return [enrol, *super().get_urls()]

    def enrol_view(self, request):
        """Any staff member sets up their own authenticator: scan, type a code, get recovery
        codes. The code proves the app holds the secret before the device counts."""
        user = request.user
        device = totp_device_pending(user=user)
        form = CodeForm(request.POST or None)
        context = {**self.admin_site.each_context(request), "title": "Two-factor sign-in"}
        if request.method == "POST" and form.is_valid():
            if device.verify_token(form.cleaned_data["code"].strip()):
                codes = totp_enrol(device=device, actor=user.get_username(), via=Via.ADMIN)
                django_otp.login(request, device)
                context["codes"] = codes
                return TemplateResponse(request, "backoffice/two_factor_enrol.html", context)
            form.add_error("code", "Not the code the app shows now; type the current one.")
        context.update(
            form=form,
            # segno draws the URI as modules; no text of it reaches the markup
            qr=mark_safe(qr_svg(device.config_url)),  # noqa: S308
            secret=b32encode(device.bin_key).decode(),
            required=two_factor_required(user),
            enrolled=has_device(user),
        )
        return TemplateResponse(request, "backoffice/two_factor_enrol.html", context)


# Devices change only through enrolment, the command and the reset above (all audited).
admin.site.unregister(TOTPDevice)
admin.site.unregister(StaticDevice)
admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class LockoutAdmin(TimesInUtc, AccessAttemptAdmin):
    """Failed sign-ins per account, for superusers; lifting a lockout is audited (deleting the
    rows by hand, which would lift it unrecorded, is not offered)."""

    list_display = ["username", "locked", "failures_since_start", "ip_address", "attempt_time"]
    actions = ["lift_lockout"]

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    def has_module_permission(self, request) -> bool:
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="locked", boolean=True)
    def locked(self, attempt: AccessAttempt) -> bool:
        return attempt.failures_since_start >= settings.AXES_FAILURE_LIMIT

    @admin.action(description="Lift the lockout", permissions=["view"])
    def lift_lockout(self, request, queryset):
        for username in sorted(set(queryset.values_list("username", flat=True))):
            lockout_lift(username=username, actor=request.user.get_username(), via=Via.ADMIN)
            self.message_user(request, f"User {username}: may sign in again.")
