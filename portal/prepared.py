"""A read the ORM compiles once per process instead of on every request.

Django builds a query's SQL again each time a queryset runs. For a read with many joins
and subqueries, on a path a customer hits with every keystroke (the checkout preview),
compiling costs several times what the database spends answering. `PreparedRead`
compiles the queryset once per database connection's vendor, with a stand-in value for
each lookup it is asked by, remembers where each stand-in sits among the parameters, and
afterwards runs the same SQL with the values asked for. Rows become objects exactly as
the queryset would make them (select_related, annotations, converters): the queryset
runs as usual, only its compiler hands back the SQL it already built.

A stand-in must appear exactly once among the compiled parameters, as it was given, or
building the read fails loudly: only lookups that pass their value through unchanged
(exact ones) can be prepared.

It is not a PostgreSQL prepared statement. Preparing it on the pooled connection made the
preview's checkout read about three times faster (PostgreSQL planned its six subqueries
on every request), but a migration that changes the type of a column such a statement
selects, run while the old processes still serve, makes its next execution on every
connection fail ("cached plan must not change result type") inside the request's
transaction: a 500 per connection and read during a deploy. Recovering needs a savepoint
around every read, which costs the round trips it saved
(tests/portal/test_prepared_schema_change.py)."""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any, Generic, TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.db.models import QuerySet

T = TypeVar("T")


def stand_in(kind: type, index: int) -> Any:
    """A value of `kind` no read is ever asked with, one per index: a negative primary
    key, a string no slug or token holds, a day before any business."""
    if kind is int:
        return -7_364_091_523 - index
    if kind is str:
        # With the characters a LIKE escapes: a lookup that changes its value before it
        # reaches the database (contains, iexact on SQLite…) then never finds its stand-in,
        # and the read is refused when built instead of matching what it should not.
        return f"\x1fprepared%_\\read-stand-in-{index}\x1f"
    if kind is date:
        return date(1, 1, 1) + timedelta(days=index)
    raise ImproperlyConfigured(f"A prepared read takes no {kind.__name__} values.")


def _as_parameter(connection, value: Any) -> Any:
    # As the compiled parameters hold it: SQLite's backend turns a day into text.
    if isinstance(value, date):
        return connection.ops.adapt_datefield_value(value)
    return value


class PreparedRead(Generic[T]):
    """`build(**values)`'s queryset, compiled once with a stand-in for each value (of
    the type `kinds` gives); `read(**values)` returns its rows for those values, as
    objects, tuples or values, whatever the queryset returns."""

    def __init__(self, build: Callable[..., QuerySet], **kinds: type) -> None:
        self._build = build
        self._kinds = kinds
        self._compiled: dict[str, tuple[QuerySet, Any, str, tuple, dict[str, int]]] = {}
        self._lock = threading.Lock()

    def _compile(self, connection, using: str):
        with self._lock:
            if connection.vendor not in self._compiled:
                stand_ins = {
                    name: stand_in(kind, index)
                    for index, (name, kind) in enumerate(self._kinds.items())
                }
                queryset = self._build(**stand_ins).using(using)
                compiler = queryset.query.get_compiler(using=using)
                sql, params = compiler.as_sql()
                positions = {}
                for name, value in stand_ins.items():
                    wanted = _as_parameter(connection, value)
                    found = [i for i, param in enumerate(params) if param == wanted]
                    if len(found) != 1:
                        raise ImproperlyConfigured(
                            f"{name}'s value appears {len(found)} times in the compiled read."
                        )
                    positions[name] = found[0]
                self._compiled[connection.vendor] = (
                    queryset,
                    compiler,
                    sql,
                    tuple(params),
                    positions,
                )
            return self._compiled[connection.vendor]

    def read(self, *, using: str = "default", **values: Any) -> list[T]:
        if values.keys() != self._kinds.keys():
            raise TypeError(f"This prepared read takes {sorted(self._kinds)}.")
        connection = connections[using]
        queryset, compiled, sql, params, positions = self._compile(connection, using)
        asked = list(params)
        for name, value in values.items():
            asked[positions[name]] = _as_parameter(connection, value)
        # The compiled read's copy, on this thread's connection, answering with the SQL
        # it built; what it learned compiling (columns, joins, converters) is shared.
        compiler = copy.copy(compiled)
        compiler.connection = connection
        compiler.as_sql = lambda *args, **kwargs: (sql, tuple(asked))
        rows = queryset.using(using)  # a fresh copy: no rows cached, nothing shared
        rows.query.get_compiler = lambda *args, **kwargs: compiler
        return list(rows)
