"""Every feature that reads a typed time refuses a bad one with the same words, and changes nothing."""

from __future__ import annotations

from typing import Any

from bot import callback_data as cb
from tests import builders as b
from tests.cast import AUNT, GROUP, PRIVATE, SW, answer_prompt, bind
from tests.e2e.meeting_helpers import last_call, press, quick_meeting
from tests.e2e.test_meetings_minutes import meeting_held, reply_to_bot
from tests.harness import Harness

# The shared wording (handlers.common.time_error_text): what went wrong, then an example that works.
PAST = "“昨天下午3点”已经过去了，请换一个还没到的时间。"
EXAMPLE = "可以这样写：明天下午3点、周六上午10点、12月5日 19:30。"
EXAMPLE_REPEAT = "可以这样写：明天下午3点、周六上午10点、12月5日 19:30、每周三晚上7点。"
EXAMPLE_DAY = "可以这样写：明天、下周六、12月5日、2026-12-05。"
# Tables a refused time could change (bookkeeping of who was seen where is left out).
TABLES = ("dialogs", "outbox", "reminders", "teams", "team_events", "meetings", "meeting_tasks", "polls")


async def snapshot(h: Harness) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables a time could change."""
    return {table: await h.rows(f"SELECT * FROM {table} ORDER BY 1") for table in TABLES}


async def assert_refused(h: Harness, update: dict[str, Any], chat_id: int, answer: str) -> None:
    """The update is answered in the chat with exactly these words and changes none of the tables."""
    before = await snapshot(h)
    await h.send(update)
    assert h.fake.last_text(chat_id) == answer
    assert await snapshot(h) == before


async def test_quick_meeting(h: Harness) -> None:
    await bind(h)
    await assert_refused(
        h, b.message(SW, GROUP, "/meeting 坝坝会 昨天下午3点 院坝 讨论"), GROUP.id, f"{PAST}\n{EXAMPLE}"
    )


async def test_meeting_move(h: Harness) -> None:
    await bind(h)
    meeting_id = await quick_meeting(h)
    await h.send(b.message(SW, PRIVATE, "/meetings"))
    await press(h, SW, PRIVATE, cb.MEETING_ADMIN.build("move", meeting_id))
    await assert_refused(h, b.message(SW, PRIVATE, "昨天下午3点"), SW.id, f"{PAST}\n{EXAMPLE}")


async def test_meeting_task_due(h: Harness) -> None:
    await meeting_held(h)
    await h.send(b.message(SW, GROUP, "/minutes"))
    await h.send(reply_to_bot(h, GROUP, SW, "墙绘分三组"))
    await assert_refused(
        h,
        b.message(SW, GROUP, "/task 昨天下午3点 刷墙", reply_to=b.user_message(AUNT, GROUP)),
        GROUP.id,
        f"{PAST}\n{EXAMPLE}",
    )


async def test_poll_deadline(h: Harness) -> None:
    await bind(h)
    await h.send(b.message(SW, GROUP, "/vote 墙绘选什么颜色 | 蓝色 | 绿色"))
    card = last_call(h, GROUP.id)
    await h.send(b.callback(SW, GROUP, cb.POLL_DRAFT.build("dl", 0), message_id=card.message_id))
    prompt = last_call(h, GROUP.id)
    data = b.message(SW, GROUP, "昨天下午3点")
    data["message"]["reply_to_message"] = b.bot_message(GROUP, prompt.message_id, prompt.text)
    await assert_refused(h, data, GROUP.id, f"{PAST}\n{EXAMPLE}")


async def test_reminder(h: Harness) -> None:
    await assert_refused(
        h, b.message(AUNT, b.private(AUNT), "/remind 昨天下午3点 去社区拿扫帚"), AUNT.id, f"{PAST}\n{EXAMPLE_REPEAT}"
    )


async def test_team_deadline(h: Harness) -> None:
    await bind(h)
    await h.send(b.message(SW, GROUP, "/newteam 碧水苑墙绘队 10"))
    team_id = int(await h.scalar("SELECT id FROM teams"))
    await h.send(b.callback(SW, GROUP, cb.TEAM_SET.build("until", team_id, 0)))
    past = "“昨天”已经过去了，请换一个还没到的时间。"
    answer = answer_prompt(h, SW, GROUP, "昨天")
    await assert_refused(h, answer, GROUP.id, f"{past}\n{EXAMPLE_DAY}\n（发送 /cancel 可以取消）")
    await h.send(answer_prompt(h, SW, GROUP, "明天"))  # a relative day, which the teams' own dates did not know
    assert await h.scalar("SELECT deadline FROM teams") is not None
