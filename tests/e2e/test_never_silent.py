"""Issue 14 item 2: in private, free text, 「菜单」 「帮助」 and typos are answered; in a group, near misses."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests import builders as b
from tests.cast import AUNT, GROUP, bind
from tests.harness import Harness

pytestmark = pytest.mark.usefixtures("no_errors")
CHAT = b.private(AUNT)


@pytest.mark.parametrize("text", ["你好", "报名墙绘队", "/joim 墙绘"])
async def test_what_the_bot_does_not_understand_gets_the_menu(h: Harness, text: str) -> None:
    await h.send(b.message(AUNT, CHAT, text))
    last = h.fake.sent(CHAT.id)[-1]
    assert "我没听懂，您可以点下面的按钮。" in last.text
    assert any(label.startswith("👥") for label, _ in last.buttons)  # the menu's buttons


@pytest.mark.parametrize("text", ["菜单", "/菜单", " 菜单 "])
async def test_the_menu_typed_in_chinese(h: Harness, text: str) -> None:
    await h.send(b.message(AUNT, CHAT, text))
    last = h.fake.sent(CHAT.id)[-1]
    assert "我没听懂" not in last.text and any(label.startswith("👥") for label, _ in last.buttons)


async def test_help_typed_in_chinese_and_known_commands_answer_once(h: Harness) -> None:
    await h.send(b.message(AUNT, CHAT, "帮助"))
    assert "我没听懂" not in h.fake.last_text(CHAT.id)
    before = len(h.fake.sent(CHAT.id))
    await h.send(b.message(AUNT, CHAT, "/menu"))
    assert len(h.fake.sent(CHAT.id)) == before + 1  # a known command: its own answer only


async def test_a_mistyped_command_in_a_group_gets_the_closest_once_a_minute(h: Harness) -> None:
    await bind(h)
    await h.send(b.message(AUNT, GROUP, "/joim 墙绘"))
    assert h.fake.last_text(GROUP.id) == "您是不是想用 /join？"
    before = len(h.fake.sent(GROUP.id))
    await h.send(b.message(AUNT, GROUP, "/joim 墙绘"))
    await h.send(b.message(AUNT, GROUP, "/xyzzy"))  # nothing close: perhaps another bot's command
    assert len(h.fake.sent(GROUP.id)) == before  # at most once per person per minute, and never a guess
    h.clock.advance(timedelta(seconds=61))
    await h.send(b.message(AUNT, GROUP, "/meetngs"))
    assert h.fake.last_text(GROUP.id) == "您是不是想用 /meetings？"
