"""A client app and a customer's browser, over real HTTP (a live server or a real process)."""

import time

import requests

from conftest import INITIATE_BODY

PROBLEM_FIELDS = {"type", "title", "status", "detail", "code", "requestId"}


class ShopClient:
    """The `shop` client app calling the service at `base_url`, every call with a timeout.

    One connection per request, closed by both ends (`Connection: close`): a server thread
    holds a database connection for as long as its client's connection stays open, and a
    kept-alive one could outlive the test (PostgreSQL then cannot drop the test database).
    """

    def __init__(self, base_url: str, api_key: str, *, timeout: float = 30):
        self.base_url = base_url
        self.api_key = api_key
        self.timeout = timeout

    def request(self, method: str, path: str, *, auth=True, **kwargs) -> requests.Response:
        headers = {"Connection": "close", **kwargs.pop("headers", {})}
        if auth:
            headers["Authorization"] = f"Bearer {self.api_key}"
        kwargs.setdefault("timeout", self.timeout)
        with requests.Session() as session:
            return session.request(method, self.base_url + path, headers=headers, **kwargs)

    def initiate(self, *, key: str, timeout: float | None = None, **fields) -> requests.Response:
        return self.request(
            "POST",
            "/payments/initiate",
            json={**INITIATE_BODY, **fields},
            headers={"Idempotency-Key": key},
            timeout=timeout or self.timeout,
        )

    def confirm(self, handler: dict) -> requests.Response:
        """What the customer's browser posts after Checkout (no API key)."""
        return self.request("POST", "/payments/confirm", json=handler, auth=False)

    def refund(self, payment_id: str, *, key: str, **fields) -> requests.Response:
        return self.request(
            "POST", f"/payments/{payment_id}/refunds", json=fields, headers={"Idempotency-Key": key}
        )

    def payment(self, payment_id: str) -> requests.Response:
        return self.request("GET", f"/payments/{payment_id}")


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


def assert_problem(response, status: int, code: str | set[str]) -> dict:
    """An RFC 9457 problem of this status and code (or one of these codes), with every member
    the contract names."""
    text = response.text if hasattr(response, "text") else response.content.decode()
    assert response.status_code == status, (response.status_code, text[:500])
    assert response.headers["Content-Type"] == "application/problem+json", response.headers
    body = response.json()
    assert body.keys() >= PROBLEM_FIELDS, body
    codes = {code} if isinstance(code, str) else code
    assert body["status"] == status and body["code"] in codes, body
    assert body["type"] == f"urn:problem:{body['code']}", body
    assert body["requestId"] == response.headers["X-Request-ID"]
    assert "Traceback" not in text
    return body
