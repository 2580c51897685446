"""Refunds one payment from the command line, after showing what it will do and asking."""

import sys
import uuid

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from audit.commands import add_requested_by, command_actor
from audit.models import Action, Via
from audit.services import audit_record
from payments.currencies import money as currency_money
from payments.models import Source
from payments.selectors import payment_find
from payments_service.errors import ServiceError
from refunds import selectors, services
from refunds.errors import RefundAlreadyRequested
from refunds.models import SPEED_HELP, RefundSpeed, RefundStatus


def money(amount: int, currency: str) -> str:
    """`₹1,499.00 (149900 paise)`: as the back office shows it, and what --amount takes."""
    unit = "paise" if currency == "INR" else "minor units"
    return f"{currency_money(amount, currency)} ({amount} {unit})"


class Command(BaseCommand):
    help = "Refund a captured payment: all that is left, or --amount paise. Asks first."
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument(
            "payment", help="our payment id or a Razorpay payment id; with --app, its externalRef"
        )
        parser.add_argument("--app", help="the client app's name")
        parser.add_argument(
            "--amount", type=int, help="in paise (minor units); default: all that is left"
        )
        parser.add_argument("--reason", default="")
        parser.add_argument(
            "--speed", choices=RefundSpeed.values, default=RefundSpeed.NORMAL, help=SPEED_HELP
        )
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
        parser.add_argument(
            "--idempotency-key",
            help="makes the refund once per key: re-run with the key printed by a run that "
            "crashed or lost its answer, and it resumes that refund instead of making another "
            "(default: a new key, printed)",
        )
        add_requested_by(parser)

    def handle(self, *args, payment, app, amount, reason, speed, yes, idempotency_key, **options):
        self.actor = command_actor(options.get("requested_by"))
        found = payment_find(reference=payment, app_name=app)
        if found is None:
            where = f" of app {app!r}" if app else ""
            raise CommandError(f"No payment{where} with id, Razorpay id or reference {payment!r}.")
        if amount is not None and amount < 1:
            raise CommandError("--amount must be a positive number of paise.")
        if len(reason) > 255:
            raise CommandError("--reason must be at most 255 characters.")
        asked = amount  # what the key's fingerprint covers; None is resolved under the lock
        try:
            amount = services.refund_amount_check(payment=found, amount=asked)
        except ServiceError as exc:
            if not idempotency_key:
                raise CommandError(exc.detail) from exc
            # A re-run with a key: its own refund, reserved before a crash, may be what the
            # preview counts; the keyed call resumes it, or gives this same answer.
            self._refund(found, idempotency_key, asked, reason, speed)
            return

        self._check_requester(found, amount, options.get("requested_by"))
        reserved = selectors.refund_reserved_amount(payment=found)
        currency = found.currency
        self.stdout.write(
            f"Payment {found.id} of {found.client_app.name} (externalRef "
            f"{found.external_ref}, Razorpay {found.razorpay_payment_id}): {found.status}\n"
            f"  amount      {money(found.amount, currency)}\n"
            f"  refunded    {money(found.amount_refunded, currency)}, "
            f"pending or processed {money(reserved, currency)}\n"
            f"  refundable  {money(found.amount - reserved, currency)}\n"
            f"Refund {money(amount, currency)} at {speed} speed"
            + (f", reason: {reason}" if reason else "")
        )
        if not yes:
            self.stdout.write("Proceed? [y/N] ", ending="")
            self.stdout.flush()
            stdin = options.get("stdin") or sys.stdin
            answer = stdin.readline().strip().lower()
            if not stdin.isatty():  # nobody typed Enter: end the prompt's line
                self.stdout.write("")
            if answer not in ("y", "yes"):
                raise CommandError("Aborted: nothing was refunded.")
        self._refund(found, idempotency_key or uuid.uuid4().hex, asked, reason, speed)

    def _check_requester(self, found, amount: int, requested_by: str | None) -> None:
        """Above `REFUND_APPROVAL_THRESHOLD` a second finance user approves the refund in the
        admin, never the one who asked: so who asked must be named, as a staff user."""
        if not services.refund_needs_approval(payment=found, amount=amount, source=Source.COMMAND):
            return
        threshold = services.refund_approval_threshold(payment=found, source=Source.COMMAND)
        above = f"above the approval threshold of {money(threshold, found.currency)}"
        if not (requested_by or "").strip():
            raise CommandError(
                f"This refund is {above}: name the staff user who asks for it with "
                "--requested-by USER (another finance user approves it in the admin)."
            )
        users = get_user_model().objects.filter(is_staff=True, is_active=True)
        if not users.filter(username=self.actor).exists():
            raise CommandError(
                f"This refund is {above}: --requested-by must name an active staff user "
                f"(not {self.actor!r}), so that they cannot approve it themselves."
            )

    def _refund(self, found, key: str, amount: int | None, reason: str, speed: str) -> None:
        currency = found.currency
        self.stdout.write(f"Idempotency key {key} (after a crash, re-run with --idempotency-key)")
        self.stdout.flush()
        try:
            refund = services.refund_create_keyed(
                key=key,
                payment=found,
                amount=amount,
                reason=reason,
                speed=speed,
                requested_by=f"command:{self.actor}",
                source=Source.COMMAND,
            )
        except RefundAlreadyRequested as exc:
            self.stdout.write(exc.detail)
            return
        except ServiceError as exc:
            raise CommandError(f"Not refunded ({exc.code}): {exc.detail}") from exc
        audit_record(
            actor=self.actor,
            via=Via.COMMAND,
            action=Action.PAYMENT_REFUND,
            object_type="payment",
            object_id=found.id,
            reason=reason,
            detail=f"refund {refund.id} {money(refund.amount, currency)} {refund.status}",
        )
        if refund.status == RefundStatus.AWAITING_APPROVAL:
            self.stdout.write(
                f"Refund {refund.id}: awaiting approval, {money(refund.amount, currency)}: "
                "another finance user approves or rejects it in the admin (Refunds awaiting "
                f"approval) by {refund.approval_expires_at:%Y-%m-%d %H:%M} UTC; nothing is "
                "sent to Razorpay until then."
            )
            return
        self.stdout.write(
            f"Refund {refund.id}: {refund.status}, {money(refund.amount, currency)}, "
            f"Razorpay {refund.razorpay_refund_id or '(not yet known; sync_refunds settles it)'}"
        )
