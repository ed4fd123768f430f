"""ChatsRepository.migrate merging two chats: the schema it relies on, and how clashing rows are resolved."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from storage.chats import MERGED_KEYS, ChatsRepository
from storage.db import Database

OLD, NEW = -4000001, -1009999999999
AUNT, UNCLE = 100001, 100002


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(tmp_path / "m.sqlite3")
    await database.open()
    await database.migrate()
    try:
        yield database
    finally:
        await database.close()


async def rows(db: Database, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in await db.fetchall(sql, params)]


async def test_every_unique_key_with_a_chat_id_is_merged_by_hand(db: Database) -> None:
    references = {
        (t, c)
        for t, c in await rows(
            db,
            'SELECT m.name, f."from" FROM sqlite_schema AS m, pragma_foreign_key_list(m.name) AS f '
            "WHERE m.type = 'table' AND f.\"table\" = 'chats'",
        )
    }
    assert ("chat_members", "chat_id") in references and ("teams", "home_chat_id") in references
    keyed = set()
    for table, column in references:
        for index in await rows(db, f"SELECT name, \"unique\" FROM pragma_index_list('{table}')"):
            if index[1] and column in {
                r[0] for r in await rows(db, f"SELECT name FROM pragma_index_info('{index[0]}')")
            }:
                keyed.add(table)
    # A new table whose unique key holds a chat id needs a rule in ChatsRepository._merge_keyed_rows.
    assert keyed == MERGED_KEYS
    # Columns that hold a chat id without a foreign key are moved by name.
    loose = await rows(
        db,
        "SELECT m.name, p.name FROM sqlite_schema AS m, pragma_table_info(m.name) AS p "
        "WHERE m.type = 'table' AND (p.name LIKE '%chat%') ORDER BY 1, 2",
    )
    not_chat_ids = {("chats", "chat_id"), ("users", "private_chat")}  # the key itself; a flag
    assert {(t, c) for t, c in loose} - references - not_chat_ids == {
        ("broadcasts", "report_chat"),
        ("outbox", "chat_id"),
    }


async def seed(db: Database, *, new_bound: bool) -> None:
    async with db.transaction() as conn:
        repo = ChatsRepository(conn)
        community = await repo.ensure_community("铁门社区", 1)
        old_yard = await repo.create_courtyard(community, "碧水苑", 1)
        new_yard = await repo.create_courtyard(community, "启明花园", 1)
        await repo.upsert(OLD, "group", "老群", 10)
        await repo.bind(OLD, community, old_yard.id, 10)
        await repo.set_locale(OLD, "en", 10)
        await repo.upsert(NEW, "supergroup", "新群", 50)
        if new_bound:
            await repo.bind(NEW, community, new_yard.id, 50)
            await repo.set_locale(NEW, "zh_CN", 50)
        for user in (AUNT, UNCLE):
            await conn.execute(
                "INSERT INTO users(user_id, display_name, first_seen, last_seen) VALUES (?, 'x', 1, 1)", (user,)
            )
        members = [(OLD, AUNT, 10, 20), (NEW, AUNT, 15, 60), (OLD, UNCLE, 11, 30)]
        await conn.executemany("INSERT INTO chat_members VALUES (?, ?, ?, ?)", members)
        dialogs = [
            (AUNT, OLD, "old-newer", 70),
            (AUNT, NEW, "new-older", 40),
            (UNCLE, OLD, "o", 5),
            (UNCLE, NEW, "n", 9),
        ]
        await conn.executemany("INSERT INTO dialogs VALUES (?, ?, 'k', ?, ?)", dialogs)
        lives = [(OLD, 1001, "poll", 1), (OLD, 1002, "roster", 1), (NEW, 1001, "poll", 2)]
        await conn.executemany("INSERT INTO live_messages VALUES (?, ?, ?, ?, 1)", lives)
        await conn.execute(
            "INSERT INTO meetings(id, community_id, kind, title, starts_at, checkin_code, origin_chat, "
            "created_at, updated_at) VALUES (1, ?, 'other', 'm', 1, 'c', ?, 1, 1)",
            (community, OLD),
        )
        await conn.executemany("INSERT INTO meeting_chats VALUES (1, ?)", [(OLD,), (NEW,)])
        await conn.execute(
            "INSERT INTO teams(courtyard_id, home_chat_id, name, created_at, updated_at) VALUES (?, ?, 't', 1, 1)",
            (old_yard.id, OLD),
        )
        await conn.execute("INSERT INTO outbox(kind, chat_id, due_at, created_at) VALUES ('reminder', ?, 1, 1)", (OLD,))
        await conn.execute(
            "INSERT INTO broadcasts(report_chat, text, target_count, created_at) VALUES (?, 't', 1, 1)", (OLD,)
        )


async def migrate(db: Database) -> bool:
    async with db.transaction() as conn:
        return await ChatsRepository(conn).migrate(OLD, NEW, 100)


async def test_clashing_rows_keep_one_each_and_nothing_else_goes(db: Database) -> None:
    await seed(db, new_bound=False)
    assert await migrate(db)
    assert await rows(db, "SELECT chat_id FROM chats WHERE chat_id IN (?, ?)", OLD, NEW) == [(NEW,)]
    # Binding and language from the old group; the supergroup's own title; seen since the first of both.
    assert await rows(
        db,
        "SELECT c.type, c.title, y.name, c.scope, c.locale, c.added_at FROM chats c "
        "JOIN courtyards y ON y.id = c.courtyard_id WHERE chat_id = ?",
        NEW,
    ) == [("supergroup", "新群", "碧水苑", "courtyard", "en", 10)]
    assert await rows(db, "SELECT * FROM chat_members ORDER BY user_id") == [
        (NEW, AUNT, 10, 60),
        (NEW, UNCLE, 11, 30),
    ]
    assert await rows(db, "SELECT user_id, chat_id, state FROM dialogs ORDER BY user_id") == [
        (AUNT, NEW, "old-newer"),
        (UNCLE, NEW, "n"),
    ]
    # Message 1001 under the new id is the supergroup's own; the old group's 1002 comes along.
    assert await rows(db, "SELECT chat_id, message_id, kind, entity_id FROM live_messages ORDER BY 2") == [
        (NEW, 1001, "poll", 2),
        (NEW, 1002, "roster", 1),
    ]
    assert await rows(db, "SELECT * FROM meeting_chats") == [(1, NEW)]
    assert await rows(db, "SELECT origin_chat FROM meetings") == [(NEW,)]
    assert await rows(db, "SELECT home_chat_id FROM teams") == [(NEW,)]
    assert await rows(db, "SELECT chat_id FROM outbox") == [(NEW,)]
    assert await rows(db, "SELECT report_chat FROM broadcasts") == [(NEW,)]
    assert await rows(db, "PRAGMA foreign_key_check") == []
    # Handled again (the other service message), nothing changes.
    assert not await migrate(db)


async def test_a_supergroup_bound_on_its_own_keeps_its_binding_and_language(db: Database) -> None:
    await seed(db, new_bound=True)
    assert await migrate(db)
    assert await rows(
        db,
        "SELECT y.name, c.scope, c.locale FROM chats c JOIN courtyards y ON y.id = c.courtyard_id WHERE chat_id = ?",
        NEW,
    ) == [("启明花园", "courtyard", "zh_CN")]
    assert await rows(db, "SELECT home_chat_id FROM teams") == [(NEW,)]


async def test_a_merge_that_cannot_move_a_row_changes_nothing(db: Database) -> None:
    await seed(db, new_bound=False)
    async with db.transaction() as conn:
        # A table added later with a unique key on its chat id, but no merge rule.
        await conn.execute(
            "CREATE TABLE chat_notes (chat_id INTEGER NOT NULL UNIQUE "
            "REFERENCES chats(chat_id) ON DELETE CASCADE ON UPDATE CASCADE, note TEXT)"
        )
        await conn.executemany("INSERT INTO chat_notes VALUES (?, ?)", [(OLD, "old"), (NEW, "new")])
    before = await rows(db, "SELECT COUNT(*) FROM chat_members WHERE chat_id = ?", OLD)
    with pytest.raises(Exception, match="UNIQUE"):
        await migrate(db)
    assert await rows(db, "SELECT chat_id, note FROM chat_notes ORDER BY note") == [(NEW, "new"), (OLD, "old")]
    assert await rows(db, "SELECT COUNT(*) FROM chat_members WHERE chat_id = ?", OLD) == before
