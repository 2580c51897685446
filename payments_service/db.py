"""Database helpers shared by the apps."""

from contextlib import nullcontext

from django.db import IntegrityError, connection, migrations, transaction


def insert_unless_exists(model, **fields):
    """The new row, or None when a unique constraint says it already exists (a concurrent
    copy of the request won). Outside a transaction this is one INSERT; inside one, a
    savepoint keeps the transaction usable after the violation."""
    try:
        with transaction.atomic() if connection.in_atomic_block else nullcontext():
            return model.objects.create(**fields)
    except IntegrityError:
        return None


class AddIndexConcurrentlyOnPostgres(migrations.AddIndex):
    """AddIndex that does not block writes to a live table on PostgreSQL (CREATE INDEX
    CONCURRENTLY: its migration says `atomic = False`); a plain CREATE INDEX elsewhere."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.add_index(model, self.index, concurrently=True)
        else:
            schema_editor.add_index(model, self.index)
