"""Typed dependencies reachable from every handler through the CallbackContext."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from telegram import Update
from telegram.ext import Application, CallbackContext, ExtBot

from bot.clock import Clock
from bot.config import Config
from bot.i18n import Catalogs, Translator
from bot.journal import UpdateJournal
from bot.ratelimit import Limits
from bot.services import Services
from storage.db import Database

if TYPE_CHECKING:
    # Handler-level objects the composition root holds; only their types are named here.
    from handlers.dispatcher import Dispatcher
    from handlers.live import LiveMessages
    from handlers.middleware import UpdateGate

ADMIN_TTL_S = 300.0

T = TypeVar("T")


@dataclass
class AdminCache:
    """Telegram admins per chat, kept for a few minutes to spare getChatAdministrators calls."""

    ttl: float = ADMIN_TTL_S
    _entries: dict[int, tuple[float, frozenset[int]]] = field(default_factory=dict)

    def get(self, chat_id: int) -> frozenset[int] | None:
        """Return the cached admin ids, or None when stale."""
        entry = self._entries.get(chat_id)
        if entry is None or time.monotonic() - entry[0] > self.ttl:
            return None
        return entry[1]

    def put(self, chat_id: int, admins: frozenset[int]) -> None:
        """Remember a chat's admins."""
        self._entries[chat_id] = (time.monotonic(), admins)

    def drop(self, chat_id: int) -> None:
        """Forget a chat's admins (after a chat_member change)."""
        self._entries.pop(chat_id, None)


PayloadHandler = Callable[[Update, "BotContext", str], Awaitable[None]]
Section = Callable[[Update, "BotContext", Translator], Awaitable[str]]
Action = Callable[[Update, "BotContext"], Awaitable[None]]
DialogHandler = Callable[[Update, "BotContext", dict[str, Any]], Awaitable[None]]


@dataclass
class Extensions:
    """Hooks that feature modules fill when they register their handlers."""

    start_payloads: dict[str, PayloadHandler] = field(default_factory=dict)  # /start <prefix>_<rest>
    me_sections: list[Section] = field(default_factory=list)  # extra /me paragraphs
    menu_actions: dict[str, Action] = field(default_factory=dict)  # menu button -> screen
    dialogs: dict[str, DialogHandler] = field(default_factory=dict)  # dialog kind -> next-message handler
    on_startup: list[Callable[[Any], Awaitable[None]]] = field(default_factory=list)  # after services exist
    on_shutdown: list[Callable[[Any], Awaitable[None]]] = field(default_factory=list)  # before the db closes


class BotData:
    """application.bot_data: the composition root's objects, filled in build_application and post_init."""

    def __init__(self) -> None:
        self.config: Config | None = None
        self.db: Database | None = None
        self.clock: Clock | None = None
        self.catalogs: Catalogs | None = None
        self.services: Services | None = None
        self.journal: UpdateJournal | None = None
        self.admins = AdminCache()
        self.ext = Extensions()
        self.limits = Limits()  # the outbox's sending limits (tests and benchmarks run them faster)
        self.dispatcher: Dispatcher | None = None  # handlers/dispatcher.py
        self.dispatcher_autostart = True  # tests drive the outbox themselves
        self.live: LiveMessages | None = None  # handlers/live.py
        self.gate: UpdateGate | None = None  # handlers/middleware.py
        self.deps: Deps | None = None  # the checked view, made once services exist
        self.hinted: dict[tuple[int, int], float] = {}  # (chat, person) -> when a mistyped command was last answered


class HasBotData(Protocol):
    """A handler's context or the application itself: both hold the BotData."""

    @property
    def bot_data(self) -> BotData: ...


def registered(value: T | None, module: str) -> T:
    """The object a handler module put in BotData; an error when that module was not registered first."""
    if value is None:
        raise RuntimeError(f"{module} must be registered before the features that use it")
    return value


@dataclass(frozen=True)
class Deps:
    """The non-optional view of BotData that handlers use."""

    config: Config
    db: Database
    clock: Clock
    catalogs: Catalogs
    services: Services
    admins: AdminCache


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]):
    """CallbackContext with typed access to the bot's dependencies."""

    @property
    def deps(self) -> Deps:
        """Return the dependencies; only valid after post_init."""
        data = self.bot_data
        if data.deps is not None and data.deps.services is data.services:
            return data.deps
        if data.config is None or data.db is None or data.clock is None or data.catalogs is None:
            raise RuntimeError("application not initialised")
        if data.services is None:
            raise RuntimeError("services not built")
        data.deps = Deps(data.config, data.db, data.clock, data.catalogs, data.services, data.admins)
        return data.deps


BotApp = Application[ExtBot[None], BotContext, dict[Any, Any], dict[Any, Any], BotData, Any]
