"""Broadcasts through the outbox, against a fake Bot API that enforces Telegram's limits."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from bot import callback_data as cb
from bot.ratelimit import TELEGRAM_LIMITS, Limits
from bot.services.actor import Actor
from tests import builders as b
from tests.cast import AUNT, PRIVATE, SW
from tests.fakes import FakeBotAPI, FakeClock
from tests.harness import Harness, make_config

# Ten times Telegram's speed, so 200 chats take about a second; the fake enforces Telegram's
# own limits at the same speed (30/s overall, where the bot keeps to 29/s).
LIMITS = Limits().scaled(10)
TELEGRAM = TELEGRAM_LIMITS.scaled(10)


def groups(n: int) -> list[b.TgChat]:
    return [b.group(-1001500000000 - i, f"院落群{i}") for i in range(n)]


async def bind_all(h: Harness, chats: list[b.TgChat]) -> None:
    """Bind many groups (set-up through the service: one person's 200 commands would be throttled)."""
    services = h.deps.services
    for i, chat in enumerate(chats):
        await services.community.record_chat(chat.id, chat.type, chat.title)
        actor = Actor(SW.id, SW.first_name, chat.id, chat.type, is_social_worker=True)
        await services.community.bind(actor, f"院落{i % 40}")


async def press(h: Harness, user: b.TgUser, chat: b.TgChat, data: str) -> None:
    """Press a button on the last message the bot sent in the chat."""
    last = [c for c in h.fake.calls if c.method in ("sendMessage", "sendPhoto") and c.chat_id == chat.id][-1]
    assert last.result is not None, h.fake.violation_log
    await h.send(b.callback(user, chat, data, message_id=last.message_id, text=last.text))


async def start_broadcast(h: Harness, text: str = "本周六上午9点大扫除，请大家带上扫帚。") -> None:
    await h.send(b.message(SW, PRIVATE, f"/broadcast {text}"))
    await press(h, SW, PRIVATE, cb.BROADCAST.build("all", 0))


async def test_broadcast_to_200_chats_respects_limits_and_reports(tmp_path: Path) -> None:
    fake = FakeBotAPI()
    async with Harness(make_config(tmp_path), fake, limits=LIMITS) as h:
        chats = groups(200)
        await bind_all(h, chats)
        forbidden = {c.id for c in chats[:10]}
        fake.forbidden |= forbidden
        old, new = chats[10].id, -1009000000010
        fake.migrated[old] = new
        fake.clear()
        await start_broadcast(h)
        assert "200" in fake.of("editMessageText", SW.id)[-1].text
        fake.enforce = TELEGRAM  # the dispatcher's sends face Telegram's limits
        await h.drain(max_wait=60)

        assert fake.violations == 0, fake.violation_log
        sends = [c for c in fake.sent() if c.chat_id != SW.id]
        per_chat = Counter(c.chat_id for c in sends if c.chat_id not in forbidden)
        delivered = {c.id for c in chats} - forbidden - {old}
        assert {chat: n for chat, n in per_chat.items() if chat != old} == dict.fromkeys(delivered | {new}, 1)
        assert all("大扫除" in c.text and "社区通知" in c.text for c in sends if c.chat_id in delivered)
        # 403 chats were tried once, then marked inactive and never retried.
        assert Counter(c.chat_id for c in sends if c.chat_id in forbidden) == dict.fromkeys(forbidden, 1)
        inactive = await h.rows("SELECT chat_id FROM chats WHERE active = 0")
        assert {r[0] for r in inactive} == forbidden
        # The migrated group moved, with its binding.
        assert await h.scalar("SELECT scope FROM chats WHERE chat_id = ?", new) == "courtyard"
        report = fake.sent(SW.id)[-1].text
        assert "190" in report and "200" in report and "院落群0" in report
        assert sum("群发已完成" in c.text for c in fake.sent(SW.id)) == 1  # exactly one report

        # A second broadcast skips the inactive chats.
        fake.clear()
        fake.enforce = None  # direct replies are paced by PTB's AIORateLimiter in production
        await start_broadcast(h, "第二条通知")
        fake.enforce = TELEGRAM
        await h.drain(max_wait=60)
        assert not {c.chat_id for c in fake.sent()} & forbidden
        assert fake.violations == 0


async def test_only_social_workers_broadcast(h: Harness) -> None:
    await bind_all(h, groups(3))
    await h.send(b.message(AUNT, b.private(AUNT), "/broadcast 我也想发"))
    assert h.fake.last_text(AUNT.id) == "抱歉，只有社工可以进行这个操作。"
    await h.send(b.callback(AUNT, b.private(AUNT), cb.BROADCAST.build("all", 0)))
    assert await h.scalar("SELECT COUNT(*) FROM outbox") == 0


async def test_choose_courtyards_and_replace_the_text(h: Harness) -> None:
    chats = groups(4)
    await bind_all(h, chats)  # courtyards 院落0..院落3
    yards = dict(await h.rows("SELECT name, id FROM courtyards"))
    await h.send(b.message(SW, PRIVATE, "/broadcast 初稿"))
    await h.send(b.message(SW, PRIVATE, "定稿：周日下午开坝坝会 <b>请准时</b>"))
    await press(h, SW, PRIVATE, cb.BROADCAST.build("yard", yards["院落1"]))
    await press(h, SW, PRIVATE, cb.BROADCAST.build("yard", yards["院落2"]))
    await press(h, SW, PRIVATE, cb.BROADCAST.build("yard", yards["院落2"]))  # toggled off again
    await press(h, SW, PRIVATE, cb.BROADCAST.build("send", 0))
    await h.drain()
    sent = [c for c in h.fake.sent() if c.chat_id != SW.id]
    assert [c.chat_id for c in sent] == [chats[1].id]
    assert "定稿" in sent[0].text and "&lt;b&gt;请准时&lt;/b&gt;" in sent[0].text


async def test_interrupted_broadcast_completes_after_restart_without_duplicates(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    clock = FakeClock()
    chats = groups(50)
    async with Harness(config, clock=clock) as h:
        await bind_all(h, chats)
        await start_broadcast(h)
        # The process dies after 20 sends and while 3 more were in flight.
        ids = [r[0] for r in await h.rows("SELECT id FROM outbox WHERE kind = 'broadcast' ORDER BY id")]
        async with h.db.transaction() as conn:
            await conn.execute(f"UPDATE outbox SET status = 'sent' WHERE id IN ({','.join(map(str, ids[:20]))})")
            await conn.execute(f"UPDATE outbox SET status = 'sending' WHERE id IN ({','.join(map(str, ids[20:23]))})")
    fake = FakeBotAPI()
    async with Harness(config, fake, clock=clock) as h:
        await h.drain()
        sent = [c.chat_id for c in fake.sent() if c.chat_id != SW.id]
        assert len(sent) == 27 and len(set(sent)) == 27  # the 27 never tried; in-flight ones are not resent
        statuses = dict(await h.rows("SELECT status, COUNT(*) FROM outbox WHERE kind = 'broadcast' GROUP BY status"))
        assert statuses == {"sent": 47, "unknown": 3}
        report = fake.sent(SW.id)[-1].text
        assert "47" in report and "可能" in report
    async with Harness(config, FakeBotAPI(), clock=clock) as h:
        await h.drain()  # a further restart sends nothing
        assert not h.fake.sent()


async def test_429_is_honoured(h: Harness) -> None:
    chats = groups(3)
    await bind_all(h, chats)
    h.fake.fail("429", method="sendMessage", chat_id=chats[0].id, retry_after=1)
    h.fake.clear()
    await start_broadcast(h)
    await h.drain()
    per_chat = Counter(c.chat_id for c in h.fake.sent())
    assert per_chat[chats[0].id] == 2  # refused once, delivered once
    assert await h.scalar("SELECT COUNT(*) FROM outbox WHERE kind = 'broadcast' AND status = 'sent'") == 3


async def test_send_on_an_older_picker_does_not_send_the_newer_text(h: Harness) -> None:
    for i in range(2):
        await h.send(b.message(SW, b.group(-1001500000000 - i, f"院落群{i}"), f"/bind 院落{i}"))
    private = b.private(SW)
    await h.send(b.message(SW, private, "/broadcast 周六大扫除"))
    old_card = h.fake.sent(SW.id)[-1].message_id
    await h.send(b.message(SW, private, "周日改成种花"))  # the draft's text is replaced, a new picker shown
    await h.send(b.callback(SW, private, cb.BROADCAST.build("all", 0), message_id=old_card))
    assert await h.scalar("SELECT COUNT(*) FROM broadcasts") == 0
    assert "失效" in h.fake.answers()[-1].params.get("text", "")
