"""Log lines of real requests: JSON, with their context, and nothing a log must not hold."""

import enum
import io
import json
import logging
import logging.config
import random
import re
import sys
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from pythonjsonlogger.json import JsonFormatter as PythonJsonLoggerFormatter
from rest_framework.test import APIClient

from conftest import SIM_KEY_SECRET, SIM_WEBHOOK_SECRET
from payments_service import logs
from payments_service.logs import (
    ContextFilter,
    JsonFormatter,
    gunicorn_logging_config,
    log_context_bind,
    log_context_end,
    log_context_start,
    logging_config,
    mask,
)
from payments_service.tests.test_settings import PRODUCTION, manage
from webhooks.tests.events import event, payment_entity, sign

pytestmark = pytest.mark.django_db


@pytest.fixture
def log_output():
    """The service's own logging configuration in JSON, writing to a buffer instead of stderr."""
    config = logging_config("json", "INFO")
    config["handlers"]["stderr"]["stream"] = stream = io.StringIO()
    logging.config.dictConfig(config)
    yield stream.getvalue
    logging.config.dictConfig(django_settings.LOGGING)


def test_a_paid_payment_logs_json_lines_with_context_and_no_secrets_or_pii(
    log_output, client_app, initiate, razorpay
):
    created = initiate()
    payment = created.json()
    handler = razorpay.pay(payment["razorpayOrderId"], outcome="authorized")
    confirmed = APIClient().post("/payments/confirm", handler, format="json")
    body = json.dumps(
        event(
            "payment.captured",
            payment_entity(
                order_id=payment["razorpayOrderId"], payment_id=handler["razorpay_payment_id"]
            ),
        )
    ).encode()
    webhook_signature = sign(body)
    delivered = APIClient().post(
        "/webhooks/razorpay",
        body,
        content_type="application/json",
        headers={"X-Razorpay-Signature": webhook_signature, "X-Razorpay-Event-Id": "evt_Log01"},
    )
    assert (created.status_code, confirmed.status_code, delivered.status_code) == (201, 200, 200)

    output = log_output()
    lines = [json.loads(line) for line in output.splitlines()]
    for forbidden in (
        "customer@example.com",
        "+919876543210",
        "9876543210",
        client_app.api_key,
        handler["razorpay_signature"],
        webhook_signature,
        SIM_KEY_SECRET,
        SIM_WEBHOOK_SECRET,
    ):
        assert forbidden not in output
    assert "c***@example.com" in output
    assert "*********3210" in output

    request_id = created["X-Request-ID"]
    initiate_lines = [line for line in lines if line["request_id"] == request_id]
    assert {line["client_app"] for line in initiate_lines} == {"shop"}
    order_create = next(
        line for line in initiate_lines if line.get("gateway_operation") == "order.create"
    )
    assert order_create["payment_id"] == payment["id"]
    assert order_create["gateway_outcome"] == "ok"
    assert order_create["gateway_ms"] > 0
    finished = next(line for line in initiate_lines if line.get("route") == "payments/initiate")
    assert finished["status"] == 201
    assert finished["remote_addr"] == "127.0.0.1"
    assert finished["level"] == "INFO"
    assert finished["timestamp"]

    confirm_lines = [line for line in lines if line["request_id"] == confirmed["X-Request-ID"]]
    operations = {line.get("gateway_operation") for line in confirm_lines}
    assert {"payment.fetch", "payment.capture"} <= operations
    assert {line.get("payment_id") for line in confirm_lines} >= {payment["id"]}


def test_secret_fields_and_values_are_redacted_wherever_they_appear(log_output, settings):
    settings.RAZORPAY_WEBHOOK_SECRET = "whsec-the-webhook-secret"
    logger = logging.getLogger("payments.test")
    try:
        raise ValueError("lookup failed for +919812345678")
    except ValueError:
        logger.exception(
            "called with %s and %s",
            {"Authorization": "Bearer psk_abcdefghijklmnop"},
            "whsec-the-webhook-secret",
            extra={"signature": "not-a-hex-one", "api_key": "psk_x", "customer": "a.b@shop.in"},
        )
    output = log_output()
    line = json.loads(output)
    for forbidden in ("psk_abcdefghijklmnop", "whsec-the-webhook-secret", "not-a-hex-one"):
        assert forbidden not in output
    assert "+919812345678" not in output and "a.b@shop.in" not in output
    assert line["signature"] == line["api_key"] == "[redacted]"
    assert line["customer"] == "a***@shop.in"
    assert "*********5678" in line["exc_info"]
    assert line["request_id"] == "-"  # outside a request


def test_log_format_is_json_in_production_and_plain_in_development():
    script = "from django.conf import settings; print(settings.LOG_FORMAT)"
    assert manage("shell", "--no-imports", "-c", script, **PRODUCTION).stdout == "json\n"
    assert manage("shell", "--no-imports", "-c", script).stdout == "plain\n"
    refused = manage("check", LOG_FORMAT="xml")
    assert refused.returncode != 0 and "LOG_FORMAT must be json or plain" in refused.stderr


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("mail Customer.Name@Example.co.in now", "mail C***@Example.co.in now"),
        ("call +919876543210 or 9876543210", "call *********3210 or ******3210"),
        ("key psk_AbC-123_xyz used", "key psk_[redacted] used"),
        ("BEARER abc.def and Basic dXNlcjpwYXNz", "BEARER [redacted] and Basic [redacted]"),
        ("sig " + "a1" * 32 + ".", "sig [redacted]."),
        ('{"s": "we\\"bhook-secret"}', '{"s": "[redacted]"}'),  # the secret as JSON writes it
        ("nothing to hide 2026-11-26T07:02:51", "nothing to hide 2026-11-26T07:02:51"),
        # Percent-encoded, as a request line's query carries them: masked as they read.
        (
            "GET /payments?externalRef=carol%40example.com HTTP/1.1",
            "GET /payments?externalRef=c***@example.com HTTP/1.1",
        ),
        ("?contact=%2B919876543210&x=1", "?contact=*********3210&x=1"),
        ("?email=carol%2540example.com", "?email=c***@example.com"),  # encoded twice
        ("?q=%0Acarol%40example.com", "?q=%0Ac***@example.com"),  # no raw newline: no forged line
        ("?discount=50%25&q=caf%C3%A9 50% off", "?discount=50%25&q=caf%C3%A9 50% off"),
    ],
)
def test_mask_hides_each_kind_of_sensitive_text(settings, text, masked):
    settings.RAZORPAY_WEBHOOK_SECRET = 'we"bhook-secret'
    assert mask(text) == masked


PII_QUERY = "externalRef=carol%40example.com&contact=%2B919876543210"


@pytest.mark.parametrize("log_format", ["json", "plain"])
def test_a_4xx_request_line_with_percent_encoded_pii_is_logged_masked(log_format):
    """gunicorn's access line (gunicorn.conf.py's format, the service's logging config) and
    runserver's: both carry the raw request line, query string and all."""
    config = gunicorn_logging_config(log_format, "INFO", access_log=True)
    stream = io.StringIO()
    for handler in config["handlers"].values():
        handler["stream"] = stream
    logging.config.dictConfig(config)
    try:
        line = f"GET /payments?{PII_QUERY} HTTP/1.1"
        atoms = {"h": "10.0.0.1", "m": "GET", "U": "/payments", "s": "401", "B": "120"}
        atoms |= {"M": "3", "a": "curl", "{x-request-id}o": "req-1", "r": line}
        logging.getLogger("gunicorn.access").info('%(h)s "%(r)s" %(s)s %(B)s %(M)sms', atoms)
        logging.getLogger("django.server").info('"%s" %s %s', line, "401", "120")
    finally:
        logging.config.dictConfig(django_settings.LOGGING)
    output = stream.getvalue()
    assert len(output.splitlines()) == 2, output
    assert "carol" not in output and "9198765" not in output, output
    assert output.count("c***@example.com") == output.count("contact=*********3210") == 2


# --- the formatter and the masks: what python-json-logger and the plainer patterns wrote --------


class Colour(enum.Enum):
    RED = "red"


def _record(msg="%s paid ₹%d", args=("pay_1", 10), exc_info=None, stack_info=False, **extra):
    logger = logging.getLogger("payments.services")
    record = logger.makeRecord(
        logger.name, logging.WARNING, __file__, 1, msg, args, exc_info, extra=extra, sinfo=None
    )
    if stack_info:
        record.stack_info = "Stack (most recent call last):\n  File here"
    ContextFilter().filter(record)
    return record


def _failure():
    try:
        raise ValueError("gateway said no to +919812345678")
    except ValueError:
        return sys.exc_info()


def test_the_json_line_is_python_json_loggers_line_field_for_field(settings):
    settings.RAZORPAY_WEBHOOK_SECRET = "whsec-the-webhook-secret"
    theirs = PythonJsonLoggerFormatter(
        "{levelname}{name}{message}",
        style="{",
        rename_fields={"levelname": "level", "name": "logger"},
        timestamp=True,
        json_ensure_ascii=False,
    )
    values = {
        "at": datetime(2026, 12, 1, 10, 0, tzinfo=UTC),
        "day": date(2026, 12, 1),
        "amount": Decimal("10.50"),
        "colour": Colour.RED,
        "raw": b"\x00bytes",
        "id": uuid.UUID(int=7),
        "error": ValueError("boom"),
        "kind": ValueError,
        "nested": {"list": [1, 2.5, None, True], "text": "café ₹ 🙂"},
    }
    token = log_context_start(request_id="req-1")
    log_context_bind(client_app="shop", payment_id="pmt_1")
    try:
        records = [
            _record(),
            _record(route="payments/initiate", status=201, duration_ms=4.2, _private="x"),
            _record(**values),
            _record(msg="mail %s", args=("a.b@shop.in",), signature="whsec-the-webhook-secret"),
            _record(exc_info=_failure(), stack_info=True, gateway_operation="order.create"),
            _record(msg="%(h)s %(s)s", args=({"h": "10.0.0.1", "s": 401},)),
            _record(timestamp="set by the caller", level="overridden"),
        ]
    finally:
        log_context_end(token)
    only_text = _record()
    only_text.exc_text = "Traceback (most recent call last):\n  ValueError"
    records.append(only_text)
    for record in records:
        ours = JsonFormatter().format(record)
        assert ours == mask(theirs.format(record))
        assert json.loads(ours)["timestamp"]


def test_context_lines_are_one_json_object_each_with_the_same_keys(log_output):
    token = log_context_start(request_id="req-2")
    try:
        logging.getLogger("payments.api").info("one %s", "line", extra={"payment_id": "pmt_2"})
    finally:
        log_context_end(token)
    (line,) = log_output().splitlines()
    assert list(json.loads(line)) == [
        "level",
        "logger",
        "message",
        "payment_id",
        "request_id",
        "timestamp",
    ]


MASK_ALPHABET = ["+", "+", " ", "_", "a", "Z", "-", ".", "é", "٣", "@", "\n", '"', "x9", "g", "/"]


def _maskable(rng: random.Random) -> str:
    """A string of digit runs, hex runs around 64 and the characters that border them."""
    tokens = []
    for _ in range(rng.randint(1, 6)):
        pick = rng.random()
        if pick < 0.3:
            tokens.append("".join(rng.choices("0123456789", k=rng.randint(1, 17))))
        elif pick < 0.4:
            tokens.append("".join(rng.choices("0123456789abcdefABCDEF", k=rng.randint(60, 68))))
        else:
            tokens.append(rng.choice(MASK_ALPHABET))
    return "".join(tokens)


@pytest.mark.parametrize(
    ("pattern", "plain"),
    [
        (logs._PHONE, r"(?<![\w+])(\+[1-9]\d{6,14}|[6-9]\d{9})\b"),
        (logs._HMAC_HEX, r"\b[0-9a-fA-F]{64}\b"),
    ],
)
def test_the_masks_patterns_match_what_their_plainer_forms_match(pattern, plain):
    plain = re.compile(plain)
    rng = random.Random(18)
    texts = [_maskable(rng) for _ in range(20_000)]
    matched = [text for text in texts if plain.search(text)]
    assert len(matched) > 200  # the strings do hold numbers and digests to find
    for text in texts:
        assert [m.span() for m in pattern.finditer(text)] == [
            m.span() for m in plain.finditer(text)
        ], text
