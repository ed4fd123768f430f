"""A running bot over the fake Bot API, for end-to-end tests through the real PTB stack."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from telegram import Update

from bot.app import build_application
from bot.config import Config, config_from_mapping
from bot.context import BotContext, Deps
from bot.ratelimit import Limits
from handlers.dispatcher import dispatcher
from storage.db import Database
from tests.fakes import TEST_TOKEN, FakeBotAPI, FakeClock

SOCIAL_WORKER_ID = 900001


def make_config(tmp_path: Path, **overrides: Any) -> Config:
    """A valid config with a database file in tmp_path."""
    data: dict[str, Any] = {
        "telegram": {"token": TEST_TOKEN, "rate_limiter": False, "concurrent_updates": 64},
        "community": {"name": "铁门社区", "timezone": "Asia/Shanghai", "default_locale": "zh_CN"},
        "roles": {"social_workers": [SOCIAL_WORKER_ID]},
        "database": {"path": str(tmp_path / "courtyard.sqlite3")},
    }
    for section, values in overrides.items():
        data.setdefault(section, {}).update(values)
    return config_from_mapping(data, env={})


class Harness:
    """Owns an initialised Application, its fake Bot API and a controllable clock."""

    def __init__(
        self,
        config: Config,
        fake: FakeBotAPI | None = None,
        clock: FakeClock | None = None,
        *,
        limits: Limits | None = None,
        autostart_dispatcher: bool = False,
        privacy_mode: bool = True,
    ) -> None:
        self.config = config
        # Group privacy mode is on, as it is on Telegram by default: send() and feed() drop what Telegram
        # would not deliver (tests.fakes.privacy_mode_delivers). A test that turns it off says why.
        self.fake = fake or FakeBotAPI(privacy_mode=privacy_mode)
        self.clock = clock or FakeClock()
        # Tests send at a hundred times Telegram's pace unless they test the limits themselves.
        self.app: Any = build_application(
            config, request=self.fake, clock=self.clock, limits=limits or Limits().scaled(100)
        )
        # Tests drive the outbox explicitly (h.drain()) unless they test the background loop.
        self.app.bot_data.dispatcher_autostart = autostart_dispatcher
        self.running = False

    async def __aenter__(self) -> Harness:
        await self.app.initialize()
        await self.app.post_init(self.app)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.running:
            await self.app.stop()
        await self.app.shutdown()
        await self.app.post_shutdown(self.app)

    @property
    def deps(self) -> Deps:
        """The bot's dependencies."""
        return BotContext(self.app).deps

    @property
    def db(self) -> Database:
        """The bot's database."""
        return self.deps.db

    def update(self, data: dict[str, Any]) -> Update:
        """Parse update JSON with the bot, as PTB does for real updates."""
        update = Update.de_json(data, self.app.bot)
        assert update is not None
        return update

    async def send(self, data: dict[str, Any]) -> bool:
        """Store one update in the journal, as polling does, and process it to completion.

        Under privacy mode an update Telegram would not deliver (plain text in a group that is not a reply
        to the bot, `/cmd@otherbot`, …) never reaches the bot: it is kept in `h.fake.withheld` and False is
        returned.
        """
        if not self.fake.delivers(data):
            return False
        await self.app.bot_data.journal.record([data])
        await self.app.process_update(self.update(data))
        return True

    async def start(self) -> None:
        """Start the update processor and job queue (for concurrent feeding)."""
        if not self.running:
            await self.app.start()
            self.running = True

    async def feed(self, updates: Iterable[dict[str, Any]]) -> None:
        """Queue many updates and wait until PTB processed them all, concurrently."""
        await self.start()
        for data in updates:
            if not self.fake.delivers(data):
                continue
            await self.app.update_queue.put(self.update(data))
        await asyncio.wait_for(self.app.update_queue.join(), timeout=120)

    @property
    def context(self) -> BotContext:
        """A context for calling feature code directly."""
        return BotContext(self.app)

    async def drain(self, max_wait: float = 60.0) -> None:
        """Send every outbox item due now, and wait for the sends."""
        await dispatcher(self.app).drain(self.context, max_wait=max_wait)

    async def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Query the database (reader connection)."""
        return [tuple(r) for r in await self.db.fetchall(sql, params)]

    async def scalar(self, sql: str, *params: Any) -> Any:
        """Query one value."""
        rows = await self.rows(sql, *params)
        return rows[0][0] if rows else None
