"""Fixtures shared by every app's tests: the Razorpay simulator, client apps, API clients."""

import os
import re
import shutil
import uuid
from contextlib import contextmanager

import pytest
import requests
from rest_framework.test import APIClient

from payments.examples import INITIATE_REQUEST

SIM_KEY_ID = "rzp_test_T3stS1mulat0rX"
SIM_KEY_SECRET = "test_simulator_key_secret"
SIM_WEBHOOK_SECRET = "test_simulator_webhook_secret"
# What every test starts from; a test that wants webhooks sets webhook_url itself.
SIM_SETTINGS = {
    "webhook_url": None,
    "webhook_secret": SIM_WEBHOOK_SECRET,
    "refund_delay": 0.2,
    "webhook_max_attempts": 8,
    "webhook_backoff": 0.2,
}


def requires(available: bool, what: str):
    """Skip, saying why, where a real dependency is missing; never in CI, which must have it."""
    if available:
        return pytest.mark.skipif(False, reason="")
    if os.environ.get("CI") == "true":
        raise RuntimeError(f"CI must run these tests, but {what} is missing")
    return pytest.mark.skip(reason=f"needs {what} (.ci/run provides it)")


def needs(service: str, env_var: str):
    """`requires` for a service configured through an environment variable."""
    return requires(bool(os.environ.get(env_var)), f"{service}: set {env_var}")


class SimulatorControl:
    """The simulator's control API, as a test drives it (plain HTTP, like a browser would)."""

    def __init__(self, url: str):
        self.url = url
        self.http = requests.Session()

    def _post(self, path: str, body: dict | None = None) -> dict:
        response = self.http.post(self.url + path, json=body or {}, timeout=10)
        response.raise_for_status()
        return response.json()

    def reset(self) -> None:
        self._post("/_sim/reset")

    def pay(self, order_id: str, outcome: str = "captured", method: str = "card", **choice) -> dict:
        """The handler's fields, or `{"error": {...}}`; `choice`: e.g. error_reason, card_number."""
        body = {"outcome": outcome, "method": method, **choice}
        return self._post(f"/_sim/orders/{order_id}/pay", body)

    def faults(self, **faults) -> None:
        self._post("/_sim/faults", faults)

    def configure(self, **config) -> None:
        self._post("/_sim/config", config)

    def received(self, method: str, path: str) -> int:
        """How many API requests of this method to paths starting with `path` have arrived."""
        items = self.http.get(self.url + "/_sim/requests", timeout=10).json()["items"]
        return sum(1 for i in items if i["method"] == method and i["path"].startswith(path))

    def webhooks(self) -> list[dict]:
        return self.http.get(self.url + "/_sim/webhooks", timeout=10).json()["items"]


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, request):
    """Settings name the test database after the process that imported them; a session in a
    process forked from it (`make mutate` runs each mutant's tests so, side by side) renames it
    after itself, so that two never share one. With --reuse-db it starts from a copy of the
    importing process's SQLite database, already migrated, and removes it at the end."""
    from django.db import connections

    # Live-server tests send more requests at once than a production worker's pool lends
    # connections (ten refunds queueing on one row lock): here each gets its own.
    pool = connections["default"].settings_dict["OPTIONS"].get("pool")
    if pool:
        pool["max_size"] = max(pool["max_size"], 32)
    test = connections["default"].settings_dict["TEST"]
    imported = str(test["NAME"])
    test["NAME"] = ours = re.sub(r"\d+(\.sqlite3)?$", rf"{os.getpid()}\g<1>", imported)
    if ours == imported or not ours.endswith(".sqlite3") or not request.config.option.reuse_db:
        return
    suffixes = ("", "-wal", "-shm")  # WAL mode: the log may hold what the file does not yet
    for suffix in suffixes:
        if os.path.exists(imported + suffix):
            shutil.copyfile(imported + suffix, ours + suffix)

    def remove():
        for suffix in suffixes:
            if os.path.exists(ours + suffix):
                os.remove(ours + suffix)

    request.addfinalizer(remove)


@pytest.fixture(scope="session")
def live_server(live_server, django_db_blocker):
    """pytest-django's, and once it has stopped no connection of its request threads left: a
    thread still serving a keep-alive client may hold one lent by the pool, and PostgreSQL
    cannot drop the test database while it is open."""
    yield live_server
    from django.db import connection

    if connection.vendor == "postgresql":
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )


@pytest.fixture(scope="session")
def simulator():
    from razorpay_simulator import Simulator

    sim = Simulator(
        key_id=SIM_KEY_ID,
        key_secret=SIM_KEY_SECRET,
        webhook_secret=SIM_WEBHOOK_SECRET,
        refund_delay=0.2,
    ).start()
    yield sim
    sim.stop()


@pytest.fixture
def razorpay(simulator, settings) -> SimulatorControl:
    """A clean simulator, with the service's gateway settings pointing at it."""
    control = SimulatorControl(simulator.url)
    control.reset()  # forgets state and faults; settings outlive it, so they are set again
    control.configure(**SIM_SETTINGS)
    settings.RAZORPAY_API_BASE_URL = simulator.url
    settings.RAZORPAY_KEY_ID = SIM_KEY_ID
    settings.RAZORPAY_KEY_SECRET = SIM_KEY_SECRET
    settings.RAZORPAY_WEBHOOK_SECRET = SIM_WEBHOOK_SECRET
    settings.RAZORPAY_READ_TIMEOUT = 2.0
    return control


@pytest.fixture
def client_app(db):
    from clients.services import client_app_create

    app, key = client_app_create(name="shop")
    app.api_key = key
    return app


@pytest.fixture
def api(client_app) -> APIClient:
    """An API client authenticated as the `shop` client app."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {client_app.api_key}")
    return client


# The documented example, with a second metadata key.
INITIATE_BODY = {
    **INITIATE_REQUEST,
    "metadata": {"productId": "prod_123", "customerId": "cust_456"},
}


@pytest.fixture
def initiate(api):
    """POST /payments/initiate as the `shop` app with the seed's body (fields overridable)."""

    def send(key: str = "key-1", client=None, **overrides):
        return (client or api).post(
            "/payments/initiate",
            {**INITIATE_BODY, **overrides},
            format="json",
            headers={"Idempotency-Key": key},
        )

    return send


@pytest.fixture(autouse=True)
def _fresh_rate_limits(settings):
    """Rate-limit counters (keyed by app id or IP) must not leak from one test to the next;
    a prefix of its own per test, rather than flushing a cache other runs may share."""
    settings.RATELIMIT_CACHE_PREFIX = f"rl:{uuid.uuid4().hex}:"


@pytest.fixture
def sql():
    """`with sql() as statements:` lists each SQL statement run inside, as "VERB table" (plus
    " FOR UPDATE" when it locks: `locked(table)`) or COMMIT, to pin what a request costs. Use it
    in a test marked `django_db(transaction=True)`: inside a test's transaction every atomic
    block would add a SAVEPOINT that production does not run."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    @contextmanager
    def capture():
        statements = []
        with CaptureQueriesContext(connection) as captured:
            yield statements
        described = (_describe(query["sql"]) for query in captured.captured_queries)
        # SQLite's backend runs BEGIN as a statement, PostgreSQL's driver does not.
        statements.extend(each for each in described if each != "BEGIN")

    return capture


def locked(table: str) -> str:
    """How `sql()` shows a locking read of `table` on this database (SQLite has no FOR UPDATE:
    it locks the whole database for writing instead)."""
    from django.db import connection

    return f"SELECT {table}" + (" FOR UPDATE" if connection.features.has_select_for_update else "")


def event_insert() -> str:
    """How `sql()` shows an event's insert: on PostgreSQL one statement that also numbers it
    (`WITH` the feed position's upsert, then the INSERT); elsewhere a plain INSERT."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return "WITH notifications_feedposition"
    return "INSERT notifications_event"


def _describe(statement: str) -> str:
    verb = statement.split(None, 1)[0].upper()
    table = re.search(r'\b(?:FROM|INTO|UPDATE)\s+"?(\w+)', statement)
    lock = " FOR UPDATE" if " FOR UPDATE" in statement else ""
    return f"{verb} {table[1]}{lock}" if table else verb


class QueuedTasks:
    """Runs what the service enqueued, in this process, as `manage.py worker` would (its loop
    would close a test's transaction, so each ready task is claimed and run here)."""

    def run(self) -> int:
        from django_tasks_db.management.commands.db_worker import Worker
        from django_tasks_db.models import DBTaskResult

        worker = Worker(
            queue_names=["*"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id="test",
            excluded_queue_names=[],
        )
        ran = 0
        while (result := DBTaskResult.objects.ready().order_by("enqueued_at").first()) is not None:
            result.claim("test")
            worker.run_task(result)
            ran += 1
        return ran

    def names(self) -> list[str]:
        from django_tasks_db.models import DBTaskResult

        return [r.task_path for r in DBTaskResult.objects.ready().order_by("enqueued_at")]


@pytest.fixture
def queued_tasks(db) -> QueuedTasks:
    return QueuedTasks()


@pytest.fixture
def browser(monkeypatch):
    """Debian's headless Chromium (reliability/browser.py); the test's own ORM calls between
    page actions stay synchronous."""
    from reliability.browser import chromium

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with chromium() as browser:
        yield browser
