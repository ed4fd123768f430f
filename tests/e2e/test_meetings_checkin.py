"""Check-in by the code said at the meeting or the QR deep link: exact counts, forged codes refused."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import segno

from bot import callback_data as cb
from handlers.live import live
from tests import builders as b
from tests.cast import AUNT, GROUP, PRIVATE, SW, UNCLE, bind
from tests.e2e.meeting_helpers import last_call, press, quick_meeting
from tests.fakes import FakeClock
from tests.harness import Harness, make_config

START = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)


async def meeting_with_code(h: Harness) -> tuple[int, str]:
    await bind(h)
    meeting_id = await quick_meeting(h)
    return meeting_id, str(await h.scalar("SELECT checkin_code FROM meetings WHERE id = ?", meeting_id))


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10000:04d}" if code != "9999" else "1000"


async def test_check_in_by_code_counts_each_person_once(h: Harness) -> None:
    meeting_id, code = await meeting_with_code(h)
    await h.send(b.message(AUNT, GROUP, f"/checkin {code}"))
    assert h.fake.last_text(GROUP.id) == "抱歉，这个签到码现在无效。请核对会上公布的签到码。"  # the day before
    h.clock.current = START - timedelta(minutes=20)
    await h.send(b.message(AUNT, GROUP, f"/checkin {code}"))
    assert h.fake.last_text(GROUP.id) == "🙋 坝坝会 · 讨论墙绘分工（#1） 签到成功，您是第 1 位，欢迎！"
    await h.send(b.message(AUNT, GROUP, f"/checkin {code}"))
    assert h.fake.last_text(GROUP.id).startswith("您已经签到过")
    await h.send(b.message(AUNT, GROUP, "/checkin"))
    assert h.fake.last_text(GROUP.id) == "请发送会上公布的签到码，例如：/checkin 4827"
    await live(h.app).flush(h.context, force=True)
    await h.send(b.message(UNCLE, GROUP, f"/checkin {code}"))
    h.clock.advance(timedelta(minutes=30))  # the meeting has begun: the notice shows attendance
    await live(h.app).flush(h.context, force=True)
    assert "🙋 已签到：2 人" in h.fake.of("editMessageText", GROUP.id)[-1].text
    assert await h.scalar("SELECT COUNT(*) FROM meeting_checkins WHERE meeting_id = ?", meeting_id) == 2


async def test_concurrent_check_ins_are_exact(h: Harness) -> None:
    meeting_id, code = await meeting_with_code(h)
    h.clock.current = START
    people = [b.TgUser(300000 + i, f"居民{i}") for i in range(30)]
    updates = [b.message(p, GROUP, f"/checkin {code}") for p in people for _ in range(3)]
    updates += [b.message(p, b.private(p), f"/start ci_{code}") for p in people[:10]]
    await h.feed(updates)
    assert await h.scalar("SELECT COUNT(*) FROM meeting_checkins WHERE meeting_id = ?", meeting_id) == 30
    firsts = [c.text for c in h.fake.sent() if "签到成功" in c.text]
    numbers = sorted(int(text.split("您是第 ")[1].split(" 位")[0]) for text in firsts)
    assert numbers == list(range(1, 31))  # each person got a distinct place in the order


async def test_forged_codes_and_links_are_refused(h: Harness) -> None:
    _, code = await meeting_with_code(h)
    h.clock.current = START
    for text in (f"/checkin {wrong(code)}", "/checkin abc", f"/checkin {code}0"):
        await h.send(b.message(AUNT, b.private(AUNT), text))
        assert h.fake.last_text(AUNT.id) == "抱歉，这个签到码现在无效。请核对会上公布的签到码。"
    await h.send(b.message(UNCLE, b.private(UNCLE), "/start ci_x'><b>"))
    assert h.fake.last_text(UNCLE.id) == "抱歉，这个签到码现在无效。请核对会上公布的签到码。"
    assert await h.scalar("SELECT COUNT(*) FROM meeting_checkins") == 0
    await h.send(b.message(AUNT, b.private(AUNT), f"/checkin {wrong(code)}"))
    await h.send(b.message(AUNT, b.private(AUNT), f"/checkin {wrong(code)}"))
    await h.send(b.message(AUNT, b.private(AUNT), f"/checkin {code}"))  # guessing is stopped, even when right
    assert h.fake.last_text(AUNT.id) == "签到码输错太多次了，请十分钟后再试。"
    await h.send(b.message(UNCLE, b.private(UNCLE), f"/start ci_{code}"))
    assert "签到成功" in h.fake.last_text(UNCLE.id)
    assert await h.scalar("SELECT via FROM meeting_checkins WHERE user_id = ?", UNCLE.id) == "link"


async def test_the_organiser_gets_a_qr_picture_of_the_deep_link(h: Harness) -> None:
    meeting_id, code = await meeting_with_code(h)
    await h.send(b.message(SW, PRIVATE, "/meetings"))
    await press(h, SW, PRIVATE, cb.MEETING_ADMIN.build("qr", meeting_id))
    photo = h.fake.of("sendPhoto", SW.id)[-1]
    assert photo.text == f"扫码签到 坝坝会 · 讨论墙绘分工（#1），或私信我发送 /checkin {code}。"
    expected = io.BytesIO()
    segno.make(f"https://t.me/CourtyardTestBot?start=ci_{code}", error="m").save(
        expected, kind="png", scale=10, border=4
    )
    assert next(iter(photo.files.values())) == expected.getvalue()
    await h.send(b.callback(SW, GROUP, cb.MEETING_ADMIN.build("qr", meeting_id)))
    assert h.fake.answers()[-1].params["text"].startswith("签到码不能公开")
    assert not h.fake.of("sendPhoto", GROUP.id)
    await h.send(b.callback(AUNT, b.private(AUNT), cb.MEETING_ADMIN.build("qr", meeting_id)))
    assert h.fake.answers()[-1].params["text"] == "抱歉，只有会议组织者和社工可以进行这个操作。"
    assert not h.fake.of("sendPhoto", AUNT.id)


async def test_who_is_coming_lists_names(h: Harness) -> None:
    meeting_id, code = await meeting_with_code(h)
    await press(h, AUNT, GROUP, cb.RSVP.build("yes", meeting_id), last_call(h, GROUP.id))
    h.clock.current = START
    await h.send(b.message(UNCLE, GROUP, f"/checkin {code}"))
    await h.send(b.message(SW, PRIVATE, "/meetings"))
    await press(h, SW, PRIVATE, cb.MEETING_ADMIN.build("who", meeting_id))
    who = h.fake.last_text(SW.id)
    assert "✅ 参加（1）：李阿姨" in who and "🙋 已签到（1）：张大爷" in who


UNKNOWN = "抱歉，这个签到码现在无效。请核对会上公布的签到码。"
LOCKED = "签到码输错太多次了，请十分钟后再试。"


async def test_concurrent_wrong_codes_check_at_most_five(h: Harness) -> None:
    _, code = await meeting_with_code(h)
    h.clock.current = START
    guesses = [b.message(AUNT, b.private(AUNT), f"/checkin {(int(code) + i) % 10000:04d}") for i in range(1, 13)]
    await asyncio.gather(*(h.send(g) for g in guesses))
    answers = [c.text for c in h.fake.sent(AUNT.id)]
    assert len(answers) == 12
    assert answers.count(UNKNOWN) == 5 and answers.count(LOCKED) == 7
    assert await h.scalar("SELECT COUNT(*) FROM meeting_checkins") == 0


async def test_the_lockout_survives_a_restart(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    clock = FakeClock()
    async with Harness(config, clock=clock) as h:
        _, code = await meeting_with_code(h)
        clock.current = START
        for _ in range(5):
            await h.send(b.message(AUNT, b.private(AUNT), f"/checkin {wrong(code)}"))
        assert h.fake.last_text(AUNT.id) == UNKNOWN
    async with Harness(config, clock=clock) as h:
        await h.send(b.message(AUNT, b.private(AUNT), f"/checkin {code}"))
        assert h.fake.last_text(AUNT.id) == LOCKED
        assert await h.scalar("SELECT COUNT(*) FROM meeting_checkins") == 0
        clock.advance(timedelta(minutes=11))  # the window has passed: the right code works again
        await h.send(b.message(AUNT, b.private(AUNT), f"/checkin {code}"))
        assert "签到成功" in h.fake.last_text(AUNT.id)
        assert await h.scalar("SELECT COUNT(*) FROM checkin_attempts") == 5  # pruned at the next wrong try
