"""Staff accounts fit for money: TOTP enrolment and sign-in, recovery codes, lockout after
repeated failures (lifted by a superuser), log out everywhere, and, with STAFF_2FA_REQUIRED
(production's default), no money page for anyone who can move money without a second factor."""

import io
import time

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client, override_settings
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from audit.models import AuditEntry
from backoffice.tests.conftest import staff, staff_user
from backoffice.tests.test_roles import run_action
from refunds.models import Refund

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"
ENROL = "/admin/auth/user/two-factor/"
USERS = "/admin/auth/user/"
ATTEMPTS = "/admin/axes/accessattempt/"


def code(device: TOTPDevice, ahead: int = 0) -> str:
    """The code the user's app shows now (`ahead` steps later: a code not yet used)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + ahead * device.step
    return f"{totp.token():06d}"


def sign_in(client: Client, username: str, password: str = "pw", otp_token: str = ""):
    sent = {"username": username, "password": password, "otp_token": otp_token, "next": "/admin/"}
    return client.post(LOGIN, sent)


def signed_in(client: Client) -> bool:
    return client.get("/admin/").status_code == 200


def enrol(client: Client) -> tuple[TOTPDevice, list[str]]:
    """Through the enrolment page, as a staff member does it."""
    page = client.get(ENROL)
    assert page.status_code == 200 and b"<svg" in page.content
    device = TOTPDevice.objects.get(confirmed=False)
    assert page.context["secret"] in page.content.decode()
    done = client.post(ENROL, {"code": code(device)})
    assert done.status_code == 200
    return TOTPDevice.objects.get(pk=device.pk), done.context["codes"]


# --- enrolment and sign-in ------------------------------------------------------------------


def test_a_wrong_code_does_not_enrol():
    client = staff("fiona", "finance")
    client.get(ENROL)
    device = TOTPDevice.objects.get()
    wrong = f"{(int(code(device)) + 1) % 1_000_000:06d}"
    assert b"Not the code" in client.post(ENROL, {"code": wrong}).content
    assert not TOTPDevice.objects.filter(confirmed=True).exists()


def test_enrolment_confirms_the_device_gives_recovery_codes_and_is_audited():
    client = staff("fiona", "finance")
    device, codes = enrol(client)
    assert device.confirmed and len(codes) == 10
    assert StaticDevice.objects.get(user=device.user).token_set.count() == 10
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action, entry.object_id) == ("fiona", "totp.enrol", "fiona")


def test_once_enrolled_a_password_alone_no_longer_signs_in_but_the_code_does():
    device, codes = enrol(staff("fiona", "finance"))

    alone = Client()
    assert b"Enter the code" in sign_in(alone, "fiona").content
    assert not signed_in(alone)

    with_code = Client()
    assert sign_in(with_code, "fiona", otp_token=code(device, ahead=1)).status_code == 302
    assert signed_in(with_code)

    recovery = Client()
    assert sign_in(recovery, "fiona", otp_token=codes[0]).status_code == 302
    assert signed_in(recovery)
    again = Client()
    assert b"Enter the code" in sign_in(again, "fiona", otp_token=codes[0]).content  # once only


def test_without_a_device_a_password_signs_in_as_in_development():
    staff_user("sam", "support")
    client = Client()
    assert sign_in(client, "sam").status_code == 302
    assert signed_in(client)


def test_enrol_totp_command_prints_the_uri_a_terminal_qr_and_recovery_codes():
    User.objects.create_superuser("root", password="pw")
    out = io.StringIO()
    call_command("enrol_totp", "root", "--requested-by", "bootstrap", stdout=out)
    shown = out.getvalue()
    device = TOTPDevice.objects.get(user__username="root", confirmed=True)
    assert device.config_url in shown and shown.count("otpauth://totp/") == 1
    assert "█" in shown or "▀" in shown  # the QR code, as terminal blocks
    for token in StaticDevice.objects.get(user=device.user).token_set.all():
        assert token.token in shown
    assert AuditEntry.objects.get().actor == "bootstrap"
    client = Client()
    assert sign_in(client, "root", otp_token=code(device)).status_code == 302


# --- lockout ----------------------------------------------------------------------------------


def test_repeated_wrong_passwords_lock_the_account_until_a_superuser_lifts_it(
    settings, admin_client
):
    settings.AXES_FAILURE_LIMIT = 3
    staff_user("fiona", "finance", password="right")
    for _ in range(3):
        sign_in(Client(), "fiona", password="wrong")

    locked = sign_in(Client(), "fiona", password="right")
    assert locked.status_code == 429 and b"Account locked" in locked.content

    listed = admin_client.get(ATTEMPTS)
    assert listed.status_code == 200 and b"fiona" in listed.content
    pk = listed.context["cl"].result_list[0].pk
    run_action(admin_client, ATTEMPTS, "lift_lockout", pk)
    entry = AuditEntry.objects.get(action="lockout.lift")
    assert (entry.actor, entry.object_id) == ("admin", "fiona")

    client = Client()
    assert sign_in(client, "fiona", password="right").status_code == 302
    assert signed_in(client)


def test_wrong_two_factor_codes_count_towards_the_lockout(settings):
    settings.AXES_FAILURE_LIMIT = 2
    enrol(staff("fiona", "finance"))
    for _ in range(2):
        sign_in(Client(), "fiona", otp_token="000000")
    assert sign_in(Client(), "fiona").status_code == 429


def test_only_superusers_see_lockouts(finance, support):
    assert finance.get(ATTEMPTS).status_code == 403
    assert support.get(ATTEMPTS).status_code == 403


# --- sessions ---------------------------------------------------------------------------------


def test_staff_sessions_last_staff_session_hours(settings):
    assert settings.SESSION_COOKIE_AGE == settings.STAFF_SESSION_HOURS * 3600 == 8 * 3600


def test_log_out_everywhere_ends_every_session_of_that_user_and_is_audited(admin_client):
    fiona = staff_user("fiona", "finance")
    laptop, phone = Client(), Client()
    laptop.force_login(fiona)
    phone.force_login(fiona)
    other = staff("sam", "support")

    run_action(admin_client, USERS, "log_out_everywhere", fiona.pk)

    assert not signed_in(laptop) and not signed_in(phone)
    assert signed_in(other)
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.object_id, entry.detail) == (
        "sessions.end",
        "fiona",
        "2 session(s) ended",
    )


def test_reset_two_factor_removes_the_devices_and_signs_out(admin_client):
    enrol(staff("fiona", "finance"))
    fiona = User.objects.get(username="fiona")
    run_action(admin_client, USERS, "reset_two_factor", fiona.pk)
    assert not TOTPDevice.objects.exists() and not StaticDevice.objects.exists()
    assert AuditEntry.objects.filter(action="totp.reset", actor="admin").count() == 1
    client = Client()
    assert sign_in(client, "fiona").status_code == 302  # a password again, then enrolment


def test_only_superusers_may_log_others_out_or_reset_their_two_factor(finance):
    fiona = User.objects.get(username="fiona")
    fiona.user_permissions.add(*_perms("view_user", "change_user"))
    for action in ("log_out_everywhere", "reset_two_factor"):
        run_action(finance, USERS, action, fiona.pk)
    assert not AuditEntry.objects.exists()
    assert signed_in(finance)


def _perms(*codenames):
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(content_type__app_label="auth", codename__in=codenames)


# --- with STAFF_2FA_REQUIRED (production) -----------------------------------------------------

MONEY_PAGES = [
    "/admin/",
    "/admin/payments/payment/",
    "/admin/payments/payment/reconcile/",
    "/admin/payments/payment/export.csv",
    "/admin/refunds/refund/",
    "/admin/webhooks/webhookevent/",
    "/admin/clients/clientapp/",
    "/admin/audit/auditentry/",
]


@override_settings(STAFF_2FA_REQUIRED=True)
def test_finance_without_a_device_reaches_no_money_page_only_enrolment(finance, paid):
    for url in [*MONEY_PAGES, f"/admin/payments/payment/{paid.pk}/change/"]:
        response = finance.get(url)
        assert (response.status_code, response.get("Location")) == (302, ENROL), url
    for action, typed in [
        ("refund", {"amount": "1.00", "reason": "r"}),
        ("capture", {"reason": "r"}),
        ("sync_from_razorpay", {"reason": "r"}),
    ]:
        posted = finance.post(
            "/admin/payments/payment/",
            {"action": action, "_selected_action": [paid.pk], "confirm": "yes", "token": "t" * 32}
            | typed,
        )
        assert (posted.status_code, posted["Location"]) == (302, ENROL), action
    assert finance.post("/admin/payments/payment/reconcile/", {"fix": "1"})["Location"] == ENROL
    assert not Refund.objects.exists() and not AuditEntry.objects.exists()

    enrol(finance)
    assert finance.get("/admin/payments/payment/").status_code == 200


@override_settings(STAFF_2FA_REQUIRED=True)
def test_a_superuser_without_a_device_is_sent_to_enrol_too(admin_client):
    assert admin_client.get("/admin/auth/user/")["Location"] == ENROL


@override_settings(STAFF_2FA_REQUIRED=True)
def test_support_who_cannot_move_money_is_not_forced_to_enrol(support):
    assert support.get("/admin/payments/payment/").status_code == 200


@override_settings(STAFF_2FA_REQUIRED=True)
def test_a_session_from_before_the_device_must_sign_in_again_with_the_code(finance):
    fiona = User.objects.get(username="fiona")
    other_browser = Client()
    other_browser.force_login(fiona)  # signed in with a password, before enrolling
    enrol(finance)
    response = other_browser.get("/admin/payments/payment/")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert not signed_in(other_browser)


@override_settings(STAFF_2FA_REQUIRED=True)
def test_the_api_is_untouched_by_the_admins_two_factor(api):
    assert api.get("/payments").status_code == 200
    assert APIClient().get("/healthz").status_code == 200
