"""Participation statistics through the real PTB stack: breadth, the depth ladder, periods, permission, export."""

from __future__ import annotations

import io
from datetime import timedelta

import openpyxl

from bot import callback_data as cb
from tests import builders as b
from tests.cast import AUNT, GROUP, NEIGHBOUR, OTHER, SW, UNCLE
from tests.e2e.test_polls import start_poll, vote
from tests.harness import Harness

QUIET = b.TgUser(100005, "=HYPERLINK(1)")
SECRET = b.TgUser(100006, "赵叔叔")


async def community(h: Harness) -> None:
    """Two courtyards; in 碧水苑 one resident votes, one proposes, one captains a team, one only watches."""
    await h.send(b.message(SW, GROUP, "/bind 碧水苑"))
    await h.send(b.message(SW, OTHER, "/bind 启明花园"))
    # Privacy mode: the bot never sees plain chatter; 旁观 residents are those who only opened the menu.
    await h.send(b.message(QUIET, GROUP, "/menu"))
    await h.send(b.message(SECRET, OTHER, "/menu"))
    poll_id = await start_poll(h, "选哪个主题 | 汉藏文化融合 | 碧水蓝天")
    await vote(h, AUNT, poll_id, 1)
    await h.send(b.message(UNCLE, GROUP, "/propose 碧水蓝天"))
    await h.send(b.message(SW, GROUP, "/newteam 碧水苑墙绘队 10"))
    # 刘奶奶 said 我来当队长 (a plain message the bot never saw); the reply names her.
    await h.send(b.message(SW, GROUP, "/captain", reply_to=b.user_message(NEIGHBOUR, GROUP, "我来当队长")))
    assert await h.scalar("SELECT captain_id FROM teams") == NEIGHBOUR.id
    # An anonymous poll in the other courtyard: its ballot is counted, never attributed.
    secret_poll = await start_poll(h, "要不要种花 | 要 | 不要", chat=OTHER, settings=("anon",))
    await vote(h, SECRET, secret_poll, 1, chat=OTHER)


def text_of(h: Harness, chat: b.TgChat) -> str:
    return [c for c in h.fake.calls if c.method == "sendMessage" and c.chat_id == chat.id][-1].text


async def test_stats_in_a_courtyard_group_shows_breadth_and_ladder(h: Harness) -> None:
    await community(h)
    h.fake.clear()
    await h.send(b.message(SW, GROUP, "/stats"))
    photos = h.fake.of("sendPhoto", GROUP.id)
    assert len(photos) == 2  # the ladder and the monthly breadth
    text = text_of(h, GROUP)
    # Members of 碧水苑 (the social worker is staff, not a resident): 李阿姨, 张大爷, 刘奶奶, =HYPERLINK(1).
    assert "参与情况 · 碧水苑" in text
    assert "4位居民中有3位参与（75%）" in text
    assert "旁观：1" in text and "参与：1" in text and "议事：1" in text and "决策：0" in text and "主导：1" in text
    assert "本期上升一级及以上：3" in text
    assert "按院落" not in text  # a courtyard group sees only its courtyard
    assert ("• 30天", cb.STATS.build("p", 30)) in h.fake.of("sendMessage", GROUP.id)[-1].buttons


async def test_stats_in_private_lists_every_courtyard_and_counts_anonymous_ballots_in_totals(h: Harness) -> None:
    await community(h)
    await h.send(b.message(SW, b.private(SW), "/stats"))
    text = text_of(h, b.private(SW))
    assert "参与情况 · 铁门社区" in text
    # 赵叔叔 voted only anonymously: his ballot is in the totals, but it never marks him as taking part.
    assert "5位居民中有3位参与（60%）" in text
    assert "碧水苑：3/4（75%）" in text and "启明花园：0/1（0%）" in text
    assert "投票 2 次（匿名 1 次）" in text


async def test_period_buttons_move_the_window_and_show_the_trend(h: Harness) -> None:
    await community(h)
    h.clock.advance(timedelta(days=40))
    # Only 李阿姨 acts in the new period: she supports a proposal and moves up to 议事.
    proposal_id = int(await h.scalar("SELECT id FROM proposals"))
    await h.send(b.callback(AUNT, GROUP, cb.PROPOSAL.build("sup", proposal_id)))
    await h.send(b.message(SW, GROUP, "/stats"))
    card = h.fake.of("sendMessage", GROUP.id)[-1]
    assert "4位居民中有1位参与（25%）" in card.text
    assert "↓（上期为 75%）" in card.text
    assert "本期上升一级及以上：1" in card.text
    await h.send(b.callback(SW, GROUP, cb.STATS.build("p", 90), message_id=card.message_id))
    edited = h.fake.of("editMessageText")[-1]
    assert "4位居民中有3位参与（75%）" in edited.text and "90天" in edited.text
    await h.send(b.callback(SW, GROUP, "st1:p:5", message_id=card.message_id))  # not a period we offer
    assert "7天、30天、90天" in str(h.fake.answers()[-1].params.get("text"))


async def test_a_resident_is_refused_politely(h: Harness) -> None:
    await community(h)
    await h.send(b.message(AUNT, GROUP, "/stats"))
    assert "骨干" in text_of(h, GROUP)
    await h.send(b.message(AUNT, b.private(AUNT), "/stats"))
    assert "社工" in text_of(h, b.private(AUNT))
    await h.send(b.message(AUNT, b.private(AUNT), "/exportstats"))
    assert "社工" in text_of(h, b.private(AUNT))
    assert not h.fake.of("sendDocument")
    # The period buttons re-check: a resident pressing one on the social worker's card sees a polite refusal.
    await h.send(b.message(SW, GROUP, "/stats"))
    card = h.fake.of("sendMessage", GROUP.id)[-1]
    await h.send(b.callback(AUNT, GROUP, cb.STATS.build("p", 7), message_id=card.message_id))
    assert "骨干" in str(h.fake.answers()[-1].params.get("text"))
    assert not [c for c in h.fake.of("editMessageText") if c.params.get("message_id") == card.message_id]


async def test_export_workbook_has_every_sheet_and_never_names_anonymous_voters(h: Harness) -> None:
    await community(h)
    await h.send(b.message(SW, GROUP, "/exportstats"))
    assert "还不能私信" in text_of(h, GROUP)  # never opened a private chat: told politely, nothing sent
    assert not h.fake.of("sendDocument")
    await h.send(b.message(SW, b.private(SW), "/start"))
    await h.send(b.message(SW, GROUP, "/exportstats"))
    doc = h.fake.of("sendDocument", SW.id)[-1]
    book = openpyxl.load_workbook(io.BytesIO(next(iter(doc.files.values()))))
    assert book.sheetnames == ["居民", "队伍", "会议与签到", "投票", "提案"]
    residents = list(book["居民"].iter_rows(values_only=True))
    assert residents[0][:3] == ("居民", "院落", "最高层级")
    by_name = {row[0]: row for row in residents[1:]}
    assert set(by_name) == {"李阿姨", "张大爷", "刘奶奶", "=HYPERLINK(1)", "赵叔叔"}
    assert by_name["李阿姨"][2] == "参与" and by_name["李阿姨"][3] == 1
    assert by_name["张大爷"][2] == "议事" and by_name["刘奶奶"][2] == "主导"
    # 赵叔叔 voted only in an anonymous poll: his row shows no vote and no activity at all.
    assert by_name["赵叔叔"][2] == "旁观" and by_name["赵叔叔"][3] == 0 and by_name["赵叔叔"][11] is None
    assert book["居民"].cell(row=2, column=1).data_type == "s"  # a formula-looking name stays text
    assert any(c.value == "=HYPERLINK(1)" and c.data_type == "s" for row in book["居民"].iter_rows() for c in row)
    polls = list(book["投票"].iter_rows(values_only=True))[1:]
    assert {(p[0], p[2], p[4]) for p in polls} == {("选哪个主题", "否", 1), ("要不要种花", "是", 1)}
    teams = list(book["队伍"].iter_rows(values_only=True))[1:]
    assert teams[0][1] == "碧水苑墙绘队" and teams[0][4] == "刘奶奶"
    assert list(book["提案"].iter_rows(values_only=True))[1][1] == "碧水蓝天"
