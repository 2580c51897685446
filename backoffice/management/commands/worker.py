"""The background worker: Django's task worker for every queue, plus the chore scheduler and
the dispatcher of event deliveries to client apps' endpoints (notifications/deliveries.py).

Run one per machine (or more); any number may run against one database: tasks are claimed
with SKIP LOCKED and each chore is claimed by one scheduler. SIGTERM lets the running task
finish; SIGKILL loses nothing but time (see backoffice/chores.py).
"""

import logging
import threading
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import DatabaseError, close_old_connections
from django_tasks_db.management.commands.db_worker import Worker

from backoffice.chores import WORKER_ID, chores_enqueue_due, chores_ensure
from notifications.deliveries import deliveries_dispatch

logger = logging.getLogger("backoffice.worker")


class Command(BaseCommand):
    help = "Run the task worker (every queue), the chore scheduler and event deliveries."

    def handle(self, *args, **options):
        poll = settings.WORKER_POLL_SECONDS
        chores_ensure()
        threading.Thread(target=_schedule, args=(poll,), name="chores", daemon=True).start()
        # Not a chore: it runs all the time, and a chore run would be recorded every second.
        threading.Thread(
            target=deliveries_dispatch, kwargs={"poll": poll}, name="deliveries", daemon=True
        ).start()
        logger.info("worker %s started (polling every %ss)", WORKER_ID, poll)
        worker = Worker(
            queue_names=["*"],
            interval=poll,
            batch=False,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=WORKER_ID,
            excluded_queue_names=[],
        )
        worker.configure_signals()
        worker.run()


def _schedule(poll: float) -> None:
    while True:
        close_old_connections()
        try:
            chores_enqueue_due()
        except DatabaseError:  # the database away for a moment: the next tick tries again
            logger.exception("chore scheduler: database error")
        time.sleep(poll)
