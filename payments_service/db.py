"""Database helpers shared by the apps.

The hottest statements (a few per request: the key's claim, a payment's insert, lock and
update) skip the ORM's per-call work, which costs two to six times the database round trip
itself: building and compiling the SQL. `Select` compiles a queryset once per process;
`insert_row` and `update_row` write one row by primary key from the model's own field
definitions (defaults, `auto_now`, JSON encoding), through the same connection and transaction.
No model here has signal receivers; these writes send none.
"""

from collections.abc import Callable
from contextlib import nullcontext

from django.db import IntegrityError, connections, migrations, models, router, transaction
from django.db.models import Model, QuerySet

# The SQL of `insert_row` and `update_row`, made once per database, model and field set.
_SQL: dict = {}

# Fields whose database value is the Python value itself when it has this type: Django's
# preparation (`get_db_prep_save` and the four calls below it) returns it unchanged. Exact
# classes only: a subclass may prepare its values otherwise.
_PLAIN_TYPES = {
    models.CharField: str,
    models.EmailField: str,
    models.SlugField: str,
    models.TextField: str,
    models.IntegerField: int,
    models.BigIntegerField: int,
    models.PositiveIntegerField: int,
    models.PositiveBigIntegerField: int,
    models.SmallIntegerField: int,
    models.BooleanField: bool,
}


def _db_value(field, value, connection):
    """`field.get_db_prep_save(value)`, without its calls for a plain value of a plain field."""
    plain = _PLAIN_TYPES.get(type(field))
    if plain is not None and (value is None or type(value) is plain):
        return value
    return field.get_db_prep_save(value, connection)


def insert_unless_exists(model, **fields):
    """The new row, or None when a unique constraint says it already exists (a concurrent
    copy of the request won). Outside a transaction this is one INSERT; inside one, a
    savepoint keeps the transaction usable after the violation."""
    connection = connections[router.db_for_write(model)]
    try:
        with transaction.atomic() if connection.in_atomic_block else nullcontext():
            return insert_row(model(**fields))
    except IntegrityError:
        return None


def insert_row(instance: Model) -> Model:
    """`instance.save(force_insert=True)` for a hot path: one INSERT, its SQL made once per
    model; the database's id is set on the instance."""
    model = type(instance)
    alias = router.db_for_write(model)
    connection = connections[alias]
    meta = model._meta
    sql, fields = _SQL.get((alias, model, "insert"), (None, None))
    if sql is None:
        fields = [f for f in meta.concrete_fields if not f.db_returning]
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in fields)
        marks = ", ".join(["%s"] * len(fields))
        # Names from the model's meta; values are parameters.
        sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608
        if meta.pk.db_returning:
            sql += f" RETURNING {quote(meta.pk.column)}"
        _SQL[(alias, model, "insert")] = (sql, fields)
    # A plain field's pre_save reads its attribute; the others may fill it (auto_now, defaults).
    values = [
        _db_value(
            f,
            getattr(instance, f.attname) if type(f) in _PLAIN_TYPES else f.pre_save(instance, True),
            connection,
        )
        for f in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        if meta.pk.db_returning:
            setattr(instance, meta.pk.attname, cursor.fetchone()[0])
    instance._state.adding = False
    instance._state.db = alias
    return instance


def update_row(model: type[Model], pk, *, where: dict | None = None, **values) -> int:
    """`model.objects.filter(pk=pk, **where).update(**values)` for a hot path: plain values and
    equality conditions only; the number of rows changed."""
    where = where or {}
    alias = router.db_for_write(model)
    connection = connections[alias]
    key = (alias, model, "update", tuple(values), tuple(where))
    sql = _SQL.get(key)
    meta = model._meta
    if sql is None:
        quote = connection.ops.quote_name
        sets = ", ".join(f"{quote(meta.get_field(name).column)} = %s" for name in values)
        conditions = [meta.pk.column, *(meta.get_field(name).column for name in where)]
        matches = " AND ".join(f"{quote(column)} = %s" for column in conditions)
        sql = f"UPDATE {quote(meta.db_table)} SET {sets} WHERE {matches}"  # noqa: S608
        _SQL[key] = sql
    params = [_db_value(meta.get_field(n), v, connection) for n, v in values.items()]
    params.append(meta.pk.get_db_prep_value(pk, connection))
    params += [meta.get_field(n).get_db_prep_value(v, connection) for n, v in where.items()]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def save_fields(instance: Model, fields: list[str]) -> None:
    """`instance.save(update_fields=fields)` for a hot path (an `auto_now` field among them is
    set to now, as save sets it)."""
    meta = instance._meta
    values = {name: meta.get_field(name).pre_save(instance, False) for name in fields}
    update_row(type(instance), instance.pk, **values)


class Select:
    """A queryset compiled once per process, then run with new values: `build(**names)`
    returns the queryset with each value it filters on given by name. Rows become models as the
    ORM makes them (`Model.from_db`, the same converters), with the foreign keys it follows
    (`select_related`, one level) attached."""

    def __init__(self, build: Callable[..., QuerySet]):
        # `build` must slice what it reads (`[:1]` for `first`): the SQL is made once.
        self._build = build
        self._model: type[Model] | None = None
        self._compiled: dict[str, tuple] = {}

    def first(self, **values) -> Model | None:
        found = self.all(**values)
        return found[0] if found else None

    def all(self, **values) -> list[Model]:
        if self._model is None:
            self._model = self._build(**values).model
        alias = router.db_for_read(self._model)
        sql, params, models, converters = self._compile(alias, values)
        connection = connections[alias]
        with connection.cursor() as cursor:
            cursor.execute(sql, [values[p] if isinstance(p, _Name) else p for p in params])
            rows = cursor.fetchall()
        return [self._model_of(row, alias, connection, models, converters) for row in rows]

    @staticmethod
    def _model_of(row, alias, connection, models, converters) -> Model:
        row = list(row)
        for index, expression, functions in converters:
            for convert in functions:
                row[index] = convert(row[index], expression, connection)
        found = None
        for model, names, start, end, field in models:
            obj = model.from_db(alias, names, row[start:end])
            if found is None:
                found = obj
            else:
                setattr(found, field.name, obj)
        return found

    def _compile(self, alias: str, values: dict) -> tuple:
        compiled = self._compiled.get(alias)
        if compiled is not None:
            return compiled
        # Each value is compiled as an unlikely number (a text field makes it its digits), found
        # among the parameters by that, and named there.
        marks = {name: -(2**62) - index for index, name in enumerate(values)}
        by_mark = {str(mark): _Name(name) for name, mark in marks.items()}
        queryset = self._build(**marks)
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        params = [by_mark.get(str(p), p) for p in params]
        columns = [col for col, _, _ in compiler.select]
        info = compiler.klass_info
        models = [_slice(info, columns, None)]
        for related in info.get("related_klass_infos", ()):
            if related["reverse"] or related.get("related_klass_infos"):
                raise ValueError("Select follows forward foreign keys, one level deep")
            models.append(_slice(related, columns, related["field"]))
        converters = [
            (index, col, functions)
            for index, (functions, col) in compiler.get_converters(columns).items()
        ]
        compiled = self._compiled[alias] = (sql, params, models, converters)
        return compiled


class _Name(str):
    """The name of a value `Select.first` fills in at each call."""


def _slice(info: dict, columns: list, field) -> tuple:
    start, end = info["select_fields"][0], info["select_fields"][-1] + 1
    names = [col.target.attname for col in columns[start:end]]
    return info["model"], names, start, end, field


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


def release_connections() -> None:
    """Hands this thread's idle database connections back to the pool: a request waiting on
    Razorpay then holds none, so a worker's threads can outnumber its connections. A
    connection inside a transaction stays (the gateway is never called in one but a test's);
    without a pool (SQLite, or CONN_MAX_AGE) closing would only cost a reconnect, so it stays."""
    for connection in connections.all(initialized_only=True):
        if getattr(connection, "pool", None) and not connection.in_atomic_block:
            connection.close()
