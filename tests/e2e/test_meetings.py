"""Meetings through the real PTB stack: creating, notices with live answers, waitlists, calendar files."""

from __future__ import annotations

from bot import callback_data as cb
from tests import builders as b
from tests.e2e.meeting_helpers import GROUP, SW, bind, notice, press
from tests.harness import Harness


async def test_quick_meeting_is_echoed_then_announced_with_answer_buttons(h: Harness) -> None:
    await bind(h)
    await h.send(b.message(SW, GROUP, "/meeting 坝坝会 明天下午3点 碧水苑院坝 讨论墙绘分工"))
    echo = h.fake.last_text(GROUP.id)
    assert "2026年11月30日 星期一 15:00" in echo and "碧水苑院坝" in echo and "讨论墙绘分工" in echo
    assert await h.scalar("SELECT COUNT(*) FROM meetings") == 0  # nothing saved before the confirmation
    await press(h, SW, GROUP, cb.MEETING_WIZARD.build("ok", 0))
    await h.drain()
    sent = notice(h)
    assert "坝坝会" in sent.text and "讨论墙绘分工" in sent.text
    labels = [label for label, _ in sent.buttons]
    assert labels[:3] == ["✅ 参加 (0)", "🤔 待定 (0)", "❌ 不参加 (0)"]
