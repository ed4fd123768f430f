"""Every multi-step flow walked with presses in random orders, doubled and stale: nothing reaches the error handler.

Each walk starts a flow (meeting wizard, meeting move, minutes, poll draft, team settings, broadcast) and then,
step by step, presses a button from any card the bot has shown in the walk (the newest, or an older one whose
flow has moved on or ended), presses it twice, types one of the flow's answers, or starts the flow again.
Seeds are fixed, so a failure replays with the same seed; the message names the steps that led to it.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

from bot import callback_data as cb
from bot.context import BotContext
from tests import builders as b
from tests.cast import AUNT, GROUP, OTHER, PRIVATE, SW, bind
from tests.e2e.meeting_helpers import last_call, press, quick_meeting, wizard_to_confirm
from tests.fakes import Call
from tests.harness import Harness
from tests.telegram_html import check_calls

SEEDS = tuple(range(1, 13))
STEPS = 80
_SHOWN = {"sendMessage", "sendPhoto", "sendDocument", "editMessageText", "editMessageReplyMarkup"}


@dataclass
class Card:
    """A message of the bot with buttons, as the client last showed it."""

    chat: b.TgChat
    message_id: int
    text: str
    buttons: list[str] = field(default_factory=list)


@dataclass
class Flow:
    """How to set a flow up, start it, and what a person types during it."""

    setup: Callable[[Harness], Awaitable[dict[str, Any]]]
    starts: list[tuple[b.TgChat, str]]
    typed: list[str]
    chats: tuple[b.TgChat, ...] = (GROUP, PRIVATE)
    # Buttons pressed on a card of their own (e.g. a confirm button before its question), by the setup's values.
    extra: Callable[[dict[str, Any]], list[str]] = lambda _: []
    # Steps that take odd-seeded walks deep into the flow before the random part ("send", "type" or "press").
    prefix: list[tuple[str, b.TgChat, str]] = field(default_factory=list)


class Walk:
    """One seeded random walk over a flow, asserting after every update."""

    def __init__(self, h: Harness, flow: Flow, seed: int, values: dict[str, Any]) -> None:
        self.h = h
        self.values = values
        self.flow = flow
        self.seed = seed
        self.rng = random.Random(seed)
        self.cards: dict[tuple[int, int], Card] = {}
        self.errors: list[BaseException] = []
        self.trail: list[str] = []

        async def record(update: object, context: BotContext) -> None:
            if context.error is not None:
                self.errors.append(context.error)

        h.app.add_error_handler(record)

    def _chat(self, chat_id: int | None) -> b.TgChat | None:
        return next((c for c in self.flow.chats if c.id == chat_id), None)

    def _learn(self, calls: list[Call]) -> None:
        """Remember every card with buttons (older copies of its buttons stay pressable: stale clients)."""
        for call in calls:
            chat = self._chat(call.chat_id)
            if chat is None or call.method not in _SHOWN or not isinstance(call.result, dict):
                continue
            data = [d for _, d in call.buttons if d]
            key = (chat.id, call.message_id)
            card = self.cards.setdefault(key, Card(chat, call.message_id, call.text))
            card.text = call.text or card.text
            card.buttons += [d for d in data if d not in card.buttons]

    async def send(self, update: dict[str, Any], what: str) -> list[Call]:
        self.trail.append(what)
        mark = len(self.h.fake.calls)
        await self.h.send(update)
        calls = self.h.fake.calls[mark:]
        assert not self.errors, f"error handler reached after {self.trail[-12:]}: {self.errors!r}"
        check_calls(calls)
        if "callback_query" in update:
            assert any(c.method == "answerCallbackQuery" for c in calls), f"not answered: {self.trail[-12:]}"
        self._learn(calls)
        return calls

    async def press(self, card: Card, data: str, user: b.TgUser = SW) -> None:
        update = b.callback(user, card.chat, data, message_id=card.message_id, text=card.text)
        await self.send(update, f"press {data} on {card.chat.type}#{card.message_id} as {user.first_name}")

    async def type(self, chat: b.TgChat, text: str) -> None:
        if text.startswith("/task"):
            # A task is given by replying to its owner's message.
            update = b.message(SW, chat, text, reply_to=b.user_message(AUNT, chat))
        elif chat.type == "private":
            update = b.message(SW, chat, text)
        else:
            # In a group the bot sees answers that reply to it (privacy mode).
            last = last_call(self.h, chat.id)
            update = b.message(SW, chat, text, reply_to=b.bot_message(chat, last.message_id, last.text))
        await self.send(update, f"type {text!r} in {chat.type}")

    def synthetic(self, chat: b.TgChat, data: list[str]) -> None:
        """A card the walk did not see being sent (a forwarded or very old message with these buttons)."""
        sent = self.h.fake._message(Call("sendMessage", {"chat_id": chat.id, "text": "…"}), chat.id)
        self.cards[(chat.id, int(sent["message_id"]))] = Card(chat, int(sent["message_id"]), "…", list(data))

    async def run(self) -> None:
        extra = self.flow.extra(self.values)
        if extra:
            for chat in self.flow.chats:
                self.synthetic(chat, extra)
        chat, text = self.flow.starts[0]
        await self.command(chat, text)
        for kind, where, arg in self.flow.prefix if self.seed % 2 else []:
            if kind == "send":
                await self.command(where, arg)
            elif kind == "type":
                await self.type(where, arg)
            else:
                card = max((c for c in self.cards.values() if c.chat == where), key=lambda c: c.message_id)
                await self.press(card, next(d for d in card.buttons if d.startswith(arg)))
        for _ in range(STEPS):
            roll = self.rng.random()
            pressable = [(c, d) for c in self.cards.values() for d in c.buttons]
            if roll < 0.6 and pressable:
                newest = max(self.cards.values(), key=lambda c: (c.chat.id == chat.id, c.message_id))
                if self.rng.random() < 0.5 and newest.buttons:
                    card, data = newest, self.rng.choice(newest.buttons)
                else:
                    card, data = self.rng.choice(pressable)
                await self.press(card, data)
                if self.rng.random() < 0.25:  # the double tap
                    await self.press(card, data)
                if self.rng.random() < 0.15:
                    await self.press(card, data, AUNT)  # a resident presses the same card
            elif roll < 0.85:
                where = self.rng.choice(self.flow.chats)
                await self.type(where, self.rng.choice(self.flow.typed))
            else:
                where, text = self.rng.choice(self.flow.starts)
                await self.command(where, text)

    async def command(self, chat: b.TgChat, text: str) -> None:
        await self.send(b.message(SW, chat, text.format(**self.values)), f"send {text!r} in {chat.type}")


async def _bound(h: Harness) -> dict[str, Any]:
    await bind(h)
    await bind(h, OTHER, "启明花园")
    return {}


async def _meeting(h: Harness) -> dict[str, Any]:
    await _bound(h)
    return {"meeting": await quick_meeting(h)}


async def _held(h: Harness) -> dict[str, Any]:
    values = await _meeting(h)
    h.clock.advance(timedelta(days=1, hours=8))  # the meeting (tomorrow 15:00) has begun
    return values


async def _team(h: Harness) -> dict[str, Any]:
    await _bound(h)
    await h.send(b.message(SW, GROUP, "/newteam 碧水苑墙绘队 10"))
    return {}


def _admin(values: dict[str, Any], *actions: str) -> list[str]:
    return [cb.MEETING_ADMIN.build(a, values["meeting"]) for a in actions]


TIMES = ["12月5日 19:30", "明天下午3点", "下周六上午10点", "昨天下午3点", "随便", "2人", "20", "0"]
FLOWS: dict[str, Flow] = {
    "meeting_wizard": Flow(
        _bound,
        [
            (PRIVATE, "/newmeeting"),
            (GROUP, "/meeting 坝坝会 明天下午3点 碧水苑院坝 讨论墙绘分工"),
            (PRIVATE, "/cancel"),
        ],
        [*TIMES, "社区活动室", "垃圾分类宣讲\n1. 分类知识"],
        prefix=[
            ("press", PRIVATE, "mt1:kind:0"),
            ("type", PRIVATE, "12月5日 19:30"),
            ("press", PRIVATE, "mt1:tyes"),
            ("type", PRIVATE, "社区活动室"),
            ("type", PRIVATE, "垃圾分类宣讲"),
        ],
    ),
    "meeting_move": Flow(
        _meeting,
        [(PRIVATE, "/meetings"), (GROUP, "/meetings")],
        TIMES,
        extra=lambda v: _admin(v, "move", "mvok", "adm"),
    ),
    "minutes": Flow(
        _held,
        [(GROUP, "/minutes {meeting}"), (PRIVATE, "/minutes {meeting}"), (GROUP, "/task 周五下午5点 买油漆")],
        ["决定一\n决定二", "/task 周五下午5点 买油漆", "随便", ""],
        extra=lambda v: _admin(v, "min", "mfin", "pub"),
        prefix=[("type", GROUP, "决定一"), ("type", GROUP, "/task 周五下午5点 买油漆")],
    ),
    "poll_draft": Flow(
        _bound,
        [(GROUP, "/vote 选哪个主题 | 汉藏文化融合 | 碧水蓝天"), (PRIVATE, "/vote 选哪个 | 甲 | 乙")],
        [*TIMES, "新选项", "3"],
    ),
    "team_settings": Flow(
        _team,
        [(GROUP, "/teamsettings"), (GROUP, "/teams"), (GROUP, "/newteam 启明护卫队 3")],
        [*TIMES, "5", "100", "不限"],
    ),
    "broadcast": Flow(
        _bound,
        [(PRIVATE, "/broadcast 周六大扫除"), (PRIVATE, "/broadcast 初稿"), (PRIVATE, "/cancel")],
        ["新的内容", "周日也扫", "<b>&"],
    ),
}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", sorted(FLOWS))
async def test_random_presses_never_reach_the_error_handler(h: Harness, name: str, seed: int) -> None:
    flow = FLOWS[name]
    walk = Walk(h, flow, seed, await flow.setup(h))
    await walk.run()


async def test_confirming_a_move_before_the_new_time_is_typed_is_refused_politely(h: Harness) -> None:
    """Defect 9: ✅ on an older time card after 'move' was pressed again raised KeyError: 'pending'."""
    meeting_id = (await _meeting(h))["meeting"]
    starts = await h.scalar("SELECT starts_at FROM meetings WHERE id = ?", meeting_id)
    errors: list[BaseException] = []

    async def record(update: object, context: BotContext) -> None:
        if context.error is not None:
            errors.append(context.error)

    h.app.add_error_handler(record)
    build = cb.MEETING_ADMIN.build
    await h.send(b.message(SW, PRIVATE, "/meetings"))
    await press(h, SW, PRIVATE, build("move", meeting_id))  # as if from the meeting's panel
    await h.send(b.message(SW, PRIVATE, "下周六上午10点"))
    card = last_call(h, SW.id)
    assert build("mvok", meeting_id) in [d for _, d in card.buttons]
    await press(h, SW, PRIVATE, build("move", meeting_id), card)  # starts over: no time typed yet
    mark = len(h.fake.calls)
    await press(h, SW, PRIVATE, build("mvok", meeting_id), card)  # the stale ✅
    assert errors == []
    calls = h.fake.calls[mark:]
    assert [c.method for c in calls if c.method == "answerCallbackQuery"] == ["answerCallbackQuery"]
    said = " ".join(c.text or str(c.params.get("text", "")) for c in calls)
    assert "新的时间" in said, said
    assert await h.scalar("SELECT starts_at FROM meetings WHERE id = ?", meeting_id) == starts


async def test_confirming_an_older_time_card_does_not_move_to_the_newer_time(h: Harness) -> None:
    """✅ on the card of a time typed before the latest one moved the meeting to the latest time."""
    meeting_id = (await _meeting(h))["meeting"]
    build = cb.MEETING_ADMIN.build
    await h.send(b.message(SW, PRIVATE, "/meetings"))
    await press(h, SW, PRIVATE, build("move", meeting_id))
    await h.send(b.message(SW, PRIVATE, "12月5日 19:30"))
    older = last_call(h, SW.id)
    await h.send(b.message(SW, PRIVATE, "12月6日 10:00"))
    newer = last_call(h, SW.id)
    starts = await h.scalar("SELECT starts_at FROM meetings WHERE id = ?", meeting_id)
    await press(h, SW, PRIVATE, build("mvok", meeting_id), older)
    assert await h.scalar("SELECT starts_at FROM meetings WHERE id = ?", meeting_id) == starts
    assert "最新" in h.fake.last_text(SW.id)
    await press(h, SW, PRIVATE, build("mvok", meeting_id), newer)
    moved = await h.scalar("SELECT starts_at FROM meetings WHERE id = ?", meeting_id)
    assert moved != starts and "12月6日" in h.fake.of("editMessageText", SW.id)[-1].text


async def test_an_old_confirm_card_does_not_create_the_half_filled_next_draft(h: Harness) -> None:
    """✅ Create on the first draft's card, pressed after starting over, created the unconfirmed second draft."""
    await _bound(h)
    build = cb.MEETING_WIZARD.build
    await wizard_to_confirm(h)
    confirm = h.fake.of("editMessageText", SW.id)[-1]  # the card the wizard's steps were drawn on
    assert build("ok", 0) in [d for _, d in confirm.buttons]
    await h.send(b.message(SW, PRIVATE, "/newmeeting"))
    await press(h, SW, PRIVATE, build("new", 0))
    await press(h, SW, PRIVATE, build("kind", 1))
    await h.send(b.message(SW, PRIVATE, "12月6日 10:00"))
    await press(h, SW, PRIVATE, build("tyes", 0))
    await h.send(b.message(SW, PRIVATE, "活动室"))
    await h.send(b.message(SW, PRIVATE, "第二个会"))
    await press(h, SW, PRIVATE, build("yard", int(await h.scalar("SELECT MIN(id) FROM courtyards"))))
    await press(h, SW, PRIVATE, build("ynext", 0))  # now at the capacity step: nothing confirmed yet
    await press(h, SW, PRIVATE, build("ok", 0), confirm)
    assert await h.scalar("SELECT COUNT(*) FROM meetings") == 0
    assert h.fake.answers()[-1].params.get("text")
