"""A group becoming a supergroup: in either order, in one batch or two, from the outbox, nothing is lost."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from bot import callback_data as cb
from tests import builders as b
from tests.cast import AUNT, NEIGHBOUR, SW, UNCLE
from tests.e2e.test_polls import start_poll, tally, tally_message, vote
from tests.harness import Harness

OLD = b.group(-4000001, "碧水苑老群")
NEW = b.group(-1009999999999, "碧水苑居民群")


pytestmark = pytest.mark.usefixtures("no_errors")


async def press_last(h: Harness, user: b.TgUser, chat: b.TgChat, data: str) -> None:
    target = [c for c in h.fake.calls if c.method == "sendMessage" and c.chat_id == chat.id][-1]
    await h.send(b.callback(user, chat, data, message_id=target.message_id, text=target.text))


async def use_old_group(h: Harness) -> int:
    """A bound group with a language, a proposal, a poll with votes, a team, a reminder and a meeting."""
    await h.send(b.message(SW, OLD, "/bind 碧水苑"))
    await h.send(b.message(SW, OLD, "/lang"))
    await press_last(h, SW, OLD, cb.LANG.build("en"))
    await h.send(b.message(AUNT, OLD, "/propose 碧水蓝天"))
    poll_id = await start_poll(h, chat=OLD)
    await vote(h, AUNT, poll_id, 1, chat=OLD)
    await vote(h, UNCLE, poll_id, 2, chat=OLD)
    await h.send(b.message(SW, OLD, "/newteam 碧水苑墙绘队 10"))
    team_id = await h.scalar("SELECT id FROM teams")
    await h.send(b.callback(AUNT, OLD, cb.TEAM.build("join", team_id)))
    await h.send(b.message(SW, OLD, "/remind 明天上午9点 打扫院子"))
    await h.send(b.message(SW, OLD, "/meeting 坝坝会 明天下午3点 碧水苑院坝 讨论墙绘分工"))
    await press_last(h, SW, OLD, cb.MEETING_WIZARD.build("ok", 0))
    await h.drain()
    assert await h.scalar("SELECT COUNT(*) FROM meeting_chats WHERE chat_id = ?", OLD.id) == 1
    return poll_id


async def use_new_group(h: Harness) -> None:
    """The supergroup is used before any migration message arrives: a reminder, old and new faces."""
    await h.send(b.message(SW, NEW, "/remind 后天上午9点 交水费"))
    await h.send(b.message(AUNT, NEW, "/help"))
    await h.send(b.message(NEIGHBOUR, NEW, "/help"))
    assert await h.scalar("SELECT COUNT(*) FROM reminders WHERE chat_id = ?", NEW.id) == 1


CENSUS = {
    "polls": "SELECT COUNT(*) FROM polls WHERE chat_id IN ({ids})",
    "ballots": "SELECT COUNT(*) FROM poll_ballots JOIN polls p ON p.id = poll_id WHERE p.chat_id IN ({ids})",
    "choices": "SELECT COUNT(*) FROM poll_choices JOIN polls p ON p.id = poll_id WHERE p.chat_id IN ({ids})",
    "proposals": "SELECT COUNT(*) FROM proposals WHERE chat_id IN ({ids})",
    "reminders": "SELECT COUNT(*) FROM reminders WHERE chat_id IN ({ids})",
    "teams": "SELECT COUNT(*) FROM teams WHERE home_chat_id IN ({ids})",
    "team_members": "SELECT COUNT(*) FROM team_members JOIN teams t ON t.id = team_id WHERE t.home_chat_id IN ({ids})",
    "live_messages": "SELECT COUNT(*) FROM live_messages WHERE chat_id IN ({ids})",
    "meetings": "SELECT COUNT(*) FROM meeting_chats WHERE chat_id IN ({ids})",
    "outbox": "SELECT COUNT(*) FROM outbox WHERE chat_id IN ({ids})",
    "members": "SELECT COUNT(DISTINCT user_id) FROM chat_members WHERE chat_id IN ({ids})",
}


async def census(h: Harness, *chat_ids: int) -> dict[str, int]:
    ids = ", ".join(str(i) for i in chat_ids)
    return {name: int(await h.scalar(sql.format(ids=ids))) for name, sql in CENSUS.items()}


async def assert_all_moved(h: Harness, before: dict[str, int], poll_id: int) -> None:
    """Every row of both ids is under the new one, the binding and language came along, the bot works there."""
    after = await census(h, NEW.id)
    assert after == before
    assert await census(h, OLD.id) == dict.fromkeys(CENSUS, 0)
    assert await h.rows("SELECT chat_id FROM chats WHERE chat_id IN (?, ?)", OLD.id, NEW.id) == [(NEW.id,)]
    yard = await h.scalar("SELECT id FROM courtyards WHERE name = '碧水苑'")
    assert await h.rows("SELECT type, courtyard_id, scope, locale FROM chats WHERE chat_id = ?", NEW.id) == [
        ("supergroup", yard, "courtyard", "en")
    ]
    assert await h.scalar("PRAGMA foreign_key_check") is None
    # The poll still takes votes in the supergroup and kept the old ones.
    assert await tally_message(h, poll_id, NEW)
    await vote(h, NEIGHBOUR, poll_id, 2, chat=NEW)
    assert await tally(h, poll_id) == {1: 1, 2: 2}


@pytest.mark.parametrize("prior", [False, True], ids=["new-unused", "new-used-first"])
@pytest.mark.parametrize("batch", ["one", "two"])
@pytest.mark.parametrize("order", ["to-first", "from-first"])
async def test_migration_merges_everything_under_the_new_id(h: Harness, order: str, batch: str, prior: bool) -> None:
    poll_id = await use_old_group(h)
    if prior:
        await use_new_group(h)
    before = await census(h, OLD.id, NEW.id)
    assert before["members"] == (4 if prior else 3)  # SW, AUNT, UNCLE (+ NEIGHBOUR, only in the supergroup)
    to_old = b.migrate(OLD, NEW.id, SW)
    from_new = b.migrate_from(NEW, OLD.id, SW)
    pair = [to_old, from_new] if order == "to-first" else [from_new, to_old]
    if batch == "one":
        await h.feed(pair)
    else:
        for update in pair:
            await h.send(update)
    await assert_all_moved(h, before, poll_id)


async def test_a_send_answered_group_migrated_merges_with_the_used_supergroup(h: Harness) -> None:
    poll_id = await use_old_group(h)
    await use_new_group(h)
    before = await census(h, OLD.id, NEW.id)
    h.fake.migrated[OLD.id] = NEW.id
    h.clock.advance(timedelta(days=1, hours=2))  # the old group's reminder is due
    await h.drain()
    # The reminder went to the supergroup (the outbox's own rows moved with it).
    assert any("打扫院子" in c.text for c in h.fake.sent(NEW.id))
    after_sends = await census(h, NEW.id)
    assert {k: v for k, v in after_sends.items() if k != "outbox"} == {k: v for k, v in before.items() if k != "outbox"}
    # Sending a one-off reminder schedules nothing new; recurring or meeting items may add rows, never remove.
    assert after_sends["outbox"] >= before["outbox"]
    before["outbox"] = after_sends["outbox"]
    await assert_all_moved(h, before, poll_id)


async def test_adding_the_bot_to_a_brand_new_group_writes_the_chat_before_its_members(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    fresh = b.group(-1001000000077, "启明花园新群")
    await h.send(b.my_chat_member(fresh, SW, "left", "member"))
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == []  # was: "error handling update …: IntegrityError" (FOREIGN KEY constraint failed)
    caplog.clear()
    assert await h.rows("SELECT type, active FROM chats WHERE chat_id = ?", fresh.id) == [("supergroup", 1)]
    assert await h.rows("SELECT user_id FROM chat_members WHERE chat_id = ?", fresh.id) == [(SW.id,)]
    assert "/bind" in h.fake.last_text(fresh.id)
    # Removed again: recorded as unreachable, still without an error.
    await h.send(b.my_chat_member(fresh, SW, "member", "kicked"))
    assert await h.rows("SELECT active FROM chats WHERE chat_id = ?", fresh.id) == [(0,)]
