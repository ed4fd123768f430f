"""The composition root: build a ready python-telegram-bot Application from a Config."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram import (
    BotCommand,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes, Defaults
from telegram.request import BaseRequest, HTTPXRequest

from bot.clock import Clock, SystemClock
from bot.config import Config
from bot.context import BotContext, BotData
from bot.i18n import SUPPORTED_LOCALES, Catalogs, Translator
from bot.journal import JournalingQueue, UpdateJournal
from bot.polling import JournalingGetUpdates
from bot.ratelimit import Limits
from bot.reply_limiter import ChatRateLimiter
from bot.services import build_services
from storage.db import Database

log = logging.getLogger(__name__)


class CourtyardApplication(Application[Any, Any, Any, Any, Any, Any]):
    """PTB's Application, plus the update journal: each update handled once, and marked done."""

    async def process_update(self, update: object) -> None:
        """Handle the first copy of an update, then write its deferred bookkeeping and done mark."""
        data: BotData = self.bot_data
        db, journal = data.db, data.journal
        if isinstance(update, Update) and journal is not None and db is not None:
            if not await journal.claim(update.update_id):
                return  # a redelivered or replayed copy of an update already started or done
            db.begin_update(update.update_id)
        cancelled = False
        try:
            await super().process_update(update)
        except asyncio.CancelledError:
            cancelled = True  # stopped, not failed: left unfinished, so the next start handles it
            raise
        finally:
            if db is not None and not cancelled:
                # However the handlers ended: an update that failed is done too, never replayed.
                await db.finish_update()

    async def receive(self, updates: list[dict[str, Any]]) -> None:
        """Store update JSON in the journal and queue it, as polling does (tests and benchmarks)."""
        journal = self.bot_data.journal
        assert journal is not None
        await journal.record(updates)
        for body in updates:
            update = Update.de_json(body, self.bot)
            assert update is not None
            await self.update_queue.put(update)


def build_application(
    config: Config,
    *,
    request: BaseRequest | None = None,
    clock: Clock | None = None,
    catalogs: Catalogs | None = None,
    limits: Limits | None = None,
) -> Application[Any, Any, Any, Any, Any, Any]:
    """Return a ready Application; pass a fake BaseRequest to keep Telegram out of tests."""
    from handlers import register_all  # handlers import bot.*, so import late to keep bot/ importable alone

    token = config.require_token()
    context_types = ContextTypes(context=BotContext, bot_data=BotData)
    builder = (
        ApplicationBuilder()
        .application_class(CourtyardApplication)
        .token(token)
        .context_types(context_types)
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=config.community.timezone))
        .concurrent_updates(config.telegram.concurrent_updates)
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
    )
    if config.telegram.api_base_url:
        base = config.telegram.api_base_url
        builder = builder.base_url(base).base_file_url(base.removesuffix("/bot") + "/file/bot")
    if request is not None:
        builder = builder.request(request)
    # getUpdates through a wrapper that stores each batch before it can be confirmed (bot/polling.py);
    # PTB's own default for this request is one HTTP/1.1 connection. The update queue stores what a
    # webhook POST brings before the POST is answered (bot/journal.py).
    polling = JournalingGetUpdates(request or HTTPXRequest(connection_pool_size=1))
    queue = JournalingQueue()
    builder = builder.get_updates_request(polling).update_queue(queue)
    if config.telegram.rate_limiter:
        builder = builder.rate_limiter(ChatRateLimiter())
    app = builder.build()
    data: BotData = app.bot_data
    data.config = config
    data.clock = clock or SystemClock()
    data.catalogs = catalogs or Catalogs()
    data.db = Database(":memory:" if str(config.database.path) == ":memory:" else config.database.path)
    data.limits = limits or Limits()
    data.journal = UpdateJournal(data.db, token)
    polling.journal = queue.journal = data.journal
    register_all(app)
    return app


async def _post_init(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Open the database, migrate, build services, set command menus."""
    data: BotData = app.bot_data
    assert data.db is not None and data.config is not None and data.clock is not None
    await data.db.open()
    applied = await data.db.migrate()
    if applied:
        log.info("database migrated to version %s", applied[-1])
    data.services = await build_services(data.config, data.db, data.clock)
    for hook in data.ext.on_startup:
        await hook(app)
    await set_command_menus(app)
    if data.journal is not None:
        # Handled first, before anything new is fetched: what a killed process received and did not finish.
        for update in await data.journal.unfinished(app.bot):
            app.update_queue.put_nowait(update)


async def _post_shutdown(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Close the database."""
    data: BotData = app.bot_data
    for hook in data.ext.on_shutdown:
        await hook(app)
    if data.db is not None:
        await data.db.close()


def resident_commands(t: Translator) -> list[BotCommand]:
    """The menu every resident sees."""
    return [
        BotCommand("menu", t._("Main menu with big buttons")),
        BotCommand("themes", t._("Theme proposals: propose and support")),
        BotCommand("polls", t._("Open polls")),
        BotCommand("teams", t._("Teams of this courtyard")),
        BotCommand("meetings", t._("Upcoming meetings")),
        BotCommand("me", t._("My teams, roles and language")),
        BotCommand("reminders", t._("Reminders in this chat")),
        BotCommand("help", t._("What this bot does")),
        BotCommand("lang", t._("Choose the language")),
        BotCommand("privacy", t._("What is stored about me")),
        BotCommand("cancel", t._("Stop the current step")),
    ]


def organiser_commands(t: Translator) -> list[BotCommand]:
    """The larger menu of group admins and social workers."""
    return [
        *resident_commands(t),
        BotCommand("vote", t._("Start a poll")),
        BotCommand("newteam", t._("Start a team sign-up")),
        BotCommand("meeting", t._("Announce a meeting in one line")),
        BotCommand("newmeeting", t._("Plan a meeting step by step")),
        BotCommand("remind", t._("Set a reminder for this chat")),
        BotCommand("broadcast", t._("Send a notice to many courtyards")),
        BotCommand("stats", t._("Participation statistics")),
        BotCommand("exportstats", t._("Export statistics as Excel")),
        BotCommand("courtyards", t._("All courtyards and their groups")),
        BotCommand("bind", t._("Bind this group to a courtyard")),
        BotCommand("unbind", t._("Unbind this group")),
        BotCommand("grant", t._("Reply to someone: make them backbone")),
        BotCommand("revoke", t._("Reply to someone: remove backbone")),
    ]


async def set_command_menus(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Localised, role-scoped command menus (cosmetic: permissions are checked on every use)."""
    data: BotData = app.bot_data
    assert data.catalogs is not None and data.config is not None
    tz = data.config.community.timezone
    default = data.config.community.default_locale
    try:
        for locale in SUPPORTED_LOCALES:
            t = data.catalogs.translator(locale, tz)
            code = None if locale == default else locale.split("_")[0]
            await app.bot.set_my_commands(resident_commands(t), scope=BotCommandScopeDefault(), language_code=code)
            await app.bot.set_my_commands(
                organiser_commands(t), scope=BotCommandScopeAllChatAdministrators(), language_code=code
            )
        t = data.catalogs.translator(default, tz)
        for user_id in sorted(data.config.roles.social_workers):
            await app.bot.set_my_commands(organiser_commands(t), scope=BotCommandScopeChat(user_id))
    except TelegramError as exc:
        # Menus are a convenience; a bot that cannot set them still works.
        log.warning("could not set command menus: %s", type(exc).__name__)
