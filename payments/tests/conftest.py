import pytest

BODY = {
    "externalRef": "order_123",
    "sourceApp": "shop",
    "amount": 1000,
    "currency": "INR",
    "email": "customer@example.com",
    "contact": "+919876543210",
    "metadata": {"productId": "prod_123", "customerId": "cust_456"},
}


@pytest.fixture
def initiate(api):
    """POST /payments/initiate as the `shop` app with the seed's body (fields overridable)."""

    def send(key: str = "key-1", client=None, **overrides):
        return (client or api).post(
            "/payments/initiate",
            {**BODY, **overrides},
            format="json",
            headers={"Idempotency-Key": key},
        )

    return send
