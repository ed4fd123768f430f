"""Foundation behaviour through the real PTB stack and the fake Bot API."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot import callback_data as cb
from bot.logging_setup import REDACTOR, setup_logging
from tests import builders as b
from tests.cast import ADMIN, AUNT, GROUP, SW
from tests.fakes import TEST_TOKEN
from tests.harness import Harness, make_config

UNCLE = b.TgUser(100002, "张大爷", language_code=None)


async def chat_row(h: Harness, chat_id: int) -> tuple | None:
    rows = await h.rows("SELECT courtyard_id, scope, active FROM chats WHERE chat_id = ?", chat_id)
    return rows[0] if rows else None


async def test_build_application_with_fake_request(h: Harness) -> None:
    assert h.app.bot.username == "CourtyardTestBot"
    menus = h.fake.of("setMyCommands")
    assert len(menus) >= 4  # resident + organiser menus in two languages, and the social worker's
    commands = {c["command"] for c in menus[0].params["commands"]}
    assert {"menu", "me", "help", "lang", "privacy"} <= commands


async def test_social_worker_binds_a_group(h: Harness) -> None:
    await h.send(b.message(SW, GROUP, "/bind 碧水苑"))
    assert "碧水苑" in h.fake.last_text(GROUP.id)
    courtyard = await h.rows("SELECT id, name FROM courtyards")
    assert [name for _, name in courtyard] == ["碧水苑"]
    assert await chat_row(h, GROUP.id) == (courtyard[0][0], "courtyard", 1)
    await h.send(b.message(SW, GROUP, "/courtyards"))
    assert "碧水苑" in h.fake.last_text(GROUP.id) and "碧水苑居民群" in h.fake.last_text(GROUP.id)


async def test_resident_cannot_bind_and_is_told_in_chinese(h: Harness) -> None:
    await h.send(b.message(AUNT, GROUP, "/bind 碧水苑"))
    assert h.fake.last_text(GROUP.id) == "抱歉，只有社工可以进行这个操作。"
    assert await h.scalar("SELECT COUNT(*) FROM courtyards") == 0
    assert await chat_row(h, GROUP.id) == (None, "none", 1)


async def test_bind_buttons_recheck_permission(h: Harness) -> None:
    await h.send(b.message(SW, GROUP, "/bind 启明花园"))
    other = b.group(-1001000000002, "新群")
    await h.send(b.message(SW, other, "/bind"))
    markup = h.fake.sent(other.id)[-1].params["reply_markup"]
    data = markup["inline_keyboard"][0][0]["callback_data"]
    await h.send(b.callback(AUNT, other, data))  # a resident presses the social worker's button
    assert await chat_row(h, other.id) == (None, "none", 1)
    await h.send(b.callback(SW, other, data))
    row = await chat_row(h, other.id)
    assert row is not None and row[1] == "courtyard"


async def test_group_admin_counts_as_backbone_but_not_as_social_worker(h: Harness) -> None:
    h.fake.admins[GROUP.id] = [ADMIN.id]
    await h.send(b.message(ADMIN, GROUP, "/bind 碧水苑"))
    assert h.fake.last_text(GROUP.id) == "抱歉，只有社工可以进行这个操作。"
    await h.send(b.message(ADMIN, GROUP, "/lang"))
    assert "语言" in h.fake.last_text(GROUP.id)
    await h.send(b.callback(ADMIN, GROUP, cb.LANG.build("en")))
    assert await h.scalar("SELECT locale FROM chats WHERE chat_id = ?", GROUP.id) == "en"
    await h.send(b.message(AUNT, GROUP, "/help"))
    assert "Courtyard Bot" in h.fake.last_text(GROUP.id)
    # A resident cannot switch the group back.
    await h.send(b.callback(AUNT, GROUP, cb.LANG.build("zh")))
    assert await h.scalar("SELECT locale FROM chats WHERE chat_id = ?", GROUP.id) == "en"


async def test_language_button_confirms_in_the_language_chosen(h: Harness) -> None:
    await h.send(b.callback(AUNT, b.private(AUNT), cb.LANG.build("en")))
    assert h.fake.of("editMessageText", AUNT.id)[-1].text == "OK, I will speak English here."
    await h.send(b.callback(AUNT, b.private(AUNT), cb.LANG.build("zh")))
    assert h.fake.of("editMessageText", AUNT.id)[-1].text == "好的，以后我在这里说中文。"
    h.fake.admins[GROUP.id] = [ADMIN.id]
    await h.send(b.callback(ADMIN, GROUP, cb.LANG.build("en")))
    assert h.fake.of("editMessageText", GROUP.id)[-1].text == "OK, I will speak English here."


async def test_grant_and_revoke_backbone_by_reply(h: Harness) -> None:
    await h.send(b.message(SW, GROUP, "/bind 碧水苑"))
    said = b.message(AUNT, GROUP, "大家好")
    # Privacy mode: the bot never sees her chatter, so the reply to it is the first it hears of her.
    assert not await h.send(said)
    await h.send(b.message(SW, GROUP, "/grant", reply_to=said["message"]))
    assert h.fake.last_text(GROUP.id) == "李阿姨现在是骨干了。"
    assert await h.rows("SELECT role FROM roles WHERE user_id = ?", AUNT.id) == [("backbone",)]
    await h.send(b.message(AUNT, GROUP, "/grant", reply_to=b.user_message(UNCLE, GROUP)))
    assert h.fake.last_text(GROUP.id) == "抱歉，只有社工可以进行这个操作。"
    await h.send(b.message(SW, GROUP, "/revoke", reply_to=said["message"]))
    assert await h.rows("SELECT role FROM roles WHERE user_id = ?", AUNT.id) == []


async def test_migrated_group_keeps_its_binding_and_members(h: Harness) -> None:
    basic = b.group(-4000001, "碧水苑老群")
    await h.send(b.message(SW, basic, "/bind 碧水苑"))
    await h.send(b.message(AUNT, basic, "/help"))
    new_id = -1009999999999
    await h.send(b.migrate(basic, new_id, SW))
    assert await chat_row(h, basic.id) is None
    row = await chat_row(h, new_id)
    assert row is not None and row[1] == "courtyard"
    members = await h.rows("SELECT user_id FROM chat_members WHERE chat_id = ? ORDER BY user_id", new_id)
    assert (AUNT.id,) in members
    # The supergroup's own service message arriving afterwards changes nothing.
    await h.send(b.migrate_from(b.group(new_id, "碧水苑老群"), basic.id, SW))
    assert (await chat_row(h, new_id))[1] == "courtyard"


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("zh-hans", "您想做什么？"),
        ("zh-hant", "您想做什么？"),
        ("zh", "您想做什么？"),
        ("en-US", "What would you like to do?"),
        (None, "您想做什么？"),
    ],
)
async def test_language_codes_each_resolve(h: Harness, code: str | None, expected: str) -> None:
    person = b.TgUser(200000 + len(code or ""), "居民", language_code=code)
    await h.send(b.message(person, b.private(person), "/menu"))
    assert h.fake.last_text(person.id) == expected


async def test_forged_callbacks_change_nothing(h: Harness) -> None:
    await h.send(b.message(SW, GROUP, "/bind 碧水苑"))
    before = await h.rows("SELECT * FROM chats ORDER BY chat_id")
    for data in ["bd1:yard:999999", "bd1:whole:x", "bd9:yard:1", "lg1:fr", "zz", "fg1:yes:1", "<b>&"]:
        await h.send(b.callback(AUNT, GROUP, data))
    assert await h.rows("SELECT * FROM chats ORDER BY chat_id") == before
    answers = h.fake.answers()
    assert len(answers) == 7
    assert all(a.params.get("text") in ("这个按钮已经失效了。", "抱歉，只有社工可以进行这个操作。") for a in answers)
    # The presser is still recorded as seen in the group: a press that changes nothing writes
    # its deferred bookkeeping when the update ends.
    assert await h.rows("SELECT user_id FROM chat_members WHERE chat_id = ? AND user_id = ?", GROUP.id, AUNT.id) == [
        (AUNT.id,)
    ]


async def test_bot_added_and_removed_is_recorded(h: Harness) -> None:
    fresh = b.group(-1001000000077, "启明花园")
    await h.send(b.my_chat_member(fresh, SW, "left", "member"))
    assert await chat_row(h, fresh.id) == (None, "none", 1)
    assert "/bind" in h.fake.last_text(fresh.id)
    await h.send(b.my_chat_member(fresh, SW, "member", "kicked"))
    assert await chat_row(h, fresh.id) == (None, "none", 0)


async def test_edited_command_is_ignored(h: Harness) -> None:
    await h.send(b.edited(SW, GROUP, "/bind 碧水苑"))
    assert await h.scalar("SELECT COUNT(*) FROM courtyards") == 0
    assert not h.fake.sent(GROUP.id)


async def test_user_text_is_escaped(h: Harness) -> None:
    await h.send(b.message(SW, GROUP, "/bind <b>碧水&苑</b>"))
    text = h.fake.last_text(GROUP.id)
    assert "&lt;b&gt;碧水&amp;苑&lt;/b&gt;" in text
    await h.send(b.message(SW, GROUP, "/bind " + "长" * 31))
    assert h.fake.last_text(GROUP.id) == "名称太长了，请不要超过30个字。"


async def test_forget_removes_the_persons_rows(h: Harness) -> None:
    await h.send(b.message(SW, GROUP, "/bind 碧水苑"))
    await h.send(b.message(AUNT, GROUP, "/help"))
    await h.send(b.message(SW, GROUP, "/grant", reply_to=b.user_message(AUNT, GROUP)))
    await h.send(b.message(AUNT, GROUP, "/newteam 碧水苑护卫队"))  # as backbone
    await h.send(b.message(AUNT, b.private(AUNT), "/remind 每天早上8点 吃降压药"))
    assert await h.scalar("SELECT COUNT(*) FROM reminders WHERE chat_id = ?", AUNT.id) == 1
    await h.send(b.message(AUNT, b.private(AUNT), "/forget"))
    assert "无法恢复" in h.fake.last_text(AUNT.id)
    from storage.users import UsersRepository

    assert await UsersRepository(h.db.reader).count_rows_for(AUNT.id) >= 3
    await h.send(b.callback(AUNT, b.private(AUNT), cb.FORGET.build("yes")))
    assert h.fake.of("editMessageText", AUNT.id)[-1].text == "已完成，您的全部信息都已删除。"
    assert await UsersRepository(h.db.reader).count_rows_for(AUNT.id) == 0
    assert await h.scalar("SELECT COUNT(*) FROM users WHERE user_id = ?", SW.id) == 1
    # Her private chat went too: its reminder text and the messages queued for it.
    for table in ("chats", "reminders", "outbox"):
        assert await h.scalar(f"SELECT COUNT(*) FROM {table} WHERE chat_id = ?", AUNT.id) == 0, table
    # Her backbone role went with her rows, in memory too; coming back she is a resident again.
    await h.send(b.message(AUNT, GROUP, "/newteam 碧水苑墙绘队"))
    assert await h.rows("SELECT name FROM teams") == [("碧水苑护卫队",)]
    assert await h.scalar("SELECT COUNT(*) FROM users WHERE user_id = ?", AUNT.id) == 1


async def test_forget_in_a_group_is_redirected_to_private(h: Harness) -> None:
    await h.send(b.message(AUNT, GROUP, "/forget"))
    assert h.fake.last_text(GROUP.id) == "这件事要单独和我说：点我的头像，再点“发消息”。"
    await h.send(b.callback(UNCLE, GROUP, cb.FORGET.build("yes")))
    assert await h.scalar("SELECT COUNT(*) FROM users WHERE user_id = ?", UNCLE.id) == 1


async def test_menu_is_honest_about_features_not_built(h: Harness) -> None:
    await h.send(b.callback(AUNT, b.private(AUNT), cb.MENU.build("feedback")))
    assert h.fake.answers()[-1].params["text"] == "这个功能正在建设中，敬请期待。"


async def test_sending_logs_never_contain_the_token(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    setup_logging(logging.DEBUG, token=TEST_TOKEN)
    caplog.handler.addFilter(REDACTOR)
    caplog.set_level(logging.DEBUG)
    async with Harness(make_config(tmp_path)) as harness:
        logging.getLogger("httpx").setLevel(logging.DEBUG)  # even if someone turns httpx up
        logging.getLogger("test").info("sending with %s", f"https://api.telegram.org/bot{TEST_TOKEN}/sendMessage")
        await harness.send(b.message(AUNT, b.private(AUNT), "/start"))
        harness.fake.fail("403", method="sendMessage")
        await harness.send(b.message(AUNT, GROUP, "/help"))
    assert caplog.records, "nothing was logged"
    for record in caplog.records:
        assert TEST_TOKEN not in record.getMessage()
        assert TEST_TOKEN.split(":")[1] not in (record.exc_text or "")
    assert any("<token>" in r.getMessage() for r in caplog.records)


async def test_private_block_is_recorded(h: Harness) -> None:
    chat = b.private(AUNT)
    await h.send(b.message(AUNT, chat, "/start"))
    assert await h.scalar("SELECT private_chat FROM users WHERE user_id = ?", AUNT.id) == 1
    await h.send(b.my_chat_member(chat, AUNT, "member", "kicked"))
    assert await h.scalar("SELECT private_chat FROM users WHERE user_id = ?", AUNT.id) == 0


async def test_command_flood_is_throttled_politely(h: Harness) -> None:
    # One person floods a group with 100 commands; a neighbour in the same group is still answered.
    # (tests/unit/test_middleware.py checks one warning per cooldown with a controlled clock.)
    for i in range(100):
        await h.send(b.message(AUNT, GROUP, "/help"))
        if i % 25 == 0:
            await h.send(b.message(UNCLE, GROUP, "/menu"))
    texts = [c.text for c in h.fake.sent(GROUP.id)]
    assert texts.count("您发得太快了，请稍等几秒再试。") == 1
    assert texts.count("您想做什么？") == 4  # every one of the neighbour's commands
    assert len(texts) < 20


async def test_every_declared_button_family_has_a_handler(h: Harness) -> None:
    """A family declared but never routed would answer every press of it as a stale button."""
    from handlers.buttons import router_of

    assert set(router_of(h.app).routes) == {fam.head for fam in cb.FAMILIES.values()}
    assert h.app.handlers[0][0] is router_of(h.app)  # first in group 0: presses skip the command handlers


async def test_a_menu_screen_that_refuses_says_so_in_the_chat(h: Harness) -> None:
    from bot import callback_data as cb

    group = b.group(-1001000000099, "没绑定的群")
    aunt = b.TgUser(100001, "李阿姨")
    await h.send(b.callback(aunt, group, cb.MENU.build("polls")))
    answers = h.fake.of("answerCallbackQuery")
    assert len(answers) == 1, "the press was answered twice (Telegram refuses the second answer)"
    assert "还没有绑定" in h.fake.last_text(group.id)
