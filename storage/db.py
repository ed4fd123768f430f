"""SQLite access: connection set-up, serialised transactions, migrations and backups."""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, cast

import aiosqlite

from storage.inline import InlineConnection
from storage.journal import MARK_DONE_SQL

log = logging.getLogger(__name__)

MAX_GROUP_COMMIT = 256
_MIGRATION_RE = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")

DeferredWrite = Callable[[aiosqlite.Connection], Awaitable[None]]
# Small writes queued by the current task (one update), with the database they are for: a
# context variable, so concurrent updates never run each other's. The list is shared with
# tasks the update spawns, which is why it is changed in place when taken.
_deferred: ContextVar[list[tuple[Database, DeferredWrite]] | None] = ContextVar("deferred_writes", default=None)


@dataclass
class _UpdateMark:
    """The update the current task handles, and whether its done mark is committed."""

    db: Database
    update_id: int
    written: bool = False
    finished: bool = False


# The update being handled: its journal row is marked done inside the first transaction that
# changes something, so the change and "this update is done" commit together (a replay after a
# crash never acts twice). Bookkeeping (who was seen where) does not count as acting.
_acting: ContextVar[_UpdateMark | None] = ContextVar("acting_update", default=None)
_bookkeeping: ContextVar[bool] = ContextVar("bookkeeping", default=False)


class DatabaseTooNew(RuntimeError):
    """The database was written by a newer version of the bot."""


class Database:
    """One writer connection (transactions serialised by a lock) and one reader connection."""

    def __init__(self, path: Path | str, *, synchronous: str = "FULL") -> None:
        self.path = str(path)
        self._synchronous = synchronous
        self._writer: InlineConnection | None = None
        self._reader: aiosqlite.Connection | None = None  # an InlineConnection, typed as aiosqlite's
        self._bulk: aiosqlite.Connection | None = None
        # One connection serialises statements, not transactions: without this lock two
        # coroutines would interleave their statements inside one BEGIN ... COMMIT.
        self._lock = asyncio.Lock()
        self._waiting = 0  # coroutines queued for the lock
        self._batch: list[asyncio.Future[None]] = []  # blocks done but not yet committed
        self._rescues: set[asyncio.Task[None]] = set()

    async def open(self) -> None:
        """Open both connections and apply the per-connection pragmas."""
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: we issue BEGIN IMMEDIATE ourselves instead of letting
        # the sqlite3 module open deferred transactions behind our back.
        raw = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._writer = InlineConnection(raw)
        await self._configure(self._writer)
        if self.path == ":memory:":
            # An in-memory database is private to its connection, so reads share the writer.
            self._reader = cast(aiosqlite.Connection, self._writer)
        else:
            # Reads are point lookups (a team, a poll, a person): inline too, on their own
            # connection so they see only committed data (WAL snapshot), never a batch in flight.
            reader = InlineConnection(sqlite3.connect(self.path, isolation_level=None, check_same_thread=False))
            await self._configure(reader)
            self._reader = cast(aiosqlite.Connection, reader)
            # Long queries (statistics, exports) run on aiosqlite's thread so the loop stays free.
            self._bulk = await aiosqlite.connect(self.path, isolation_level=None)
            await self._configure(self._bulk)

    async def _configure(self, conn: aiosqlite.Connection | InlineConnection) -> None:
        conn.row_factory = sqlite3.Row
        await conn.execute("PRAGMA journal_mode=WAL")
        await conn.execute("PRAGMA busy_timeout=5000")
        await conn.execute("PRAGMA foreign_keys=ON")
        await conn.execute("PRAGMA secure_delete=ON")  # /forget: deleted rows are zeroed on disk
        await conn.execute(f"PRAGMA synchronous={self._synchronous}")

    async def close(self) -> None:
        """Close the connections (idempotent)."""
        if self._bulk is not None:
            await self._bulk.close()
            self._bulk = None
        if self._reader is not None and self._reader is not cast(object, self._writer):
            await self._reader.close()
        if self._writer is not None:
            await self._writer.close()
        self._reader = self._writer = None

    @property
    def writer(self) -> aiosqlite.Connection:
        """The writer connection; use transaction() to change data."""
        if self._writer is None:
            raise RuntimeError("database is not open")
        # Typed as aiosqlite's connection: InlineConnection offers the same async surface.
        return cast(aiosqlite.Connection, self._writer)

    @property
    def bulk(self) -> aiosqlite.Connection:
        """A threaded read connection for long queries (statistics, exports); never blocks the loop."""
        if self._bulk is not None:
            return self._bulk
        return self.reader

    @property
    def reader(self) -> aiosqlite.Connection:
        """The reader connection, for queries outside transactions."""
        if self._reader is None:
            raise RuntimeError("database is not open")
        return self._reader

    def defer(self, write: DeferredWrite) -> None:
        """Queue a small write for this task's next transaction here, or for finish_update() at its end."""
        # Recording who pressed a button need not cost a commit of its own: it rides along with
        # the vote or sign-up the press makes, and an update that changes nothing writes it at
        # its end. Nothing acknowledged to anyone depends on it.
        pending = _deferred.get()
        if pending is None:
            _deferred.set([(self, write)])
        else:
            pending.append((self, write))

    def _take_deferred(self) -> list[DeferredWrite]:
        pending = _deferred.get()
        if not pending:
            return []
        mine = [write for db, write in pending if db is self]
        pending[:] = [(db, write) for db, write in pending if db is not self]
        return mine

    def begin_update(self, update_id: int) -> None:
        """The current task now handles this journalled update (call in the update's own task)."""
        _acting.set(_UpdateMark(self, update_id))

    async def finish_update(self) -> None:
        """Write what the update deferred and its done mark, unless a transaction already did."""
        mark = _acting.get()
        pending = _deferred.get()
        unmarked = mark is not None and mark.db is self and not mark.written
        try:
            if unmarked or (pending and any(db is self for db, _ in pending)):
                async with self.transaction():
                    pass
        finally:
            if mark is not None and mark.db is self:
                mark.finished = True

    @contextmanager
    def bookkeeping(self) -> Iterator[None]:
        """Transactions in this block record facts (who was seen) and do not mark the update done."""
        token = _bookkeeping.set(True)
        try:
            yield
        finally:
            _bookkeeping.reset(token)

    async def _mark_acting(self, conn: aiosqlite.Connection) -> _UpdateMark | None:
        mark = _acting.get()
        if mark is None or mark.db is not self or mark.written or mark.finished or _bookkeeping.get():
            return None
        await conn.execute(MARK_DONE_SQL, (int(time.time()), mark.update_id))
        return mark

    async def _run_deferred(self, conn: aiosqlite.Connection) -> None:
        writes = self._take_deferred()
        if not writes:
            return
        # Their own savepoint: a failing block after them must not take them along, and their
        # failing must not stop the block (they are bookkeeping; the block is what was asked).
        await conn.execute("SAVEPOINT deferred")
        try:
            for write in writes:
                await write(conn)
        except Exception as exc:
            log.warning("deferred write dropped: %s", type(exc).__name__)
            if conn.in_transaction:
                await conn.execute("ROLLBACK TO deferred")
                await conn.execute("RELEASE deferred")
            else:
                # SQLite rolled the whole transaction back (e.g. disk full): the batch is lost.
                self._fail_batch(sqlite3.OperationalError("transaction rolled back"))
                await conn.execute("BEGIN IMMEDIATE")
            return
        await conn.execute("RELEASE deferred")

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """Run the block atomically and return only after it is durably committed.

        Group commit: blocks run one at a time, each inside a SAVEPOINT of a shared
        BEGIN IMMEDIATE transaction. When other blocks are already waiting, a finished block
        leaves the COMMIT (one fsync) to the last of them and waits for it, so a burst of
        concurrent votes costs one commit instead of one each. A failing block rolls back
        only its own savepoint.
        """
        conn = self.writer
        self._waiting += 1
        try:
            await self._lock.acquire()
        except BaseException:
            self._waiting -= 1
            self._orphaned()
            raise
        self._waiting -= 1
        commit_waiter: asyncio.Future[None] | None = None
        failure: BaseException | None = None
        marked: _UpdateMark | None = None
        try:
            if not conn.in_transaction:
                await conn.execute("BEGIN IMMEDIATE")
            await self._run_deferred(conn)
            await conn.execute("SAVEPOINT unit")
            try:
                yield conn
                marked = await self._mark_acting(conn)
            except BaseException as exc:
                failure = exc
                marked = None
                await self._undo_unit(conn)
            else:
                await conn.execute("RELEASE unit")
            commit_waiter = asyncio.get_running_loop().create_future()
            self._batch.append(commit_waiter)
            if not (self._waiting > 0 and len(self._batch) < MAX_GROUP_COMMIT and conn.in_transaction):
                await self._commit_batch(conn)
        finally:
            self._lock.release()
        if commit_waiter is not None:
            # The committer waits the same way as the blocks it committed for, so they all
            # resume in the order they ran: the first to press is the first to be answered.
            await self._await_commit(commit_waiter)
        if marked is not None:
            marked.written = True
        if failure is not None:
            raise failure

    async def _undo_unit(self, conn: aiosqlite.Connection) -> None:
        if conn.in_transaction:
            await conn.execute("ROLLBACK TO unit")
            await conn.execute("RELEASE unit")
        else:
            # SQLite rolled the whole transaction back (e.g. disk full): the batch is lost.
            self._fail_batch(sqlite3.OperationalError("transaction rolled back"))

    async def _commit_batch(self, conn: aiosqlite.Connection) -> None:
        waiters, self._batch = self._batch, []
        if not conn.in_transaction:
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)
            return
        try:
            assert self._writer is not None
            await self._writer.commit_off_loop()
        except BaseException as exc:
            if conn.in_transaction:
                await conn.execute("ROLLBACK")
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_exception(exc)
            raise
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def _fail_batch(self, exc: BaseException) -> None:
        waiters, self._batch = self._batch, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_exception(exc)

    async def _await_commit(self, waiter: asyncio.Future[None]) -> None:
        if waiter.done():
            # We committed: yield once so the blocks committed with us, already woken in the
            # order they ran, resume first. Awaiting a done future would not yield at all.
            await asyncio.sleep(0)
        await waiter

    def _orphaned(self) -> None:
        # A block that left the COMMIT to those queued behind it relies on one of them running.
        # When the last of them is cancelled instead, commit the finished blocks in a task.
        if self._waiting == 0 and self._batch:
            task = asyncio.ensure_future(self._rescue())
            self._rescues.add(task)
            task.add_done_callback(self._rescues.discard)

    async def _rescue(self) -> None:
        async with self._lock:
            if self._batch:
                await self._commit_batch(self.writer)

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        """Run a read-only query on the reader connection."""
        if self._reader is None:
            raise RuntimeError("database is not open")
        async with self._reader.execute(sql, tuple(params)) as cur:
            return list(await cur.fetchall())

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Row | None:
        """Run a read-only query and return its first row."""
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def user_version(self) -> int:
        """Return the schema version stored in PRAGMA user_version."""
        async with self.writer.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def migrate(self) -> list[int]:
        """Apply pending migrations, each in its own transaction; return the versions applied."""
        migrations = available_migrations()
        latest = migrations[-1][0] if migrations else 0
        current = await self.user_version()
        if current > latest:
            raise DatabaseTooNew(
                f"the database {self.path} has schema version {current}, "
                f"but this version of the bot knows only up to {latest}; upgrade the bot"
            )
        applied: list[int] = []
        for version, sql in migrations:
            if version <= current:
                continue
            async with self._lock:
                try:
                    # executescript commits any open transaction first, so the whole
                    # migration, with its version bump, is one explicit transaction.
                    await self.writer.executescript(
                        f"BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;"
                    )
                except sqlite3.Error:
                    if self.writer.in_transaction:
                        await self.writer.execute("ROLLBACK")
                    raise
            applied.append(version)
        return applied

    async def backup(self, target: Path) -> None:
        """Copy the live database to target with SQLite's online backup API."""
        target.parent.mkdir(parents=True, exist_ok=True)
        async with self._lock:
            await self._commit_batch(self.writer)
            assert self._writer is not None
            source = self._writer.raw

            def copy() -> None:
                dest = sqlite3.connect(str(target))
                try:
                    source.backup(dest)
                finally:
                    dest.close()

            await asyncio.to_thread(copy)


def available_migrations() -> list[tuple[int, str]]:
    """Return (version, sql) for every numbered migration file, in order."""
    found: list[tuple[int, str]] = []
    for entry in resources.files("storage.migrations").iterdir():
        match = _MIGRATION_RE.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [v for v, _ in found]
    if versions != list(range(1, len(versions) + 1)):
        raise RuntimeError(f"migrations must be numbered 0001, 0002, … without gaps; found {versions}")
    return found
