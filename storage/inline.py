"""The writer connection: sqlite3 on the event-loop thread, with aiosqlite's async surface.

aiosqlite runs every statement on a worker thread; each hop costs tens of microseconds,
more than the statement itself, and a button press runs about fifteen statements. The
writer's statements are short (point reads and writes inside a transaction), so they run
inline; only COMMIT, which waits for fsync, goes to a worker thread. Long reads use the
reader connection (aiosqlite), never this one. Database.transaction() guarantees that no
two coroutines use the connection at the same time.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Generator, Iterable
from typing import Any


class InlineCursor:
    """A sqlite3 cursor behind aiosqlite's async cursor methods."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def fetchone(self) -> Any:
        """Next row, or None."""
        return self._cursor.fetchone()

    async def fetchall(self) -> list[Any]:
        """Remaining rows."""
        return self._cursor.fetchall()

    @property
    def rowcount(self) -> int:
        """Rows changed by the statement."""
        return self._cursor.rowcount

    @property
    def description(self) -> Any:
        """Column names of the result (the first item of each entry)."""
        return self._cursor.description

    @property
    def lastrowid(self) -> int | None:
        """Rowid of the last inserted row."""
        return self._cursor.lastrowid

    async def close(self) -> None:
        """Release the cursor."""
        self._cursor.close()

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()


class _Result:
    """Both awaitable and an async context manager, like aiosqlite's execute() result."""

    def __init__(self, conn: sqlite3.Connection, sql: str, parameters: Iterable[Any] | None) -> None:
        self._conn = conn
        self._sql = sql
        self._parameters = tuple(parameters) if parameters is not None else ()
        self._cursor: InlineCursor | None = None

    def _run(self) -> InlineCursor:
        return InlineCursor(self._conn.execute(self._sql, self._parameters))

    def __await__(self) -> Generator[Any, None, InlineCursor]:
        if False:  # pragma: no cover - makes this a generator without suspending
            yield
        return self._run()

    async def __aenter__(self) -> InlineCursor:
        self._cursor = self._run()
        return self._cursor

    async def __aexit__(self, *exc: object) -> None:
        if self._cursor is not None:
            await self._cursor.close()


class InlineConnection:
    """The subset of aiosqlite.Connection the repositories use, executed inline."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    @property
    def raw(self) -> sqlite3.Connection:
        """The underlying sqlite3 connection (for backups)."""
        return self._conn

    @property
    def in_transaction(self) -> bool:
        """True inside BEGIN … COMMIT."""
        return self._conn.in_transaction

    @property
    def row_factory(self) -> Any:
        """The row factory."""
        return self._conn.row_factory

    @row_factory.setter
    def row_factory(self, factory: Any) -> None:
        self._conn.row_factory = factory

    def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> _Result:
        """Run one statement (when awaited or entered)."""
        return _Result(self._conn, sql, parameters)

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> InlineCursor:
        """Run one statement for many parameter rows."""
        return InlineCursor(self._conn.executemany(sql, parameters))

    async def executescript(self, script: str) -> InlineCursor:
        """Run a script (migrations)."""
        return InlineCursor(self._conn.executescript(script))

    async def commit_off_loop(self) -> None:
        """COMMIT on a worker thread: it waits for fsync, which must not stall the loop."""
        await asyncio.to_thread(self._conn.execute, "COMMIT")

    async def close(self) -> None:
        """Close the connection."""
        self._conn.close()
