"""Orders: create, fetch, list, edit, payments of an order, and the API's error conventions."""

import time

import pytest
import razorpay
import requests

from .support import KEY_ID, ORDER_ID, fixture, rejected

ORDER_KEYS = {
    "id",
    "entity",
    "amount",
    "amount_paid",
    "amount_due",
    "currency",
    "receipt",
    "offer_id",
    "status",
    "attempts",
    "notes",
    "created_at",
}


def test_create_order_returns_the_contract_entity(client):
    order = client.order.create({"amount": 50000, "currency": "INR", "receipt": "receipt#1"})

    assert set(order) == ORDER_KEYS
    assert ORDER_ID.match(order["id"])
    assert order["entity"] == "order"
    assert (order["amount"], order["amount_paid"], order["amount_due"]) == (50000, 0, 50000)
    assert (order["currency"], order["receipt"], order["offer_id"]) == ("INR", "receipt#1", None)
    assert (order["status"], order["attempts"]) == ("created", 0)
    assert order["notes"] == []  # empty notes serialize as a list, like Razorpay's
    assert abs(order["created_at"] - time.time()) < 5
    assert isinstance(order["created_at"], int)


def test_order_has_the_core_keys_of_the_sdk_fixtures(client):
    order = client.order.create({"amount": 2200, "currency": "INR", "notes": {"k": "v"}})

    for name in ("fake_order.json", "edit_order.json"):
        assert set(fixture(name)) <= set(order)
    for item in fixture("order_collection.json")["items"]:
        assert set(item) <= set(order)


def test_ids_sort_by_creation_time(client):
    ids = [client.order.create({"amount": 100, "currency": "INR"})["id"] for _ in range(5)]

    assert ids == sorted(ids)
    assert len(set(ids)) == 5


def test_amount_may_be_a_digit_string_like_the_sdk_fixture(client):
    order = client.order.create(fixture("init_order.json"))

    assert order["amount"] == 100


def test_notes_and_capture_settings_are_accepted(client):
    order = client.order.create(
        {
            "amount": 1000,
            "currency": "INR",
            "notes": {"shop": "tea", "qty": 2},
            "payment_capture": 0,
            "partial_payment": False,
        }
    )
    assert order["notes"] == {"shop": "tea", "qty": 2}
    client.order.create(
        {
            "amount": 1000,
            "currency": "INR",
            "payment": {
                "capture": "manual",
                "capture_options": {"manual_expiry_period": 7200, "refund_speed": "optimum"},
            },
        }
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"currency": "INR"}, "The amount field is required."),
        ({"amount": 99, "currency": "INR"}, "The amount must be at least INR 1.00"),
        ({"amount": 49, "currency": "USD"}, "The amount must be at least USD 0.50"),
        ({"amount": 100.5, "currency": "INR"}, "The amount must be an integer."),
        ({"amount": "1e3", "currency": "INR"}, "The amount must be an integer."),
        ({"amount": True, "currency": "INR"}, "The amount must be an integer."),
        ({"amount": 50_000_001, "currency": "INR"}, "Amount exceeds maximum amount allowed."),
        ({"amount": 100}, "The currency field is required."),
        ({"amount": 100, "currency": "XYZ"}, "Currency is not supported"),
        (
            {"amount": 100, "currency": "INR", "receipt": "r" * 41},
            "The receipt may not be greater than 40 characters.",
        ),
        (
            {"amount": 100, "currency": "INR", "notes": "x"},
            "Notes should be provided as a dictionary",
        ),
        (
            {"amount": 100, "currency": "INR", "notes": {str(i): i for i in range(16)}},
            "Number of fields in notes should be less than or equal to 15",
        ),
        (
            {"amount": 100, "currency": "INR", "notes": {"a": [1]}},
            "Notes values themselves should not be an array",
        ),
        (
            {"amount": 100, "currency": "INR", "notes": {"a": "x" * 257}},
            "Notes keys and values should be less than or equal to 256 characters",
        ),
        (
            {"amount": 100, "currency": "INR", "colour": "red"},
            "colour is/are not required and should not be sent",
        ),
        (
            {"amount": 100, "currency": "INR", "payment_capture": "yes"},
            "The payment capture field must be true or false.",
        ),
        (
            {"amount": 100, "currency": "INR", "payment": {"capture": "sometimes"}},
            "The selected capture is invalid.",
        ),
        (
            {"amount": 100, "currency": "INR", "payment": {"capture": "automatic"}},
            "The automatic expiry period field is required.",
        ),
    ],
)
def test_invalid_order_is_rejected_with_razorpay_message(client, body, message):
    with rejected(message):
        client.order.create(body)


def test_validation_error_body_has_razorpay_shape(sim):
    response = requests.post(
        f"{sim.url}/v1/orders",
        json={"amount": 99, "currency": "INR"},
        auth=(KEY_ID, sim.config.key_secret),
        timeout=5,
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error == {
        "code": "BAD_REQUEST_ERROR",
        "description": "The amount must be at least INR 1.00",
        "source": "business",
        "step": "payment_initiation",
        "reason": "input_validation_failed",
        "metadata": {},
        "field": "amount",
    }
    assert set(fixture("bad_request_error.json")["error"]) <= set(error)


def test_wrong_credentials_are_refused_with_401(sim, client):
    with rejected("Authentication failed"):
        razorpay.Client(auth=(KEY_ID, "wrong"), base_url=sim.url).order.all()

    response = requests.get(f"{sim.url}/v1/orders", timeout=5)
    assert response.status_code == 401
    assert response.json() == {
        "error": {
            "code": "BAD_REQUEST_ERROR",
            "description": "Authentication failed",
            "source": "NA",
            "step": "NA",
            "reason": "NA",
            "metadata": {},
        }
    }


def test_fetch_order(client, order):
    assert client.order.fetch(order["id"]) == order


def test_unknown_and_malformed_ids(client):
    with rejected("The id provided does not exist"):
        client.order.fetch("order_00000000000000")
    with rejected("order_abc is not a valid id"):
        client.order.fetch("order_abc")
    with rejected("pay_00000000000000 is not a valid id"):
        client.order.fetch("pay_00000000000000")


def test_unknown_path_or_method_is_400_not_404(sim):
    auth = (KEY_ID, sim.config.key_secret)
    for method, path in [("GET", "/v1/nothing"), ("DELETE", "/v1/orders"), ("GET", "/elsewhere")]:
        response = requests.request(method, sim.url + path, auth=auth, timeout=5)
        assert response.status_code == 400
        assert (
            response.json()["error"]["description"]
            == "The requested URL was not found on the server."
        )


def test_list_orders_newest_first_with_paging(client):
    ids = [client.order.create({"amount": 100 + i, "currency": "INR"})["id"] for i in range(4)]

    everything = client.order.all()
    assert everything["entity"] == "collection"
    assert everything["count"] == 4
    assert [o["id"] for o in everything["items"]] == ids[::-1]
    page = client.order.all({"count": 2, "skip": 1})
    assert [o["id"] for o in page["items"]] == [ids[2], ids[1]]
    assert client.order.all({"from": int(time.time()) + 60})["count"] == 0
    assert client.order.all({"to": int(time.time()) - 60})["count"] == 0


def test_list_count_may_not_exceed_100(client):
    with rejected("The count may not be greater than 100."):
        client.order.all({"count": 101})
    with rejected("The skip must be an integer."):
        client.order.all({"skip": "x"})


def test_list_orders_by_receipt_finds_the_order_after_a_lost_response(client):
    wanted = client.order.create({"amount": 700, "currency": "INR", "receipt": "pay-42"})
    client.order.create({"amount": 700, "currency": "INR", "receipt": "pay-43"})

    found = client.order.all({"receipt": "pay-42"})

    assert [o["id"] for o in found["items"]] == [wanted["id"]]


def test_list_orders_by_authorized(client, control):
    paid = client.order.create({"amount": 700, "currency": "INR"})
    unpaid = client.order.create({"amount": 700, "currency": "INR"})
    control.pay(paid["id"], "authorized")
    control.pay(unpaid["id"], "failed")

    assert [o["id"] for o in client.order.all({"authorized": 1})["items"]] == [paid["id"]]
    assert [o["id"] for o in client.order.all({"authorized": 0})["items"]] == [unpaid["id"]]


def test_edit_order_notes(client, order):
    edited = client.order.edit(order["id"], {"notes": {"note": "updated"}})

    assert edited["notes"] == {"note": "updated"}
    assert client.order.fetch(order["id"])["notes"] == {"note": "updated"}
    with rejected("amount is/are not required and should not be sent"):
        client.order.edit(order["id"], {"notes": {}, "amount": 5})


def test_payments_of_an_order_and_expand(client, control, order):
    failed = control.pay(order["id"], "failed")["error"]["metadata"]["payment_id"]
    paid = control.pay(order["id"], "captured")["razorpay_payment_id"]

    payments = client.order.payments(order["id"])
    assert payments["entity"] == "collection"
    assert [p["id"] for p in payments["items"]] == [paid, failed]
    expanded = client.order.fetch(order["id"], {"expand[]": "payments"})
    assert [p["id"] for p in expanded["payments"]["items"]] == [paid, failed]
