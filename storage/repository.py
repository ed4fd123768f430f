"""The base of every repository: one connection and the three shapes of a read."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from typing import Any, TypeVar, get_type_hints

import aiosqlite

T = TypeVar("T")
Params = Iterable[Any] | dict[str, Any]


def row_mapper(cls: type[T], **convert: Callable[[Any], Any]) -> Callable[[Any], T]:
    """A function building a frozen row type from the columns named like its fields (bool fields made bool)."""
    # Worked out once per type, so a row costs one name lookup per field; columns that are not
    # plainly a field (a join, a COALESCE) are selected AS the field's name.
    hints = get_type_hints(cls)
    spec = [
        (f.name, convert.get(f.name, bool if hints[f.name] is bool else None))
        for f in dataclasses.fields(cls)  # type: ignore[arg-type]
    ]

    def make(row: Any) -> T:
        return cls(**{name: (row[name] if conv is None else conv(row[name])) for name, conv in spec})

    return make


class Repository:
    """Rows of some tables over one connection; never commits."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def _one(self, sql: str, params: Params, make: Callable[[Any], T]) -> T | None:
        """The first row, made into a value; None if there is none."""
        async with self.conn.execute(sql, params) as cur:
            row = await cur.fetchone()
        return make(row) if row is not None else None

    async def _all(self, sql: str, params: Params, make: Callable[[Any], T]) -> list[T]:
        """Every row, each made into a value."""
        async with self.conn.execute(sql, params) as cur:
            return [make(r) for r in await cur.fetchall()]

    async def _int(self, sql: str, params: Params = ()) -> int:
        """The number in the first column of the first row (a COUNT); 0 when there is no row or it is NULL."""
        async with self.conn.execute(sql, params) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row is not None and row[0] is not None else 0

    async def _exists(self, sql: str, params: Params) -> bool:
        """Whether the query returns a row."""
        async with self.conn.execute(sql, params) as cur:
            return await cur.fetchone() is not None
