"""GET /payments/{id} and the filtered list: own app only, one list shape."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from clients.services import client_app_create
from payments.models import Payment

pytestmark = pytest.mark.django_db


def make_payment(app, ref: str, status: str = "created", **fields) -> Payment:
    return Payment.objects.create(
        client_app=app, external_ref=ref, amount=1000, currency="INR", status=status, **fields
    )


def test_get_own_payment(api, client_app):
    payment = make_payment(client_app, "r1")
    response = api.get(f"/payments/{payment.id}")
    assert response.status_code == 200
    assert response.json()["id"] == payment.id
    assert response.json()["sourceApp"] == "shop"


def test_another_apps_payment_is_404(api):
    other, _ = client_app_create(name="other")
    theirs = make_payment(other, "r1")
    response = api.get(f"/payments/{theirs.id}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_sequential_ids_do_not_exist(api, client_app):
    make_payment(client_app, "r1")
    assert api.get("/payments/1").status_code == 404


def test_list_filters_by_external_ref_status_and_dates(api, client_app):
    old = make_payment(client_app, "old", status="captured")
    Payment.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=3))
    make_payment(client_app, "new-paid", status="captured")
    make_payment(client_app, "new-open")
    other, _ = client_app_create(name="other")
    make_payment(other, "new-paid", status="captured")

    def refs(**params):
        body = api.get("/payments", params).json()
        assert set(body) == {"count", "next", "previous", "results"}
        return sorted(item["externalRef"] for item in body["results"])

    assert refs() == ["new-open", "new-paid", "old"]
    assert refs(status="captured") == ["new-paid", "old"]
    assert refs(externalRef="old") == ["old"]
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert refs(createdAfter=since) == ["new-open", "new-paid"]
    assert refs(createdBefore=since) == ["old"]


def test_list_pages(api, client_app):
    for index in range(3):
        make_payment(client_app, f"r{index}")
    first = api.get("/payments", {"pageSize": 2}).json()
    assert first["count"] == 3 and len(first["results"]) == 2
    assert first["previous"] is None and "page=2" in first["next"]
    second = api.get(first["next"]).json()
    assert len(second["results"]) == 1 and second["next"] is None


def test_list_with_a_bad_filter_is_400(api):
    response = api.get("/payments", {"status": "paid", "createdAfter": "yesterday"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"status", "createdAfter"}


@pytest.mark.parametrize(
    "header",
    [None, "Bearer psk_wrong", "Basic abc", "Bearer", "Token psk_x"],
)
def test_missing_or_wrong_api_key_is_401(client_app, header):
    client = APIClient()
    if header:
        client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/payments")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
    assert response["WWW-Authenticate"].startswith("Bearer")
