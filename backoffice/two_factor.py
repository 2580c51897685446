"""Staff accounts fit for money: two-factor devices (TOTP, recovery codes), sessions, lockouts.
Each change of access is written to the audit trail once, with who did it."""

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import Action
from audit.services import audit_record
from payments_service.clock import now

# Whoever holds one of these (or is a superuser) can move money or manage keys: with
# STAFF_2FA_REQUIRED they must sign in with a second factor.
MONEY_PERMISSIONS = (
    "payments.refund_payment",
    "payments.capture_payment",
    "payments.sync_payment",
    "payments.reconcile_payments",
    "webhooks.reprocess_webhookevent",
    "clients.change_clientapp",
)
RECOVERY_CODES = 10


def moves_money(user) -> bool:
    return user.is_superuser or any(user.has_perm(name) for name in MONEY_PERMISSIONS)


def two_factor_required(user) -> bool:
    """Whether this signed-in staff member must be verified by a second factor."""
    return bool(settings.STAFF_2FA_REQUIRED) and user.is_staff and moves_money(user)


def has_device(user) -> bool:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()


def totp_device_pending(*, user: User) -> TOTPDevice:
    """The device being enrolled (unconfirmed until the user types a code from it): the same
    one across page loads, so the QR code scanned stays the one checked."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


def totp_enrol(*, device: TOTPDevice, actor: str, via: str) -> list[str]:
    """Confirms `device` as the user's only authenticator, issues fresh recovery codes (shown
    once) and records it. Earlier devices and codes stop working."""
    user = device.user
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _recovery_codes_issue(user)
        _audit_user(
            actor,
            via,
            Action.TOTP_ENROL,
            user.get_username(),
            detail=f"authenticator enrolled, {len(codes)} recovery codes issued",
        )
    return codes


def _recovery_codes_issue(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="recovery codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def two_factor_reset(*, user: User, actor: str, via: str, reason: str = "") -> None:
    """Removes the user's authenticator and recovery codes (a lost phone) and ends their
    sessions: with STAFF_2FA_REQUIRED their next sign-in leads to enrolment again."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        ended = _sessions_end(user)
        _audit_user(
            actor,
            via,
            Action.TOTP_RESET,
            user.get_username(),
            reason=reason,
            detail=f"devices removed, {ended} session(s) ended",
        )


def sessions_end(*, user: User, actor: str, via: str, reason: str = "") -> int:
    """Logs the user out everywhere: every session of theirs is deleted."""
    with transaction.atomic():
        ended = _sessions_end(user)
        _audit_user(
            actor,
            via,
            Action.SESSIONS_END,
            user.get_username(),
            reason=reason,
            detail=f"{ended} session(s) ended",
        )
    return ended


def _sessions_end(user: User) -> int:
    # Sessions store the user's id inside their signed data: staff sessions are few.
    mine = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=now()).iterator()
        if session.get_decoded().get("_auth_user_id") == str(user.pk)
    ]
    Session.objects.filter(pk__in=mine).delete()
    return len(mine)


def lockout_lift(*, username: str, actor: str, via: str, reason: str = "") -> int:
    """Lets a locked-out account sign in again (its failed attempts are forgotten)."""
    from axes.utils import reset

    with transaction.atomic():
        lifted = reset(username=username)
        _audit_user(
            actor,
            via,
            Action.LOCKOUT_LIFT,
            username,
            reason=reason,
            detail=f"{lifted} attempt record(s) cleared",
        )
    return lifted


def _audit_user(actor: str, via: str, action: str, username: str, **entry) -> None:
    """Records a change of `username`'s access (`entry`: reason, detail)."""
    audit_record(
        actor=actor, via=via, action=action, object_type="user", object_id=username, **entry
    )


def qr_svg(uri: str) -> str:
    """The provisioning URI as an inline SVG QR code (segno: no image library needed)."""
    import segno

    return segno.make(uri, error="m").svg_inline(scale=5, border=2)
