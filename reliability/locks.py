"""Contention on purpose (PostgreSQL): hold one row's lock from a connection of the test's own,
wait until the requests under test queue behind it, then let them all go at once.

A race that only "probably" overlapped proves nothing; backends that PostgreSQL reports as
waiting on a Lock that this holder holds did overlap, and are released together.

    with row_locked("payments_payment", payment_id) as lock:
        ...start the racing requests...
        waiters = lock.wait_for_waiters(2)
        lock.release()
        ...join them...
"""

from contextlib import contextmanager

import psycopg
from psycopg import sql

from payments_service.tests.servers import current_database_url

from .waiting import wait_until


class RowLock:
    """A row locked FOR UPDATE in a transaction of its own, until `release()`."""

    def __init__(self, connection: psycopg.Connection, table: str, pk):
        self._connection = connection
        self.table, self.pk = table, pk
        self.pid = connection.info.backend_pid
        self.released = False

    def waiters(self) -> list[tuple[int, str]]:
        """(pid, query) of each backend of this database waiting, directly or in the queue,
        on this holder's lock. Only the first in line waits on the holder itself (for its
        transaction); the next ones wait on the row's tuple lock, which the first one holds."""
        with self._connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_clear_snapshot()")  # fresh activity, not cached
            cursor.execute(
                "SELECT pid, query, pg_blocking_pids(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            waiting = {pid: (query, set(blockers)) for pid, query, blockers in cursor.fetchall()}
        behind, grew = {self.pid}, True
        while grew:
            queued = {pid for pid, (_, blockers) in waiting.items() if blockers & behind}
            grew = not queued <= behind
            behind |= queued
        return sorted((pid, waiting[pid][0]) for pid in behind - {self.pid})

    def wait_for_waiters(self, count: int, *, timeout: float = 30) -> list[tuple[int, str]]:
        """The waiters, once at least `count` backends wait on this lock."""

        def queued():
            waiting = self.waiters()
            return waiting if len(waiting) >= count else None

        return wait_until(
            queued,
            timeout=timeout,
            what=f"{count} backend(s) to wait on the lock of {self.table} {self.pk!r}",
            interval=0.02,
        )

    def release(self) -> None:
        """Ends the holder's transaction: every waiter goes at once."""
        if not self.released:
            self._connection.rollback()
            self.released = True


@contextmanager
def row_locked(table: str, pk, *, column: str = "id"):
    """`SELECT ... FOR UPDATE` of the row of `table` whose `column` is `pk`, held by a
    connection of its own to the test's database (the test must commit: transaction=True)
    until `release()` or the end of the block."""
    connection = psycopg.connect(current_database_url(), autocommit=False)
    try:
        with connection.cursor() as cursor:
            statement = sql.SQL("SELECT 1 FROM {} WHERE {} = %s FOR UPDATE").format(
                sql.Identifier(table), sql.Identifier(column)
            )
            cursor.execute(statement, [pk])
            if cursor.fetchone() is None:
                raise LookupError(f"no row of {table} has {column} = {pk!r}")
        lock = RowLock(connection, table, pk)
        try:
            yield lock
        finally:
            lock.release()
    finally:
        connection.close()
