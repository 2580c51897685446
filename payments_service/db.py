"""Database helpers shared by the apps."""

from contextlib import nullcontext

from django.db import IntegrityError, connection, transaction


def insert_unless_exists(model, **fields):
    """The new row, or None when a unique constraint says it already exists (a concurrent
    copy of the request won). Outside a transaction this is one INSERT; inside one, a
    savepoint keeps the transaction usable after the violation."""
    try:
        with transaction.atomic() if connection.in_atomic_block else nullcontext():
            return model.objects.create(**fields)
    except IntegrityError:
        return None
