"""Theme proposals through the real PTB stack: propose, duplicates, photos, 附议, official answers."""

from __future__ import annotations

from datetime import timedelta

from bot import callback_data as cb
from handlers.live import live
from tests import builders as b
from tests.cast import ADMIN, AUNT, GROUP, OTHER, SW, UNCLE, bind
from tests.fakes import Call
from tests.harness import Harness


def last(h: Harness, chat: b.TgChat) -> Call:
    return [c for c in h.fake.calls if c.method in ("sendMessage", "sendPhoto") and c.chat_id == chat.id][-1]


async def press(h: Harness, user: b.TgUser, chat: b.TgChat, data: str, on: Call) -> None:
    await h.send(b.callback(user, chat, data, message_id=on.message_id, text=on.text))


async def proposal_ids(h: Harness) -> dict[str, int]:
    return {title: pid for pid, title in await h.rows("SELECT id, title FROM proposals ORDER BY id")}


async def test_propose_list_and_support(h: Harness) -> None:
    await bind(h)
    await h.send(b.message(AUNT, GROUP, "/propose 汉藏文化融合"))
    assert "提案 <b>#1</b> 已登记" in h.fake.last_text(GROUP.id)
    await h.send(b.message(UNCLE, GROUP, "/propose 碧水蓝天"))
    assert "#2" in h.fake.last_text(GROUP.id)
    ids = await proposal_ids(h)

    await h.send(b.message(UNCLE, GROUP, "/themes"))
    listing = last(h, GROUP)
    assert "汉藏文化融合" in listing.text and "碧水蓝天" in listing.text and "0人附议" in listing.text
    assert ("👍 #1 汉藏文化融合 · 0", cb.PROPOSAL.build("sup", ids["汉藏文化融合"])) in listing.buttons

    await press(h, UNCLE, GROUP, cb.PROPOSAL.build("sup", ids["汉藏文化融合"]), listing)
    assert h.fake.answers()[-1].params["text"] == "已附议 #1（共1人）。"
    await press(h, ADMIN, GROUP, cb.PROPOSAL.build("sup", ids["汉藏文化融合"]), listing)
    await press(h, AUNT, GROUP, cb.PROPOSAL.build("sup", ids["汉藏文化融合"]), listing)  # her own
    assert h.fake.answers()[-1].params["text"] == "这是您自己的提案，请邻居们来附议吧。"
    await press(h, ADMIN, GROUP, cb.PROPOSAL.build("sup", ids["汉藏文化融合"]), listing)  # withdrawn
    assert h.fake.answers()[-1].params["text"] == "已取消对 #1 的附议。"
    supporters = await h.rows("SELECT user_id FROM proposal_supports")
    assert supporters == [(UNCLE.id,)]

    # The list is a live message: it catches up with the supports, debounced.
    h.clock.advance(timedelta(seconds=10))
    await live(h.app).flush(h.context)
    edit = h.fake.of("editMessageText", GROUP.id)[-1]
    assert edit.params["message_id"] == listing.message_id
    assert "1人附议" in edit.text


async def test_similar_titles_are_flagged_before_saving(h: Harness) -> None:
    await bind(h)
    await h.send(b.message(AUNT, GROUP, "/propose 碧水蓝天"))
    await h.send(b.message(UNCLE, GROUP, "/propose 碧水 蓝天！"))
    ask = last(h, GROUP)
    assert "已经有相似的提案了" in ask.text and "#1 碧水蓝天" in ask.text
    assert await h.scalar("SELECT COUNT(*) FROM proposals") == 1
    # Someone else cannot confirm the proposer's question.
    await press(h, AUNT, GROUP, cb.PROPOSAL.build("yes", 0), ask)
    assert await h.scalar("SELECT COUNT(*) FROM proposals") == 1
    await press(h, UNCLE, GROUP, cb.PROPOSAL.build("yes", 0), ask)
    assert await h.rows("SELECT number, title FROM proposals ORDER BY id") == [(1, "碧水蓝天"), (2, "碧水 蓝天！")]

    # Containment counts as similar too; cancelling saves nothing.
    await h.send(b.message(ADMIN, GROUP, "/propose 碧水蓝天计划"))
    ask = last(h, GROUP)
    assert "相似" in ask.text
    await press(h, ADMIN, GROUP, cb.PROPOSAL.build("no", 0), ask)
    assert await h.scalar("SELECT COUNT(*) FROM proposals") == 2
    assert "没有提交" in h.fake.of("editMessageText", GROUP.id)[-1].text
    # A clearly different theme is saved at once.
    await h.send(b.message(ADMIN, GROUP, "/propose 环境美化"))
    assert await h.scalar("SELECT number FROM proposals WHERE title = '环境美化'") == 3


async def test_photo_as_caption_or_by_reply(h: Harness) -> None:
    await bind(h)
    await h.send(b.photo(AUNT, GROUP, caption="/propose 院落小花园"))
    assert await h.rows("SELECT title, photo_file_id FROM proposals") == [("院落小花园", "AgACphoto")]
    await h.send(b.message(UNCLE, GROUP, "/propose 汉藏文化墙绘"))
    saved = last(h, GROUP)
    assert "回复这条消息发照片" in saved.text
    # Privacy mode: a photo posted to the group reaches the bot only as a reply, which ForceReply makes for him.
    assert saved.params["reply_markup"] == {"force_reply": True, "selective": True}
    assert not await h.send(b.photo(UNCLE, GROUP))
    await h.send(b.photo(UNCLE, GROUP, reply_to=b.bot_message(GROUP, saved.message_id, saved.text)))
    assert await h.scalar("SELECT photo_file_id FROM proposals WHERE title = '汉藏文化墙绘'") == "AgACphoto"
    assert "照片已加到提案 #2" in h.fake.last_text(GROUP.id)
    await h.send(b.message(UNCLE, GROUP, "/themes"))
    listing = last(h, GROUP)
    pid = (await proposal_ids(h))["汉藏文化墙绘"]
    await press(h, AUNT, GROUP, cb.PROPOSAL.build("photo", pid), listing)
    assert h.fake.of("sendPhoto", GROUP.id)[-1].params["photo"] == "AgACphoto"


async def test_backbone_answers_with_a_reason_and_the_proposer_is_told(h: Harness) -> None:
    h.fake.admins[GROUP.id] = [ADMIN.id]  # before anything asks Telegram (admins are cached)
    await bind(h)
    await h.send(b.message(AUNT, b.private(AUNT), "/start"))  # she can be told privately
    await h.send(b.message(AUNT, GROUP, "/propose 汉藏文化融合"))
    await h.send(b.message(UNCLE, GROUP, "/answer 1"))
    assert h.fake.last_text(GROUP.id) == "抱歉，只有本院落的骨干和社工可以进行这个操作。"

    await h.send(b.message(ADMIN, GROUP, "/answer 1"))
    menu = last(h, GROUP)
    pid = (await proposal_ids(h))["汉藏文化融合"]
    await press(h, UNCLE, GROUP, cb.PROPOSAL.build("acc", pid), menu)  # a resident presses: refused
    assert await h.scalar("SELECT status FROM proposals") == "open"
    await press(h, ADMIN, GROUP, cb.PROPOSAL.build("acc", pid), menu)
    prompt = last(h, GROUP)
    assert prompt.params["reply_markup"]["force_reply"] is True
    assert "请回复这条消息" in prompt.text and "采纳" in prompt.text
    answer = b.message(ADMIN, GROUP, "已列入本月计划 <b>")
    answer["message"]["reply_to_message"] = b.bot_message(GROUP, prompt.message_id, prompt.text)
    await h.send(answer)
    assert await h.rows("SELECT status, answer_reason, answered_by FROM proposals") == [
        ("accepted", "已列入本月计划 <b>", ADMIN.id)
    ]
    announcement = h.fake.last_text(GROUP.id)
    assert "提案 #1 <b>汉藏文化融合</b>：<b>采纳</b>" in announcement
    assert "已列入本月计划 &lt;b&gt;" in announcement and f"tg://user?id={AUNT.id}" in announcement
    await h.drain()  # the proposer's note was queued in the outbox with the answer
    told = h.fake.last_text(AUNT.id)
    assert "您的提案 #1「汉藏文化融合」有答复了" in told and "采纳" in told
    assert await h.rows("SELECT kind FROM dialogs") == [("proposal_photo",)]  # only her photo offer is left

    # In one go, by a social worker; an answered proposal leaves the /themes list.
    await h.send(b.message(UNCLE, GROUP, "/propose 碧水蓝天"))
    await h.send(b.message(SW, GROUP, "/answer 2 不采纳 经费不够"))
    assert await h.scalar("SELECT status FROM proposals WHERE number = 2") == "rejected"
    assert "<b>不采纳</b>" in h.fake.last_text(GROUP.id) and "经费不够" in h.fake.last_text(GROUP.id)
    await h.send(b.message(UNCLE, GROUP, "/themes"))
    assert "还没有主题提案" in h.fake.last_text(GROUP.id)
    await h.send(b.message(AUNT, b.private(AUNT), "/me"))
    assert "我的主题提案" in h.fake.last_text(AUNT.id) and "#1 汉藏文化融合 — 0人附议 · 采纳" in h.fake.last_text(
        AUNT.id
    )


async def test_buttons_never_reach_another_courtyard(h: Harness) -> None:
    await bind(h)
    await bind(h, OTHER, "启明花园")
    await h.send(b.message(AUNT, GROUP, "/propose 汉藏文化融合"))
    await h.send(b.message(UNCLE, OTHER, "/themes"))
    listing = last(h, OTHER)
    pid = (await proposal_ids(h))["汉藏文化融合"]
    await press(h, UNCLE, OTHER, cb.PROPOSAL.build("sup", pid), listing)  # forged: GROUP's proposal
    assert h.fake.answers()[-1].params["text"] == "没有找到这个编号，请核对一下。"
    await press(h, SW, OTHER, cb.PROPOSAL.build("rej", pid), listing)
    assert await h.scalar("SELECT COUNT(*) FROM proposal_supports") == 0
    assert await h.scalar("SELECT status FROM proposals") == "open"
    await press(h, UNCLE, OTHER, "pp1:sup:abc", listing)
    assert h.fake.answers()[-1].params["text"] == "这个按钮已经失效了。"


async def test_needs_a_bound_group(h: Harness) -> None:
    await h.send(b.message(AUNT, GROUP, "/propose 碧水蓝天"))
    assert "还没有绑定院落" in h.fake.last_text(GROUP.id)
    await h.send(b.message(AUNT, b.private(AUNT), "/propose 碧水蓝天"))
    assert "群" in h.fake.last_text(AUNT.id)
    assert await h.scalar("SELECT COUNT(*) FROM proposals") == 0


async def test_menu_button_opens_the_themes(h: Harness) -> None:
    await bind(h)
    await h.send(b.message(AUNT, GROUP, "/propose 碧水蓝天"))
    await h.send(b.callback(AUNT, GROUP, cb.MENU.build("themes")))
    assert "主题提案" in h.fake.last_text(GROUP.id)
