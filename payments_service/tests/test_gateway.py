"""The gateway adapter against the simulator over HTTP, through the real SDK."""

import json
import socket
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import urllib3
from django.db import connection, transaction

from clients.models import ClientApp
from conftest import SIM_KEY_ID, SIM_KEY_SECRET, requires
from payments_service.integrations.razorpay import (
    GatewayDispute,
    GatewayError,
    GatewayOrder,
    GatewayPayment,
    GatewayRefund,
    GatewayRejected,
    GatewayTimeout,
    GatewayUnavailable,
    RazorpayGateway,
    get_gateway,
)
from payments_service.problems import ProblemError, problem_from_exception

FIXTURES = Path(__file__).resolve().parents[2] / "testdata" / "razorpay-sdk-mocks"


def gateway_at(url: str, *, secret: str = SIM_KEY_SECRET, read_timeout: float = 2.0):
    return RazorpayGateway(
        key_id=SIM_KEY_ID,
        key_secret=secret,
        base_url=url,
        webhook_secrets=["key_secret"],
        read_timeout=read_timeout,
    )


# --- signatures (Razorpay's own SDK test vectors) ---------------------------------------------
def test_checkout_signature_matches_razorpays_test_vector():
    gateway = gateway_at("http://127.0.0.1:9", secret="key_secret")
    signature = "b2335e3b0801106b84a7faff035df56ecffde06918c9ddd1f0fafbb37a51cc89"
    assert gateway.checkout_signature_valid(
        order_id="fake_order_id", payment_id="fake_payment_id", signature=signature
    )
    assert not gateway.checkout_signature_valid(
        order_id="other_order_id", payment_id="fake_payment_id", signature=signature
    )


def test_webhook_signature_matches_razorpays_test_vector_over_raw_bytes():
    gateway = gateway_at("http://127.0.0.1:9")
    body = (FIXTURES / "fake_payment_authorized_webhook.json").read_bytes()
    signature = "d60e67fd884556c045e9be7dad57903e33efc7172c17c6e3ef77db42d2b366e9"
    assert gateway.webhook_signature_valid(body, signature)
    reserialized = json.dumps(json.loads(body)).encode()
    assert not gateway.webhook_signature_valid(reserialized, signature)
    assert not gateway.webhook_signature_valid(body, "")
    assert not gateway.webhook_signature_valid(body, "ü" * 64)


def test_previous_webhook_secret_is_accepted_during_rotation():
    gateway = RazorpayGateway(
        key_id="k",
        key_secret="s",
        base_url="http://127.0.0.1:9",
        webhook_secrets=["new_secret", "key_secret"],
    )
    body = (FIXTURES / "fake_payment_authorized_webhook.json").read_bytes()
    assert gateway.webhook_signature_valid(
        body, "d60e67fd884556c045e9be7dad57903e33efc7172c17c6e3ef77db42d2b366e9"
    )


# --- calls ------------------------------------------------------------------------------------
def test_orders_payments_and_refunds_come_back_as_dataclasses(razorpay):
    gateway = get_gateway()
    order = gateway.create_order(
        amount=50000, currency="INR", receipt="pmt_receipt_1", notes={"a": "b"}
    )
    assert isinstance(order, GatewayOrder)
    assert order.id.startswith("order_") and len(order.id) == 20
    assert (order.amount, order.currency, order.status, order.notes) == (
        50000,
        "INR",
        "created",
        {"a": "b"},
    )
    assert gateway.find_orders_by_receipt("pmt_receipt_1") == [gateway.fetch_order(order.id)]
    assert gateway.find_orders_by_receipt("nothing") == []

    handler = razorpay.pay(order.id, outcome="authorized")
    payment = gateway.fetch_payment(handler["razorpay_payment_id"])
    assert isinstance(payment, GatewayPayment)
    assert (payment.status, payment.order_id, payment.amount) == ("authorized", order.id, 50000)
    assert gateway.order_payments(order.id) == [payment]

    captured = gateway.capture_payment(payment_id=payment.id, amount=50000, currency="INR")
    assert captured.status == "captured" and captured.captured
    again = gateway.capture_payment(payment_id=payment.id, amount=50000, currency="INR")
    assert again.status == "captured"

    refund = gateway.create_refund(
        payment_id=payment.id,
        amount=20000,
        speed="normal",
        notes={"refund_id": "r1"},
        idempotency_key="refund-key-0001",
    )
    assert isinstance(refund, GatewayRefund)
    assert refund.id.startswith("rfnd_") and refund.amount == 20000
    same = gateway.create_refund(
        payment_id=payment.id,
        amount=20000,
        speed="normal",
        notes={"refund_id": "r1"},
        idempotency_key="refund-key-0001",
    )
    assert same.id == refund.id
    assert [r.id for r in gateway.payment_refunds(payment.id)] == [refund.id]
    assert gateway.fetch_refund(refund.id).payment_id == payment.id


def test_rejection_carries_razorpays_description(razorpay):
    with pytest.raises(GatewayRejected) as caught:
        get_gateway().create_order(amount=50, currency="INR", receipt="r", notes={})
    assert "at least INR 1.00" in caught.value.detail
    assert caught.value.code == "gateway_rejected"


@pytest.mark.parametrize(
    "error, status, retry_after",
    [
        (GatewayRejected("Order amount less than minimum."), 400, None),
        (GatewayUnavailable("Razorpay could not be reached."), 502, "5"),
        (GatewayTimeout("Razorpay did not answer in time."), 504, "5"),
    ],
)
def test_the_api_layer_decides_what_a_gateway_error_answers(rf, error, status, retry_after):
    # The adapter knows no HTTP: its errors are no problem classes, and the API maps them.
    assert not isinstance(error, ProblemError) and not hasattr(error, "status")
    response = problem_from_exception(rf.get("/"), error)
    body = json.loads(response.content)
    assert response.status_code == status and response.get("Retry-After") == retry_after
    assert body["code"] == error.code and body["detail"] == error.detail


def test_wrong_credentials_are_gateway_unavailable_not_the_clients_fault(simulator, razorpay):
    gateway = gateway_at(simulator.url, secret="wrong")
    with pytest.raises(GatewayUnavailable) as caught:
        gateway.fetch_order("order_AAAAAAAAAAAAAA")
    assert "credentials" in caught.value.detail


@pytest.mark.parametrize("body", ["json", "html"])
def test_gateway_5xx_is_unavailable_and_prints_nothing(razorpay, capsys, body):
    razorpay.faults(error_rate=1.0, error_status=500, error_body=body)
    with pytest.raises(GatewayUnavailable) as caught:
        get_gateway().create_order(amount=1000, currency="INR", receipt="r", notes={})
    assert type(caught.value) is GatewayUnavailable
    assert capsys.readouterr().out == ""


def test_timeout_is_raised_by_the_configured_read_timeout_on_one_attempt(
    simulator, razorpay, capsys, monkeypatch
):
    razorpay.faults(timeout_rate=1.0, hang_seconds=3)
    gateway = gateway_at(simulator.url, read_timeout=0.5)
    sent = []
    urlopen = urllib3.PoolManager.urlopen

    def recording_urlopen(pool, method, url, **kwargs):
        timeout = kwargs["timeout"]
        sent.append((method, urlsplit(url).path, (timeout.connect_timeout, timeout.read_timeout)))
        return urlopen(pool, method, url, **kwargs)

    monkeypatch.setattr(urllib3.PoolManager, "urlopen", recording_urlopen)
    with pytest.raises(GatewayTimeout):
        # A timeout already cost the whole read timeout: even a safe read is not retried.
        gateway.fetch_order("order_AAAAAAAAAAAAAA")
    # Had the socket waited for the server, the hang would have ended in a closed connection
    # (GatewayUnavailable) and a retry: the read timeout is what gave up, once.
    assert sent == [("GET", "/v1/orders/order_AAAAAAAAAAAAAA", (3.05, 0.5))]
    assert capsys.readouterr().out == ""


def test_unreachable_gateway_is_unavailable(capsys):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    gateway = gateway_at(f"http://127.0.0.1:{port}")
    with pytest.raises(GatewayUnavailable):
        gateway.fetch_order("order_AAAAAAAAAAAAAA")
    assert capsys.readouterr().out == ""


def test_proxy_settings_of_the_environment_apply(simulator, razorpay, monkeypatch):
    with socket.socket() as probe:  # a proxy that is not there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    for name in ("NO_PROXY", "no_proxy", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
    with pytest.raises(GatewayUnavailable):
        gateway_at(simulator.url).fetch_order("order_AAAAAAAAAAAAAA")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    with pytest.raises(GatewayRejected):  # reached the simulator, which knows no such order
        gateway_at(simulator.url).fetch_order("order_AAAAAAAAAAAAAA")


def test_reads_are_retried_once_but_creates_are_not(razorpay, caplog):
    order = get_gateway().create_order(amount=1000, currency="INR", receipt="r", notes={})
    razorpay.faults(error_rate=1.0, error_status=502)
    caplog.set_level("INFO", logger="payments_service.integrations.razorpay.gateway")
    caplog.clear()
    with pytest.raises(GatewayUnavailable):
        get_gateway().fetch_order(order.id)
    with pytest.raises(GatewayUnavailable):
        get_gateway().create_order(amount=1000, currency="INR", receipt="r", notes={})
    calls = [r.gateway_operation for r in caplog.records if hasattr(r, "gateway_operation")]
    assert calls == ["order.fetch", "order.fetch", "order.create"]


@pytest.mark.parametrize(
    "operation, read",
    [
        ("order.all", lambda gateway: gateway.find_orders_by_receipt("r")),
        ("order.all", lambda gateway: gateway.list_orders(created_from=0, created_to=1)),
        ("order.fetch", lambda gateway: gateway.fetch_order("order_AAAAAAAAAAAAAA")),
        ("order.payments", lambda gateway: gateway.order_payments("order_AAAAAAAAAAAAAA")),
        ("payment.fetch", lambda gateway: gateway.fetch_payment("pay_AAAAAAAAAAAAAA")),
        ("refund.fetch", lambda gateway: gateway.fetch_refund("rfnd_AAAAAAAAAAAAAA")),
        ("payment.refunds", lambda gateway: gateway.payment_refunds("pay_AAAAAAAAAAAAAA")),
    ],
)
def test_every_read_is_retried_once_and_counted_under_its_own_name(
    razorpay, caplog, operation, read
):
    razorpay.faults(error_rate=1.0, error_status=502)
    caplog.set_level("INFO", logger="payments_service.integrations.razorpay.gateway")
    with pytest.raises(GatewayUnavailable):
        read(get_gateway())
    calls = [r.gateway_operation for r in caplog.records if hasattr(r, "gateway_operation")]
    assert calls == [operation, operation]


@pytest.mark.parametrize(
    "status, error, says",
    [
        (403, GatewayUnavailable, "credentials"),  # as 401: ours to fix, not the client's
        (404, GatewayRejected, ""),  # Razorpay's error object: a refusal, not an outage
        (422, GatewayRejected, ""),
        (504, GatewayTimeout, ""),  # Razorpay's own timeout
    ],
)
def test_razorpays_http_status_decides_the_gateway_error(razorpay, status, error, says):
    razorpay.faults(error_rate=1.0, error_status=status, error_body="json")
    with pytest.raises(GatewayError) as caught:
        get_gateway().create_order(amount=1000, currency="INR", receipt="r", notes={})
    assert type(caught.value) is error
    assert says in caught.value.detail


def test_a_disputes_documents_are_read_from_every_kind_of_proof():
    # Razorpay's published dispute has no evidence yet; the contested one lists ids per kind of
    # proof (one it may add later included) and under `others`.
    published = json.loads((FIXTURES / "dispute.json").read_text())
    assert GatewayDispute.from_api(published).evidence_documents == ()
    contested = GatewayDispute.from_api(
        {
            **published,
            "evidence": {
                "amount": 1000,
                "summary": "goods delivered",
                "shipping_proof": ["doc_A", "doc_B"],
                "a_kind_added_later": ["doc_C"],
                "billing_proof": None,
                "others": [{"type": "receipt_signed", "document_ids": ["doc_D"]}],
            },
        }
    )
    assert contested.evidence_documents == ("doc_A", "doc_B", "doc_C", "doc_D")


# --- database connections across a gateway call -------------------------------------------------
postgres_only = requires(connection.vendor == "postgresql", "PostgreSQL (its connection pool)")


def _lent(pool) -> int:
    stats = pool.get_stats()
    return stats["pool_size"] - stats["pool_available"]


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_thread_waiting_on_razorpay_holds_no_database_connection(razorpay):
    """A worker's threads can outnumber its database connections: the pool lends none to a
    request while Razorpay thinks, and lends one again for what the request does after."""
    connection.close()  # this thread holds none either
    razorpay.faults(latency_ms=1000)
    queried, answered, after = threading.Event(), threading.Event(), []

    def request():
        try:
            ClientApp.objects.exists()
            queried.set()
            get_gateway().create_order(amount=1000, currency="INR", receipt="r", notes={})
            answered.set()
            after.append(ClientApp.objects.exists())
        finally:
            connection.close()

    thread = threading.Thread(target=request)
    thread.start()
    assert queried.wait(10)
    lent_while_waiting = []
    while not answered.is_set() and thread.is_alive():
        lent_while_waiting.append(_lent(connection.pool))
        time.sleep(0.02)
    thread.join(10)
    assert answered.is_set() and after == [False]
    assert 0 in lent_while_waiting
    assert _lent(connection.pool) == 0


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_gateway_call_inside_a_transaction_keeps_it(razorpay):
    """Only tests call the gateway inside a transaction, but one that does keeps its connection,
    and with it what it wrote."""
    with transaction.atomic():
        app = ClientApp.objects.create(name="kept")
        get_gateway().create_order(amount=1000, currency="INR", receipt="r", notes={})
        assert ClientApp.objects.filter(pk=app.pk).exists()
    assert ClientApp.objects.filter(pk=app.pk).exists()
