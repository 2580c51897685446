import pytest

from payments.models import Payment


@pytest.fixture
def order(initiate, razorpay) -> Payment:
    """A payment initiated through the API: its Razorpay order awaits the customer."""
    return Payment.objects.get(pk=initiate().json()["id"])
