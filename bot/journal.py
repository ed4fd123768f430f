"""The durable update journal: every update is stored before Telegram is told it arrived.

Telegram counts an update as received once a later getUpdates asks past it (polling) or once its
POST was answered 200 (webhook), and never sends it again. So the polling request wrapper
(bot/polling.py) stores each fetched batch in one transaction before PTB sees it, and the update
queue stores a webhook's update before the POST is answered. Handling then marks the row done in
the same transaction as the first change it makes (storage/db.py), so an update is acted on once:
a process killed before that commit replays the row at the next start, one killed after it does
not. A redelivered or replayed copy of an update already started or done is dropped.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import os
import time
from collections import OrderedDict
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from telegram import Bot, Update

from storage.db import Database
from storage.journal import JournalRepository

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3  # start-ups that found an update unfinished before it is given up (a poison update)
_REMEMBER = 100_000  # update ids started by this process, for dropping copies without a query
_NONCE = 12


class Sealer:
    """Seals journal bodies with AES-GCM under a key derived from the bot token.

    A journalled button press names who pressed what, also on anonymous polls; the database file
    alone must not tell. A body that no longer opens (the token was changed) is given up.
    """

    def __init__(self, token: str) -> None:
        self._aead = AESGCM(hmac.digest(token.encode(), b"courtyard-bot update journal v1", "sha256"))

    def seal(self, data: bytes) -> bytes:
        """Encrypt and authenticate data."""
        nonce = os.urandom(_NONCE)
        return nonce + self._aead.encrypt(nonce, data, None)

    def open(self, blob: bytes) -> bytes | None:
        """Decrypt a sealed body, or None when it was sealed under another key or changed."""
        try:
            return self._aead.decrypt(blob[:_NONCE], blob[_NONCE:], None)
        except (InvalidTag, ValueError):
            return None


class UpdateJournal:
    """Stores updates durably, admits each update once, and finds the unfinished ones at start-up."""

    def __init__(self, db: Database, token: str) -> None:
        self.db = db
        self.sealer = Sealer(token)
        self._recorded: set[int] = set()  # stored by a polled batch, not yet put on the queue
        self._started: OrderedDict[int, None] = OrderedDict()

    async def record(self, updates: list[dict[str, Any]]) -> None:
        """Store a batch of update JSON in one durable transaction (before it is confirmed)."""
        rows = []
        for data in updates:
            update_id = data.get("update_id")
            if not isinstance(update_id, int):
                continue  # PTB would refuse it as well; nothing to replay
            body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
            rows.append((update_id, self.sealer.seal(body)))
        if not rows:
            return
        with self.db.bookkeeping():  # storing an update is not handling it
            async with self.db.transaction() as conn:
                await JournalRepository(conn).record(rows, int(time.time()))
        self._recorded.update(update_id for update_id, _ in rows)

    async def admit(self, update: Update) -> None:
        """Make sure an update about to be queued is stored (webhook POSTs are stored here)."""
        if update.update_id in self._recorded:
            self._recorded.discard(update.update_id)
            return
        await self.record([update.to_dict()])
        self._recorded.discard(update.update_id)

    async def claim(self, update_id: int) -> bool:
        """True for the first copy of an update that is not done yet; every later copy is dropped."""
        if update_id in self._started:
            return False
        self._started[update_id] = None
        if len(self._started) > _REMEMBER:
            self._started.popitem(last=False)
        return not await JournalRepository(self.db.reader).is_done(update_id)

    async def unfinished(self, bot: Bot) -> list[Update]:
        """Updates stored but never finished by an earlier process, oldest first, to handle again."""
        rows = await JournalRepository(self.db.reader).unfinished()
        if not rows:
            return []
        replay: list[Update] = []
        given_up: list[int] = []
        for update_id, body, attempts in rows:
            update = self._open(bot, body) if attempts < MAX_ATTEMPTS else None
            if update is None:
                given_up.append(update_id)
            else:
                replay.append(update)
        async with self.db.transaction() as conn:
            repo = JournalRepository(conn)
            await repo.count_attempt([u.update_id for u in replay])
            if given_up:
                await repo.mark_done(given_up, int(time.time()))
        if given_up:
            log.warning("gave up %d stored updates (unreadable or failed %d start-ups)", len(given_up), MAX_ATTEMPTS)
        if replay:
            log.info("handling %d updates a previous process received but did not finish", len(replay))
        return replay

    def _open(self, bot: Bot, body: bytes | None) -> Update | None:
        data = self.sealer.open(body) if body is not None else None
        if data is None:
            return None
        try:
            return Update.de_json(json.loads(data), bot)
        except (ValueError, TypeError, KeyError) as exc:
            log.warning("a stored update could not be read: %s", type(exc).__name__)
            return None


class JournalingQueue(asyncio.Queue[object]):
    """The Application's update queue: an update is stored before it is queued (webhook: before 200)."""

    def __init__(self) -> None:
        super().__init__()
        self.journal: UpdateJournal | None = None  # set in post_init, once the database is open

    async def put(self, item: object) -> None:
        """Store the update (unless its polled batch was), then queue it."""
        if isinstance(item, Update) and self.journal is not None:
            await self.journal.admit(item)
        await super().put(item)
