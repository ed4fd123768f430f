"""Forum topics: a message in a topic "replies" to the topic's root, which is not a reply to a person."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests import builders as b
from tests.cast import AUNT, SW, UNCLE, bind
from tests.e2e.meeting_helpers import quick_meeting
from tests.harness import Harness

FORUM = b.forum(-1001000000001, "碧水苑居民群")
START = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)


async def topic_by_aunt(h: Harness) -> dict:
    """A bound forum group where 李阿姨 opened a topic and 张大爷 said something in it."""
    root = b.topic_root(AUNT, FORUM, "院落议事")
    await h.send(b.in_topic(SW, FORUM, "/bind 碧水苑", root))
    # Privacy mode: a topic message "replies" to the topic's root, not to the bot, so these never reach it.
    assert not await h.send(b.in_topic(AUNT, FORUM, "大家好", root))
    assert not await h.send(b.in_topic(UNCLE, FORUM, "我来帮忙", root))
    return root


async def test_grant_and_revoke_in_a_topic_ignore_the_topic_root(h: Harness) -> None:
    root = await topic_by_aunt(h)
    await h.send(b.in_topic(SW, FORUM, "/grant", root))
    assert h.fake.last_text(FORUM.id) == "请先回复这位居民的一条消息，再发送这个命令。"
    assert await h.scalar("SELECT COUNT(*) FROM roles") == 0
    # A real reply inside the topic still names the person replied to.
    said = b.topic_user_message(AUNT, FORUM, root, "大家好")
    await h.send(b.in_topic(SW, FORUM, "/grant", root, reply_to=said))
    assert h.fake.last_text(FORUM.id) == "李阿姨现在是骨干了。"
    assert await h.rows("SELECT user_id, role FROM roles") == [(AUNT.id, "backbone")]
    await h.send(b.in_topic(SW, FORUM, "/revoke", root))
    assert h.fake.last_text(FORUM.id) == "请先回复这位居民的一条消息，再发送这个命令。"
    assert await h.rows("SELECT user_id, role FROM roles") == [(AUNT.id, "backbone")]
    await h.send(b.in_topic(SW, FORUM, "/revoke", root, reply_to=said))
    assert await h.scalar("SELECT COUNT(*) FROM roles") == 0


async def test_captain_in_a_topic_ignores_the_topic_root(h: Harness) -> None:
    root = await topic_by_aunt(h)
    await h.send(b.in_topic(SW, FORUM, "/newteam 碧水苑墙绘队 10", root))
    await h.send(b.in_topic(SW, FORUM, "/captain", root))
    assert h.fake.last_text(FORUM.id) == "请先回复新队长的一条消息，再输入 /captain 队名。"
    assert await h.scalar("SELECT captain_id FROM teams") == SW.id
    said = b.topic_user_message(UNCLE, FORUM, root, "我来帮忙")
    await h.send(b.in_topic(SW, FORUM, "/captain", root, reply_to=said))
    assert h.fake.last_text(FORUM.id) == "张大爷现在是碧水苑墙绘队的队长了。"
    assert await h.scalar("SELECT captain_id FROM teams") == UNCLE.id


async def test_task_in_a_topic_ignores_the_topic_root(h: Harness) -> None:
    await bind(h, FORUM)
    meeting_id = await quick_meeting(h, chat=FORUM)
    root = b.topic_root(AUNT, FORUM, "会议纪要")
    h.clock.current = START + timedelta(hours=2)
    await h.send(b.in_topic(SW, FORUM, f"/minutes {meeting_id}", root))
    await h.send(b.in_topic(SW, FORUM, "/task 周五下午5点 买油漆", root))
    assert h.fake.last_text(FORUM.id).startswith("请回复负责人的消息")
    assert await h.scalar("SELECT COUNT(*) FROM meeting_tasks") == 0
    said = b.topic_user_message(UNCLE, FORUM, root, "我来买油漆")
    await h.send(b.in_topic(SW, FORUM, "/task 周五下午5点 买油漆", root, reply_to=said))
    assert h.fake.last_text(FORUM.id).startswith("📌 <b>任务 #1</b>，负责人")
    assert await h.rows("SELECT owner_id FROM meeting_tasks") == [(UNCLE.id,)]
