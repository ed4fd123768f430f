"""Polls through the real PTB stack: create, vote, refuse, tally, close, results, remind, outcome, forget."""

from __future__ import annotations

import re
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from bot import callback_data as cb
from bot.chart_text import cjk_font_path, font_has_glyphs
from bot.clock import to_ts
from handlers.live import live
from handlers.polls import sweep
from tests import builders as b
from tests.cast import ADMIN, AUNT, GROUP, NEIGHBOUR, OTHER, SW, UNCLE, bind
from tests.fakes import Call, FakeClock
from tests.harness import Harness, make_config
from tests.telegram_html import visible_text

QUESTION = "选哪个主题 | 汉藏文化融合 | 碧水蓝天 | 环境美化"


def last(h: Harness, chat: b.TgChat) -> Call:
    return [c for c in h.fake.calls if c.method in ("sendMessage", "sendPhoto") and c.chat_id == chat.id][-1]


async def press(h: Harness, user: b.TgUser, chat: b.TgChat, data: str, on: Call | int) -> None:
    message_id = on if isinstance(on, int) else on.message_id
    await h.send(b.callback(user, chat, data, message_id=message_id))


async def start_poll(
    h: Harness, text: str = QUESTION, *, by: b.TgUser = SW, chat: b.TgChat = GROUP, settings: tuple[str, ...] = ()
) -> int:
    """/vote typed, press the given setting buttons on the card, then start it; return the poll id."""
    await h.send(b.message(by, chat, f"/vote {text}"))
    card = last(h, chat)
    for action in settings:
        await press(h, by, chat, cb.POLL_DRAFT.build(action, 0), card)
    await press(h, by, chat, cb.POLL_DRAFT.build("go", 0), card)
    poll_id = await h.scalar("SELECT MAX(id) FROM polls")
    assert poll_id is not None, h.fake.calls[-3:]
    return int(poll_id)


async def tally_message(h: Harness, poll_id: int, chat: b.TgChat = GROUP) -> int:
    return int(
        await h.scalar(
            "SELECT message_id FROM live_messages WHERE kind = 'poll' AND entity_id = ? AND chat_id = ?",
            poll_id,
            chat.id,
        )
    )


async def vote(h: Harness, user: b.TgUser, poll_id: int, position: int, chat: b.TgChat = GROUP) -> str:
    """Press an option on the poll's tally; return the answer the voter saw."""
    await press(h, user, chat, cb.VOTE.build("v", poll_id, position), await tally_message(h, poll_id, chat))
    return str(h.fake.answers()[-1].params.get("text", ""))


async def flush(h: Harness, seconds: float = 10) -> None:
    h.clock.advance(timedelta(seconds=seconds))
    await live(h.app).flush(h.context)


async def tally(h: Harness, poll_id: int) -> dict[int, int]:
    rows = await h.rows("SELECT position, COUNT(*) FROM poll_choices WHERE poll_id = ? GROUP BY position", poll_id)
    return dict(rows)


async def reply_to(h: Harness, user: b.TgUser, chat: b.TgChat, prompt: Call, text: str) -> None:
    data = b.message(user, chat, text)
    data["message"]["reply_to_message"] = b.bot_message(chat, prompt.message_id, prompt.text)
    await h.send(data)


# -- creating and voting ----------------------------------------------------------------------------


async def test_public_poll_vote_change_and_live_tally(h: Harness) -> None:
    await bind(h)
    poll_id = await start_poll(h)
    tally_call = last(h, GROUP)
    assert "投票 #1" in tally_call.text and "选哪个主题" in tally_call.text and "单选 · 公开" in tally_call.text
    assert [label for label, _ in tally_call.buttons][:3] == [
        "1. 汉藏文化融合 · 0",
        "2. 碧水蓝天 · 0",
        "3. 环境美化 · 0",
    ]

    assert await vote(h, AUNT, poll_id, 1) == "您投给了：汉藏文化融合"
    assert await vote(h, UNCLE, poll_id, 2) == "您投给了：碧水蓝天"
    assert await vote(h, AUNT, poll_id, 2) == "您投给了：碧水蓝天"  # changed her mind
    assert await tally(h, poll_id) == {2: 2}
    assert await h.scalar("SELECT COUNT(*) FROM poll_ballots WHERE poll_id = ?", poll_id) == 2

    await flush(h)
    edited = h.fake.of("editMessageText", GROUP.id)[-1]
    assert edited.params["message_id"] == tally_call.message_id
    assert "2. <b>碧水蓝天</b> — 2票 · 100%" in edited.text
    assert "张大爷、李阿姨" in edited.text  # public: names under the option
    assert "已投票：2人" in edited.text


async def test_an_earlier_press_handled_late_does_not_win(h: Harness) -> None:
    await bind(h)
    poll_id = await start_poll(h)
    message_id = await tally_message(h, poll_id)
    earlier = b.callback(AUNT, GROUP, cb.VOTE.build("v", poll_id, 1), message_id=message_id)
    later = b.callback(AUNT, GROUP, cb.VOTE.build("v", poll_id, 2), message_id=message_id)
    await h.send(later)  # concurrent handling can finish the later press first
    await h.send(earlier)
    assert await tally(h, poll_id) == {2: 1}
    assert h.fake.answers()[-1].params["text"] == "您投给了：碧水蓝天"  # the voter is told what counts


async def test_multiple_choice_with_a_maximum(h: Harness) -> None:
    await bind(h)
    poll_id = await start_poll(h, "周末活动 | 大扫除 | 种花 | 墙绘<彩> | 茶话会", settings=("kind",))
    assert await h.scalar("SELECT max_choices FROM polls") == 2
    assert "多选（最多2项）" in last(h, GROUP).text and "墙绘&lt;彩&gt;" in last(h, GROUP).text
    assert await vote(h, AUNT, poll_id, 1) == "您投给了：大扫除"
    assert await vote(h, AUNT, poll_id, 3) == "您投给了：大扫除和墙绘<彩>"  # answers are plain text
    refused = await vote(h, AUNT, poll_id, 4)
    assert refused == "最多只能选2项。再点一次已选的选项可以取消。"
    assert await vote(h, AUNT, poll_id, 1) == "您投给了：墙绘<彩>"  # unchosen
    assert await vote(h, AUNT, poll_id, 3) == "您已撤回投票。"
    assert await h.scalar("SELECT COUNT(*) FROM poll_ballots") == 0
    await vote(h, AUNT, poll_id, 2)
    await vote(h, UNCLE, poll_id, 2)
    await vote(h, UNCLE, poll_id, 4)
    assert await tally(h, poll_id) == {2: 2, 4: 1}


async def test_only_backbone_social_workers_or_the_chair_launch_polls(h: Harness) -> None:
    h.fake.admins[GROUP.id] = [ADMIN.id]
    await bind(h)
    await h.send(b.message(AUNT, GROUP, f"/vote {QUESTION}"))
    assert h.fake.last_text(GROUP.id) == "抱歉，只有本院落的骨干和社工可以进行这个操作。"
    await start_poll(h, by=ADMIN)  # a group admin counts as backbone
    async with h.db.transaction() as conn:
        await conn.execute(
            "INSERT INTO roles(user_id, role, scope_id, position, granted_at) VALUES (?, 'committee', 0, 'chair', 0)",
            (AUNT.id,),
        )
    h.deps.services.people.forget_cached(AUNT.id)
    await start_poll(h, by=AUNT)  # the committee chair
    assert await h.scalar("SELECT COUNT(*) FROM polls") == 2
    # The card's buttons act only for the person who opened it.
    await h.send(b.message(SW, GROUP, f"/vote {QUESTION}"))
    card = last(h, GROUP)
    await press(h, ADMIN, GROUP, cb.POLL_DRAFT.build("go", 0), card)
    assert h.fake.answers()[-1].params["text"] == "这个按钮已经失效了。"
    assert await h.scalar("SELECT COUNT(*) FROM polls") == 2


async def test_typed_poll_is_checked_before_the_card(h: Harness) -> None:
    await bind(h)
    await h.send(b.message(SW, GROUP, "/vote 只有一个选项 | 甲"))
    assert h.fake.last_text(GROUP.id) == "投票至少要有两个选项。"
    await h.send(b.message(SW, GROUP, "/vote 问题 | 甲 | 甲"))
    assert h.fake.last_text(GROUP.id) == "有两个选项一样，请把选项改成各不相同。"
    await h.send(b.message(SW, GROUP, "/vote"))
    assert "/vote 问题 | 选项一 | 选项二" in h.fake.last_text(GROUP.id)
    assert await h.scalar("SELECT COUNT(*) FROM polls") == 0


async def test_poll_from_open_proposals(h: Harness) -> None:
    await bind(h)
    for title in ("汉藏文化融合", "碧水蓝天", "环境美化"):
        await h.send(b.message(AUNT, GROUP, f"/propose {title}"))
    ids = dict(await h.rows("SELECT title, id FROM proposals"))
    await h.send(b.message(SW, GROUP, "/vote"))
    card = last(h, GROUP)
    assert "从提案发起投票" in card.text
    await press(h, SW, GROUP, cb.POLL_DRAFT.build("go", 0), card)  # a settings button on the picking card
    assert h.fake.answers()[-1].params["text"] == "这个按钮已经失效了。"
    await press(h, SW, GROUP, cb.POLL_DRAFT.build("pick", ids["碧水蓝天"]), card)
    await press(h, SW, GROUP, cb.POLL_DRAFT.build("next", 0), card)
    assert h.fake.answers()[-1].params["text"] == "请至少选两个提案。"
    await press(h, SW, GROUP, cb.POLL_DRAFT.build("pick", ids["汉藏文化融合"]), card)
    await press(h, SW, GROUP, cb.POLL_DRAFT.build("next", 0), card)
    assert "我们院落选哪个主题？" in h.fake.of("editMessageText", GROUP.id)[-1].text
    await press(h, SW, GROUP, cb.POLL_DRAFT.build("go", 0), card)
    options = await h.rows("SELECT position, label, proposal_id FROM poll_options ORDER BY position")
    assert options == [(1, "碧水蓝天", ids["碧水蓝天"]), (2, "汉藏文化融合", ids["汉藏文化融合"])]
    await h.send(b.message(SW, GROUP, "/vote"))
    card = last(h, GROUP)
    await press(h, SW, GROUP, cb.POLL_DRAFT.build("cancel", 0), card)
    assert h.fake.of("editMessageText", GROUP.id)[-1].text == "已取消这次投票。"
    assert await h.scalar("SELECT COUNT(*) FROM dialogs WHERE kind = 'poll_draft'") == 0


# -- refusals -----------------------------------------------------------------------------------------


async def test_closed_other_chat_and_out_of_range_votes_are_refused(h: Harness) -> None:
    await bind(h)
    await bind(h, OTHER, "启明花园")
    poll_id = await start_poll(h)
    other_poll = await start_poll(h, chat=OTHER)
    await vote(h, AUNT, poll_id, 1)
    before = await h.rows("SELECT * FROM poll_ballots ORDER BY poll_id, voter_key")
    choices = await h.rows("SELECT * FROM poll_choices ORDER BY poll_id, voter_key")

    # Another chat's poll, pressed from this chat (forged data): unknown here.
    message_id = await tally_message(h, poll_id)
    await press(h, UNCLE, GROUP, cb.VOTE.build("v", other_poll, 1), message_id)
    assert h.fake.answers()[-1].params["text"] == "没有找到这个编号，请核对一下。"
    # An option the poll does not have.
    assert await vote(h, UNCLE, poll_id, 9) == "这次投票没有这个选项。"
    assert await vote(h, UNCLE, poll_id, 0) == "这次投票没有这个选项。"
    # Data this bot never built.
    await press(h, UNCLE, GROUP, "pv1:v:1", message_id)
    await press(h, UNCLE, GROUP, "pv1:v:1:-1", message_id)
    assert h.fake.answers()[-1].params["text"] == "这个按钮已经失效了。"
    # A closed poll.
    await press(h, SW, GROUP, cb.POLL_ADMIN.build("close", poll_id), message_id)
    assert await vote(h, UNCLE, poll_id, 1) == "投票已经结束，不能再投了。"
    assert await vote(h, AUNT, poll_id, 2) == "投票已经结束，不能再投了。"
    assert await h.rows("SELECT * FROM poll_ballots ORDER BY poll_id, voter_key") == before
    assert await h.rows("SELECT * FROM poll_choices ORDER BY poll_id, voter_key") == choices


async def test_a_poll_past_its_deadline_refuses_votes_before_the_sweep(h: Harness) -> None:
    await bind(h)
    poll_id = await start_poll(h)
    async with h.db.transaction() as conn:
        await conn.execute("UPDATE polls SET closes_at = ?", (to_ts(h.clock.now()) - 1,))
    assert await vote(h, AUNT, poll_id, 1) == "投票已经结束，不能再投了。"
    assert await h.scalar("SELECT COUNT(*) FROM poll_ballots") == 0


async def test_only_the_creator_or_a_social_worker_closes(h: Harness) -> None:
    h.fake.admins[GROUP.id] = [ADMIN.id]
    await bind(h)
    poll_id = await start_poll(h, by=ADMIN)
    message_id = await tally_message(h, poll_id)
    await press(h, AUNT, GROUP, cb.POLL_ADMIN.build("close", poll_id), message_id)
    assert h.fake.answers()[-1].params["text"] == "抱歉，只有发起人或社工可以提前结束投票。"
    assert await h.scalar("SELECT status FROM polls") == "open"
    await vote(h, AUNT, poll_id, 1)
    await press(h, ADMIN, GROUP, cb.POLL_ADMIN.build("close", poll_id), message_id)
    assert await h.scalar("SELECT status FROM polls") == "closed"
    await press(h, ADMIN, GROUP, cb.POLL_ADMIN.build("close", poll_id), message_id)  # twice: nothing more
    await h.drain()
    assert len(h.fake.of("sendPhoto", GROUP.id)) == 1
    results = [c.text for c in h.fake.sent(GROUP.id) if "结果" in c.text]
    assert len(results) == 1 and "汉藏文化融合" in results[0] and "— 1票 · 100%" in results[0]
    await flush(h)
    closed_tally = h.fake.of("editMessageText", GROUP.id)[-1]
    assert "投票已结束" in closed_tally.text
    assert [label for label, _ in closed_tally.buttons] == ["📝 写下结论"]


# -- anonymous polls ----------------------------------------------------------------------------------


async def test_anonymous_poll_never_shows_or_stores_who_voted(h: Harness) -> None:
    await bind(h)
    await h.send(b.message(NEIGHBOUR, GROUP, "/help"))  # a member who will not vote
    poll_id = await start_poll(h, settings=("anon",))
    assert await h.scalar("SELECT anonymous FROM polls") == 1
    voters = [AUNT, UNCLE, ADMIN]
    h.fake.clear()
    for i, user in enumerate(voters):
        await vote(h, user, poll_id, 1 + i % 2)
    await vote(h, AUNT, poll_id, 2)  # a change of mind is still one ballot
    await flush(h)
    assert await tally(h, poll_id) == {2: 2, 1: 1}

    # The database still prevents a second ballot, by its primary key.
    keys = [r[0] for r in await h.rows("SELECT voter_key FROM poll_ballots WHERE poll_id = ?", poll_id)]
    assert len(keys) == 3
    with pytest.raises(sqlite3.IntegrityError):
        async with h.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO poll_ballots(poll_id, voter_key, seq, cast_at) VALUES (?, ?, 0, 0)", (poll_id, keys[0])
            )

    await press(h, SW, GROUP, cb.POLL_ADMIN.build("close", poll_id), await tally_message(h, poll_id))
    await h.drain()
    await flush(h)
    sent = [c for c in h.fake.calls if c.method != "getChatAdministrators"]
    assert any(c.method == "sendPhoto" for c in sent) and any("投票 #1 结果" in c.text for c in sent)

    # Stored data: no row of the poll's ballots or choices holds a voter's id or name.
    identities = {str(u.id) for u in voters} | {u.first_name for u in voters}
    rows = [
        *await h.rows("SELECT * FROM poll_ballots WHERE poll_id = ?", poll_id),
        *await h.rows("SELECT * FROM poll_choices WHERE poll_id = ?", poll_id),
        *await h.rows("SELECT * FROM polls WHERE id = ?", poll_id),
        *await h.rows("SELECT * FROM outbox WHERE ref_id = ? AND kind LIKE 'poll%'", poll_id),
    ]
    assert not [r for r in rows for value in r for who in identities if who in str(value)]
    # Output: nothing the bot sent for the poll (tallies, answers, results, chart caption) names a voter.
    for call in sent:
        blob = " ".join(str(v) for v in call.params.values())
        assert not [who for who in identities if who in blob], call


async def test_remind_button_mentions_only_non_voters_of_a_committee_poll(h: Harness) -> None:
    await bind(h)
    committee = [AUNT, UNCLE, NEIGHBOUR]
    for user in [*committee, ADMIN]:
        await h.send(b.message(user, GROUP, "/help"))
    async with h.db.transaction() as conn:
        for user in committee:
            await conn.execute(
                "INSERT INTO roles(user_id, role, scope_id, granted_at) VALUES (?, 'committee', 0, 0)", (user.id,)
            )
    # A public poll: naming those who have not voted tells nothing the tally does not show already
    # (anonymous polls remind privately, tests/e2e/test_anonymity.py).
    poll_id = await start_poll(h, "评分标准 | 同意 | 不同意", settings=("elec",))
    assert "仅评审会成员投票" in last(h, GROUP).text
    assert await vote(h, ADMIN, poll_id, 1) == "抱歉，这次投票只有评审会成员可以参加。"
    await vote(h, AUNT, poll_id, 1)
    message_id = await tally_message(h, poll_id)
    await press(h, AUNT, GROUP, cb.POLL_ADMIN.build("remind", poll_id), message_id)
    assert h.fake.answers()[-1].params["text"] == "抱歉，只有本院落的骨干和社工可以进行这个操作。"
    await press(h, SW, GROUP, cb.POLL_ADMIN.build("remind", poll_id), message_id)
    reminder = h.fake.last_text(GROUP.id)
    assert "还没投票的有" in reminder
    mentioned = set(map(int, re.findall(r"tg://user\?id=(\d+)", reminder)))
    assert mentioned == {UNCLE.id, NEIGHBOUR.id}
    assert AUNT.first_name not in reminder and ADMIN.first_name not in reminder
    await press(h, SW, GROUP, cb.POLL_ADMIN.build("remind", poll_id), message_id)
    assert "两次提醒之间请隔10分钟" in h.fake.answers()[-1].params["text"]
    await flush(h)
    assert "已投票：1人 / 评审会共3人（33%）" in h.fake.of("editMessageText", GROUP.id)[-1].text


# -- deadlines, restarts, reminders -------------------------------------------------------------------


async def set_deadline(h: Harness, card: Call, text: str, by: b.TgUser = SW) -> None:
    await press(h, by, GROUP, cb.POLL_DRAFT.build("dl", 0), card)
    prompt = last(h, GROUP)
    assert prompt.params["reply_markup"]["force_reply"] is True
    await reply_to(h, by, GROUP, prompt, text)


async def test_deadline_closes_and_announces_after_a_restart_exactly_once(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    clock = FakeClock()  # 2026-11-29 10:00 in Shanghai
    async with Harness(config, clock=clock) as h:
        await bind(h)
        await h.send(b.message(SW, GROUP, f"/vote {QUESTION}"))
        await set_deadline(h, last(h, GROUP), "明晚8点")
        echo = last(h, GROUP)
        assert "截止时间：2026年11月30日 星期一 20:00" in echo.text
        await press(h, SW, GROUP, cb.POLL_DRAFT.build("go", 0), echo)  # the card came again with the echo
        poll_id = int(await h.scalar("SELECT id FROM polls"))
        assert await h.scalar("SELECT closes_at - ? FROM polls", to_ts(clock.now())) == 34 * 3600
        await vote(h, AUNT, poll_id, 1)
        await vote(h, UNCLE, poll_id, 1)
        await vote(h, ADMIN, poll_id, 3)
    clock.advance(timedelta(hours=40))  # the deadline passes while the bot is down
    async with Harness(config, clock=clock) as h:
        # The start-up sweep closed it and queued the announcement.
        assert await h.scalar("SELECT status FROM polls") == "closed"
        await h.drain()
        photos = h.fake.of("sendPhoto", GROUP.id)
        assert len(photos) == 1
        assert "汉藏文化融合" in photos[0].text and "已投票：3人" in photos[0].text
        results = [c for c in h.fake.sent(GROUP.id) if "投票 #1 结果" in c.text]
        assert len(results) == 1
        assert "1. <b>汉藏文化融合</b> — 2票 · 67%" in results[0].text
        assert "3. <b>环境美化</b> — 1票 · 33%" in results[0].text
        assert "🏆 得票最多：汉藏文化融合" in results[0].text
        # Sweeping again (or the repeating job) announces nothing more.
        await sweep(h.context)
        await sweep(h.context)
        await h.drain()
        assert len(h.fake.of("sendPhoto")) == 1 and len([c for c in h.fake.sent() if "结果" in c.text]) == 1
    async with Harness(config, clock=clock) as h:
        await sweep(h.context)
        await h.drain()
        assert not h.fake.of("sendPhoto") and not [c for c in h.fake.sent() if "结果" in c.text]


async def test_chart_is_a_png_drawn_with_a_font_that_has_the_chinese_labels(h: Harness) -> None:
    await bind(h)
    poll_id = await start_poll(h)
    await vote(h, AUNT, poll_id, 2)
    await press(h, SW, GROUP, cb.POLL_ADMIN.build("close", poll_id), await tally_message(h, poll_id))
    await h.drain()
    photo = h.fake.of("sendPhoto", GROUP.id)[-1]
    png = photo.files["photo"]
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5000
    labels = [label for (label,) in await h.rows("SELECT label FROM poll_options WHERE poll_id = ?", poll_id)]
    question = await h.scalar("SELECT question FROM polls")
    assert font_has_glyphs(cjk_font_path(), "".join([*labels, question, "票已投人本群知成员"]))
    assert len(photo.text) <= 1024


async def test_automatic_reminder_before_the_deadline_is_sent_once(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    clock = FakeClock()
    async with Harness(config, clock=clock) as h:
        await bind(h)
        for user in (AUNT, UNCLE, NEIGHBOUR):
            await h.send(b.message(user, GROUP, "/help"))
        await h.send(b.message(SW, GROUP, f"/vote {QUESTION}"))
        await set_deadline(h, last(h, GROUP), "3小时后")
        card = last(h, GROUP)
        assert "截止前提醒：提前1小时" in str(card.buttons)
        await press(h, SW, GROUP, cb.POLL_DRAFT.build("go", 0), card)
        poll_id = int(await h.scalar("SELECT id FROM polls"))
        await vote(h, AUNT, poll_id, 1)
        clock.advance(timedelta(hours=1, minutes=59))
        await sweep(h.context)
        await h.drain()
        assert not [c for c in h.fake.sent(GROUP.id) if "截止" in c.text and "⏰ 投票" in c.text]
    clock.advance(timedelta(minutes=2))  # the reminder falls due while the bot restarts
    async with Harness(config, clock=clock) as h:
        await h.drain()
        reminders = [c for c in h.fake.sent(GROUP.id) if c.text.startswith("⏰ 投票 #1")]
        assert len(reminders) == 1
        mentioned = set(map(int, re.findall(r"tg://user\?id=(\d+)", reminders[0].text)))
        assert UNCLE.id in mentioned and NEIGHBOUR.id in mentioned and AUNT.id not in mentioned
        await sweep(h.context)
        await h.drain()
    async with Harness(config, clock=clock) as h:
        await sweep(h.context)
        await h.drain()
        assert not [c for c in h.fake.sent(GROUP.id) if c.text.startswith("⏰ 投票 #1")]
        assert await h.scalar("SELECT COUNT(*) FROM outbox WHERE kind = 'poll_reminder'") == 1


async def test_no_reminder_when_the_deadline_is_closer_than_the_reminder(h: Harness) -> None:
    await bind(h)
    await h.send(b.message(SW, GROUP, f"/vote {QUESTION}"))
    await set_deadline(h, last(h, GROUP), "30分钟后")
    await press(h, SW, GROUP, cb.POLL_DRAFT.build("go", 0), last(h, GROUP))
    assert await h.rows("SELECT remind_before, remind_at FROM polls") == [(None, None)]
    await sweep(h.context)
    await h.drain()
    assert not [c for c in h.fake.sent(GROUP.id) if c.text.startswith("⏰ 投票")]


async def test_deadline_typed_wrong_or_too_soon_is_explained(h: Harness) -> None:
    await bind(h)
    await h.send(b.message(SW, GROUP, f"/vote {QUESTION}"))
    card = last(h, GROUP)
    await set_deadline(h, card, "过几天吧")
    assert "没看懂“过几天吧”是什么时间" in h.fake.last_text(GROUP.id)
    prompt = [c for c in h.fake.sent(GROUP.id) if "截止时间" in c.text and "请回复" in c.text][-1]
    await reply_to(h, SW, GROUP, prompt, "1分钟后")
    assert h.fake.last_text(GROUP.id).startswith("“1分钟后”太近了，请定在5分钟以后。")
    await reply_to(h, SW, GROUP, prompt, "无")
    assert "不设截止时间" in h.fake.last_text(GROUP.id)


async def test_quorum_is_reported_in_the_results(h: Harness) -> None:
    await bind(h)
    await h.send(b.message(SW, GROUP, f"/vote {QUESTION}"))
    await press(h, SW, GROUP, cb.POLL_DRAFT.build("quo", 0), last(h, GROUP))
    await reply_to(h, SW, GROUP, last(h, GROUP), "3")
    card = last(h, GROUP)
    assert "最低投票人数：3人" in card.text
    await press(h, SW, GROUP, cb.POLL_DRAFT.build("go", 0), card)
    poll_id = int(await h.scalar("SELECT id FROM polls"))
    await vote(h, AUNT, poll_id, 1)
    await press(h, SW, GROUP, cb.POLL_ADMIN.build("close", poll_id), await tally_message(h, poll_id))
    await h.drain()
    results = [c.text for c in h.fake.sent(GROUP.id) if "结果" in c.text][-1]
    assert "最低投票人数3人：未达到 ❌" in results and "仅供参考" in results


# -- outcome, lists, long results, /forget --------------------------------------------------------------


async def test_outcome_statement_is_kept_with_the_poll(h: Harness) -> None:
    await bind(h)
    poll_id = await start_poll(h)
    await h.send(b.message(SW, GROUP, f"/outcome {poll_id} 先做汉藏文化墙"))
    assert h.fake.last_text(GROUP.id) == "投票还没结束，结束后再写结论吧。"
    message_id = await tally_message(h, poll_id)
    await press(h, SW, GROUP, cb.POLL_ADMIN.build("close", poll_id), message_id)
    await press(h, AUNT, GROUP, cb.POLL_ADMIN.build("outcome", poll_id), message_id)
    assert h.fake.answers()[-1].params["text"] == "抱歉，只有本院落的骨干和社工可以进行这个操作。"
    await press(h, SW, GROUP, cb.POLL_ADMIN.build("outcome", poll_id), message_id)
    prompt = last(h, GROUP)
    assert "结论" in prompt.text and prompt.params["reply_markup"]["force_reply"] is True
    await reply_to(h, SW, GROUP, prompt, "下月起先做汉藏文化墙，碧水蓝天放到春天。")
    assert await h.scalar("SELECT outcome FROM polls") == "下月起先做汉藏文化墙，碧水蓝天放到春天。"
    assert "结论已记录" in h.fake.last_text(GROUP.id)
    await flush(h)
    assert "📝 <b>结论：</b>下月起先做汉藏文化墙" in h.fake.of("editMessageText", GROUP.id)[-1].text


async def test_polls_lists_open_polls_and_shows_one_again(h: Harness) -> None:
    await bind(h)
    first = await start_poll(h)
    await start_poll(h, "第二个 | 好 | 不好")
    await press(h, SW, GROUP, cb.POLL_ADMIN.build("close", first), await tally_message(h, first))
    await h.send(b.message(AUNT, GROUP, "/polls"))
    listing = last(h, GROUP)
    assert "#2 第二个" in listing.text and "#1 " not in listing.text
    await press(h, AUNT, GROUP, cb.POLL_ADMIN.build("show", 2), listing)
    assert "第二个" in last(h, GROUP).text
    # The newest copy is the one kept up to date.
    assert await h.scalar("SELECT message_id FROM live_messages WHERE kind = 'poll' AND entity_id = 2") == (
        last(h, GROUP).message_id
    )
    await h.send(b.callback(AUNT, GROUP, cb.MENU.build("polls")))
    assert "进行中的投票" in h.fake.last_text(GROUP.id)


async def test_results_longer_than_one_message_are_split_safely(h: Harness) -> None:
    await bind(h)
    poll_id = await start_poll(h)
    message_id = await tally_message(h, poll_id)
    people = [b.TgUser(300000 + i, f"邻居<{i:03d}>", "很长的名字" * 5) for i in range(400)]
    await h.feed(
        [
            b.callback(p, GROUP, cb.VOTE.build("v", poll_id, 1 + i % 3), message_id=message_id)
            for i, p in enumerate(people)
        ]
    )
    await press(h, SW, GROUP, cb.POLL_ADMIN.build("close", poll_id), message_id)
    await h.drain()
    results = [c for c in h.fake.sent(GROUP.id) if c.message_id > message_id and c.method == "sendMessage"]
    texts = [c.text for c in results]
    assert len(texts) >= 4 and "投票 #1 结果" in texts[0]
    assert [len(t) for t in texts if len(t) > 4096] == []
    for text in texts:
        visible_text(text)  # Telegram HTML: tags balanced and nested, nothing unescaped
    joined = "\n".join(texts)
    assert all(f"邻居&lt;{i:03d}&gt; 很长的名字" in joined for i in range(400))
    assert "🏆" in texts[-1] or "🤝" in texts[-1]


async def test_forget_keeps_closed_counts_and_drops_open_votes(h: Harness) -> None:
    await bind(h)
    closed_public = await start_poll(h)
    closed_anonymous = await start_poll(h, "匿名的 | 甲 | 乙", settings=("anon",))
    open_poll = await start_poll(h, "还开着 | 好 | 不好")
    for poll_id in (closed_public, closed_anonymous, open_poll):
        await vote(h, AUNT, poll_id, 1)
        await vote(h, UNCLE, poll_id, 2)
    for poll_id in (closed_public, closed_anonymous):
        await press(h, SW, GROUP, cb.POLL_ADMIN.build("close", poll_id), await tally_message(h, poll_id))
    await h.send(b.message(AUNT, b.private(AUNT), "/forget"))
    await h.send(b.callback(AUNT, b.private(AUNT), cb.FORGET.build("yes")))

    assert await tally(h, closed_public) == {1: 1, 2: 1}
    assert await tally(h, closed_anonymous) == {1: 1, 2: 1}
    assert await tally(h, open_poll) == {2: 1}
    assert await h.scalar("SELECT COUNT(*) FROM poll_ballots WHERE user_id = ?", AUNT.id) == 0
    services = h.deps.services
    for poll_id in (closed_public, closed_anonymous):
        key = services.polls.voter_key(poll_id, AUNT.id)
        assert await h.scalar("SELECT COUNT(*) FROM poll_ballots WHERE voter_key = ?", key) == 0
    view = await services.polls.view(closed_public)
    assert view.options[0].names == [] and view.forgotten == 1
    await flush(h)
    assert "李阿姨" not in h.fake.of("editMessageText", GROUP.id)[-1].text


async def test_a_group_that_becomes_a_supergroup_keeps_its_polls_and_proposals(h: Harness) -> None:
    basic = b.group(-4000001, "碧水苑老群")
    await bind(h, basic)
    await h.send(b.message(AUNT, basic, "/propose 碧水蓝天"))
    poll_id = await start_poll(h, chat=basic)
    await vote(h, AUNT, poll_id, 1, chat=basic)
    new = b.group(-1009999999999, "碧水苑老群")
    await h.send(b.migrate(basic, new.id, SW))
    assert await h.scalar("SELECT chat_id FROM polls") == new.id
    assert await h.scalar("SELECT chat_id FROM proposals") == new.id
    assert await h.scalar("SELECT chat_id FROM live_messages WHERE kind = 'poll'") == new.id
    await h.send(b.message(UNCLE, new, "/polls"))
    assert "#1 选哪个主题" in h.fake.last_text(new.id)
    assert await vote(h, UNCLE, poll_id, 2, chat=new) == "您投给了：碧水蓝天"
    assert await tally(h, poll_id) == {1: 1, 2: 1}
