import asyncio
import sqlite3
from pathlib import Path

import aiosqlite
import pytest

from storage.db import Database, DatabaseTooNew, DeferredWrite, available_migrations
from storage.lock import InstanceLock, LockHeld


async def open_db(path: Path) -> Database:
    db = Database(path)
    await db.open()
    await db.migrate()
    return db


async def community_names(db: Database) -> set[str]:
    """The names of the stored communities."""
    return {r[0] for r in await db.fetchall("SELECT name FROM communities")}


async def test_pragmas_on_every_connection(tmp_path: Path) -> None:
    db = await open_db(tmp_path / "a.sqlite3")
    try:
        for conn in (db.writer, db.reader):
            async with conn.execute("PRAGMA journal_mode") as cur:
                assert (await cur.fetchone())[0] == "wal"
            async with conn.execute("PRAGMA foreign_keys") as cur:
                assert (await cur.fetchone())[0] == 1
            async with conn.execute("PRAGMA synchronous") as cur:
                assert (await cur.fetchone())[0] == 2  # FULL
            async with conn.execute("PRAGMA busy_timeout") as cur:
                assert (await cur.fetchone())[0] == 5000
    finally:
        await db.close()


async def test_migrations_are_versioned_and_idempotent(tmp_path: Path) -> None:
    db = await open_db(tmp_path / "a.sqlite3")
    try:
        assert await db.user_version() == len(available_migrations())
        assert await db.migrate() == []
    finally:
        await db.close()


async def test_refuses_a_database_newer_than_the_code(tmp_path: Path) -> None:
    db = await open_db(tmp_path / "a.sqlite3")
    await db.writer.execute("PRAGMA user_version = 999")
    try:
        with pytest.raises(DatabaseTooNew):
            await db.migrate()
    finally:
        await db.close()


async def test_concurrent_transactions_are_serialised(tmp_path: Path) -> None:
    db = await open_db(tmp_path / "a.sqlite3")

    async def add(i: int) -> None:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO communities(name, created_at) VALUES (?, 0)", (f"c{i}",))
            await asyncio.sleep(0)  # let the others try to interleave
            await conn.execute("UPDATE communities SET created_at = created_at + 1 WHERE name = ?", (f"c{i}",))

    try:
        await asyncio.gather(*(add(i) for i in range(20)))
        assert await db.fetchone("SELECT COUNT(*), SUM(created_at) FROM communities") is not None
        row = await db.fetchone("SELECT COUNT(*), SUM(created_at) FROM communities")
        assert tuple(row) == (20, 20)
    finally:
        await db.close()


async def test_failed_transaction_rolls_back(tmp_path: Path) -> None:
    db = await open_db(tmp_path / "a.sqlite3")
    try:
        with pytest.raises(sqlite3.IntegrityError):
            async with db.transaction() as conn:
                await conn.execute("INSERT INTO communities(name, created_at) VALUES ('x', 0)")
                await conn.execute("INSERT INTO communities(name, created_at) VALUES ('x', 0)")
        assert (await db.fetchone("SELECT COUNT(*) FROM communities"))[0] == 0
    finally:
        await db.close()


async def test_backup_is_a_consistent_copy(tmp_path: Path) -> None:
    db = await open_db(tmp_path / "a.sqlite3")
    try:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO communities(name, created_at) VALUES ('铁门社区', 0)")
        await db.backup(tmp_path / "copy.sqlite3")
    finally:
        await db.close()
    with sqlite3.connect(tmp_path / "copy.sqlite3") as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert copy.execute("SELECT name FROM communities").fetchall() == [("铁门社区",)]


def test_instance_lock_is_exclusive(tmp_path: Path) -> None:
    first = InstanceLock(tmp_path / "db.lock")
    second = InstanceLock(tmp_path / "db.lock")
    first.acquire()
    try:
        with pytest.raises(LockHeld):
            second.acquire()
    finally:
        first.release()
    second.acquire()
    second.release()


async def test_group_commit_isolates_failures_and_returns_after_commit(tmp_path: Path) -> None:
    db = await open_db(tmp_path / "a.sqlite3")
    observer = sqlite3.connect(tmp_path / "a.sqlite3")
    seen_after_return: list[bool] = []

    async def add(i: int) -> None:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO communities(name, created_at) VALUES (?, 0)", (f"c{i}",))
            if i % 7 == 3:
                raise ValueError(i)
        # Durable before the block returns: another connection sees it.
        row = observer.execute("SELECT COUNT(*) FROM communities WHERE name = ?", (f"c{i}",)).fetchone()
        seen_after_return.append(row[0] == 1)

    try:
        results = await asyncio.gather(*(add(i) for i in range(60)), return_exceptions=True)
        failed = {r.args[0] for r in results if isinstance(r, ValueError)}
        assert failed == {i for i in range(60) if i % 7 == 3}
        assert await community_names(db) == {f"c{i}" for i in range(60) if i % 7 != 3}
        assert seen_after_return and all(seen_after_return)
    finally:
        observer.close()
        await db.close()


async def test_group_commit_survives_a_cancelled_waiter(tmp_path: Path) -> None:
    db = await open_db(tmp_path / "a.sqlite3")

    async def add(name: str, hold: float) -> None:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO communities(name, created_at) VALUES (?, 0)", (name,))
            await asyncio.sleep(hold)

    try:
        first = asyncio.create_task(add("first", 0.05))
        await asyncio.sleep(0.01)
        doomed = asyncio.create_task(add("doomed", 0))
        await asyncio.sleep(0.01)
        doomed.cancel()  # it was queued when "first" finished, then went away
        await asyncio.wait_for(first, 2)
        assert await community_names(db) == {"first"}
    finally:
        await db.close()


async def test_group_commit_when_the_block_left_to_commit_is_cancelled_before_it_runs(tmp_path: Path) -> None:
    db = await open_db(tmp_path / "a.sqlite3")
    go = asyncio.Event()

    async def add(name: str) -> None:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO communities(name, created_at) VALUES (?, 0)", (name,))
            await go.wait()

    lock = db._lock
    real_release = lock.release

    def release_then_cancel() -> None:
        # "first" saw "doomed" queued and left the COMMIT to it; doomed goes away before it runs.
        real_release()
        lock.release = real_release  # type: ignore[method-assign]
        doomed.cancel()

    try:
        first = asyncio.create_task(add("first"))
        await asyncio.sleep(0.01)
        doomed = asyncio.create_task(add("doomed"))
        await asyncio.sleep(0.01)
        lock.release = release_then_cancel  # type: ignore[method-assign]
        go.set()
        await asyncio.wait_for(first, 2)
        assert doomed.cancelled()
        assert await community_names(db) == {"first"}
    finally:
        await db.close()


async def test_group_commit_keeps_first_come_first_served(tmp_path: Path) -> None:
    db = await open_db(tmp_path / "a.sqlite3")
    second_round: list[int] = []

    async def two_steps(i: int) -> None:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO communities(name, created_at) VALUES (?, 0)", (f"c{i}",))
        async with db.transaction() as conn:
            second_round.append(i)
            await conn.execute("UPDATE communities SET created_at = 1 WHERE name = ?", (f"c{i}",))

    try:
        await asyncio.gather(*(two_steps(i) for i in range(40)))
        assert second_round == list(range(40))
    finally:
        await db.close()


async def test_deferred_writes_ride_with_their_own_tasks_next_transaction(tmp_path: Path) -> None:
    db = await open_db(tmp_path / "a.sqlite3")
    commits: list[str] = []
    db.writer.raw.set_trace_callback(lambda sql: commits.append(sql) if sql == "COMMIT" else None)

    def community(name: str) -> DeferredWrite:
        async def write(conn: aiosqlite.Connection) -> None:
            await conn.execute("INSERT INTO communities(name, created_at) VALUES (?, 0)", (name,))

        return write

    async def press(i: int, fails: bool) -> None:
        db.defer(community(f"seen{i}"))
        await asyncio.sleep(0)  # other presses defer theirs meanwhile
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO communities(name, created_at) VALUES (?, 0)", (f"vote{i}",))
            if fails:
                raise ValueError(i)

    try:
        await asyncio.gather(*(press(i, i == 3) for i in range(6)), return_exceptions=True)
        names = await community_names(db)
        # Each press wrote its own deferred row, once, even the one whose block failed.
        assert names == {f"seen{i}" for i in range(6)} | {f"vote{i}" for i in range(6) if i != 3}
        assert len(commits) <= 2  # group commit: no commit of their own for the deferred rows

        async def nothing_else() -> None:
            db.defer(community("flushed"))
            await db.finish_update()
            await db.finish_update()  # nothing left: no second write

        await asyncio.create_task(nothing_else())
        rows = await db.fetchall("SELECT COUNT(*) FROM communities WHERE name = 'flushed'")
        assert rows[0][0] == 1
    finally:
        await db.close()


async def test_a_deferred_write_waits_for_its_own_database(tmp_path: Path) -> None:
    first, second = await open_db(tmp_path / "a.sqlite3"), await open_db(tmp_path / "b.sqlite3")

    async def write(conn: aiosqlite.Connection) -> None:
        await conn.execute("INSERT INTO communities(name, created_at) VALUES ('deferred', 0)")

    try:
        first.defer(write)
        async with second.transaction():
            pass
        await second.finish_update()
        assert await second.fetchall("SELECT name FROM communities") == []
        await first.finish_update()
        assert [r[0] for r in await first.fetchall("SELECT name FROM communities")] == ["deferred"]
    finally:
        await first.close()
        await second.close()


async def test_a_deferred_touch_not_yet_written_does_not_excuse_the_next_one(tmp_path: Path) -> None:
    from bot.services.people import PeopleService
    from tests.fakes import FakeClock

    db = await open_db(tmp_path / "a.sqlite3")
    people = PeopleService(db, FakeClock(), frozenset())

    async def press() -> None:
        await people.touch(7, "李阿姨", "zh-hans", 7, defer=True)  # a button press: written later

    try:
        await asyncio.create_task(press())  # its task ended without a transaction or a flush
        await people.touch(7, "李阿姨", "zh-hans", 7)  # a command right after: must write now
        assert [tuple(r) for r in await db.fetchall("SELECT user_id FROM users")] == [(7,)]
    finally:
        await db.close()
