"""Bad input to initiate gets a clear 400 with field errors and stores nothing."""

import pytest

from clients.models import IdempotencyKey
from payments.models import Payment

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount": "1000"}, "amount"),
        ({"amount": 1000.0}, "amount"),
        ({"amount": True}, "amount"),
        ({"amount": 99}, "amount"),
        ({"amount": -100}, "amount"),
        ({"amount": 50_000_001}, "amount"),
        ({"currency": "XYZ"}, "currency"),
        ({"currency": "inr"}, "currency"),
        ({"email": "not-an-email"}, "email"),
        ({"contact": "9876543210"}, "contact"),
        ({"externalRef": ""}, "externalRef"),
        ({"externalRef": "a" * 65}, "externalRef"),
        ({"externalRef": "has space"}, "externalRef"),
        ({"sourceApp": "somebody-else"}, "sourceApp"),
        ({"metadata": {"nested": {"a": 1}}}, "metadata"),
        ({"metadata": {"n": 5}}, "metadata"),
        ({"metadata": {f"k{i}": "v" for i in range(13)}}, "metadata"),
        ({"metadata": {"k": "v" * 257}}, "metadata.k"),
        ({"ammount": 1000}, "ammount"),
    ],
)
def test_invalid_initiate_field_is_400_naming_the_field(initiate, overrides, field):
    response = initiate(**overrides)
    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["code"] == "validation_error"
    assert field in body["errors"], body["errors"]
    assert Payment.objects.count() == 0
    assert IdempotencyKey.objects.count() == 0


def test_required_fields_are_named_when_missing(api):
    response = api.post("/payments/initiate", {}, format="json", headers={"Idempotency-Key": "k"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"externalRef", "amount", "currency"}


def test_a_json_array_body_is_400(api):
    response = api.post("/payments/initiate", [1], format="json", headers={"Idempotency-Key": "k"})
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"


def test_idempotency_key_over_255_characters_is_400(initiate):
    response = initiate(key="k" * 256)
    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_missing"
