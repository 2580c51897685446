import pytest
import razorpay

from razorpay_simulator import Simulator

from .support import (
    KEY_ID,
    KEY_SECRET,
    REFUND_DELAY,
    WEBHOOK_BACKOFF,
    WEBHOOK_SECRET,
    Control,
    Receiver,
)

DEFAULT_CONFIG = {
    "webhook_url": None,
    "webhook_secret": None,
    "refund_delay": REFUND_DELAY,
    "webhook_max_attempts": 8,
    "webhook_backoff": WEBHOOK_BACKOFF,
}


@pytest.fixture(scope="session")
def sim():
    with Simulator(
        key_id=KEY_ID,
        key_secret=KEY_SECRET,
        refund_delay=REFUND_DELAY,
        webhook_backoff=WEBHOOK_BACKOFF,
    ) as simulator:
        yield simulator


@pytest.fixture
def control(sim):
    return Control(sim.url)


@pytest.fixture(autouse=True)
def _fresh_simulator(control):
    """Each test starts from an empty simulator with the suite's settings."""
    control.post("/_sim/reset")
    control.post("/_sim/config", DEFAULT_CONFIG)


@pytest.fixture
def client(sim):
    return razorpay.Client(auth=(KEY_ID, KEY_SECRET), base_url=sim.url)


@pytest.fixture
def receiver(control):
    """A webhook endpoint the simulator delivers to, signed with WEBHOOK_SECRET."""
    receiver = Receiver()
    control.post("/_sim/config", {"webhook_url": receiver.url, "webhook_secret": WEBHOOK_SECRET})
    yield receiver
    receiver.close()


@pytest.fixture
def order(client):
    return client.order.create({"amount": 50000, "currency": "INR", "receipt": "rcpt-1"})


@pytest.fixture
def captured(client, control, order):
    """A captured ₹500.00 card payment."""
    result = control.pay(order["id"], "captured")
    return client.payment.fetch(result["razorpay_payment_id"])
