"""API fault injection: errors, non-JSON bodies, timeouts, latency, and their scoping."""

import time

import pytest
import razorpay
import requests

from .support import rejected


def test_faults_are_off_by_default_and_shown(control):
    faults = control.get("/_sim/faults")

    assert faults["error_rate"] == 0 and faults["timeout_rate"] == 0
    assert (faults["error_status"], faults["error_body"], faults["hang_seconds"]) == (
        502,
        "json",
        30,
    )


@pytest.mark.parametrize(
    ("status", "error", "message"),
    [
        (
            502,
            razorpay.errors.GatewayError,
            "Payment processing failed due to error at bank or wallet gateway",
        ),
        (
            504,
            razorpay.errors.GatewayError,
            "Payment processing failed due to error at bank or wallet gateway",
        ),
        (
            500,
            razorpay.errors.ServerError,
            "The server encountered an error. The incident has been reported to admins.",
        ),
        (429, razorpay.errors.BadRequestError, "Request failed. Please try after sometime."),
    ],
)
def test_error_rate_answers_razorpay_errors(client, control, status, error, message):
    control.post("/_sim/faults", {"error_rate": 1, "error_status": status})

    with rejected(message, error):
        client.order.create({"amount": 100, "currency": "INR"})


def test_html_error_body_is_not_json(sim, client, control):
    control.post("/_sim/faults", {"error_rate": 1, "error_body": "html"})

    with pytest.raises(requests.exceptions.JSONDecodeError):
        client.order.all()
    response = requests.get(f"{sim.url}/v1/orders", timeout=5)
    assert response.status_code == 502
    assert response.headers["Content-Type"].startswith("text/html")


def test_timeout_fault_gives_the_sdk_a_read_timeout(client, control):
    control.post("/_sim/faults", {"timeout_rate": 1, "hang_seconds": 2})

    # A read timeout, not the connection the server closes when its hang ends: the client gave
    # up while the server still hung (a ReadTimeout is no ConnectionError).
    with pytest.raises(requests.exceptions.ReadTimeout):
        client.order.create({"amount": 100, "currency": "INR"}, timeout=(1, 0.5))

    control.post("/_sim/faults", {})
    assert client.order.all()["count"] == 0  # the hung request did nothing


def test_hung_request_is_closed_without_an_answer(sim, control):
    control.post("/_sim/faults", {"timeout_rate": 1, "hang_seconds": 0.1})

    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"{sim.url}/v1/orders", timeout=5)


def test_latency_is_added_to_api_requests(client, control):
    control.post("/_sim/faults", {"latency_ms": 300})
    started = time.monotonic()

    client.order.all()

    assert time.monotonic() - started >= 0.3


def test_paths_and_methods_limit_the_faults(client, control):
    control.post("/_sim/faults", {"error_rate": 1, "paths": ["/v1/orders"], "methods": ["post"]})

    with pytest.raises(razorpay.errors.GatewayError):
        client.order.create({"amount": 100, "currency": "INR"})
    assert client.order.all()["count"] == 0  # GET is not covered
    assert client.refund.all()["count"] == 0  # nor other paths


def test_control_api_is_never_faulted(control):
    control.post("/_sim/faults", {"error_rate": 1, "latency_ms": 0})

    assert control.get("/_sim/health") == {"status": "ok"}


def test_error_rate_is_repeatable_with_a_seed(client, control):
    def pattern():
        control.post("/_sim/faults", {"error_rate": 0.5, "seed": 3})
        outcomes = []
        for _ in range(8):
            try:
                client.order.all()
                outcomes.append("ok")
            except razorpay.errors.GatewayError:
                outcomes.append("error")
        return outcomes

    first = pattern()
    assert first == pattern()
    assert {"ok", "error"} == set(first)


def test_posting_faults_replaces_the_whole_configuration(control):
    control.post("/_sim/faults", {"latency_ms": 5, "webhook_duplicates": 1})
    shown = control.post("/_sim/faults", {"error_rate": 0.1})

    assert (shown["latency_ms"], shown["webhook_duplicates"], shown["error_rate"]) == (0, 0, 0.1)
    assert control.post("/_sim/faults", {})["error_rate"] == 0


@pytest.mark.parametrize(
    "body",
    [
        {"error_rate": 2},
        {"error_rate": "half"},
        {"error_status": 200},
        {"error_body": "xml"},
        {"latency_ms": -1},
        {"webhook_reorder": "yes"},
        {"paths": "/v1"},
        {"refund_outcome": "reversed"},
        {"chaos": True},
    ],
)
def test_invalid_fault_settings_are_rejected(control, body):
    error = control.post("/_sim/faults", body, expect=400)["error"]

    assert error["field"] == next(iter(body))
    assert control.get("/_sim/faults")["error_rate"] == 0
