"""SQL statements per request, pinned at the minimum the design needs: a regression here costs
every payment. Counted as production runs them, outside a test transaction, with the caller's
API key already checked (each process remembers it for API_KEY_CACHE_SECONDS)."""

import pytest
from rest_framework.test import APIClient

from conftest import event_insert, locked

pytestmark = pytest.mark.django_db(transaction=True)


def test_initiate_statements(initiate, razorpay, sql):
    initiate(key="warm-up", externalRef="warm-up")
    with sql() as statements:
        assert initiate().status_code == 201
    assert statements == [
        "INSERT payments_service_idempotencykey",  # the claim: one statement, no transaction
        "INSERT payments_payment",  # one transaction with its first history row
        "INSERT payments_paymentstatuschange",
        "COMMIT",
        # (the gateway call: the order, receipt = payment id)
        "UPDATE payments_payment",  # the order id
        "UPDATE payments_service_idempotencykey",  # the stored answer
    ]


def test_confirm_statements(initiate, razorpay, sql):
    handler = razorpay.pay(initiate().json()["razorpayOrderId"])
    with sql() as statements:
        assert APIClient().post("/payments/confirm", handler, format="json").status_code == 200
    assert statements == [
        "SELECT payments_payment",  # by order id, to check the signature against
        # (the gateway: fetch the payment, capture it if only authorized)
        locked("payments_payment"),  # by order id again, in one transaction
        "SELECT payments_paymentattempt",
        "INSERT payments_paymentattempt",
        "INSERT payments_paymentstatuschange",
        "UPDATE payments_payment",
        event_insert(),  # payment.captured, in the same transaction
        "COMMIT",
    ]


def test_get_statements(initiate, razorpay, api, sql):
    payment_id = initiate().json()["id"]
    with sql() as statements:
        assert api.get(f"/payments/{payment_id}").status_code == 200
    assert statements == ["SELECT payments_payment"]  # with its app, within the caller's app


def test_list_statements(initiate, razorpay, api, sql):
    for n in range(3):
        initiate(key=f"key-{n}", externalRef=f"order-{n}")
    with sql() as statements:
        body = api.get("/payments", {"pageSize": 2}).json()
    assert statements == ["SELECT payments_payment", "SELECT payments_payment"]  # count, page
    assert body["count"] == 3 and [p["sourceApp"] for p in body["results"]] == ["shop", "shop"]


def test_an_unchecked_key_costs_one_lookup(client_app, sql):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {client_app.api_key}")
    with sql() as statements:
        assert client.get("/payments/pmt_unknown").status_code == 404
    assert statements == ["SELECT payments_service_apikey", "SELECT payments_payment"]
