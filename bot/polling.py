"""Confirm updates to Telegram only once they are handled, so a killed bot gets them again.

getUpdates confirms every update below its `offset`, and python-telegram-bot asks for the next batch
as soon as it has queued the previous one: a process killed mid-batch would lose updates Telegram
already considers delivered. This request wrapper (used only for getUpdates) first waits until the
update queue is empty, so the offset moves past an update only after its handler finished; handlers
are idempotent, so a redelivered update is harmless. A handler slower than CONFIRM_WAIT_S must not
stall every chat: polling then carries on without waiting until the queue drains again.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram.request import BaseRequest, RequestData

log = logging.getLogger(__name__)

CONFIRM_WAIT_S = 2.0


class ConfirmAfterHandling(BaseRequest):
    """A getUpdates request that waits for the previous batch to be handled before confirming it."""

    def __init__(self, inner: BaseRequest, *, wait_s: float = CONFIRM_WAIT_S) -> None:
        self.inner = inner
        self.wait_s = wait_s
        self.queue: asyncio.Queue[Any] | None = None  # the Application's update queue, set once built
        self._idle: asyncio.Future[None] | None = None

    @property
    def read_timeout(self) -> float | None:
        """The wrapped request's read timeout (PTB adds the long-poll timeout to it)."""
        return self.inner.read_timeout

    async def initialize(self) -> None:
        """Open the wrapped request."""
        await self.inner.initialize()

    async def shutdown(self) -> None:
        """Close the wrapped request."""
        if self._idle is not None and not self._idle.done():
            self._idle.cancel()
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
        """Wait until what was fetched is handled, then ask Telegram (which confirms it)."""
        await self._handled()
        return await self.inner.do_request(
            url, method, request_data, read_timeout, write_timeout, connect_timeout, pool_timeout
        )

    async def _handled(self) -> None:
        if self.queue is None:
            return
        if self._idle is not None and not self._idle.done():
            return  # still waiting on a slow handler from an earlier batch: do not stall polling again
        self._idle = asyncio.ensure_future(self.queue.join())
        try:
            await asyncio.wait_for(asyncio.shield(self._idle), self.wait_s)
        except TimeoutError:
            log.info("a handler is slow; confirming updates before it finishes")
