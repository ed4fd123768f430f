"""Debounced live-message edits, driven by the fake clock."""

from __future__ import annotations

from datetime import timedelta

from bot.context import BotContext
from handlers.live import PER_MESSAGE_S, Rendered, live
from tests import builders as b
from tests.harness import Harness


async def test_edits_are_debounced_and_the_last_one_is_exact(h: Harness) -> None:
    state = {"count": 0}

    async def render(context: BotContext, entity_id: int, chat_id: int) -> Rendered | None:
        return f"count {state['count']}", None

    messages = live(h.app)
    messages.register("counter", render)
    group = b.group()
    await h.send(b.message(b.TgUser(1, "a"), group, "/help"))  # the chat row exists
    context = BotContext(h.app)
    message = await messages.post(context, group.id, "counter", 7, "count 0")
    for _ in range(50):
        state["count"] += 1
        await messages.changed(context, "counter", 7)
    edits = h.fake.of("editMessageText", group.id)
    assert edits == []  # posted just now: the first edit waits for the interval
    h.clock.advance(timedelta(seconds=PER_MESSAGE_S))
    await messages.flush(context)
    edits = h.fake.of("editMessageText", group.id)
    assert [e.text for e in edits] == ["count 50"]
    assert edits[0].params["message_id"] == message.message_id
    await messages.flush(context)
    assert len(h.fake.of("editMessageText", group.id)) == 1


async def test_a_deleted_message_is_forgotten(h: Harness) -> None:
    async def render(context: BotContext, entity_id: int, chat_id: int) -> Rendered | None:
        return "new", None

    messages = live(h.app)
    messages.register("gone", render)
    group = b.group()
    await h.send(b.message(b.TgUser(1, "a"), group, "/help"))
    context = BotContext(h.app)
    message = await messages.post(context, group.id, "gone", 1, "old")
    del h.fake.messages[(group.id, message.message_id)]
    h.clock.advance(timedelta(seconds=10))
    await messages.changed(context, "gone", 1)
    assert await h.scalar("SELECT COUNT(*) FROM live_messages") == 0
