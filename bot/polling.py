"""getUpdates through the update journal: a fetched batch is stored before Telegram can count it as received.

getUpdates confirms every update below its `offset`, and python-telegram-bot asks for the next batch as
soon as it has queued the previous one. This request wrapper (used only for getUpdates) stores each batch
in the journal (bot/journal.py, one transaction) before PTB sees it, so the next offset never confirms an
update the database does not hold; the bot handles it from there, and after a crash from the journal.
A batch that cannot be stored (disk full) is not passed on: PTB asks again with the same offset.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from telegram.request import BaseRequest, RequestData

from bot.journal import UpdateJournal

log = logging.getLogger(__name__)


class JournalingGetUpdates(BaseRequest):
    """A getUpdates request that stores what it fetched before returning it."""

    def __init__(self, inner: BaseRequest) -> None:
        self.inner = inner
        self.journal: UpdateJournal | None = None  # set in post_init, once the database is open

    @property
    def read_timeout(self) -> float | None:
        """The wrapped request's read timeout (PTB adds the long-poll timeout to it)."""
        return self.inner.read_timeout

    async def initialize(self) -> None:
        """Open the wrapped request."""
        await self.inner.initialize()

    async def shutdown(self) -> None:
        """Close the wrapped request."""
        await self.inner.shutdown()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        # PTB's own ODVInput[float] (a private type): passed through untouched.
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Ask Telegram, then store the batch it returned before PTB queues it."""
        status, payload = await self.inner.do_request(
            url, method, request_data, read_timeout, write_timeout, connect_timeout, pool_timeout
        )
        if status == 200 and self.journal is not None:
            updates = _updates_of(payload)
            if updates:
                # An error here reaches PTB as a network error: it retries with the same offset.
                await self.journal.record(updates)
        return status, payload


def _updates_of(payload: bytes) -> list[dict[str, Any]]:
    try:
        data = json.loads(payload)
    except ValueError:
        return []  # PTB reports the malformed answer itself
    result = data.get("result") if isinstance(data, dict) and data.get("ok") else None
    return [u for u in result if isinstance(u, dict)] if isinstance(result, list) else []
