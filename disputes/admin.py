"""The disputes console: undecided disputes first, by respond-by, the overdue flagged; a
finance user accepts or contests one (with a document) behind a confirmation, through the
service, and the audit trail keeps who and why."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from audit.models import Action
from audit.services import audit_by_staff
from backoffice.columns import money_column
from payments.currencies import major_units, money, to_minor_units
from payments.models import Source
from payments_service.admin import ReadOnlyAdmin, admin_page, id_column, status_column, when
from payments_service.clock import now
from payments_service.errors import ServiceError

from . import selectors, services
from .models import UNDECIDED, Dispute

RESPOND = "disputes.respond_dispute"


class AcceptForm(forms.Form):
    reason = forms.CharField(max_length=255, help_text="Why: kept in the audit trail.")
    confirm = forms.BooleanField(label="I accept the dispute: its amount is deducted for good.")


class ContestForm(forms.Form):
    summary = forms.CharField(
        max_length=1000, widget=forms.Textarea(attrs={"rows": 4}), help_text="For the bank."
    )
    amount = forms.CharField(help_text="Contested, in currency units (e.g. 150.50).")
    document = forms.FileField(help_text="Evidence: a PDF, JPG or PNG of at most 10 MB.")
    submit = forms.ChoiceField(
        label="Send as",
        choices=[("draft", "draft (saved at Razorpay, still open)"), ("submit", "submit")],
        widget=forms.RadioSelect,
        initial="submit",
    )
    reason = forms.CharField(max_length=255, help_text="Why: kept in the audit trail.")
    confirm = forms.BooleanField(label="I have checked the evidence.")

    def __init__(self, *args, dispute: Dispute, **kwargs):
        super().__init__(*args, **kwargs)
        self.dispute = dispute
        self.fields["amount"].initial = major_units(dispute.amount)

    def clean_amount(self) -> int:
        try:
            amount = to_minor_units(self.cleaned_data["amount"])
        except (ValueError, ArithmeticError) as exc:
            raise forms.ValidationError(f"Enter {exc}.") from None
        if amount > self.dispute.amount:
            raise forms.ValidationError("At most the disputed amount.")
        return amount

    def clean_document(self):
        document = self.cleaned_data["document"]
        if document.size > 10 * 1024 * 1024:
            raise forms.ValidationError("At most 10 MB.")
        return document


@admin.register(Dispute)
class DisputeAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        id_column("payment_id", "payment"),
        "status_badge",
        "amount_shown",
        "deducted_shown",
        "reason_code",
        "phase",
        "respond_by_shown",
    ]
    list_filter = ["status", "phase", "currency"]
    search_fields = [
        "=id",
        "=razorpay_dispute_id",
        "=payment__id",
        "=razorpay_payment_id",
        "=payment__external_ref",
    ]
    list_select_related = ["payment"]
    readonly_fields = [
        "id",
        "razorpay_dispute_id",
        *list_display[1:],
        "evidence_summary",
        "evidence_amount",
        "evidence_documents",
        "evidence_submitted_at",
        "respond",
        "opened_at",
        "created_at",
        "updated_at",
    ]
    exclude = ["payment", "status", "respond_by", "amount", "amount_deducted", "currency"]

    def get_queryset(self, request):
        return selectors.dispute_console().select_related("payment")

    def get_ordering(self, request):
        return ["decided", "respond_by", "id"]  # undecided first (the selector's annotation)

    # --- columns --------------------------------------------------------------------------
    status_badge = status_column

    amount_shown = money_column("amount", "amount")
    deducted_shown = money_column("amount_deducted", "deducted", zero="—")

    @admin.display(description="respond by", ordering="respond_by")
    def respond_by_shown(self, dispute: Dispute):
        shown = when(dispute.respond_by)
        if dispute.status not in UNDECIDED:
            return shown
        if dispute.respond_by <= now():
            return format_html(
                '<strong class="overdue" style="color:#c0392b">{} overdue</strong>', shown
            )
        if dispute.respond_by <= now() + selectors.DUE_SOON:
            return format_html(
                '<strong class="due-soon" style="color:#d68910">{} due soon</strong>', shown
            )
        return shown

    @admin.display(description="answer")
    def respond(self, dispute: Dispute):
        try:
            services.dispute_check_respondable(dispute=dispute)
        except ServiceError as exc:
            return exc.detail
        return format_html(
            '<a class="button" id="accept-dispute" href="{}">Accept…</a> '
            '<a class="button" id="contest-dispute" href="{}">Contest…</a>',
            reverse("admin:disputes_dispute_accept", args=[dispute.pk]),
            reverse("admin:disputes_dispute_contest", args=[dispute.pk]),
        )

    # --- answering --------------------------------------------------------------------------
    def get_urls(self):
        return [
            admin_page(
                self, "<str:object_id>/accept/", self.accept_view, "disputes_dispute_accept"
            ),
            admin_page(
                self, "<str:object_id>/contest/", self.contest_view, "disputes_dispute_contest"
            ),
            *super().get_urls(),
        ]

    def accept_view(self, request, object_id):
        dispute = self._respondable(request, object_id)
        form = AcceptForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            return self._answer(
                request,
                dispute,
                Action.DISPUTE_ACCEPT,
                form.cleaned_data["reason"],
                lambda: services.dispute_accept(
                    dispute=dispute, source=Source.ADMIN, actor=request.user.get_username()
                ),
            )
        warning = (
            "Accepting concedes the chargeback: Razorpay deducts the amount; it cannot be undone."
        )
        return self._page(request, dispute, "Accept the dispute", form, warning)

    def contest_view(self, request, object_id):
        dispute = self._respondable(request, object_id)
        form = ContestForm(request.POST or None, request.FILES or None, dispute=dispute)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            upload = data["document"]
            evidence = services.EvidenceFile(
                name=upload.name,
                content=upload.read(),
                content_type=upload.content_type or "application/octet-stream",
            )
            return self._answer(
                request,
                dispute,
                Action.DISPUTE_CONTEST,
                data["reason"],
                lambda: services.dispute_contest(
                    dispute=dispute,
                    summary=data["summary"],
                    amount=data["amount"],
                    files=[evidence],
                    submit=data["submit"] == "submit",
                    source=Source.ADMIN,
                    actor=request.user.get_username(),
                ),
                f"{data['submit']}, {money(data['amount'], dispute.currency)}, {upload.name}",
            )
        warning = "The document goes to Razorpay first; a submitted contest cannot be changed."
        return self._page(request, dispute, "Contest the dispute", form, warning)

    def _respondable(self, request, object_id) -> Dispute:
        if not request.user.has_perm(RESPOND):
            raise PermissionDenied
        return get_object_or_404(Dispute.objects.select_related("payment"), pk=object_id)

    def _page(self, request, dispute, title, form, warning):
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "dispute": dispute,
            "amount": money(dispute.amount, dispute.currency),
            "form": form,
            "warning": warning,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "disputes/respond.html", context)

    def _answer(self, request, dispute, action, reason, perform, detail=""):
        """Runs the answer; once it took effect, records it in the audit trail with who and
        why (the payment's timeline shows the same row)."""
        change = reverse("admin:disputes_dispute_change", args=[dispute.pk])
        try:
            answered = perform()
        except ServiceError as exc:
            self.message_user(request, f"Dispute {dispute.pk}: {exc.detail}", messages.ERROR)
            return redirect(change)
        audit_by_staff(
            request,
            action=action,
            object_type="dispute",
            object_id=dispute.pk,
            reason=reason,
            detail=f"dispute {answered.status}" + (f": {detail}" if detail else ""),
        )
        self.message_user(request, f"Dispute {dispute.pk}: {answered.get_status_display()}")
        return redirect(change)
