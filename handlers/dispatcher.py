"""The one sender that drains the durable outbox within Telegram's limits.

Scheduled and bulk messages are rows in `outbox` first (committed with the change that caused
them), so a restart loses none. This loop sends what is due: at most one message a second per
chat, twenty a minute per group, twenty-nine a second overall; it honours 429 retry_after,
marks chats that answer 403 unreachable (never retried), follows group→supergroup
migrations, and lets each kind decide what an interrupted send means (see ARCHITECTURE.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from telegram import InlineKeyboardMarkup, InputFile, Message
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application

from bot.context import BotContext, HasBotData, registered
from bot.html_text import truncate_html
from bot.ratelimit import Limits, SendLimiter
from bot.services.outbox import OutboxService
from handlers.common import MAX_TEXT, retry_seconds
from storage.outbox import OutboxItem

log = logging.getLogger(__name__)

MAX_IN_FLIGHT = 16
BATCH = 400
MAX_ATTEMPTS = 5
IDLE_POLL_S = 5.0
MAX_CAPTION = 1024


@dataclass(frozen=True)
class Outgoing:
    """What to send for one outbox item."""

    text: str
    markup: InlineKeyboardMarkup | None = None
    photo: bytes | None = None  # sent as a photo with text as caption
    document: tuple[str, bytes] | None = None  # (filename, content), text as caption


@dataclass(frozen=True)
class SendFailure:
    """Why an item was not delivered."""

    status: str  # "failed" (Telegram refused it) or "unknown" (it may or may not have arrived)
    error: str
    gone: bool  # the chat no longer exists or removed the bot: nothing sent there will arrive


Render = Callable[[BotContext, OutboxItem], Awaitable[Outgoing | None]]
AfterSend = Callable[[BotContext, OutboxItem, Message], Awaitable[None]]
AfterDone = Callable[[BotContext, OutboxItem], Awaitable[None]]
OnFailed = Callable[[BotContext, OutboxItem, SendFailure], Awaitable[None]]

# Telegram's words for a chat that is gone for good; anything else (no rights to post, a
# slow-mode or content refusal, 5xx, timeouts) may clear up by the next send.
_GONE = (
    "chat not found",
    "bot was kicked",
    "bot is not a member",
    "group chat was deactivated",
    "bot was blocked",
    "user is deactivated",
)


def chat_gone(error: TelegramError) -> bool:
    """Whether an error says the chat itself is gone (or the bot was removed), not just this message."""
    if isinstance(error, Forbidden):
        return True
    text = error.message.lower()
    return isinstance(error, BadRequest) and any(words in text for words in _GONE)


@dataclass(frozen=True)
class Kind:
    """How one kind of outbox item is drawn and what follows a send."""

    render: Render  # None result: skip the item (e.g. the meeting was cancelled)
    # A crash or timeout mid-send leaves it unknown whether Telegram delivered: True sends
    # again (a rare duplicate beats a lost reminder), False records "unknown" (a duplicate
    # notice in a hundred groups is worse than one group missing it; the report names it).
    resend_ambiguous: bool
    on_sent: AfterSend | None = None
    on_done: AfterDone | None = None  # after any final outcome (sent, failed, skipped, unknown)
    # Records a failed or unknown outcome itself, together with what follows from it (one
    # transaction, so a crash cannot record the failure and lose the consequence).
    on_failed: OnFailed | None = None


@dataclass
class Dispatcher:
    """Registry of kinds plus the sending loop."""

    outbox: OutboxService
    limits: Limits = field(default_factory=Limits)
    kinds: dict[str, Kind] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.limiter = SendLimiter(self.limits)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._in_flight: set[asyncio.Task[None]] = set()
        self._claimed: set[int] = set()  # item ids with a send task
        self._busy_chats: set[int] = set()  # one task per chat keeps a chat's messages in order

    def register(self, kind: str, spec: Kind) -> None:
        """Declare an outbox kind."""
        self.kinds[kind] = spec

    def wake(self) -> None:
        """New items were queued: look at the outbox now instead of at the next poll."""
        self._wake.set()

    async def recover(self, context: BotContext) -> None:
        """Decide about items a crash left mid-send, by their kind's policy."""

        def resend(kind: str) -> bool:
            spec = self.kinds.get(kind)
            return spec is not None and spec.resend_ambiguous

        for item in await self.outbox.recover(resend):
            await self._done(context, item)

    async def run_once(self, context: BotContext) -> int:
        """Start a send task for every due item whose chat may receive now; return how many started."""
        items = await self.outbox.due(BATCH)
        started = 0
        for item in items:
            if item.id in self._claimed or item.chat_id in self._busy_chats:
                continue
            if self.limiter.chat_delay(item.chat_id, time.monotonic()) > 0:
                continue
            while len(self._in_flight) >= MAX_IN_FLIGHT:
                await asyncio.wait(self._in_flight, return_when=asyncio.FIRST_COMPLETED)
            self._claimed.add(item.id)
            self._busy_chats.add(item.chat_id)
            task = asyncio.create_task(self._send(context, item))
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)
            started += 1
        return started

    async def _acquire(self, chat_id: int) -> None:
        """Wait until the limits allow a message to this chat, then count it (atomically)."""
        while True:
            now = time.monotonic()
            wait = max(self.limiter.global_delay(now), self.limiter.chat_delay(chat_id, now))
            if wait <= 0:
                self.limiter.record(chat_id, now)
                return
            await asyncio.sleep(wait)

    async def drain(self, context: BotContext, *, max_wait: float = 60.0) -> None:
        """Send everything due now and wait until it is done (tests, benchmarks, shutdown)."""
        deadline = time.monotonic() + max_wait
        while time.monotonic() < deadline:
            await self.run_once(context)
            if self._in_flight:
                await asyncio.wait(self._in_flight, timeout=0.05, return_when=asyncio.FIRST_COMPLETED)
                continue
            if await self.outbox.count_due() == 0:
                return
            await asyncio.sleep(0.01)
        raise TimeoutError("outbox not drained")

    async def loop(self, context: BotContext) -> None:
        """Run forever: send what is due, then sleep until woken or the next item falls due."""
        while True:
            try:
                started = await self.run_once(context)
            except Exception:
                log.exception("outbox dispatcher round failed")
                started = 0
            if started:
                continue
            next_due = await self.outbox.next_due_at()
            sleep = IDLE_POLL_S
            if next_due is not None:
                sleep = min(sleep, max(0.05, next_due - self.outbox.clock.now().timestamp()))
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=sleep)

    def start(self, context: BotContext) -> None:
        """Start the loop as a background task."""
        if self._task is None:
            self._task = asyncio.create_task(self.loop(context), name="outbox-dispatcher")

    async def stop(self) -> None:
        """Stop the loop and let in-flight sends finish."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._in_flight:
            await asyncio.wait(self._in_flight, timeout=10)

    async def _send(self, context: BotContext, item: OutboxItem) -> None:
        try:
            await self._send_claimed(context, item)
        finally:
            self._claimed.discard(item.id)
            self._busy_chats.discard(item.chat_id)

    async def _send_claimed(self, context: BotContext, item: OutboxItem) -> None:
        spec = self.kinds.get(item.kind)
        if spec is None:
            await self._finish(context, item, "failed", error="unknown kind")
            return
        try:
            outgoing = await spec.render(context, item)
        except Exception:
            log.exception("outbox render failed for kind %s", item.kind)
            await self._fail(context, item, SendFailure("failed", "render", gone=False))
            return
        if outgoing is None:
            await self._finish(context, item, "skipped")
            return
        # Claimed in the database before pacing, so nothing (no lock wait, no fsync) sits between
        # counting a message against the limits and sending it. A crash from here on is the
        # ambiguous case; at most MAX_IN_FLIGHT items are in it.
        await self.outbox.claim(item.id)
        await self._acquire(item.chat_id)
        try:
            message = await _deliver(context, item.chat_id, outgoing)
        except RetryAfter as exc:
            delay = retry_seconds(exc)
            self.limiter.block(item.chat_id, time.monotonic() + float(delay))
            await self._retry(item)
        except ChatMigrated as exc:
            await context.deps.services.community.migrate_chat(item.chat_id, exc.new_chat_id)
            await self._retry(item, chat_id=exc.new_chat_id)
        except Forbidden as exc:
            await self._unreachable(context, item.chat_id)
            await self._fail(context, item, SendFailure("failed", "forbidden", chat_gone(exc)))
        except BadRequest as exc:
            await self._fail(context, item, SendFailure("failed", exc.message[:200], chat_gone(exc)))
        except (NetworkError, TelegramError) as exc:
            # TimedOut is a NetworkError: Telegram may or may not have delivered it.
            if spec.resend_ambiguous and item.attempts + 1 < MAX_ATTEMPTS:
                await self._retry(item, backoff=2 ** (item.attempts + 1))
            else:
                await self._fail(context, item, SendFailure("unknown", type(exc).__name__, gone=False))
        else:
            await self._finish(context, item, "sent", message_id=message.message_id)
            if spec.on_sent is not None:
                await spec.on_sent(context, item, message)

    async def _retry(self, item: OutboxItem, *, chat_id: int | None = None, backoff: int = 0) -> None:
        await self.outbox.retry(item.id, chat_id=chat_id, backoff=backoff)
        self.wake()

    async def _finish(
        self,
        context: BotContext,
        item: OutboxItem,
        status: str,
        *,
        message_id: int | None = None,
        error: str | None = None,
    ) -> None:
        await self.outbox.finish(item.id, status, message_id=message_id, error=error)
        await self._done(context, item)

    async def _fail(self, context: BotContext, item: OutboxItem, failure: SendFailure) -> None:
        spec = self.kinds.get(item.kind)
        if spec is None or spec.on_failed is None:
            await self._finish(context, item, failure.status, error=failure.error)
            return
        try:
            await spec.on_failed(context, item, failure)
        except Exception:
            # Its transaction rolled back whole: record the outcome plainly; on_done still runs.
            log.exception("outbox on_failed failed for kind %s", item.kind)
            await self._finish(context, item, failure.status, error=failure.error)
            return
        self.wake()  # it may have queued a note
        await self._done(context, item)

    async def _done(self, context: BotContext, item: OutboxItem) -> None:
        spec = self.kinds.get(item.kind)
        if spec is not None and spec.on_done is not None:
            try:
                await spec.on_done(context, item)
            except Exception:
                log.exception("outbox on_done failed for kind %s", item.kind)

    @staticmethod
    async def _unreachable(context: BotContext, chat_id: int) -> None:
        services = context.deps.services
        if chat_id > 0:
            await services.people.set_private_reachable(chat_id, False)
        else:
            await services.community.mark_unreachable(chat_id)


async def _deliver(context: BotContext, chat_id: int, outgoing: Outgoing) -> Message:
    if outgoing.photo is not None:
        return await context.bot.send_photo(
            chat_id, outgoing.photo, caption=truncate_html(outgoing.text, MAX_CAPTION), reply_markup=outgoing.markup
        )
    if outgoing.document is not None:
        name, content = outgoing.document
        return await context.bot.send_document(
            chat_id,
            InputFile(content, filename=name),
            caption=truncate_html(outgoing.text, MAX_CAPTION),
            reply_markup=outgoing.markup,
        )
    return await context.bot.send_message(chat_id, truncate_html(outgoing.text, MAX_TEXT), reply_markup=outgoing.markup)


def dispatcher(owner: HasBotData) -> Dispatcher:
    """The application's dispatcher, from a handler's context or (registering kinds) the application."""
    return registered(owner.bot_data.dispatcher, "handlers.dispatcher")


async def _start(app: Application) -> None:  # type: ignore[type-arg]
    found = dispatcher(app)
    context = BotContext(app)
    await found.recover(context)
    if app.bot_data.dispatcher_autostart:
        found.start(context)


async def _stop(app: Application) -> None:  # type: ignore[type-arg]
    await dispatcher(app).stop()


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Create the dispatcher (features then register kinds); start it with the application."""
    data = app.bot_data
    assert data.db is not None and data.clock is not None
    data.dispatcher = Dispatcher(OutboxService(data.db, data.clock), data.limits)
    data.ext.on_startup.append(_start)
    data.ext.on_shutdown.append(_stop)
