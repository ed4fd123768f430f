"""Anonymous polls stay anonymous in the database file and in the group; /forget leaves no trace of a name."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

from bot import callback_data as cb
from handlers.live import live
from handlers.polls import sweep
from tests import builders as b
from tests.cast import ADMIN, AUNT, GROUP, NEIGHBOUR, SW, UNCLE, bind
from tests.e2e.meeting_helpers import quick_meeting
from tests.e2e.test_polls import last, press, start_poll, tally_message
from tests.harness import Harness

VOTERS = [b.TgUser(510000 + i, f"投票人{i:02d}") for i in range(12)]


def _db_path(h: Harness) -> Path:
    return Path(h.config.database.path)


def _person_values(conn: sqlite3.Connection) -> dict[int, set[int]]:
    """Every integer stored in any row that names a person (times, sequence numbers), by person."""
    values: dict[int, set[int]] = {}
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    for table in tables:
        columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
        if "user_id" not in columns:
            continue
        for row in conn.execute(f"SELECT * FROM {table} WHERE user_id IS NOT NULL"):
            record = dict(zip(columns, row, strict=True))
            found = values.setdefault(int(record["user_id"]), set())
            found.update(v for k, v in record.items() if isinstance(v, int) and not k.endswith("_id") and v > 1000)
    return values


def _files_holding(db: Path, text: str) -> list[str]:
    """Which of the database's files contain these bytes."""
    found = []
    for suffix in ("", "-wal", "-shm"):
        path = Path(f"{db}{suffix}")
        if path.exists() and text.encode() in path.read_bytes():
            found.append(path.name)
    return found


def _kendall(order: list[int]) -> float:
    """Rank correlation of a permutation with 0..n-1 (1: same order, -1: reversed)."""
    n = len(order)
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    return sum(1 if order[i] < order[j] else -1 for i, j in pairs) / len(pairs)


async def _vote(h: Harness, user: b.TgUser, poll_id: int, position: int) -> int:
    data = b.callback(user, GROUP, cb.VOTE.build("v", poll_id, position), message_id=await tally_message(h, poll_id))
    await h.send(data)
    return int(data["update_id"])


async def test_twelve_anonymous_ballots_cannot_be_attributed_from_the_database_file(h: Harness) -> None:
    await bind(h)
    for user in VOTERS[:6]:  # half were seen before; half first appear with their vote
        await h.send(b.message(user, GROUP, "/help"))
    single = await start_poll(h, settings=("anon",))
    multiple = await start_poll(h, "要修哪些 | 路灯 | 花坛 | 车棚", settings=("anon", "kind"))
    h.clock.advance(timedelta(hours=2))
    update_ids: set[int] = set()
    press_order: list[int] = []
    for i, user in enumerate(VOTERS):
        h.clock.advance(timedelta(seconds=37 + i))
        update_ids.add(await _vote(h, user, single, 1 + i % 3))
        press_order.append(user.id)
        h.clock.advance(timedelta(seconds=11))
        update_ids.add(await _vote(h, user, multiple, 1 + i % 3))
    polls = h.deps.services.polls

    conn = sqlite3.connect(f"file:{_db_path(h)}?mode=ro", uri=True)
    try:
        people = _person_values(conn)
        for poll_id in (single, multiple):
            truth = {polls.voter_key(poll_id, u.id): u.id for u in VOTERS}
            ballots = conn.execute("SELECT voter_key, seq, cast_at FROM poll_ballots WHERE poll_id = ?", (poll_id,))
            rows = list(ballots)
            assert len(rows) == 12
            # 1. A join on any stored number: a ballot's seq or cast_at equal to a time in a person's rows.
            attributed = 0
            for key, seq, cast_at in rows:
                candidates = [uid for uid, vals in people.items() if {seq, cast_at} & vals]
                attributed += candidates == [truth[key]]
            assert attributed == 0, f"{attributed} of 12 anonymous ballots attributed by a shared number"
            # 2. Nothing of the press is kept on the ballot: no update id, one time for every ballot.
            assert not {int(r[1]) for r in rows} & update_ids
            assert len({int(r[2]) for r in rows}) == 1
            # 3. Order: ballots sorted by any column do not follow the order people pressed in.
            for column in (1, 2):
                by_column = sorted(rows, key=lambda r, c=column: (r[c], r[0]))  # type: ignore[misc]
                ranks = [press_order.index(truth[r[0]]) for r in by_column]
                assert abs(_kendall(ranks)) < 0.5, (column, ranks)
        # 4. Toggle bookkeeping (multiple choice) shares no time with anyone's rows.
        applied = {int(r[0]) for r in conn.execute("SELECT applied_at FROM applied_updates")}
        assert not [uid for uid, vals in people.items() if applied & vals]
    finally:
        conn.close()


async def test_remind_in_an_anonymous_poll_names_nobody_and_reminds_privately(h: Harness) -> None:
    await bind(h)
    for user in (AUNT, UNCLE):
        await h.send(b.message(user, b.private(user), "/start"))  # these two can be written to privately
    for user in (AUNT, UNCLE, NEIGHBOUR, ADMIN):
        await h.send(b.message(user, GROUP, "/help"))
    poll_id = await start_poll(h, settings=("anon",))
    await press(h, ADMIN, GROUP, cb.VOTE.build("v", poll_id, 1), await tally_message(h, poll_id))
    h.fake.clear()
    await press(h, SW, GROUP, cb.POLL_ADMIN.build("remind", poll_id), await tally_message(h, poll_id))

    # Queued with the press: one private reminder per non-voter who has a private chat with the bot.
    queued = await h.rows("SELECT chat_id FROM outbox WHERE kind = 'poll_nudge' ORDER BY chat_id")
    assert queued == [(AUNT.id,), (UNCLE.id,)]
    group_text = h.fake.last_text(GROUP.id)
    assert "tg://user" not in group_text
    names = [u.first_name for u in (SW, AUNT, UNCLE, NEIGHBOUR, ADMIN)]
    assert not [n for n in names if n in group_text], group_text
    assert "还有4人没有投票" in group_text, group_text

    await h.drain()
    for user in (AUNT, UNCLE):
        private = h.fake.last_text(user.id)
        assert "选哪个主题" in private and "1号投票" in private, private
    assert not h.fake.sent(NEIGHBOUR.id)
    assert not [c for c in h.fake.sent() if c.chat_id == GROUP.id and "tg://user" in c.text]


async def test_automatic_reminder_of_an_anonymous_poll_names_nobody(h: Harness) -> None:
    await bind(h)
    await h.send(b.message(AUNT, b.private(AUNT), "/start"))
    for user in (AUNT, UNCLE):
        await h.send(b.message(user, GROUP, "/help"))
    poll_id = await start_poll(h, settings=("anon",))
    async with h.db.transaction() as conn:
        await conn.execute("UPDATE polls SET remind_at = 1 WHERE id = ?", (poll_id,))
    h.fake.clear()
    await sweep(h.context)
    assert await h.rows("SELECT chat_id FROM outbox WHERE kind = 'poll_nudge'") == [(AUNT.id,)]
    await h.drain()
    group_text = h.fake.last_text(GROUP.id)
    assert "tg://user" not in group_text and AUNT.first_name not in group_text and UNCLE.first_name not in group_text
    assert "选哪个主题" in h.fake.last_text(AUNT.id)


async def test_a_committee_poll_is_refused_while_the_committee_is_empty(h: Harness) -> None:
    await bind(h)
    await h.send(b.message(SW, GROUP, "/vote 评分标准 | 同意 | 不同意"))
    card = last(h, GROUP)
    await press(h, SW, GROUP, cb.POLL_DRAFT.build("elec", 0), card)
    refusal = str(h.fake.answers()[-1].params.get("text", ""))
    assert "评审会" in refusal and "还没有" in refusal, refusal
    await press(h, SW, GROUP, cb.POLL_DRAFT.build("go", 0), card)
    assert await h.scalar("SELECT electorate FROM polls") == "all"

    # A committee that empties after the setting was chosen: the launch is refused, no poll is made.
    await h.send(b.message(AUNT, GROUP, "/help"))
    async with h.db.transaction() as conn:
        await conn.execute(
            "INSERT INTO roles(user_id, role, scope_id, granted_at) VALUES (?, 'committee', 0, 0)", (AUNT.id,)
        )
    await h.send(b.message(SW, GROUP, "/vote 评分标准二 | 同意 | 不同意"))
    card = last(h, GROUP)
    await press(h, SW, GROUP, cb.POLL_DRAFT.build("elec", 0), card)
    assert "仅评审会成员投票" in h.fake.of("editMessageText", GROUP.id)[-1].text
    async with h.db.transaction() as conn:
        await conn.execute("DELETE FROM roles WHERE role = 'committee'")
    await press(h, SW, GROUP, cb.POLL_DRAFT.build("go", 0), card)
    assert "评审会" in str(h.fake.answers()[-1].params.get("text", ""))
    assert await h.scalar("SELECT COUNT(*) FROM polls") == 1


# -- /forget -------------------------------------------------------------------------------------------

RARE = b.TgUser(520001, "钟离雪鸢Zq")


async def test_forget_leaves_no_byte_of_the_name_and_redraws_what_listed_the_person(h: Harness) -> None:
    await bind(h)
    await h.send(b.message(RARE, b.private(RARE), "/start"))
    await h.send(b.message(SW, GROUP, "/newteam 碧水苑墙绘队 10"))
    team_id = int(await h.scalar("SELECT id FROM teams"))
    await h.send(b.callback(RARE, GROUP, cb.TEAM.build("join", team_id)))
    await h.send(b.callback(UNCLE, GROUP, cb.TEAM.build("join", team_id)))
    poll_id = await start_poll(h)
    await press(h, RARE, GROUP, cb.VOTE.build("v", poll_id, 1), await tally_message(h, poll_id))
    meeting_id = await quick_meeting(h)
    notice_id = int(
        await h.scalar("SELECT message_id FROM live_messages WHERE kind = 'meeting' AND entity_id = ?", meeting_id)
    )
    await press(h, RARE, GROUP, cb.RSVP.build("yes", meeting_id), notice_id)
    h.clock.advance(timedelta(seconds=30))
    await live(h.app).flush(h.context, force=True)
    assert any(RARE.first_name in c.text for c in h.fake.of("editMessageText", GROUP.id))
    live_rows = await h.rows("SELECT kind, message_id FROM live_messages WHERE chat_id = ?", GROUP.id)
    h.clock.advance(timedelta(seconds=30))

    await h.send(b.message(RARE, b.private(RARE), "/forget"))
    confirm = h.fake.sent(RARE.id)[-1]
    h.fake.clear()
    await h.send(b.callback(RARE, b.private(RARE), cb.FORGET.build("yes"), message_id=confirm.message_id))
    assert "都已删除" in h.fake.of("editMessageText", RARE.id)[-1].text

    # The database file, its write-ahead log and shared memory hold no byte of the name.
    assert _files_holding(_db_path(h), RARE.first_name) == []
    # Every message that showed the person is edited (a group allows one edit every few seconds).
    for _ in range(4):
        h.clock.advance(timedelta(seconds=4))
        await live(h.app).flush(h.context)
    edits = {c.params.get("message_id"): c.text for c in h.fake.of("editMessageText", GROUP.id)}
    for kind, message_id in live_rows:
        if kind in ("roster", "poll", "meeting"):
            assert message_id in edits, (kind, edits.keys())
            assert RARE.first_name not in edits[message_id]


async def test_privacy_says_what_stays_in_the_groups(h: Harness) -> None:
    await h.send(b.message(AUNT, b.private(AUNT), "/privacy"))
    text = h.fake.last_text(AUNT.id)
    assert "群里" in text and "留在" in text, text
