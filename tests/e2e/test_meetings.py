"""Meetings through the real PTB stack: creating, notices with live answers, waitlists, calendar files."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot import callback_data as cb
from handlers.live import PER_MESSAGE_S, live
from tests import builders as b
from tests.cast import AUNT, GROUP, OTHER, PRIVATE, SW, UNCLE, bind
from tests.e2e.meeting_helpers import last_call, notice, press, quick_meeting, wizard_to_confirm
from tests.harness import Harness, make_config


async def test_quick_meeting_is_echoed_then_announced_with_answer_buttons(h: Harness) -> None:
    await bind(h)
    await h.send(b.message(SW, GROUP, "/meeting 坝坝会 明天下午3点 碧水苑院坝 讨论墙绘分工"))
    echo = h.fake.last_text(GROUP.id)
    assert "2026年11月30日 星期一 15:00" in echo and "碧水苑院坝" in echo and "讨论墙绘分工" in echo
    assert await h.scalar("SELECT COUNT(*) FROM meetings") == 0  # nothing saved before the confirmation
    await press(h, SW, GROUP, cb.MEETING_WIZARD.build("ok", 0))
    created = h.fake.of("editMessageText", GROUP.id)[-1].text
    assert "会议 #1 已创建" in created and "签到码" not in created.split("\n")[0]
    code = await h.scalar("SELECT checkin_code FROM meetings")
    assert code not in created  # the code is said at the meeting, not posted in advance
    await h.drain()
    sent = notice(h)
    assert "坝坝会 · 讨论墙绘分工" in sent.text and "2026年11月30日 星期一 15:00" in sent.text
    assert [label for label, _ in sent.buttons][:3] == ["✅ 参加 (0)", "🤔 待定 (0)", "❌ 不参加 (0)"]
    assert await h.scalar("SELECT COUNT(*) FROM live_messages WHERE kind = 'meeting'") == 1


async def test_quick_meeting_without_a_kind_word_and_its_usage(h: Harness) -> None:
    await bind(h)
    await h.send(b.message(SW, GROUP, "/meeting"))
    assert "/meeting 类型 时间 地点 主题" in h.fake.last_text(GROUP.id)
    await h.send(b.message(SW, GROUP, "/meeting 坝坝会 明天下午3点 院坝"))  # no topic
    assert "时间后面的第一个词是地点" in h.fake.last_text(GROUP.id)
    await h.send(b.message(SW, GROUP, "/meeting 12月5日 19:30 社区活动室 垃圾分类宣讲"))
    echo = h.fake.last_text(GROUP.id)
    assert "类型：活动" in echo and "2026年12月5日 星期六 19:30" in echo and "社区活动室" in echo


async def test_residents_cannot_create_meetings_or_confirm_someone_elses(h: Harness) -> None:
    await bind(h)
    await h.send(b.message(AUNT, GROUP, "/meeting 坝坝会 明天下午3点 院坝 讨论"))
    assert h.fake.last_text(GROUP.id) == "抱歉，只有本院落的骨干和社工可以进行这个操作。"
    await h.send(b.message(SW, GROUP, "/meeting 坝坝会 明天下午3点 院坝 讨论"))
    await press(h, AUNT, GROUP, cb.MEETING_WIZARD.build("ok", 0))
    assert await h.scalar("SELECT COUNT(*) FROM meetings") == 0
    await h.send(b.message(AUNT, b.private(AUNT), "/newmeeting"))
    assert h.fake.last_text(AUNT.id) == "抱歉，只有骨干和社工可以安排会议。"


async def test_refused_times_say_what_was_not_understood(h: Harness) -> None:
    await bind(h)
    cases = {
        "/meeting 坝坝会 昨天下午3点 院坝 讨论": "“昨天下午3点”已经过去了",
        "/meeting 坝坝会 32号 院坝 讨论": "“32号”不是有效的日期",
        "/meeting 坝坝会 院坝 明天下午3点 讨论": "没看懂“院坝”是什么时间",
        "/meeting 坝坝会 下周六 院坝 讨论": "“下周六”几点呢？",
        "/meeting 坝坝会 每周三晚上7点 院坝 讨论": "“每周三晚上7点”是重复的时间",
        "/meeting 坝坝会 2月30日下午3点 院坝 讨论": "“2月30日”不是有效的日期",
    }
    for text, expected in cases.items():
        await h.send(b.message(SW, GROUP, text))
        reply = h.fake.last_text(GROUP.id)
        assert expected in reply, (text, reply)
        assert "可以这样写：明天下午3点" in reply
    assert await h.scalar("SELECT COUNT(*) FROM meetings") == 0


async def test_wizard_refuses_times_in_chinese_and_accepts_the_retyped_one(h: Harness) -> None:
    await bind(h)
    await h.send(b.message(SW, PRIVATE, "/newmeeting"))
    await press(h, SW, PRIVATE, cb.MEETING_WIZARD.build("kind", 1))
    for typed, expected in [
        ("昨天下午3点", "已经过去了"),
        ("abc", "没看懂“abc”是什么时间"),
        ("13月5日 10点", "“13月5日”不是有效的日期"),
    ]:
        await h.send(b.message(SW, PRIVATE, typed))
        assert expected in h.fake.last_text(SW.id)
    await h.send(b.photo(SW, PRIVATE))  # no text at all
    assert h.fake.last_text(SW.id).startswith("请告诉我具体时间。")
    await h.send(b.message(SW, PRIVATE, "下周六上午10点"))
    assert h.fake.last_text(SW.id) == "我理解的时间是：<b>2026年12月5日 星期六 10:00</b>，对吗？"


async def test_guided_flow_in_private_targets_only_the_chosen_courtyard(h: Harness) -> None:
    await bind(h)
    await bind(h, OTHER, "启明花园")
    await wizard_to_confirm(h)
    summary = h.fake.of("editMessageText", SW.id)[-1].text
    for part in [
        "类型：宣讲会",
        "主题：垃圾分类宣讲",
        "2026年12月5日 星期六 19:30",
        "地点：社区活动室",
        "面向：碧水苑",
    ]:
        assert part in summary, summary
    assert "名额：2 人" in summary and "提前1天和提前6小时" in summary
    await press(h, SW, PRIVATE, cb.MEETING_WIZARD.build("ok", 0))
    created = h.fake.of("editMessageText", SW.id)[-1].text
    code = await h.scalar("SELECT checkin_code FROM meetings")
    assert f"签到码：<b>{code}</b>" in created  # in private the organiser gets the code
    await h.drain()
    assert "垃圾分类宣讲" in notice(h, GROUP.id).text
    assert not [c for c in h.fake.sent(OTHER.id) if "📅" in c.text]
    reminders = await h.rows("SELECT chat_id, due_at FROM outbox WHERE kind = 'meeting_reminder' ORDER BY due_at")
    start = await h.scalar("SELECT starts_at FROM meetings")
    assert reminders == [(GROUP.id, start - 86400), (GROUP.id, start - 6 * 3600)]
    assert await h.scalar("SELECT agenda FROM meetings") == "1. 分类知识\n2. 有奖问答"


async def test_the_wizard_survives_a_restart(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    async with Harness(config) as h:
        await bind(h)
        await h.send(b.message(SW, PRIVATE, "/newmeeting"))
        await press(h, SW, PRIVATE, cb.MEETING_WIZARD.build("kind", 1))
        await h.send(b.message(SW, PRIVATE, "明天下午3点"))
        await press(h, SW, PRIVATE, cb.MEETING_WIZARD.build("tyes", 0))
        clock = h.clock
    async with Harness(config, clock=clock) as h:
        await h.send(b.message(SW, PRIVATE, "碧水苑院坝"))
        assert "会议内容是什么" in h.fake.last_text(SW.id)
        await h.send(b.message(SW, PRIVATE, "/newmeeting"))
        assert h.fake.last_text(SW.id) == "您有一个还没填完的会议。"
        await press(h, SW, PRIVATE, cb.MEETING_WIZARD.build("resume", 0))
        assert "会议内容是什么" in h.fake.of("editMessageText", SW.id)[-1].text


async def test_concurrent_answers_are_counted_exactly_and_the_notice_catches_up(h: Harness) -> None:
    await bind(h)
    meeting_id = await quick_meeting(h)
    sent = notice(h)
    people = [b.TgUser(200000 + i, f"居民{i}") for i in range(40)]
    yes, maybe, no = (
        cb.RSVP.build("yes", meeting_id),
        cb.RSVP.build("maybe", meeting_id),
        cb.RSVP.build("no", meeting_id),
    )
    updates = []
    for i, person in enumerate(people):
        # Everyone presses twice at once; the second press is what counts.
        first, second = (yes, no) if i % 4 == 0 else (maybe, yes) if i % 4 == 1 else (yes, yes)
        for data in (first, second):
            updates.append(b.callback(person, GROUP, data, message_id=sent.message_id, text=sent.text))
    answered = len(h.fake.answers())
    await h.feed(updates)
    counts = dict(await h.rows("SELECT answer, COUNT(*) FROM meeting_rsvps GROUP BY answer"))
    assert counts == {"yes": 30, "no": 10}
    assert len(h.fake.answers()) - answered == 80  # every press answered
    h.clock.advance(timedelta(seconds=PER_MESSAGE_S + 1))
    await live(h.app).flush(h.context, force=True)
    edited = h.fake.of("editMessageText", GROUP.id)[-1]
    assert "✅ 参加：30 人" in edited.text and "❌ 不参加：10" in edited.text
    assert [label for label, _ in edited.buttons][:3] == ["✅ 参加 (30)", "🤔 待定 (0)", "❌ 不参加 (10)"]


async def test_capacity_gives_a_waitlist_and_a_freed_place_promotes_the_next(h: Harness) -> None:
    await bind(h)
    await wizard_to_confirm(h)  # two places
    await press(h, SW, PRIVATE, cb.MEETING_WIZARD.build("ok", 0))
    await h.drain()
    meeting_id = int(await h.scalar("SELECT id FROM meetings"))
    sent = notice(h)
    await h.send(b.message(UNCLE, b.private(UNCLE), "/start"))  # 张大爷 can be told privately
    guest = b.TgUser(100009, "赵阿婆")
    for person in (AUNT, SW, UNCLE, guest):
        await press(h, person, GROUP, cb.RSVP.build("yes", meeting_id), sent)
    toasts = [a.params.get("text") for a in h.fake.answers()[-4:]]
    assert toasts[:2] == ["✅ 已报名参加，到时见！"] * 2
    assert toasts[2].startswith("名额已满，您是候补第 1 位") and toasts[3].startswith("名额已满，您是候补第 2 位")
    await press(h, AUNT, GROUP, cb.RSVP.build("no", meeting_id), sent)
    # The note to whoever moves up is queued in the answer's transaction: a crash cannot lose it.
    assert await h.scalar("SELECT COUNT(*) FROM outbox WHERE kind = 'meeting_promoted' AND status = 'pending'") == 1
    await h.drain()
    told = h.fake.last_text(UNCLE.id)
    assert told.startswith("🎉 张大爷，有名额空出来了") and "宣讲会 · 垃圾分类宣讲" in told
    await h.send(b.message(SW, PRIVATE, "/meetings"))
    await press(h, SW, PRIVATE, last_call(h, SW.id).buttons[0][1])  # the meeting, opened in private
    await press(h, SW, PRIVATE, cb.RSVP.build("no", meeting_id))
    await press(h, SW, PRIVATE, cb.RSVP.build("no", meeting_id))  # twice: nothing to redraw, no error
    assert h.fake.answers()[-1].params["text"] == "❌ 已记为不参加。"
    await h.drain()
    mention = h.fake.last_text(GROUP.id)  # 赵阿婆 never opened a private chat: mentioned in the group
    assert f'<a href="tg://user?id={guest.id}">赵阿婆</a>' in mention and "有名额空出来了" in mention
    await press(h, SW, GROUP, cb.RSVP.build("yes", meeting_id), sent)
    assert h.fake.answers()[-1].params["text"].startswith("名额已满，您是候补第 1 位")
    assert sum("有名额空出来了" in c.text for c in h.fake.sent()) == 2


async def test_answers_close_at_the_start_and_forged_buttons_change_nothing(h: Harness) -> None:
    await bind(h)
    meeting_id = await quick_meeting(h)
    await h.send(b.callback(AUNT, GROUP, "mr1:yes:99999", message_id=notice(h).message_id))
    assert h.fake.answers()[-1].params["text"] == "没有找到这个编号，请核对一下。"
    await h.send(b.callback(AUNT, GROUP, "mr1:yes:1:2", message_id=notice(h).message_id))
    assert h.fake.answers()[-1].params["text"] == "这个按钮已经失效了。"
    h.clock.advance(timedelta(days=2))
    await press(h, AUNT, GROUP, cb.RSVP.build("yes", meeting_id), notice(h))
    assert h.fake.answers()[-1].params["text"] == "会议已经开始，报名已截止。"
    assert await h.scalar("SELECT COUNT(*) FROM meeting_rsvps") == 0


async def test_meetings_lists_upcoming_ones_with_their_time(h: Harness) -> None:
    await bind(h)
    await bind(h, OTHER, "启明花园")
    await h.send(b.message(SW, GROUP, "/meetings"))
    assert h.fake.last_text(GROUP.id) == "本群暂时没有即将召开的会议。"
    await quick_meeting(h)
    await quick_meeting(h, "/meeting 团创会 下周六上午10点 启明花园 护卫队团建", chat=OTHER)
    await h.send(b.message(AUNT, GROUP, "/meetings"))
    listing = h.fake.last_text(GROUP.id)
    assert "11月30日 周一 15:00 — 坝坝会 · 讨论墙绘分工" in listing and "护卫队团建" not in listing
    await h.send(b.message(AUNT, b.private(AUNT), "/meetings"))
    listing = last_call(h, AUNT.id)
    assert "坝坝会 · 讨论墙绘分工" in listing.text and "团创会 · 护卫队团建" in listing.text
    assert listing.text.index("讨论墙绘分工") < listing.text.index("护卫队团建")
    await press(h, AUNT, b.private(AUNT), listing.buttons[1][1])
    shown = last_call(h, AUNT.id)
    assert "护卫队团建" in shown.text and "⚙️ 管理" not in [label for label, _ in shown.buttons]
    await press(h, AUNT, b.private(AUNT), shown.buttons[0][1])  # 参加, in private
    assert "✅ 参加：1 人" in h.fake.of("editMessageText", AUNT.id)[-1].text


async def test_meetings_in_a_group_posts_the_live_notice_again_at_the_bottom(h: Harness) -> None:
    await bind(h)
    await bind(h, OTHER, "启明花园")
    here = await quick_meeting(h)
    elsewhere = await quick_meeting(h, "/meeting 团创会 下周六上午10点 启明花园 护卫队团建", chat=OTHER)
    await h.send(b.message(AUNT, GROUP, "/meetings"))
    listing = last_call(h, GROUP.id)
    assert [data for _, data in listing.buttons] == [cb.MEETING_ADMIN.build("show", here)]
    await press(h, AUNT, GROUP, listing.buttons[0][1])
    again = last_call(h, GROUP.id)
    assert "讨论墙绘分工" in again.text
    assert [label for label, _ in again.buttons][:3] == ["✅ 参加 (0)", "🤔 待定 (0)", "❌ 不参加 (0)"]
    kept = await h.rows("SELECT message_id FROM live_messages WHERE kind = 'meeting' AND chat_id = ?", GROUP.id)
    assert kept == [(again.message_id,)]  # the new copy is kept live; the old one stops
    await press(h, UNCLE, GROUP, again.buttons[0][1], again)
    assert await h.scalar("SELECT answer FROM meeting_rsvps WHERE user_id = ?", UNCLE.id) == "yes"
    sent_before = len(h.fake.sent(GROUP.id))
    await press(h, AUNT, GROUP, cb.MEETING_ADMIN.build("show", elsewhere))  # another courtyard's meeting
    assert len(h.fake.sent(GROUP.id)) == sent_before
    assert h.fake.answers()[-1].params.get("show_alert")


async def test_the_menu_button_opens_meetings(h: Harness) -> None:
    await bind(h)
    await quick_meeting(h)
    await h.send(b.callback(AUNT, b.private(AUNT), cb.MENU.build("meetings")))
    assert "讨论墙绘分工" in h.fake.last_text(AUNT.id)


async def test_calendar_file_on_request(h: Harness) -> None:
    await bind(h)
    meeting_id = await quick_meeting(h, "/meeting 协商会 明天下午3点 碧水苑院坝 停车位,划线;收费")
    await h.send(b.message(AUNT, GROUP, f"/ics {meeting_id}"))
    document = h.fake.of("sendDocument", GROUP.id)[-1]
    content = next(iter(document.files.values())).decode()
    assert content.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
    assert "DTSTART:20261130T070000Z\r\n" in content and "DTEND:20261130T090000Z\r\n" in content
    assert "SUMMARY:协商会 · 停车位\\,划线\\;收费\r\n" in content.replace("\r\n ", "")
    assert "LOCATION:碧水苑院坝" in content and "TRIGGER:-PT60M" in content
    await h.send(b.message(AUNT, GROUP, "/ics"))
    assert "/ics 12" in h.fake.last_text(GROUP.id)


async def test_calendar_button_sends_privately_or_opens_the_bot(h: Harness) -> None:
    await bind(h)
    meeting_id = await quick_meeting(h)
    await h.send(b.message(AUNT, b.private(AUNT), "/start"))
    await press(h, AUNT, GROUP, cb.RSVP.build("ics", meeting_id), notice(h))
    assert h.fake.of("sendDocument", AUNT.id) and not h.fake.of("sendDocument", GROUP.id)
    assert h.fake.answers()[-1].params["text"] == "日历文件已私信发给您。"
    await press(h, UNCLE, GROUP, cb.RSVP.build("ics", meeting_id), notice(h))
    assert h.fake.answers()[-1].params["url"] == f"https://t.me/CourtyardTestBot?start=ics_{meeting_id}"
    await h.send(b.message(UNCLE, b.private(UNCLE), f"/start ics_{meeting_id}"))
    assert h.fake.of("sendDocument", UNCLE.id)


async def test_quick_meeting_in_private_asks_for_the_courtyards(h: Harness) -> None:
    await bind(h)
    await bind(h, OTHER, "启明花园")
    await h.send(b.message(SW, PRIVATE, "/meeting 宣讲会 12月5日 19:30 社区活动室 垃圾分类宣讲"))
    targets = last_call(h, SW.id)
    assert "邀请哪些院落" in targets.text
    assert [label for label, _ in targets.buttons] == ["☐ 全部院落", "☐ 启明花园", "☐ 碧水苑", "下一步 ➡️"]
    await press(h, SW, PRIVATE, cb.MEETING_WIZARD.build("all", 0))
    await press(h, SW, PRIVATE, cb.MEETING_WIZARD.build("ynext", 0))
    assert "面向：全部院落" in h.fake.of("editMessageText", SW.id)[-1].text
    await press(h, SW, PRIVATE, cb.MEETING_WIZARD.build("ok", 0))
    await h.drain()
    assert "垃圾分类宣讲" in notice(h, GROUP.id).text and "垃圾分类宣讲" in notice(h, OTHER.id).text


async def test_backbone_may_invite_only_their_own_courtyard(h: Harness) -> None:
    await bind(h)
    await bind(h, OTHER, "启明花园")
    await h.send(b.message(AUNT, GROUP, "/meetings"))
    await h.send(b.message(SW, GROUP, "/grant 骨干", reply_to=b.user_message(AUNT, GROUP)))
    await h.send(b.message(AUNT, b.private(AUNT), "/meeting 团创会 周六上午10点 院坝 护卫队团建"))
    labels = [label for label, _ in last_call(h, AUNT.id).buttons]
    assert labels == ["☐ 碧水苑", "下一步 ➡️"]  # no "all", no other courtyard
    other_yard = await h.scalar("SELECT id FROM courtyards WHERE name = '启明花园'")
    await press(h, AUNT, b.private(AUNT), cb.MEETING_WIZARD.build("yard", other_yard))  # forged choice
    await press(h, AUNT, b.private(AUNT), cb.MEETING_WIZARD.build("all", 0))  # not offered to backbone
    await press(h, AUNT, b.private(AUNT), cb.MEETING_WIZARD.build("ynext", 0))
    assert h.fake.answers()[-1].params["text"].startswith("没有可以发通知的院落群")
    own_yard = await h.scalar("SELECT id FROM courtyards WHERE name = '碧水苑'")
    await press(h, AUNT, b.private(AUNT), cb.MEETING_WIZARD.build("yard", own_yard))
    await press(h, AUNT, b.private(AUNT), cb.MEETING_WIZARD.build("ynext", 0))
    await press(h, AUNT, b.private(AUNT), cb.MEETING_WIZARD.build("ok", 0))
    await h.drain()
    assert "护卫队团建" in notice(h, GROUP.id).text
    assert not [c for c in h.fake.sent(OTHER.id) if "📅" in c.text]


async def test_me_shows_my_upcoming_meetings(h: Harness) -> None:
    await bind(h)
    meeting_id = await quick_meeting(h)
    await press(h, AUNT, GROUP, cb.RSVP.build("yes", meeting_id), notice(h))
    await h.send(b.message(AUNT, b.private(AUNT), "/me"))
    assert "<b>我的会议</b>\n• 11月30日 周一 15:00 — 坝坝会 · 讨论墙绘分工（#1）（参加）" in h.fake.last_text(AUNT.id)


async def test_user_text_is_escaped_exactly_once(h: Harness) -> None:
    await bind(h)
    await quick_meeting(h, "/meeting 坝坝会 明天下午3点 A&B院 <b>讨论</b>&墙绘")
    text = notice(h).text
    assert "A&amp;B院" in text and "&lt;b&gt;讨论&lt;/b&gt;&amp;墙绘" in text and "&amp;amp;" not in text
    await h.send(b.message(AUNT, GROUP, "/meetings"))
    listing = h.fake.last_text(GROUP.id)
    assert "，A&amp;B院" in listing and "&amp;amp;" not in listing


async def test_answers_handled_out_of_order_end_in_the_later_press(h: Harness) -> None:
    await bind(h)
    meeting_id = await quick_meeting(h)
    sent = notice(h)

    def tap(person: b.TgUser, answer: str) -> dict:
        return b.callback(person, GROUP, cb.RSVP.build(answer, meeting_id), message_id=sent.message_id, text=sent.text)

    # Each person taps twice; the second tap is handled first.
    taps = {AUNT: ("yes", "no"), UNCLE: ("no", "yes"), SW: ("maybe", "no")}
    built = {person: (tap(person, a), tap(person, b_)) for person, (a, b_) in taps.items()}
    for first, later in built.values():
        await h.send(later)
        await h.send(first)
        assert h.fake.answers()[-1].params["text"] == h.fake.answers()[-2].params["text"]  # told the state kept
    assert dict(await h.rows("SELECT user_id, answer FROM meeting_rsvps")) == {
        AUNT.id: "no",
        UNCLE.id: "yes",
        SW.id: "no",
    }


async def test_sixty_reordered_answer_pairs_end_in_the_later_press(h: Harness) -> None:
    await bind(h)
    meeting_id = await quick_meeting(h)
    sent = notice(h)
    people = [b.TgUser(330000 + i, f"居民{i}") for i in range(60)]
    choices = ("yes", "no", "maybe")
    pairs = [
        tuple(
            b.callback(p, GROUP, cb.RSVP.build(a, meeting_id), message_id=sent.message_id)
            for a in (choices[i % 3], choices[(i + 1) % 3])
        )
        for i, p in enumerate(people)
    ]
    await h.feed([later for _, later in pairs] + [first for first, _ in pairs])
    rows = dict(await h.rows("SELECT user_id, answer FROM meeting_rsvps"))
    assert rows == {p.id: choices[(i + 1) % 3] for i, p in enumerate(people)}
