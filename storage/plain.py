"""The statements every update runs, straight on the driver's cursor.

Seven statements carry an update (store it, claim its id, read and save its chat, record its
replies, forget it once answered), and for each SQLAlchemy's execution (its context, parameter
and result objects, the ORM's loading) costs several times what the database takes to run it:
about half of mendbot's CPU for an update (bench/bench_router.py, README Benchmarks). So these
few are compiled by SQLAlchemy once per database, as any statement is, and run on the cursor
of the transaction's own connection, with the column types' own converters: the SQL, the
values, the locks and the transaction are what SQLAlchemy would have used; only its
bookkeeping is skipped. Everything else goes through SQLAlchemy as usual.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, NamedTuple, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import inspect
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import Mapper, Session, make_transient_to_detached
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.sql import ClauseElement, Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlmodel import SQLModel

M = TypeVar("M", bound=SQLModel)
Convert = Callable[[Any], Any]


@dataclass(frozen=True)
class Driver:
    """A transaction's connection as the database driver sees it, and its SQL dialect."""

    connection: PoolProxiedConnection
    dialect: Dialect

    @classmethod
    def of(cls, connection: Connection) -> Driver:
        """The driver's side of SQLAlchemy's connection, in the same transaction."""
        return cls(connection.connection, connection.dialect)


class Ran(NamedTuple):
    rows: list[tuple[Any, ...]]  # a SELECT's or a RETURNING's, converted
    rowcount: int


@dataclass(frozen=True)
class _Compiled:
    sql: str
    binds: tuple[tuple[str, Convert | None], ...]  # in the order of the placeholders
    positional: bool  # qmark, numeric (sqlite3, asyncpg); else by name (psycopg's pyformat)
    defaults: Mapping[str, Any]  # values SQLAlchemy bound itself (a LIMIT's)
    results: tuple[tuple[int, Convert], ...]  # the result columns that have a converter

    def parameters(self, values: Mapping[str, Any]) -> list[Any] | dict[str, Any]:
        out = []
        for name, convert in self.binds:
            value = values[name] if name in values else self.defaults[name]
            out.append(value if convert is None else convert(value))
        if self.positional:
            return out
        return {name: value for (name, _), value in zip(self.binds, out, strict=True)}

    def converted(self, rows: Sequence[Any]) -> list[tuple[Any, ...]]:
        out = []
        for row in rows:
            values = list(row)
            for i, convert in self.results:
                values[i] = convert(values[i])
            out.append(tuple(values))
        return out


class Plain:
    """A Core statement run on the driver's cursor (module docstring); its parameters by name,
    as with SQLAlchemy. No expanding IN (SQLAlchemy renders it anew for every call): refused
    when first run."""

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._compiled: WeakKeyDictionary[Dialect, _Compiled] = WeakKeyDictionary()

    def run(self, driver: Driver, values: Mapping[str, Any]) -> Ran:
        compiled = self._for(driver.dialect)
        cursor = driver.connection.cursor()
        try:
            cursor.execute(compiled.sql, compiled.parameters(values))
            rows = compiled.converted(cursor.fetchall()) if cursor.description else []
            return Ran(rows, cursor.rowcount)
        finally:
            cursor.close()

    def _for(self, dialect: Dialect) -> _Compiled:
        compiled = self._compiled.get(dialect)
        if compiled is None:
            compiled = self._compiled[dialect] = _compile(self.statement, dialect)
        return compiled


def _compile(statement: Executable, dialect: Dialect) -> _Compiled:
    if not isinstance(statement, ClauseElement):
        raise TypeError(f"not a statement: {statement!r}")
    compiled = statement.compile(dialect=dialect)
    if not isinstance(compiled, SQLCompiler):
        raise TypeError(f"{dialect.name}: not a statement Plain can run")
    if "POSTCOMPILE" in compiled.string:
        raise ValueError(f"{dialect.name}: not a statement Plain can run")
    by_name = {name: bind for bind, name in compiled.bind_names.items()}
    positional = compiled.positiontup is not None
    names = compiled.positiontup if compiled.positiontup is not None else list(by_name)
    binds = tuple(
        (name, by_name[name].type.dialect_impl(dialect).bind_processor(dialect)) for name in names
    )
    columns = getattr(statement, "exported_columns", ())
    converters = (c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns)
    results = tuple((i, convert) for i, convert in enumerate(converters) if convert is not None)
    return _Compiled(compiled.string, binds, positional, dict(compiled.params), results)


def read(session: Session, statement: Plain, values: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    """A SELECT's rows in the session's transaction, after its pending changes are flushed
    (as the session's own autoflush would): a read sees what the update wrote so far."""
    session.flush()  # nothing to do (a check) unless something is pending
    return statement.run(Driver.of(session.connection()), values).rows


def load(session: Session, model: type[M], statement: Plain, values: Mapping[str, Any]) -> list[M]:
    """The rows of `statement` (a `select(model)`) as the session's own query would give
    them, each `loaded`."""
    keys = _attribute_keys(model, statement)
    rows = read(session, statement, values)
    return [loaded(session, model, dict(zip(keys, row, strict=True))) for row in rows]


def loaded(session: Session, model: type[M], values: Mapping[str, Any]) -> M:
    """The row as the session's own loading would give it: persistent in `session`,
    unchanged, its later changes flushed as usual (the instance the session holds already,
    if it holds one)."""
    mapper = _mapper(model)
    key = mapper.identity_key_from_primary_key(tuple(values[k] for k in _primary_key(model)))
    held = session.identity_map.get(key)
    if held is not None:
        return held
    instance: M = mapper.class_manager.new_instance()
    instance.__dict__.update(values)
    make_transient_to_detached(instance)
    session.add(instance)
    return instance


def detached(model: type[M], values: Mapping[str, Any]) -> M:
    """A row as an instance no session holds: its changes are for the caller to write."""
    instance: M = _mapper(model).class_manager.new_instance()
    instance.__dict__.update(values)
    return instance


@cache
def _mapper(model: type[SQLModel]) -> Mapper[Any]:
    return inspect(model)


@cache
def _attribute_keys(model: type[SQLModel], statement: Plain) -> tuple[str, ...]:
    """The attribute of `model` each column of `statement` fills, in the statement's order
    (raises if one is not the model's)."""
    mapper = _mapper(model)
    columns = getattr(statement.statement, "selected_columns", ())
    return tuple(mapper.get_property_by_column(column).key for column in columns)


@cache
def _primary_key(model: type[SQLModel]) -> tuple[str, ...]:
    mapper = _mapper(model)
    return tuple(mapper.get_property_by_column(column).key for column in mapper.primary_key)
