"""The base of every repository: one connection, the shapes of a read, and the mapping of rows to types."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar, get_type_hints

import aiosqlite

T = TypeVar("T")
Params = Iterable[Any] | dict[str, Any]


class RowMapper(Generic[T]):
    """Builds a frozen row type from the columns named like its fields (bool fields made bool)."""

    def __init__(self, cls: type[T], **convert: Callable[[Any], Any]) -> None:
        hints = get_type_hints(cls)
        self.cls = cls
        fields = dataclasses.fields(cls)  # type: ignore[arg-type]
        self.names = tuple(f.name for f in fields)
        self.by_keyword = any(f.kw_only for f in fields)
        self.convert: list[tuple[int, Callable[[Any], Any]]] = []
        for i, name in enumerate(self.names):
            conv = convert.get(name, bool if hints[name] is bool else None)
            if conv is not None:
                self.convert.append((i, conv))

    def __call__(self, row: Any) -> T:
        """One row, its columns found by name (any order, other columns too)."""
        values = [row[name] for name in self.names]
        return self._make(values)

    def many(self, description: Any, rows: Iterable[Any]) -> list[T]:
        """Rows of one statement: by position when its columns are exactly the fields in order."""
        # The names are compared once per statement, so a row costs no name lookups (the vote and
        # join paths read rows on every press); any other column list falls back to names.
        if tuple(d[0] for d in description) != self.names:
            return [self(row) for row in rows]
        return [self._make(list(row)) for row in rows]

    def _make(self, values: list[Any]) -> T:
        for i, conv in self.convert:
            values[i] = conv(values[i])
        return self.cls(**dict(zip(self.names, values, strict=True))) if self.by_keyword else self.cls(*values)


class Repository:
    """Rows of some tables over one connection; never commits."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def _one(self, sql: str, params: Params, make: Callable[[Any], T]) -> T | None:
        """The first row, made into a value; None if there is none."""
        async with self.conn.execute(sql, params) as cur:
            row = await cur.fetchone()
            if row is None:
                return None
            return make.many(cur.description, (row,))[0] if isinstance(make, RowMapper) else make(row)

    async def _all(self, sql: str, params: Params, make: Callable[[Any], T]) -> list[T]:
        """Every row, each made into a value."""
        async with self.conn.execute(sql, params) as cur:
            rows = await cur.fetchall()
            return make.many(cur.description, rows) if isinstance(make, RowMapper) else [make(r) for r in rows]

    async def _insert(self, sql: str, params: Params) -> int:
        """Run an INSERT of one row and return the new row's id."""
        cur = await self.conn.execute(sql, params)
        assert cur.lastrowid is not None
        return int(cur.lastrowid)

    async def _int(self, sql: str, params: Params = ()) -> int:
        """The number in the first column of the first row (a COUNT); 0 when there is no row or it is NULL."""
        async with self.conn.execute(sql, params) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row is not None and row[0] is not None else 0

    async def _exists(self, sql: str, params: Params) -> bool:
        """Whether the query returns a row."""
        async with self.conn.execute(sql, params) as cur:
            return await cur.fetchone() is not None
