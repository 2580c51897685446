"""A client app and a customer's browser, over real HTTP (a live server or a real process)."""

import time

import requests

from conftest import INITIATE_BODY

PROBLEM_FIELDS = {"type", "title", "status", "detail", "code", "requestId"}


class ShopClient:
    """The `shop` client app calling the service at `base_url`, every call with a timeout."""

    def __init__(self, base_url: str, api_key: str, *, timeout: float = 30):
        self.base_url = base_url
        self.timeout = timeout
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {api_key}"

    def initiate(self, *, key: str, timeout: float | None = None, **fields) -> requests.Response:
        return self.http.post(
            f"{self.base_url}/payments/initiate",
            json={**INITIATE_BODY, **fields},
            headers={"Idempotency-Key": key},
            timeout=timeout or self.timeout,
        )

    def confirm(self, handler: dict) -> requests.Response:
        """What the customer's browser posts after Checkout (no API key)."""
        return requests.post(
            f"{self.base_url}/payments/confirm", json=handler, timeout=self.timeout
        )

    def refund(self, payment_id: str, *, key: str, **fields) -> requests.Response:
        return self.http.post(
            f"{self.base_url}/payments/{payment_id}/refunds",
            json=fields,
            headers={"Idempotency-Key": key},
            timeout=self.timeout,
        )

    def payment(self, payment_id: str) -> requests.Response:
        return self.http.get(f"{self.base_url}/payments/{payment_id}", timeout=self.timeout)

    def close(self) -> None:
        """Ends the kept-alive connections: a server thread holds a database connection for
        as long as its client's connection stays open."""
        self.http.close()


IN_FLIGHT = {"idempotency_key_in_use", "payment_in_progress"}


def retry_while_in_flight(send, *, timeout: float = 20) -> requests.Response:
    """Sends until the answer is not a 409 saying an earlier request still runs (its key or
    its payment's order claim is leased), honouring Retry-After (capped at 1 s so the poll
    stays quick), for at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        response = send()
        busy = response.status_code == 409 and response.json().get("code") in IN_FLIGHT
        if not busy:
            return response
        if time.monotonic() >= deadline:
            raise AssertionError(f"the key was still in use after {timeout}s: {response.text}")
        time.sleep(min(float(response.headers.get("Retry-After", "1")), 1.0))


def assert_problem(response, status: int, code: str) -> dict:
    """An RFC 9457 problem of this status and code, with every member the contract names."""
    text = response.text if hasattr(response, "text") else response.content.decode()
    assert response.status_code == status, (response.status_code, text[:500])
    assert response.headers["Content-Type"] == "application/problem+json", response.headers
    body = response.json()
    assert body.keys() >= PROBLEM_FIELDS, body
    assert (body["status"], body["code"], body["type"]) == (status, code, f"urn:problem:{code}")
    assert body["requestId"] == response.headers["X-Request-ID"]
    assert "Traceback" not in text
    return body
