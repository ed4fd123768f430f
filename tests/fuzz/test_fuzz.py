"""Fuzz every command and every button family of the bot through the real PTB stack.

Commands are read from the Application's CommandHandlers and button families from
bot.callback_data.FAMILIES, so every feature that lands is fuzzed without touching this file.
For each example: no exception reaches the error handler, every call the bot makes passes
tests/telegram_html.py (only Telegram's tags, text escaped, within the length limits), and a
resident's random input never changes the chats, courtyards or roles tables.
Raise FUZZ_EXAMPLES for a longer run.
"""

from __future__ import annotations

import asyncio
import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from telegram.ext import CommandHandler

from bot.callback_data import FAMILIES, MAX_ARG
from bot.context import BotContext
from tests import builders as b
from tests.cast import GROUP, OTHER, SW
from tests.fakes import Call
from tests.harness import Harness, make_config
from tests.telegram_html import check_calls

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "150"))
NASTY = [
    "<b>&",
    "</b>",
    "<a href='x'>",
    "&amp;",
    "&#0;",
    "&lt",
    "<script>alert(1)</script>",
    "\u202e",
    "\u200f",
    "\u200b",
    "\x00",
    "\ufeff",
    "%s",
    "{name}",
    "{}",
    "\\",
    "'",
    '"',
    "`",
    "*_[]()~",
    "\n",
    "骨干",
    "社工",
    "碧水苑",
    "全社区",
    "all",
    "0",
    "-1",
    "1.5",
    "1e9",
    str(2**63),
    str(2**63 - 1),
    str(-(2**63)),
    "9" * 40,
    "²",
    "１２",
    "١٢",
    "#12",
    "#" + str(2**63),
    "😀",
    "👨‍👩‍👧",
    "@CourtyardTestBot",
    "明天下午3点",
    "每周三晚上7点",
]
# Telegram's limits and the bot's own (30-character names, 3,500-character notices) and either side.
LENGTHS = st.one_of(
    st.sampled_from([29, 30, 31, 200, 201, 1023, 1024, 1025, 1200, 2000, 3499, 3500, 3501, 4096, 4097, 5000]),
    st.integers(1, 5000),
)
WORDS = st.one_of(st.sampled_from(NASTY), st.text(max_size=12), st.integers(-(2**64), 2**64).map(str))
ARGS = st.one_of(
    st.just(""),
    st.text(max_size=60),
    st.lists(WORDS, min_size=1, max_size=8).map(" ".join),
    st.builds(lambda s, n: s * n, st.sampled_from(["长", "<", "&", "a ", "😀", "\u202e", "<b>", '"']), LENGTHS),
)
NUMBERS = st.one_of(
    st.integers(0, 50),
    st.integers(0, MAX_ARG),
    st.integers(-(2**63), 2**63).map(str),
    st.sampled_from(["", "x", "01", " 1", "1 ", "1\x00", "١", "-0", "+1"]),
)
_people = itertools.count(500_000)


def registered_commands(app: Any) -> list[str]:
    """Every command some CommandHandler of the application answers to."""
    found: set[str] = set()
    for handlers in app.handlers.values():
        for handler in handlers:
            if isinstance(handler, CommandHandler):
                found.update(handler.commands)
    return sorted(found)


def callback_data(draw: Callable[..., Any]) -> str:
    """Button data: valid-looking for a declared family, a near miss, or garbage."""
    fam = FAMILIES[draw(st.sampled_from(sorted(FAMILIES)))]
    shape = draw(st.sampled_from(["valid", "args", "action", "garbage", "long"]))
    action = draw(st.sampled_from(sorted(fam.actions)))
    if shape == "valid":
        args = [str(draw(st.integers(0, 60) | st.integers(0, MAX_ARG))) for _ in range(fam.nargs)]
    elif shape == "args":
        args = [str(draw(NUMBERS)) for _ in range(draw(st.integers(0, fam.nargs + 2)))]
    elif shape == "action":
        action = draw(st.text(max_size=10))
        args = [str(draw(NUMBERS)) for _ in range(fam.nargs)]
    elif shape == "garbage":
        return str(draw(st.text(min_size=1, max_size=64)))
    else:
        return fam.head + action + ":" + "9" * draw(st.integers(60, 200))
    return ":".join([fam.head + action, *args])


class Fuzzer:
    """A harness in its own event loop, with an error counter on the error-handler path."""

    def __init__(self, tmp_path: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self.h = Harness(make_config(tmp_path))
        self.errors: list[BaseException] = []
        self.run(self.h.__aenter__())

        async def record(update: object, context: BotContext) -> None:
            if context.error is not None:
                self.errors.append(context.error)

        self.h.app.add_error_handler(record)
        self.commands = registered_commands(self.h.app)

    def run(self, coro: Any) -> Any:
        """Run a coroutine on the harness's loop."""
        return self.loop.run_until_complete(coro)

    def close(self) -> None:
        """Shut the bot down and close the loop."""
        try:
            self.run(self.h.__aexit__(None, None, None))
        finally:
            self.loop.close()

    def send(self, update: dict[str, Any]) -> list[Call]:
        """Process one update; return the calls it caused, after checking them and the error counter."""
        mark = len(self.h.fake.calls)
        self.run(self.h.send(update))
        calls = self.h.fake.calls[mark:]
        errors, self.errors = self.errors, []
        assert not errors, f"exception reached the error handler: {errors!r}"
        check_calls(calls)
        return calls

    def answer(self, person: b.TgUser, chat: b.TgChat, text: str) -> dict[str, Any]:
        """A typed answer: in a group, a reply to the bot's last message there (all privacy mode lets through)."""
        sent = self.h.fake.sent(chat.id)
        if chat.type == "private" or not sent:
            return b.message(person, chat, text)
        return b.message(person, chat, text, reply_to=b.bot_message(chat, sent[-1].message_id, sent[-1].text))

    def bot_message(self, chat: b.TgChat) -> int:
        """A message the bot sent in chat (so a press on it can be edited)."""
        return int(self.h.fake._message(Call("sendMessage", {"chat_id": chat.id, "text": "…"}), chat.id)["message_id"])

    def snapshot(self, person: b.TgUser) -> tuple[list[tuple[Any, ...]], ...]:
        """The tables a resident must never change (their own private chat's row appears on first contact)."""
        return tuple(
            self.run(self.h.rows(sql, *params))
            for sql, params in (
                (
                    "SELECT chat_id, type, title, community_id, courtyard_id, scope, locale, active FROM chats "
                    "WHERE chat_id != ? ORDER BY chat_id",
                    (person.id,),
                ),
                ("SELECT * FROM courtyards ORDER BY id", ()),
                ("SELECT * FROM roles ORDER BY user_id, role, scope_id", ()),
                ("SELECT * FROM communities ORDER BY id", ()),
            )
        )


@pytest.fixture
def fuzzer(tmp_path: Path) -> Iterator[Fuzzer]:
    """A bot with a bound group, a second chat and a backbone volunteer, ready to be fuzzed."""
    fz = Fuzzer(tmp_path)
    try:
        fz.send(b.message(SW, GROUP, "/bind 碧水苑"))
        fz.send(b.message(SW, OTHER, "/bind 启明花园"))
        backbone = b.TgUser(100010, "骨干老周")
        fz.send(b.message(SW, GROUP, "/grant", reply_to=b.user_message(backbone, GROUP)))
        yield fz
    finally:
        fz.close()


FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=False,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


def test_every_command_with_random_arguments(fuzzer: Fuzzer) -> None:
    assert {"start", "bind", "grant", "lang", "broadcast"} <= set(fuzzer.commands)

    @FUZZ
    @given(data=st.data())
    def one(data: st.DataObject) -> None:
        command = data.draw(st.sampled_from(fuzzer.commands), label="command")
        args = data.draw(ARGS, label="args")
        mention = data.draw(st.booleans(), label="@bot")
        where = data.draw(st.sampled_from(["group", "private"]), label="chat")
        social_worker = data.draw(st.booleans(), label="social worker")
        person = SW if social_worker else b.TgUser(next(_people), data.draw(st.sampled_from(NASTY)) or "居民")
        chat = GROUP if where == "group" else b.private(person)
        text = f"/{command}{'@CourtyardTestBot' if mention else ''} {args}".rstrip()
        reply_to = None
        if data.draw(st.booleans(), label="as a reply"):
            reply_to = b.user_message(b.TgUser(next(_people), "<i>邻居</i>"), chat)
        before = fuzzer.snapshot(person)
        fuzzer.send(b.message(person, chat, text, reply_to=reply_to))
        if not social_worker:
            assert fuzzer.snapshot(person) == before, f"a resident's {text[:80]!r} changed the foundation tables"

    one()


def test_every_button_family_with_random_data(fuzzer: Fuzzer) -> None:
    @FUZZ
    @given(data=st.data())
    def one(data: st.DataObject) -> None:
        payload = data.draw(st.composite(lambda draw: callback_data(draw))(), label="callback_data")
        where = data.draw(st.sampled_from(["group", "private"]), label="chat")
        social_worker = data.draw(st.booleans(), label="social worker")
        person = SW if social_worker else b.TgUser(next(_people), "居民")
        chat = GROUP if where == "group" else b.private(person)
        message_id = fuzzer.bot_message(chat)
        before = fuzzer.snapshot(person)
        # Elderly fingers double-tap: the second press lands on the message the first one edited.
        for _ in range(data.draw(st.sampled_from([1, 1, 2]), label="presses")):
            calls = fuzzer.send(b.callback(person, chat, payload, message_id=message_id))
            assert any(c.method == "answerCallbackQuery" for c in calls), f"press on {payload!r} was not answered"
        if not social_worker:
            assert fuzzer.snapshot(person) == before, f"a resident's press on {payload!r} changed the foundation tables"

    one()


def test_dialogs_answered_with_random_text(fuzzer: Fuzzer) -> None:
    """A command that asks a question (wizards, drafts), then random answers typed by the same person."""

    @FUZZ
    @given(data=st.data())
    def one(data: st.DataObject) -> None:
        command = data.draw(st.sampled_from(fuzzer.commands), label="command")
        social_worker = data.draw(st.booleans(), label="social worker")
        person = SW if social_worker else b.TgUser(next(_people), "居民")
        chat = data.draw(st.sampled_from([GROUP, b.private(person)]), label="chat")
        before = fuzzer.snapshot(person)
        fuzzer.send(b.message(person, chat, f"/{command}"))
        for text in data.draw(
            st.lists(ARGS.filter(lambda s: s.strip() != ""), min_size=1, max_size=4), label="answers"
        ):
            fuzzer.send(fuzzer.answer(person, chat, text if not text.startswith("/") else " " + text))
        if not social_worker:
            assert fuzzer.snapshot(person) == before, f"a resident's /{command} dialog changed the foundation tables"
        fuzzer.send(b.message(person, chat, "/cancel"))

    one()
