"""The feed never skips, read while writers commit (PostgreSQL, real threads): an event's
number waits for every earlier event's transaction to end, so a reader resuming after the
last id it saw meets every event, in commit order."""

import random
import threading
import time

import pytest
from django.db import connection, transaction

from notifications.models import Event
from notifications.selectors import event_feed
from notifications.services import event_record
from reliability.tests.conftest import postgres_only
from reliability.waiting import wait_until

pytestmark = [postgres_only, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def record(app, n: int) -> Event:
    return event_record(
        client_app=app, type="payment.failed", object_id=f"pmt_{n}", data={"n": n}, actor="app"
    )


def waiting_on_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND query LIKE '%%notifications_feedposition%%'"
        )
        return cursor.fetchone()[0]


def test_a_later_event_waits_for_an_open_earlier_one_and_both_are_served_in_commit_order(
    client_app,
):
    opened, finish = threading.Event(), threading.Event()

    def slow_writer():
        with transaction.atomic():
            record(client_app, 1)
            opened.set()
            finish.wait(20)
        connection.close()

    def quick_writer():
        record(client_app, 2)  # autocommit: its own transaction
        connection.close()

    slow = threading.Thread(target=slow_writer)
    slow.start()
    assert opened.wait(10)
    quick = threading.Thread(target=quick_writer)
    quick.start()
    wait_until(lambda: waiting_on_a_lock() == 1, timeout=10, what="the second writer to wait")
    assert event_feed(client_app=client_app, after=None, types=[], limit=10) == ([], False)
    finish.set()
    slow.join(10)
    quick.join(10)
    events, _ = event_feed(client_app=client_app, after=None, types=[], limit=10)
    assert [e.data["n"] for e in events] == [1, 2]


def test_a_reader_resuming_from_its_cursor_while_writers_commit_misses_nothing(client_app):
    writers, each = 4, 25
    start = threading.Barrier(writers + 1)

    def write(w: int):
        start.wait(10)
        for i in range(each):
            with transaction.atomic():
                record(client_app, w * 1000 + i)
                time.sleep(random.uniform(0, 0.003))  # commit a moment after numbering
        connection.close()

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    start.wait(10)
    seen, cursor = [], None
    deadline = time.monotonic() + 60
    while len(seen) < writers * each and time.monotonic() < deadline:
        page, _ = event_feed(client_app=client_app, after=cursor, types=[], limit=7)
        seen += [event.data["n"] for event in page]
        cursor = page[-1].id if page else cursor
    for thread in threads:
        thread.join(10)
    everything = sorted(w * 1000 + i for w in range(writers) for i in range(each))
    assert sorted(seen) == everything and len(seen) == len(set(seen))
    per_writer = [[n for n in seen if n // 1000 == w] for w in range(writers)]
    assert all(order == sorted(order) for order in per_writer)
