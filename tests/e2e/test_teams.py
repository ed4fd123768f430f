"""Teams and sign-up through the real PTB stack: capacity, waitlist, captains, rosters, export."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest

from bot import callback_data as cb
from bot.context import BotContext
from handlers.live import live
from tests import builders as b
from tests.cast import ADMIN, AUNT, GROUP, OTHER, SW, UNCLE, answer_prompt
from tests.harness import Harness, make_config

GRANNY = b.TgUser(100004, "王奶奶")


pytestmark = pytest.mark.usefixtures("no_errors")


async def make_team(h: Harness, args: str = "碧水苑墙绘队 10", *, chat: b.TgChat = GROUP, yard: str = "碧水苑") -> int:
    await h.send(b.message(SW, chat, f"/bind {yard}"))
    await h.send(b.message(SW, chat, f"/newteam {args}"))
    team_id = await h.scalar("SELECT id FROM teams ORDER BY id DESC LIMIT 1")
    assert team_id is not None, h.fake.last_text(chat.id)
    return int(team_id)


async def statuses(h: Harness, team_id: int) -> list[tuple[int, str]]:
    return await h.rows("SELECT user_id, status FROM team_members WHERE team_id = ? ORDER BY seq", team_id)


async def assert_counts_kept(h: Harness) -> None:
    """The trigger-kept team_counts agree with counting team_members row by row."""
    kept = await h.rows("SELECT team_id, status, n FROM team_counts WHERE n > 0 ORDER BY 1, 2")
    counted = await h.rows("SELECT team_id, status, COUNT(*) FROM team_members GROUP BY 1, 2 ORDER BY 1, 2")
    assert kept == counted and await h.scalar("SELECT COUNT(*) FROM team_counts WHERE n < 0") == 0


def press(user: b.TgUser, action: str, team_id: int, chat: b.TgChat = GROUP) -> dict:
    return b.callback(user, chat, cb.TEAM.build(action, team_id))


def last_answer(h: Harness) -> str:
    return str(h.fake.answers()[-1].params.get("text") or "")


async def test_fifty_concurrent_presses_fill_exactly_and_the_first_waitlisted_is_promoted(h: Harness) -> None:
    team_id = await make_team(h)
    people = [b.TgUser(300000 + i, f"居民{i}") for i in range(50)]
    first_waiting = people[10]
    await h.send(b.message(first_waiting, b.private(first_waiting), "/start"))  # can be told privately

    await h.feed([press(p, "join", team_id) for p in people])

    rows = await statuses(h, team_id)
    assert [u for u, s in rows if s == "member"] == [p.id for p in people[:10]]
    assert [u for u, s in rows if s == "waitlist"] == [p.id for p in people[10:]]  # in press order
    answers = [a.params.get("text", "") for a in h.fake.answers()]
    assert sum("候补第" in a for a in answers) == 40
    assert "您排在候补第1位" in " ".join(answers)

    h.fake.clear()
    await h.send(press(people[3], "leave", team_id))
    rows = dict(await statuses(h, team_id))
    assert rows[people[3].id] == "left"
    assert rows[first_waiting.id] == "member"
    assert sum(s == "member" for s in rows.values()) == 10
    await h.drain()  # the note was queued in the outbox with the leave
    told = h.fake.sent(first_waiting.id)
    assert len(told) == 1 and "碧水苑墙绘队" in told[0].text and "正式队员" in told[0].text
    # The next on the waitlist is now first.
    await h.send(press(people[11], "join", team_id))
    assert "候补第1位" in last_answer(h)
    await assert_counts_kept(h)


async def test_a_promoted_person_without_a_private_chat_is_mentioned_in_the_group(h: Harness) -> None:
    team_id = await make_team(h, "护卫队 1")
    await h.send(press(AUNT, "join", team_id))
    await h.send(press(UNCLE, "join", team_id))
    assert dict(await statuses(h, team_id))[UNCLE.id] == "waitlist"
    h.fake.clear()
    await h.send(press(AUNT, "leave", team_id))
    await h.drain()
    mentions = [c.text for c in h.fake.sent(GROUP.id) if f"tg://user?id={UNCLE.id}" in c.text]
    assert len(mentions) == 1 and "护卫队" in mentions[0]
    await h.send(press(AUNT, "leave", team_id))  # leaving twice changes nothing
    assert "您不在这个队伍里" in last_answer(h)


async def test_pressing_join_twice_or_editing_join_gives_one_membership_and_one_confirmation(h: Harness) -> None:
    team_id = await make_team(h)
    h.fake.clear()
    await h.send(press(AUNT, "join", team_id))
    await h.send(press(AUNT, "join", team_id))
    answers = [a.params.get("text", "") for a in h.fake.answers()]
    assert sum("报名成功" in a for a in answers) == 1
    assert "您已经在碧水苑墙绘队里了" in answers[-1]

    await h.send(b.message(UNCLE, GROUP, "/join 墙绘"))
    await h.send(b.edited(UNCLE, GROUP, "/join 墙绘"))
    await h.send(b.message(UNCLE, GROUP, "/join 碧水苑墙绘队"))
    texts = [c.text for c in h.fake.sent(GROUP.id)]
    assert sum("报名成功" in x for x in texts) == 1
    assert any("已经在" in x for x in texts)
    assert await h.scalar("SELECT COUNT(*) FROM team_members WHERE team_id = ?", team_id) == 2
    assert await h.scalar("SELECT COUNT(*) FROM team_events WHERE team_id = ?", team_id) == 2


async def test_residents_cannot_create_or_call_a_team(h: Harness) -> None:
    h.fake.admins[GROUP.id] = [ADMIN.id]
    team_id = await make_team(h)
    await h.send(b.message(AUNT, GROUP, "/newteam 阿姨队"))
    assert h.fake.last_text(GROUP.id) == "抱歉，只有本院落的骨干和社工可以进行这个操作。"
    await h.send(press(AUNT, "join", team_id))
    h.fake.clear()
    await h.send(b.message(AUNT, GROUP, "/callteam"))
    assert "只有队长" in h.fake.last_text(GROUP.id)
    await h.send(press(AUNT, "call", team_id))
    assert "只有队长" in last_answer(h)
    await h.send(b.callback(AUNT, GROUP, cb.TEAM_SET.build("cap", team_id, 99)))
    assert "只有队长" in last_answer(h)
    assert not [c for c in h.fake.sent(GROUP.id) if "tg://user" in c.text]
    assert await h.scalar("SELECT COUNT(*) FROM teams") == 1
    assert await h.scalar("SELECT capacity FROM teams") == 10
    # A group admin counts as backbone here.
    await h.send(b.message(ADMIN, GROUP, "/newteam 启明护卫队"))
    assert await h.scalar("SELECT COUNT(*) FROM teams") == 2


async def test_forged_buttons_for_another_chats_team_change_nothing(h: Harness) -> None:
    h.fake.admins[GROUP.id] = [ADMIN.id]  # even a group admin of another courtyard
    theirs = await make_team(h, "启明花园护卫队 2", chat=OTHER, yard="启明花园")
    await h.send(press(UNCLE, "join", theirs, OTHER))
    seq = await h.scalar("SELECT seq FROM team_members WHERE user_id = ?", UNCLE.id)
    await make_team(h)
    before = await h.rows("SELECT * FROM team_members ORDER BY seq")
    teams_before = await h.rows("SELECT * FROM teams ORDER BY id")
    for user in (AUNT, ADMIN):
        for data in (
            cb.TEAM.build("join", theirs),
            cb.TEAM.build("leave", theirs),
            cb.TEAM.build("roster", theirs),
            cb.TEAM.build("call", theirs),
            cb.TEAM_SET.build("cap", theirs, 1),
            cb.TEAM_SET.build("open", theirs, 0),
            cb.TEAM_DECIDE.build("rm", int(seq)),
            "tm1:join:1:2",
            "tm1:join:-1",
            "ta1:ok:<b>",
        ):
            await h.send(b.callback(user, GROUP, data))
    assert await h.rows("SELECT * FROM team_members ORDER BY seq") == before
    assert await h.rows("SELECT * FROM teams ORDER BY id") == teams_before
    assert {a.params.get("text") for a in h.fake.answers()[-20:]} <= {
        "抱歉，在这个院落里没有找到这个队伍。",
        "这个按钮已经失效了。",
    }
    assert not [c for c in h.fake.sent(GROUP.id) if "启明花园护卫队" in c.text]


async def test_names_are_escaped_and_overlong_names_refused(h: Harness) -> None:
    await h.send(b.message(SW, GROUP, "/bind 碧水苑"))
    await h.send(b.message(SW, GROUP, "/newteam " + "长" * 200))
    assert h.fake.last_text(GROUP.id) == "队名太长了，请不要超过30个字。"
    await h.send(b.message(SW, GROUP, "/newteam " + "长" * 31 + " 8"))
    assert h.fake.last_text(GROUP.id) == "队名太长了，请不要超过30个字。"
    assert await h.scalar("SELECT COUNT(*) FROM teams") == 0
    await h.send(b.message(SW, GROUP, "/newteam <b>墙&绘</b>🎨 8"))
    assert await h.scalar("SELECT name, capacity FROM teams") == "<b>墙&绘</b>🎨"
    sent = [c.text for c in h.fake.sent(GROUP.id)[-2:]]
    assert all("&lt;b&gt;墙&amp;绘&lt;/b&gt;🎨" in text for text in sent)
    assert all("<b>墙" not in text for text in sent)
    evil = b.TgUser(100009, "<i>坏</i>&人")
    team_id = await h.scalar("SELECT id FROM teams")
    await h.send(press(evil, "join", team_id))
    # A popup is plain text: it shows the name as typed, neither escaped nor as markup.
    assert last_answer(h) == "报名成功！您是<b>墙&绘</b>🎨的第1位。"
    await h.send(b.message(evil, GROUP, "/teams"))
    labels = [text for text, _ in h.fake.sent(GROUP.id)[-1].buttons]
    assert "✋ 报名 <b>墙&绘</b>🎨（1/8）" in labels  # a label is plain text: the name as typed
    await h.send(b.message(evil, GROUP, "/roster"))
    assert "&lt;i&gt;坏&lt;/i&gt;&amp;人" in h.fake.last_text(GROUP.id)


async def test_roster_is_numbered_and_updated_in_place(h: Harness) -> None:
    team_id = await make_team(h, "碧水苑墙绘队 2")
    roster = h.fake.sent(GROUP.id)[-2]
    assert "碧水苑墙绘队" in roster.text and "名额：0/2" in roster.text
    for person in (AUNT, UNCLE, GRANNY):
        await h.send(press(person, "join", team_id))
    h.clock.advance(timedelta(seconds=10))
    await live(h.app).flush(BotContext(h.app))
    edits = h.fake.of("editMessageText", GROUP.id)
    live_id = await h.scalar("SELECT message_id FROM live_messages WHERE kind = 'roster' AND entity_id = ?", team_id)
    assert edits and int(edits[-1].params["message_id"]) == live_id
    text = edits[-1].text
    assert "1. 李阿姨" in text and "2. 张大爷" in text and "候补" in text and "1. 王奶奶" in text
    assert text.index("张大爷") < text.index("王奶奶")


async def test_long_rosters_and_team_calls_are_split_under_the_limit(h: Harness) -> None:
    team_id = await make_team(h, "启明花园护卫队")
    people = [b.TgUser(400000 + i, f"{'很长的名字' * 12}{i}") for i in range(120)]
    await h.feed([press(p, "join", team_id) for p in people])
    h.fake.clear()
    await h.send(b.message(SW, GROUP, "/roster"))
    pages = h.fake.sent(GROUP.id)
    assert len(pages) >= 2 and all(len(p.text) <= 4096 for p in pages)
    assert "/roster" in pages[0].text  # the live first page points to the whole list
    h.fake.clear()
    await h.send(b.message(SW, GROUP, "/callteam 启明花园护卫队 明早8点东门集合"))
    calls = h.fake.sent(GROUP.id)
    assert len(calls) >= 2 and all(len(c.text) <= 4096 for c in calls)
    assert "明早8点东门集合" in calls[0].text
    joined = "".join(c.text for c in calls)
    assert all(f"tg://user?id={p.id}" in joined for p in people)


async def test_captain_approves_declines_removes_and_closes(h: Harness) -> None:
    team_id = await make_team(h, "碧水苑墙绘队 5")
    said = b.message(UNCLE, GROUP, "我来当队长")
    assert not await h.send(said)  # privacy mode: plain chatter never reaches the bot; the reply names him
    await h.send(b.message(SW, GROUP, "/captain", reply_to=said["message"]))
    assert h.fake.last_text(GROUP.id) == "张大爷现在是碧水苑墙绘队的队长了。"
    await h.send(b.message(UNCLE, b.private(UNCLE), "/start"))
    await h.send(b.callback(UNCLE, GROUP, cb.TEAM_SET.build("appr", team_id, 1)))
    assert await h.scalar("SELECT approval FROM teams") == 1
    h.fake.clear()
    await h.send(press(AUNT, "join", team_id))
    assert "等待队长审核" in last_answer(h) or "队长" in last_answer(h)
    await h.drain()
    request = h.fake.sent(UNCLE.id)[-1]
    assert "李阿姨" in request.text
    buttons = request.params["reply_markup"]["inline_keyboard"][0]
    accept, decline = buttons[0]["callback_data"], buttons[1]["callback_data"]
    await h.send(b.callback(AUNT, GROUP, accept))  # the applicant cannot approve herself
    assert dict(await statuses(h, team_id))[AUNT.id] == "pending"
    await h.send(b.callback(UNCLE, b.private(UNCLE), accept))
    assert dict(await statuses(h, team_id))[AUNT.id] == "member"
    await h.drain()
    assert any(f"tg://user?id={AUNT.id}" in c.text for c in h.fake.sent(GROUP.id))
    await h.send(b.callback(UNCLE, b.private(UNCLE), decline))  # already decided
    assert dict(await statuses(h, team_id))[AUNT.id] == "member"

    await h.send(press(GRANNY, "join", team_id))
    granny_seq = await h.scalar("SELECT seq FROM team_members WHERE user_id = ?", GRANNY.id)
    await h.send(b.callback(UNCLE, b.private(UNCLE), cb.TEAM_DECIDE.build("no", int(granny_seq))))
    assert dict(await statuses(h, team_id))[GRANNY.id] == "declined"

    aunt_seq = await h.scalar("SELECT seq FROM team_members WHERE user_id = ?", AUNT.id)
    await h.send(b.callback(UNCLE, GROUP, cb.TEAM_DECIDE.build("rm", int(aunt_seq))))
    assert dict(await statuses(h, team_id))[AUNT.id] == "removed"

    await h.send(b.callback(UNCLE, GROUP, cb.TEAM_SET.build("open", team_id, 0)))
    await h.send(press(GRANNY, "join", team_id))
    assert last_answer(h) == "抱歉，这个队伍的报名已经关闭了。"
    await h.send(b.callback(UNCLE, GROUP, cb.TEAM_SET.build("open", team_id, 1)))
    await h.send(b.callback(UNCLE, GROUP, cb.TEAM_SET.build("appr", team_id, 0)))
    await h.send(press(GRANNY, "join", team_id))
    assert dict(await statuses(h, team_id))[GRANNY.id] == "member"
    history = await h.rows("SELECT status FROM team_events WHERE user_id = ? ORDER BY id", AUNT.id)
    assert [s for (s,) in history] == ["pending", "member", "removed"]
    await assert_counts_kept(h)


async def test_typed_deadline_and_capacity_by_reply(h: Harness) -> None:
    team_id = await make_team(h, "碧水苑墙绘队")
    await h.send(b.callback(SW, GROUP, cb.TEAM_SET.build("until", team_id, 0)))
    prompt = h.fake.last_text(GROUP.id)
    assert "12月5日" in prompt and h.fake.sent(GROUP.id)[-1].params["reply_markup"]["force_reply"]
    await h.send(answer_prompt(h, SW, GROUP, "明年某天"))
    assert "没看懂" in h.fake.last_text(GROUP.id)
    await h.send(answer_prompt(h, SW, GROUP, "12月5日"))
    assert "2026年12月5日" in h.fake.last_text(GROUP.id)
    await h.send(b.callback(SW, GROUP, cb.TEAM_SET.build("places", team_id, 0)))
    await h.send(answer_prompt(h, SW, GROUP, "８"))  # full-width digits, as Chinese keyboards type them
    assert await h.scalar("SELECT capacity FROM teams") == 8
    await h.send(press(AUNT, "join", team_id))
    assert "报名成功" in last_answer(h)
    h.clock.advance(timedelta(days=7))
    await h.send(press(UNCLE, "join", team_id))
    assert last_answer(h) == "抱歉，这个队伍的报名截止时间已经过了。"


async def test_capacity_raised_promotes_the_waitlist(h: Harness) -> None:
    team_id = await make_team(h, "碧水苑墙绘队 1")
    for person in (AUNT, UNCLE, GRANNY):
        await h.send(press(person, "join", team_id))
    await h.send(b.callback(SW, GROUP, cb.TEAM_SET.build("cap", team_id, 0)))
    assert [s for _, s in await statuses(h, team_id)] == ["member"] * 3


async def test_forget_leaves_every_team_and_promotes(h: Harness) -> None:
    team_id = await make_team(h, "碧水苑墙绘队 1")
    await h.send(press(AUNT, "join", team_id))
    await h.send(press(UNCLE, "join", team_id))
    await h.send(b.message(AUNT, b.private(AUNT), "/forget"))
    h.fake.clear()
    await h.send(b.callback(AUNT, b.private(AUNT), cb.FORGET.build("yes")))
    assert await h.rows("SELECT user_id, status FROM team_members") == [(UNCLE.id, "member")]
    assert await h.scalar("SELECT COUNT(*) FROM team_events WHERE user_id = ?", AUNT.id) == 0
    await assert_counts_kept(h)  # the cascade from the deleted person went through the triggers
    await h.drain()
    assert any(f"tg://user?id={UNCLE.id}" in c.text for c in h.fake.sent(GROUP.id))
    h.clock.advance(timedelta(seconds=10))
    await live(h.app).flush(BotContext(h.app))
    assert "李阿姨" not in h.fake.of("editMessageText", GROUP.id)[-1].text


async def test_my_teams_across_courtyards_and_in_me(h: Harness) -> None:
    first = await make_team(h, "碧水苑墙绘队 1")
    second = await make_team(h, "启明花园护卫队", chat=OTHER, yard="启明花园")
    await h.send(press(UNCLE, "join", first))
    await h.send(press(AUNT, "join", first))
    await h.send(press(AUNT, "join", second, OTHER))
    await h.send(b.message(AUNT, b.private(AUNT), "/myteams"))
    text = h.fake.last_text(AUNT.id)
    assert "碧水苑 · <b>碧水苑墙绘队</b> — 候补第1位" in text and "启明花园护卫队</b> — 队员，第1位" in text
    await h.send(b.message(AUNT, b.private(AUNT), "/me"))
    assert "碧水苑墙绘队" in h.fake.last_text(AUNT.id)
    await h.send(b.callback(AUNT, b.private(AUNT), cb.MENU.build("teams")))
    assert "启明花园护卫队" in h.fake.last_text(AUNT.id)
    await h.send(press(AUNT, "leave", second, b.private(AUNT)))  # leave from the private list
    assert dict(await statuses(h, second))[AUNT.id] == "left"
    await h.send(press(AUNT, "join", second, b.private(AUNT)))
    assert dict(await statuses(h, second))[AUNT.id] == "left"


async def test_teams_lists_counts_with_join_buttons(h: Harness) -> None:
    team_id = await make_team(h, "碧水苑墙绘队 8")
    await h.send(press(AUNT, "join", team_id))
    await h.send(b.message(UNCLE, GROUP, "/teams"))
    sent = h.fake.sent(GROUP.id)[-1]
    assert "碧水苑墙绘队" in sent.text and "1/8" in sent.text
    row = sent.params["reply_markup"]["inline_keyboard"][0]
    assert row[0]["callback_data"] == cb.TEAM.build("join", team_id)
    await h.send(b.message(UNCLE, GROUP, "/join"))
    assert h.fake.sent(GROUP.id)[-1].params["reply_markup"]["inline_keyboard"][0][0]["text"] == "碧水苑墙绘队"
    # Closed by the captain: marked in the list, and only the roster button is left.
    await h.send(b.callback(SW, GROUP, cb.TEAM_SET.build("open", team_id, 0)))
    await h.send(b.message(UNCLE, GROUP, "/teams"))
    sent = h.fake.sent(GROUP.id)[-1]
    assert "🔒 报名已关闭" in sent.text
    assert sent.buttons == [("📋 碧水苑墙绘队", cb.TEAM.build("roster", team_id))]


async def test_export_is_sent_privately_as_csv_and_xlsx(h: Harness) -> None:
    team_id = await make_team(h, "碧水苑墙绘队 2")
    for person in (AUNT, UNCLE, GRANNY):
        await h.send(press(person, "join", team_id))
    await h.send(b.message(AUNT, GROUP, "/exportroster"))
    assert h.fake.last_text(GROUP.id) == "抱歉，只有社工可以进行这个操作。"
    h.fake.clear()
    await h.send(b.message(SW, GROUP, "/exportroster"))
    docs = h.fake.of("sendDocument", SW.id)
    assert len(docs) == 2
    xlsx = next(d for d in docs if any(name.endswith("xlsx") or data[:2] == b"PK" for name, data in d.files.items()))
    data = next(iter(xlsx.files.values()))
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("院落", "队伍", "姓名", "状态")
    assert [(r[1], r[2], r[3]) for r in rows[1:]] == [
        ("碧水苑墙绘队", "李阿姨", "队员"),
        ("碧水苑墙绘队", "张大爷", "队员"),
        ("碧水苑墙绘队", "王奶奶", "候补"),
    ]
    assert all(r[6] is not None for r in rows[1:3])  # join time of members
    csv_doc = next(d for d in docs if d is not xlsx)
    assert "李阿姨" in next(iter(csv_doc.files.values())).decode("utf-8-sig")
    assert "私聊" in h.fake.last_text(GROUP.id)
    h.fake.forbidden.add(SW.id)
    await h.send(b.message(SW, GROUP, "/exportroster 墙绘"))
    sent = h.fake.sent(GROUP.id)[-1]
    assert "王社工" in sent.text and sent.params["reply_markup"]["inline_keyboard"][0][0]["url"].startswith(
        "https://t.me/"
    )


async def test_export_in_private_covers_every_courtyard(h: Harness) -> None:
    first = await make_team(h, "碧水苑墙绘队")
    second = await make_team(h, "启明花园护卫队", chat=OTHER, yard="启明花园")
    await h.send(press(AUNT, "join", first))
    await h.send(press(UNCLE, "join", second, OTHER))
    await h.send(press(UNCLE, "leave", second, OTHER))
    await h.send(b.message(SW, b.private(SW), "/exportroster"))
    xlsx = next(d for d in h.fake.of("sendDocument", SW.id) if next(iter(d.files.values()))[:2] == b"PK")
    rows = list(openpyxl.load_workbook(io.BytesIO(next(iter(xlsx.files.values())))).active.iter_rows(values_only=True))
    assert {(r[0], r[1], r[2], r[3]) for r in rows[1:]} == {
        ("碧水苑", "碧水苑墙绘队", "李阿姨", "队员"),
        ("启明花园", "启明花园护卫队", "张大爷", "已退出"),  # history is kept
    }


async def test_a_new_roster_message_replaces_the_old_one_and_settings_need_a_manager(h: Harness) -> None:
    team_id = await make_team(h)
    await h.send(b.message(AUNT, GROUP, "/roster"))
    await h.send(b.message(AUNT, GROUP, "/roster 墙绘"))
    assert await h.scalar("SELECT COUNT(*) FROM live_messages WHERE entity_id = ?", team_id) == 1
    await h.send(b.message(AUNT, GROUP, "/teamsettings"))
    assert "只有队长" in h.fake.last_text(GROUP.id)
    await h.send(b.message(SW, GROUP, "/teamsettings"))
    assert "碧水苑墙绘队的设置" in h.fake.last_text(GROUP.id)
    await h.send(b.message(SW, GROUP, "/newteam 碧水苑墙绘队"))
    assert h.fake.last_text(GROUP.id) == "本院落已经有同名的队伍了。"
    await h.send(b.message(SW, GROUP, "/newteam 护卫队"))
    await h.send(b.message(SW, GROUP, "/captain", reply_to=b.user_message(AUNT, GROUP)))
    assert "/captain 队名" in h.fake.last_text(GROUP.id)
    await h.send(b.message(SW, GROUP, "/captain 护卫队", reply_to=b.user_message(AUNT, GROUP)))
    assert h.fake.last_text(GROUP.id) == "李阿姨现在是护卫队的队长了。"
    await h.send(b.message(AUNT, GROUP, "/callteam"))  # the captain of one team calls it without a name
    assert "护卫队还没有队员" in h.fake.last_text(GROUP.id)


async def test_join_requests_go_to_the_group_when_the_captain_has_no_private_chat(h: Harness) -> None:
    team_id = await make_team(h, "碧水苑墙绘队 5")
    await h.send(b.callback(SW, GROUP, cb.TEAM_SET.build("appr", team_id, 1)))
    h.fake.clear()
    await h.send(press(AUNT, "join", team_id))
    await h.drain()
    request = h.fake.sent(GROUP.id)[-1]
    assert f"tg://user?id={SW.id}" in request.text and "李阿姨申请加入碧水苑墙绘队" in request.text
    await h.send(b.callback(UNCLE, GROUP, request.params["reply_markup"]["inline_keyboard"][0][1]["callback_data"]))
    assert "只有队长" in last_answer(h)
    await h.send(b.callback(SW, GROUP, request.params["reply_markup"]["inline_keyboard"][0][1]["callback_data"]))
    assert dict(await statuses(h, team_id))[AUNT.id] == "declined"
    assert h.fake.of("editMessageText", GROUP.id)[-1].text == "王社工没有通过李阿姨加入碧水苑墙绘队的申请。"


async def test_a_notice_owed_when_the_bot_stopped_is_sent_after_the_restart(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    async with Harness(config) as first:
        team_id = await make_team(first, "碧水苑墙绘队 1")
        await first.send(press(AUNT, "join", team_id))
        await first.send(press(UNCLE, "join", team_id))
        actor = await first.deps.services.people.actor(AUNT.id, "李阿姨", None, AUNT.id, "private", False)
        await first.deps.services.teams.leave(
            actor, team_id, b.next_update_id()
        )  # committed; the process "dies" before telling
    async with Harness(config) as second:
        await second.drain()  # the note was queued with the leave, in the same commit
        await second.send(b.message(GRANNY, GROUP, "/help"))
        await second.drain()
        told = [c.text for c in second.fake.sent(GROUP.id) if f"tg://user?id={UNCLE.id}" in c.text]
        assert len(told) == 1 and "正式队员" in told[0]
        await second.send(b.message(GRANNY, GROUP, "/help"))
        await second.drain()
        assert len([c for c in second.fake.sent(GROUP.id) if f"tg://user?id={UNCLE.id}" in c.text]) == 1


async def test_presses_handled_out_of_order_end_in_the_later_press(h: Harness) -> None:
    team_id = await make_team(h, "碧水苑墙绘队 2")
    for person in (AUNT, UNCLE):
        await h.send(press(person, "join", team_id))
    # 王奶奶 taps 报名 (the team is full: the waitlist), then 取消报名; the second tap is handled first.
    join, leave = press(GRANNY, "join", team_id), press(GRANNY, "leave", team_id)
    await h.send(leave)
    assert last_answer(h) == "您不在这个队伍里。"
    await h.send(join)
    assert last_answer(h) == "您现在没有报名碧水苑墙绘队。"  # the later tap counts: told the state, nothing changed
    # 李阿姨 taps 取消报名 then 报名 again; the 报名 is handled first, the late 取消报名 changes nothing.
    leave, join = press(AUNT, "leave", team_id), press(AUNT, "join", team_id)
    await h.send(join)
    await h.send(leave)
    assert last_answer(h) == "您已经在碧水苑墙绘队里了（第1位）。"
    assert await statuses(h, team_id) == [(AUNT.id, "member"), (UNCLE.id, "member")]
    assert await h.scalar("SELECT COUNT(*) FROM team_events WHERE user_id = ?", GRANNY.id) == 0
    # A press redelivered after it was applied (Telegram sends it again after a crash) changes nothing either.
    await h.send(join)
    await h.send(press(UNCLE, "leave", team_id))
    assert await statuses(h, team_id) == [(AUNT.id, "member"), (UNCLE.id, "left")]
    await assert_counts_kept(h)


async def test_sixty_reordered_pairs_end_in_the_later_press(h: Harness) -> None:
    team_id = await make_team(h, "碧水苑墙绘队 15")
    people = [b.TgUser(320000 + i, f"居民{i}") for i in range(60)]
    staying = people[:30]  # in the team already: tap 取消报名, then 报名 again
    await h.feed([press(p, "join", team_id) for p in staying])
    pairs = [(press(p, "leave", team_id), press(p, "join", team_id)) for p in staying]
    pairs += [(press(p, "join", team_id), press(p, "leave", team_id)) for p in people[30:]]
    # Every pair handled later press first, all pairs at once.
    await h.feed([later for _, later in pairs] + [first for first, _ in pairs])
    rows = dict(await statuses(h, team_id))
    assert sorted(u for u, s in rows.items() if s in ("member", "waitlist")) == [p.id for p in staying]
    assert all(rows.get(p.id) in (None, "left") for p in people[30:])
    assert await h.scalar("SELECT n FROM team_counts WHERE team_id = ? AND status = 'member'", team_id) == 15
    await assert_counts_kept(h)


async def test_a_note_refused_privately_goes_to_the_group_once(h: Harness) -> None:
    team_id = await make_team(h, "护卫队 1")
    await h.send(b.message(UNCLE, b.private(UNCLE), "/start"))
    await h.send(press(AUNT, "join", team_id))
    await h.send(press(UNCLE, "join", team_id))
    h.fake.forbidden.add(UNCLE.id)  # he blocked the bot after opening the chat
    h.fake.clear()
    await h.send(press(AUNT, "leave", team_id))
    await h.drain()
    assert all(c.result is None for c in h.fake.sent(UNCLE.id))  # refused (403)
    mentions = [c.text for c in h.fake.sent(GROUP.id) if f"tg://user?id={UNCLE.id}" in c.text]
    assert len(mentions) == 1 and "正式队员" in mentions[0]
    assert await h.rows("SELECT chat_id, status FROM outbox WHERE kind = 'team_note' ORDER BY id") == [
        (UNCLE.id, "failed"),
        (GROUP.id, "sent"),
    ]
    assert await h.scalar("SELECT private_chat FROM users WHERE user_id = ?", UNCLE.id) == 0


async def test_a_settings_card_from_an_older_version_still_asks(h: Harness) -> None:
    await h.send(b.message(SW, GROUP, "/bind 碧水苑"))
    await h.send(b.message(SW, GROUP, "/newteam 护绿队 10"))
    team_id = await h.scalar("SELECT id FROM teams")
    await h.send(b.callback(SW, GROUP, cb.TEAM_SET.build("ask", team_id, 2)))  # the old card's 📅 button
    question = h.fake.last_text(GROUP.id)
    assert "报名截止" in question or "哪一天" in question, question
