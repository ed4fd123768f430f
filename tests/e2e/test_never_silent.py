"""Issue 14 item 2, private chats: free text, 「菜单」 「/菜单」 「帮助」 and a mistyped command get an answer."""

from __future__ import annotations

import pytest

from tests import builders as b
from tests.cast import AUNT
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
