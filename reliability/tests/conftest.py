import pytest
from django.conf import settings as django_settings

from conftest import SIM_WEBHOOK_SECRET, requires
from reliability.clients import ShopClient

IS_POSTGRES = django_settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
postgres_only = requires(IS_POSTGRES, "PostgreSQL (set DATABASE_URL=postgresql://...)")


@pytest.fixture
def sim(razorpay):
    """The simulator with no faults and its session settings (the `razorpay` fixture); a test
    that wants webhooks asks for `webhooks_to_live_server`."""
    yield razorpay
    razorpay.faults()


class FaultWindow:
    """Simulator faults with a short gateway read timeout while they last, so timeout scenarios
    stay short; after `end()`, no faults and a generous timeout, so that a slow answer on a
    loaded machine is never mistaken for the fault."""

    def __init__(self, sim, settings):
        self.sim, self.settings = sim, settings

    def __call__(self, **faults) -> None:
        self.settings.RAZORPAY_READ_TIMEOUT = 0.5
        self.sim.faults(**faults)

    def end(self) -> None:
        self.sim.faults()
        self.settings.RAZORPAY_READ_TIMEOUT = 5.0


@pytest.fixture
def faults(sim, settings) -> FaultWindow:
    return FaultWindow(sim, settings)


@pytest.fixture
def webhooks_to_live_server(sim, live_server):
    """The simulator delivers its signed webhooks to the live server, quickly retried."""
    sim.configure(
        webhook_url=f"{live_server.url}/webhooks/razorpay",
        webhook_secret=SIM_WEBHOOK_SECRET,
        webhook_backoff=0.1,
        webhook_max_attempts=8,
    )
    return sim


@pytest.fixture
def shop(live_server, client_app) -> ShopClient:
    """The `shop` client app over real HTTP to the live server."""
    return ShopClient(live_server.url, client_app.api_key)
