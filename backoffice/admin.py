"""Payments in the back office: find, audit, act. Money is never edited by hand: every action
goes through the same service functions as the API, and is logged with who and why."""

import uuid
from datetime import datetime, time, timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from audit.models import Action, AuditEntry
from audit.selectors import audit_entries_for
from audit.services import audit_by_staff
from notifications.models import Event
from payments import services as payment_services
from payments.currencies import money, to_minor_units
from payments.models import Payment, PaymentStatus, Source
from payments_service.admin import (
    ReadOnlyAdmin,
    admin_page,
    badge,
    holds,
    id_column,
    id_link,
    status_column,
    utc_text,
    when,
)
from payments_service.clock import now
from payments_service.errors import ServiceError
from payments_service.pii import mask_email, mask_phone
from refunds import services as refund_services
from refunds.models import SPEED_HELP, Refund, RefundAwaitingApproval, RefundSpeed, RefundStatus
from webhooks.models import WebhookEvent

from .chores import CHORES, chore_run_now, reconcile_task
from .columns import money_column
from .csv_export import CsvExportMixin
from .models import Chore, ReconciliationReport


class RefundForm(forms.Form):
    amount = forms.CharField(
        required=False,
        help_text="In currency units, e.g. 150.50. Empty: everything still refundable.",
    )
    reason = forms.CharField(max_length=255, help_text="Why: kept with the refund and the log.")
    speed = forms.ChoiceField(
        choices=RefundSpeed.choices,
        initial=RefundSpeed.NORMAL,
        required=False,
        help_text=SPEED_HELP,
    )
    override_dispute = forms.BooleanField(
        required=False,
        label="Refund although a dispute is open",
        help_text="Finance's explicit override: the open dispute may still take the money back.",
    )
    # One per rendered form: submitting it twice (a double click, a resent POST) refunds once.
    token = forms.CharField(
        max_length=64, widget=forms.HiddenInput, initial=lambda: uuid.uuid4().hex
    )

    def clean_speed(self) -> str:
        return self.cleaned_data["speed"] or RefundSpeed.NORMAL  # as the API's default

    def clean_amount(self) -> int | None:
        text = self.cleaned_data["amount"].strip()
        if not text:
            return None
        try:
            return to_minor_units(text)
        except (ValueError, ArithmeticError) as exc:
            raise forms.ValidationError(f"Enter {exc}.") from None


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=255, help_text="Why: kept in the payment's log.")


class WindowForm(forms.Form):
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))


def _start_of(day):
    return timezone.make_aware(datetime.combine(day, time.min)) if day else None


_ATTEMPT_LOOKUPS = {"attempts__status", "attempts__error_reason"}
_REFUNDABLE = {PaymentStatus.CAPTURED, PaymentStatus.PARTIALLY_REFUNDED}
# Posted by a button on an object's own page and carried through its confirmation: once done,
# back to that page rather than the list.
FROM_PAGE = "_from_page"


class ConfirmedActions:
    """Admin actions that move money: a confirmation page listing the objects and asking why,
    then the service for each object, its outcome (or refusal) told in a message naming it.
    Run from an object's own page, the action goes back to that page."""

    confirm_noun: str  # how messages name an object: "Payment pmt_…"
    confirm_columns: list  # the page's (header, cell of an object) pairs
    confirm_empty: str  # the page's text when none of the selected objects qualifies

    def run_confirmed(self, request, queryset, *, action, title, form_class, perform):
        """`perform(obj, form)` for each object once the form is valid; it answers what the
        message says after the object's id."""
        form = form_class(request.POST if "confirm" in request.POST else None)
        if not form.is_bound or not form.is_valid():
            return self._confirmation_page(request, queryset, action, title, form)
        for obj in queryset:
            # "Payment …" first: the admin capitalises a message's first letter (`pmt_` stays).
            try:
                self.message_user(request, f"{self.confirm_noun} {obj.pk}: {perform(obj, form)}")
            except ServiceError as exc:
                self.message_user(
                    request, f"{self.confirm_noun} {obj.pk}: {exc.detail}", messages.ERROR
                )
        if FROM_PAGE not in request.POST or len(queryset) != 1:
            return None
        opts = self.model._meta
        return redirect(f"admin:{opts.app_label}_{opts.model_name}_change", queryset[0].pk)

    def _confirmation_page(self, request, objects, action, title, form):
        opts = self.model._meta
        from_page = FROM_PAGE in request.POST
        back = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        rows = [(obj.pk, [cell(obj) for _, cell in self.confirm_columns]) for obj in objects]
        if from_page and len(rows) == 1:
            back = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[rows[0][0]])
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "action": action,
            "form": form,
            "opts": opts,
            "headers": [header for header, _ in self.confirm_columns],
            "rows": rows,
            "empty": self.confirm_empty,
            "back": back,
            "from_page": from_page,
        }
        return TemplateResponse(request, "backoffice/confirm.html", context)


# The home page shows the dashboard above the list of tables (backoffice/dashboard.py).
admin.site.index_template = "backoffice/admin_index.html"


@admin.register(Payment)
class PaymentAdmin(ConfirmedActions, CsvExportMixin, ReadOnlyAdmin):
    # Its actions' confirmation page and messages.
    confirm_noun = "Payment"
    confirm_columns = [
        ("payment", lambda p: id_link(p.id)),
        ("externalRef", lambda p: p.external_ref),
        ("status", lambda p: badge(p.status)),
        ("amount", lambda p: money(p.amount, p.currency)),
        ("refunded", lambda p: money(p.amount_refunded, p.currency)),
    ]
    confirm_empty = "None of the selected payments qualifies."

    # What staff look for first, in a width a 1366 px screen shows whole (the contact is on
    # the payment's page and in the search).
    list_display = [
        "id",
        "status_badge",
        "amount_shown",
        "refunded_shown",
        "external_ref",
        "client_app",
        "email_masked",
        "created_at",
    ]
    list_filter = ["status", "client_app", "currency", "created_at"]
    date_hierarchy = "created_at"
    search_fields = [
        "=id",
        "=external_ref",
        "=razorpay_order_id",
        "=razorpay_payment_id",
        "=attempts__razorpay_payment_id",
        "=email",
        "=contact",
    ]
    list_select_related = ["client_app"]
    show_full_result_count = False
    fieldsets = [
        (None, {"fields": ["id", "status_badge", "client_app", "external_ref"]}),
        ("Money", {"fields": ["amount_shown", "refunded_shown", "currency"]}),
        ("Customer", {"fields": ["email", "contact", "metadata"]}),
        ("Razorpay", {"fields": ["razorpay_order_id", "razorpay_payment_id"]}),
        ("Timeline", {"fields": ["timeline"]}),
        ("Times", {"fields": ["created_at", "updated_at"]}),
    ]
    readonly_fields = [
        "id",
        "status_badge",
        "client_app",
        "external_ref",
        "amount_shown",
        "refunded_shown",
        "currency",
        "email",
        "contact",
        "metadata",
        "razorpay_order_id",
        "razorpay_payment_id",
        "timeline",
        "created_at",
        "updated_at",
    ]
    actions = ["sync_from_razorpay", "capture", "refund", "export_csv"]
    change_form_template = "backoffice/payment_change_form.html"
    csv_columns = [
        "id",
        ("source_app", "client_app__name"),
        "external_ref",
        "status",
        ("amount_minor_units", "amount"),
        ("amount_refunded_minor_units", "amount_refunded"),
        "currency",
        "razorpay_order_id",
        "razorpay_payment_id",
        "created_at",
    ]

    def lookup_allowed(self, lookup, value, request) -> bool:
        # The dashboard's failure reasons link to the payments whose attempts failed so.
        return lookup in _ATTEMPT_LOOKUPS or super().lookup_allowed(lookup, value, request)

    # --- permissions for the actions --------------------------------------------------------
    has_sync_permission = holds("payments.sync_payment")
    has_capture_permission = holds("payments.capture_payment")
    has_refund_permission = holds("payments.refund_payment")

    # --- columns --------------------------------------------------------------------------
    @admin.display(description="status", ordering="status")
    def status_badge(self, payment: Payment):
        if payment.is_disputed:  # an open dispute: its money is in question
            return format_html("{} {}", badge(payment.status), badge("disputed"))
        return badge(payment.status)

    amount_shown = money_column("amount", "amount")
    refunded_shown = money_column("amount_refunded", "refunded", zero="—")

    @admin.display(description="email")
    def email_masked(self, payment: Payment) -> str:
        return mask_email(payment.email)

    @admin.display(description="contact")
    def contact_masked(self, payment: Payment) -> str:
        return mask_phone(payment.contact)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The payment's page, with a button for each list action this user may run on it
        now: it posts to the list's action, so the same confirmation page, form, permission
        check and service run as when it is picked in the list."""
        payment = self.get_object(request, object_id)
        allowed = self.get_actions(request)
        buttons = [
            (action, label)
            for action, label, applies in (
                ("refund", "Refund…", payment is not None and payment.status in _REFUNDABLE),
                ("capture", "Capture…", payment is not None and payment.status == "authorized"),
                ("sync_from_razorpay", "Sync from Razorpay…", payment is not None),
            )
            if applies and action in allowed
        ]
        context = {**(extra_context or {}), "action_buttons": buttons}
        return super().change_view(request, object_id, form_url, extra_context=context)

    @admin.display(description="timeline")
    def timeline(self, payment: Payment):
        rows = sorted(_timeline(payment), key=lambda row: row[0])
        if not rows:
            return "—"
        body = format_html_join(
            "",
            '<tr><td style="white-space:nowrap">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>',
            ((when(at), kind, what, who) for at, kind, what, who in rows),
        )
        return format_html(
            '<table class="timeline"><thead><tr><th>when (UTC)</th><th>what</th>'
            "<th>detail</th><th>by</th></tr></thead><tbody>{}</tbody></table>",
            body,
        )

    # --- actions --------------------------------------------------------------------------
    @admin.action(description="Sync from Razorpay", permissions=["sync"])
    def sync_from_razorpay(self, request, queryset):
        return self._confirmed(request, queryset, "sync_from_razorpay", ReasonForm, _sync)

    @admin.action(description="Capture authorized payments", permissions=["capture"])
    def capture(self, request, queryset):
        authorized = queryset.filter(status=PaymentStatus.AUTHORIZED)
        return self._confirmed(request, authorized, "capture", ReasonForm, _capture)

    @admin.action(description="Refund", permissions=["refund"])
    def refund(self, request, queryset):
        return self._confirmed(request, queryset, "refund", RefundForm, _refund)

    def _confirmed(self, request, queryset, action, form_class, perform):
        """Each payment that `perform(request, payment, form)` acted on is recorded in the
        audit trail, under the staff user with the given reason (the payment's timeline shows
        those same rows)."""
        title = getattr(self, action).short_description

        def audited(payment, form):
            result = perform(request, payment, form)
            audit_by_staff(
                request,
                action=AUDITED[action],
                object_type="payment",
                object_id=payment.id,
                reason=form.cleaned_data["reason"],
                detail=_audit_detail(result),
            )
            return f"{title.lower()} → {_outcome(result)}"

        return self.run_confirmed(
            request, queryset, action=action, title=title, form_class=form_class, perform=audited
        )

    def get_urls(self):
        reconciliation = admin_page(
            self, "reconcile/", self.reconciliation_view, "payments_payment_reconcile"
        )
        return [reconciliation, *super().get_urls()]

    def reconciliation_view(self, request):
        """The latest stored reconciliation report, with its age. Asking for another window,
        or for the fix, enqueues it for the worker: this page never calls Razorpay."""
        if not request.user.has_perm("payments.reconcile_payments"):
            raise PermissionDenied
        report = ReconciliationReport.objects.first()
        form = WindowForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            until = _start_of(form.cleaned_data["until"]) or now()
            since = _start_of(form.cleaned_data["since"]) or until - timedelta(days=7)
            fix = "fix" in request.POST
            if fix and report is not None:  # the fix is for the window the page shows
                since, until = report.since, report.until
            reconcile_task.enqueue(
                since=since.isoformat(),
                until=until.isoformat(),
                fix=fix,
                requested_by=request.user.get_username(),
            )
            what = "The fix" if fix else "A reconciliation"
            self.message_user(
                request,
                f"{what} of {utc_text(since)} to {utc_text(until)} is queued; its "
                "report appears here once the worker has run it.",
            )
            return redirect(request.path)
        context = {
            **self.admin_site.each_context(request),
            "title": "Reconciliation with Razorpay",
            "opts": self.model._meta,
            "form": form,
            "report": report,
            "totals": [
                (
                    t["day"],
                    t["currency"],
                    *(
                        money(value, t["currency"])
                        for value in (
                            t["captured"],
                            t["refunded"],
                            t.get("deducted", 0),  # reports before disputes have none
                            t["captured"] - t["refunded"] - t.get("deducted", 0),
                        )
                    ),
                )
                for t in (report.totals if report else [])
            ],
        }
        return TemplateResponse(request, "backoffice/reconciliation.html", context)


# The admin's payment actions, as the audit trail names them.
AUDITED = {
    "sync_from_razorpay": Action.PAYMENT_SYNC,
    "capture": Action.PAYMENT_CAPTURE,
    "refund": Action.PAYMENT_REFUND,
}


def _sync(request, payment: Payment, form) -> Payment:
    actor = request.user.get_username()
    return payment_services.payment_sync(payment=payment, source=Source.ADMIN, actor=actor)


def _capture(request, payment: Payment, form) -> Payment:
    actor = request.user.get_username()
    return payment_services.payment_capture(payment=payment, source=Source.ADMIN, actor=actor)


def _refund(request, payment: Payment, form) -> Refund:
    return refund_services.refund_create_keyed(
        key=form.cleaned_data["token"],
        payment=payment,
        amount=form.cleaned_data["amount"],
        reason=form.cleaned_data["reason"],
        speed=form.cleaned_data["speed"],
        requested_by=f"user:{request.user.get_username()}",
        source=Source.ADMIN,
        override_dispute=form.cleaned_data["override_dispute"],
    )


def _outcome(result) -> str:
    return getattr(result, "status", "done")


def _audit_detail(result) -> str:
    """What came of an action: the refund made, or the payment's status after it."""
    if isinstance(result, Refund):
        return f"refund {result.id} {money(result.amount, result.currency)} {result.status}"
    return f"payment {_outcome(result)}"


def _timeline(payment: Payment):
    for change in payment.status_changes.all():
        what = f"{change.from_status or '∅'} → {change.to_status}"
        yield (
            change.created_at,
            f"status ({change.source})",
            f"{what} {change.reason}",
            change.actor,
        )
    for attempt in payment.attempts.all():
        error = f" — {attempt.error_reason or attempt.error_code}" if attempt.error_code else ""
        what = f"{attempt.razorpay_payment_id} {attempt.status} ({attempt.method}){error}"
        yield attempt.created_at, "attempt", what, ""
    events = list(WebhookEvent.objects.filter(payment=payment).order_by("received_at"))
    for event in events:
        note = f" — {event.last_error}" if event.last_error else ""
        yield event.received_at, "webhook", f"{event.event_type} {event.status}{note}", "razorpay"
    for refund in payment.refunds.all():
        what = f" {money(refund.amount, refund.currency)} {refund.status}"
        if refund.reason:
            what += f" — {refund.reason}"
        if refund.status == RefundStatus.AWAITING_APPROVAL and refund.approval_expires_at:
            what = format_html("{} (to approve by {})", what, when(refund.approval_expires_at))
        elif refund.failure_reason:
            what += f" ({refund.failure_reason})"
        shown = format_html("{}{}", id_link(refund.id), what)
        yield refund.created_at, "refund", shown, refund.requested_by
    # What the client app was told, and how far each delivery to its endpoints got.
    told = Event.objects.filter(
        object_id__in=[payment.pk, *(refund.id for refund in payment.refunds.all())]
    ).prefetch_related("deliveries")
    for event in told:
        sent = [f"{d.endpoint_id} {d.status} ({d.attempts})" for d in event.deliveries.all()]
        what = f"{event.type} {event.id} — " + ("; ".join(sent) or "no endpoint")
        yield event.created_at, "event", what, event.actor
    disputes = list(payment.disputes.all())
    for dispute in disputes:
        what = (
            f" ({dispute.razorpay_dispute_id})"
            f" {money(dispute.amount, dispute.currency)} {dispute.get_status_display()}"
            f" — {dispute.reason_code}, {dispute.phase}; respond by "
        )
        deducted = (
            f"; {money(dispute.amount_deducted, dispute.currency)} deducted"
            if dispute.amount_deducted
            else ""
        )
        what = format_html(
            "{}{}{}{}", id_link(dispute.id), what, when(dispute.respond_by), deducted
        )
        yield dispute.opened_at, "dispute", what, "razorpay"
    # The audit trail's own rows: the audit list and this timeline are two views of them.
    entries = [
        *audit_entries_for(object_type="payment", object_ids=[payment.pk]),
        *audit_entries_for(object_type="webhook_event", object_ids=[e.event_id for e in events]),
        *audit_entries_for(object_type="dispute", object_ids=[d.pk for d in disputes]),
    ]
    for entry in entries:
        what = (
            f"{entry.get_action_display()}: {entry.reason}"
            if entry.reason
            else entry.get_action_display()
        )
        if entry.detail:
            what += f" ({entry.detail})"
        yield entry.created_at, f"staff ({entry.via})", what, entry.actor


@admin.register(Refund)
class RefundAdmin(CsvExportMixin, ReadOnlyAdmin):
    """Read-only: refunds are made from a payment's page (or the API and commands)."""

    list_display = [
        "id",
        id_column("payment_id", "payment"),
        "status_badge",
        "amount_shown",
        "speed_requested",
        "source",
        "requested_by",
        "created_at",
    ]
    list_filter = ["status", "speed_requested", "source", "currency", "created_at"]
    search_fields = [
        "=id",
        "=razorpay_refund_id",
        "=payment__id",
        "=payment__razorpay_payment_id",
        "=payment__external_ref",
    ]
    list_select_related = ["payment"]
    date_hierarchy = "created_at"
    actions = ["export_csv"]
    csv_columns = [
        "id",
        ("payment", "payment_id"),
        ("source_app", "payment__client_app__name"),
        "status",
        ("amount_minor_units", "amount"),
        "currency",
        "razorpay_refund_id",
        "speed_requested",
        "speed_processed",
        "reason",
        "requested_by",
        "created_at",
        "processed_at",
    ]

    status_badge = status_column

    amount_shown = money_column("amount", "amount")


class ReviewForm(forms.Form):
    reason = forms.CharField(max_length=255, help_text="Why: kept with the refund and the log.")


@admin.register(RefundAwaitingApproval)
class RefundAwaitingApprovalAdmin(ConfirmedActions, ReadOnlyAdmin):
    """Four-eyes refunds waiting for a second finance user: approve (it is sent to Razorpay)
    or reject (its amount is freed), with a reason; never the one who asked for it. Past its
    deadline the `expire_refund_approvals` chore fails it."""

    confirm_noun = "Refund"
    confirm_columns = [
        ("refund", lambda r: id_link(r.id)),
        ("payment", lambda r: id_link(r.payment_id)),
        ("amount", lambda r: money(r.amount, r.currency)),
        ("reason", lambda r: r.reason),
        ("asked by", lambda r: r.requested_by),
        ("approve by", lambda r: when(r.approval_expires_at)),
    ]
    confirm_empty = "None of the selected refunds is awaiting approval."

    list_display = [
        "id",
        id_column("payment_id", "payment"),
        "amount_shown",
        "reason",
        "requested_by",
        "created_at",
        "approval_expires_at",
    ]
    list_filter = ["currency"]
    search_fields = ["=id", "=payment__id", "=payment__external_ref", "requested_by"]
    list_select_related = ["payment"]
    actions = ["approve", "reject"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(status=RefundStatus.AWAITING_APPROVAL)

    # The queue is the refunds' own: whoever reads refunds sees it; finance decides.
    has_view_permission = holds("refunds.view_refund")
    has_module_permission = holds("refunds.view_refund")
    has_approve_permission = holds("refunds.approve_refund")

    amount_shown = money_column("amount", "amount")

    @admin.action(description="Approve (send to Razorpay)", permissions=["approve"])
    def approve(self, request, queryset):
        return self._decide(request, queryset, "approve", "Approve", refund_services.refund_approve)

    @admin.action(description="Reject (free the amount)", permissions=["approve"])
    def reject(self, request, queryset):
        return self._decide(request, queryset, "reject", "Reject", refund_services.refund_reject)

    def _decide(self, request, queryset, action, title, decide):
        """The service decides each refund: it refuses one its approver asked for, or one
        already decided (or expired)."""
        done = {"approve": "approved", "reject": "rejected"}[action]

        def decided(refund, form):
            reason, approver = form.cleaned_data["reason"], request.user.get_username()
            refund = decide(
                refund_id=refund.id, approver=approver, reason=reason, source=Source.ADMIN
            )
            return f"{done} → {refund.status}"

        return self.run_confirmed(
            request,
            queryset,
            action=action,
            title=f"{title} refunds",
            form_class=ReviewForm,
            perform=decided,
        )


@admin.register(Chore)
class ChoreAdmin(ReadOnlyAdmin):
    """What the worker does on its own: when each chore last ran, how it went, when it runs
    next; "Run now" enqueues it at once."""

    list_display = [
        "name",
        "description",
        "last_finished_at",
        "outcome_badge",
        "last_detail",
        "next_run_at",
        "running",
    ]
    readonly_fields = [
        "name",
        "description",
        "next_run_at",
        "lease_until",
        "last_started_at",
        "last_finished_at",
        "last_outcome",
        "last_detail",
        "recent_runs",
    ]
    actions = ["run_now"]

    has_run_permission = holds("backoffice.run_chore")

    @admin.display(description="what it does")
    def description(self, chore: Chore) -> str:
        kind = CHORES.get(chore.name)
        return kind.description if kind else "(no longer a chore)"

    @admin.display(description="last outcome", ordering="last_outcome")
    def outcome_badge(self, chore: Chore):
        return badge(chore.last_outcome) if chore.last_outcome else "—"

    @admin.display(description="recent runs")
    def recent_runs(self, chore: Chore):
        runs = chore.runs.order_by("-started_at")[:20]
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    when(r.started_at),
                    when(r.finished_at),
                    r.outcome,
                    r.worker,
                    r.detail,
                )
                for r in runs
            ),
        )
        return format_html(
            "<table><thead><tr><th>started (UTC)</th><th>finished</th><th>outcome</th>"
            "<th>worker</th><th>detail</th></tr></thead><tbody>{}</tbody></table>",
            rows,
        )

    @admin.display(description="running", boolean=True)
    def running(self, chore: Chore) -> bool:
        return chore.lease_until is not None and chore.lease_until >= now()

    @admin.action(description="Run now", permissions=["run"])
    def run_now(self, request, queryset):
        for chore in queryset:
            if chore_run_now(name=chore.name):
                self.message_user(request, f"Chore {chore.name}: queued; the worker runs it next.")
            else:
                self.message_user(
                    request, f"Chore {chore.name}: already running.", messages.WARNING
                )


@admin.register(AuditEntry)
class AuditEntryAdmin(CsvExportMixin, ReadOnlyAdmin):
    """Who did what: every staff or command action that moves money or changes access. A
    payment's timeline shows its own rows of this same list."""

    list_display = ["created_at", "actor", "via", "action", "object_shown", "reason", "detail"]
    list_filter = [("actor", admin.AllValuesFieldListFilter), "action", "via", "created_at"]
    search_fields = ["=object_id", "=actor", "reason", "detail"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    actions = ["export_csv"]
    csv_columns = [
        ("when", "created_at"),
        ("who", "actor"),
        "via",
        "action",
        "object_type",
        "object_id",
        "reason",
        "detail",
    ]

    @admin.display(description="object", ordering="object_id")
    def object_shown(self, entry: AuditEntry):
        return format_html("{} {}", entry.object_type.replace("_", " "), id_link(entry.object_id))


from . import staff_admin  # noqa: E402, F401  (users, sign-in, two-factor, lockouts)
