"""Group -1: record who and where, throttle command floods (copies of an update are dropped by the journal)."""

from __future__ import annotations

import time
from collections import deque

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, TypeHandler

from bot.context import BotContext
from handlers.common import display_name, reply, tr

FLOOD_WINDOW_S = 10.0
FLOOD_MAX_COMMANDS = 12


class UpdateGate:
    """Remembers per-person command times."""

    def __init__(self) -> None:
        self.commands: dict[int, deque[float]] = {}
        self.warned_until: dict[int, float] = {}

    def flood(self, user_id: int, now: float) -> bool:
        """Record a command; True when the person sent too many in the window."""
        times = self.commands.setdefault(user_id, deque())
        while times and now - times[0] > FLOOD_WINDOW_S:
            times.popleft()
        times.append(now)
        return len(times) > FLOOD_MAX_COMMANDS

    def throttle(self, user_id: int, now: float) -> str:
        """Record a command: "ok" to handle it, "warn" to say slow down (once per cooldown), "drop" to ignore it."""
        if not self.flood(user_id, now):
            return "ok"
        if self.warned_until.get(user_id, 0.0) < now:
            self.warned_until[user_id] = now + FLOOD_WINDOW_S
            return "warn"
        return "drop"


async def gate_update(update: Update, context: BotContext) -> None:
    """Run before every handler: record, throttle."""
    gate = context.bot_data.gate
    assert gate is not None  # made by register()
    deps = context.deps
    chat = update.effective_chat
    user = update.effective_user
    # Recording who was seen where is not acting on the update: it does not mark it done (storage/db.py).
    with deps.db.bookkeeping():
        if chat is not None and update.my_chat_member is None:
            await deps.services.community.record_chat(chat.id, chat.type, chat.title or "")
        # The bot's own membership changes are recorded by handlers/chats.py, which writes the chat's row
        # first: a brand-new group has none yet, so a member row written here would break its foreign key.
        if user is not None and chat is not None and not user.is_bot and update.my_chat_member is None:
            # A button press writes who pressed it along with what the press changes (one commit,
            # not two); commands and messages record the person at once, as their handlers may
            # read that row before they change anything.
            await deps.services.people.touch(
                user.id, display_name(user), user.language_code, chat.id, defer=update.callback_query is not None
            )
            # Under Telegram's group privacy mode the bot never sees a person's plain messages; a command
            # replying to one (/grant, /revoke, …) is the first sign of them, and carries who they are.
            replied = update.message.reply_to_message if update.message is not None else None
            person = replied.from_user if replied is not None else None
            if person is not None and not person.is_bot and person.id != user.id:
                await deps.services.people.touch(person.id, display_name(person), person.language_code, chat.id)
    message = update.message
    if message is not None and user is not None and message.text and message.text.startswith("/"):
        verdict = gate.throttle(user.id, time.monotonic())
        if verdict == "warn":
            t = await tr(update, context)
            await reply(update, t._("You are sending commands very fast. Please wait a few seconds."))
        if verdict != "ok":
            raise ApplicationHandlerStop


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Install the gate in group -1."""
    app.bot_data.gate = UpdateGate()
    app.add_handler(TypeHandler(Update, gate_update), group=-1)
