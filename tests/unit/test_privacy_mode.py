"""The fakes deliver only what Telegram's default group privacy mode delivers (tests.fakes.privacy_mode_delivers)."""

from __future__ import annotations

from typing import Any

import pytest

from tests import builders as b
from tests.cast import AUNT, GROUP, SW
from tests.fakes import BOT_ID, BOT_USERNAME, FakeBotAPI, privacy_mode_delivers
from tests.fakeserver import FakeTelegramServer
from tests.harness import Harness

BASIC = b.group(-4000001, "碧水苑老群")  # a basic group: the same rules


def with_entity(text: str, entity: dict[str, Any], chat: b.TgChat = GROUP) -> dict[str, Any]:
    update = b.message(AUNT, chat, text)
    update["message"]["entities"] = [entity]
    return update


DELIVERED = {
    "a command": b.message(AUNT, GROUP, "/join 墙绘队"),
    "a command in a basic group": b.message(AUNT, BASIC, "/themes"),
    "a command for this bot": b.message(AUNT, GROUP, f"/join@{BOT_USERNAME} 墙绘队"),
    "a command for this bot, any case": b.message(AUNT, GROUP, f"/menu@{BOT_USERNAME.lower()}"),
    "a reply to the bot": b.message(AUNT, GROUP, "12月5日", reply_to=b.bot_message(GROUP, 1001, "截止到哪一天？")),
    "a mention": b.message(AUNT, GROUP, f"@{BOT_USERNAME} 怎么报名"),
    "a mention after an emoji (UTF-16 offsets)": b.message(AUNT, GROUP, f"👍👍 请问 @{BOT_USERNAME}"),
    "a text mention": with_entity(
        "小助手在吗",
        {
            "type": "text_mention",
            "offset": 0,
            "length": 3,
            "user": {"id": BOT_ID, "is_bot": True, "first_name": "Courtyard"},
        },
    ),
    "a photo with a command caption": b.photo(AUNT, GROUP, caption="/propose 小花园"),
    "a photo replying to the bot": b.photo(AUNT, GROUP, reply_to=b.bot_message(GROUP, 1002)),
    "an edited command": b.edited(AUNT, GROUP, "/join 墙绘队"),
    "a service message (group moved)": b.migrate(BASIC, -1001000000009, AUNT),
    "a service message (new topic)": {"update_id": b.next_update_id(), "message": b.topic_root(AUNT, b.forum())},
    "a button press": b.callback(AUNT, GROUP, "tm1:join:1"),
    "the bot added to a group": b.my_chat_member(GROUP, SW, "left", "member"),
    "plain text in private": b.message(AUNT, b.private(AUNT), "你好"),
    "a mistyped command in private": b.message(AUNT, b.private(AUNT), "/菜单"),
}
WITHHELD = {
    "plain text": b.message(AUNT, GROUP, "大家好"),
    "plain text in a basic group": b.message(AUNT, BASIC, "大家好"),
    "a command for another bot": b.message(AUNT, GROUP, "/join@OtherHelperBot 墙绘队"),
    "a slash word Telegram does not mark as a command": b.message(AUNT, GROUP, "/菜单"),
    "a command in the middle": b.message(AUNT, GROUP, "请大家发 /join 报名"),
    "a reply to a person": b.message(AUNT, GROUP, "好的", reply_to=b.user_message(SW, GROUP, "明天开会")),
    "a mention of someone else": b.message(AUNT, GROUP, "@WangSocialWorker 在吗"),
    "a longer username starting with the bot's": b.message(AUNT, GROUP, f"@{BOT_USERNAME}2 在吗"),
    "a photo": b.photo(AUNT, GROUP),
    "an edited plain message": b.edited(AUNT, GROUP, "大家好"),
    "a message in a forum topic (it replies to the topic's root)": b.in_topic(
        AUNT, b.forum(), "大家好", b.topic_root(SW, b.forum())
    ),
}


@pytest.mark.parametrize("update", DELIVERED.values(), ids=DELIVERED.keys())
def test_delivered(update: dict[str, Any]) -> None:
    assert privacy_mode_delivers(update)
    assert FakeBotAPI().delivers(update)


@pytest.mark.parametrize("update", WITHHELD.values(), ids=WITHHELD.keys())
def test_withheld(update: dict[str, Any]) -> None:
    assert not privacy_mode_delivers(update)
    fake = FakeBotAPI()
    assert not fake.delivers(update)
    assert fake.withheld == [update]


@pytest.mark.parametrize("update", WITHHELD.values(), ids=WITHHELD.keys())
def test_an_admin_bot_or_privacy_mode_off_gets_everything(update: dict[str, Any]) -> None:
    assert privacy_mode_delivers(update, bot_is_admin=True)
    admin = FakeBotAPI()
    chat_id = (update.get("message") or update.get("edited_message"))["chat"]["id"]
    admin.admins[chat_id] = [SW.id, BOT_ID]
    assert admin.delivers(update)
    assert FakeBotAPI(privacy_mode=False).delivers(update)


def test_builders_mark_commands_and_mentions_as_telegram_does() -> None:
    assert b.entities("/join@CourtyardTestBot 墙绘") == [{"type": "bot_command", "offset": 0, "length": 22}]
    assert b.entities("/菜单") == []
    assert b.entities("😀 @CourtyardTestBot") == [{"type": "mention", "offset": 3, "length": 17}]


async def test_the_harness_never_hands_a_withheld_update_to_the_bot(h: Harness) -> None:
    assert h.fake.privacy_mode  # on by default for every test
    chatter = b.message(AUNT, GROUP, "大家好")
    assert not await h.send(chatter)
    assert h.fake.withheld == [chatter]
    assert await h.scalar("SELECT COUNT(*) FROM users WHERE user_id = ?", AUNT.id) == 0
    assert await h.scalar("SELECT COUNT(*) FROM update_journal") == 0
    assert await h.send(b.message(AUNT, GROUP, "/menu"))
    assert await h.scalar("SELECT COUNT(*) FROM users WHERE user_id = ?", AUNT.id) == 1


def test_the_http_fake_queues_only_what_telegram_delivers() -> None:
    server = FakeTelegramServer()
    try:
        chatter, command = b.message(AUNT, GROUP, "大家好"), b.message(AUNT, GROUP, "/menu")
        server.enqueue(chatter, command)
        assert server.pending() == [command]
        assert server.api.withheld == [chatter]
    finally:
        server.stop()
