"""The hot-path statements read and write exactly what the ORM would."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.db.models.signals import post_save, pre_save
from django.utils import timezone
from django.utils.translation import gettext_lazy

from clients.models import IdempotencyKey
from payments.models import Payment, PaymentAttempt, PaymentStatusChange
from payments_service.db import Select, insert_row, save_fields, update_row
from refunds.models import Refund
from webhooks.models import WebhookEvent

pytestmark = pytest.mark.django_db

BY_REF = Select(
    lambda ref: Payment.objects.select_related("client_app").filter(external_ref=ref)[:1]
)
OF_APP = Select(lambda app_id: Payment.objects.filter(client_app_id=app_id).order_by("amount")[:5])
KEY_LOCK = Select(lambda pk: IdempotencyKey.objects.select_for_update().filter(pk=pk)[:1])


def _columns(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def _payment(client_app, ref: str, amount: int = 1000) -> Payment:
    return insert_row(
        Payment(
            client_app=client_app,
            external_ref=ref,
            amount=amount,
            currency="INR",
            metadata={"cart": "c-1", "note": "₹ and ü"},
        )
    )


def test_select_reads_a_row_and_its_foreign_key_as_the_orm_does(client_app):
    _payment(client_app, "ref-1")
    mine = BY_REF.first(ref="ref-1")
    orm = Payment.objects.select_related("client_app").get(external_ref="ref-1")
    assert _columns(mine) == _columns(orm)
    assert mine.metadata == {"cart": "c-1", "note": "₹ and ü"}
    assert mine.created_at.tzinfo is not None
    assert _columns(mine.client_app) == _columns(orm.client_app)
    assert not mine._state.adding
    assert BY_REF.first(ref="no-such-ref") is None


def test_select_runs_with_each_call_s_values_and_keeps_the_queryset_s_order(client_app):
    for ref, amount in (("b", 3000), ("a", 1000), ("c", 2000)):
        _payment(client_app, ref, amount)
    assert [p.external_ref for p in OF_APP.all(app_id=client_app.pk)] == ["a", "c", "b"]
    assert OF_APP.all(app_id="app_none") == []


def test_insert_row_fills_defaults_and_the_database_id(client_app):
    payment = _payment(client_app, "ref-2")
    change = insert_row(PaymentStatusChange(payment=payment, to_status="created", source="api"))
    assert change.pk == PaymentStatusChange.objects.get().pk
    stored = Payment.objects.get(pk=payment.pk)
    assert (stored.status, stored.version, stored.amount_refunded) == ("created", 1, 0)
    assert stored.created_at == payment.created_at


def test_insert_and_update_prepare_values_of_other_types_as_the_orm_does(client_app):
    # Plain values go in as they are; any other (a number for text, text for a number, a lazy
    # string) through the field's own preparation, as save() would.
    payment = insert_row(
        Payment(
            client_app=client_app,
            external_ref=12345,
            amount="1500",
            currency=gettext_lazy("INR"),
        )
    )
    stored = Payment.objects.get(pk=payment.pk)
    assert (stored.external_ref, stored.amount, stored.currency) == ("12345", 1500, "INR")
    update_row(Payment, payment.pk, amount_refunded="200", contact=9876543210)
    stored.refresh_from_db()
    assert (stored.amount_refunded, stored.contact) == (200, "9876543210")


def test_update_row_changes_only_a_row_matching_its_conditions(client_app):
    key = IdempotencyKey.objects.create(
        client_app=client_app,
        operation="op",
        key="k",
        fingerprint="f",
        locked_until=timezone.now(),
        expires_at=timezone.now() + timedelta(hours=1),
    )
    assert update_row(IdempotencyKey, key.pk, where={"resource_id": "x"}, resource_id="y") == 0
    assert update_row(IdempotencyKey, key.pk, where={"resource_id": ""}, resource_id="y") == 1
    body = {"id": "pmt_1", "amount": 1000, "notes": {"a": "ü"}}
    update_row(IdempotencyKey, key.pk, response_status=201, response_body=body)
    with transaction.atomic():
        stored = KEY_LOCK.first(pk=key.pk)
    assert (stored.resource_id, stored.response_status, stored.response_body) == ("y", 201, body)


def test_save_fields_saves_the_named_fields_and_moves_auto_now(client_app):
    payment = _payment(client_app, "ref-3")
    before = Payment.objects.get(pk=payment.pk).updated_at
    payment.status, payment.email = "captured", "not-saved@example.com"
    save_fields(payment, ["status", "updated_at"])
    stored = Payment.objects.get(pk=payment.pk)
    assert (stored.status, stored.email) == ("captured", "")
    assert stored.updated_at > before


@pytest.mark.parametrize(
    "model", [Payment, PaymentStatusChange, PaymentAttempt, IdempotencyKey, Refund, WebhookEvent]
)
def test_no_model_written_by_the_hot_statements_has_a_save_signal_they_would_skip(model):
    assert not pre_save.has_listeners(model)
    assert not post_save.has_listeners(model)
