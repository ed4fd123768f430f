"""The rate limiter for the bot's own requests: an overall pace, and a 429 that holds up only its chat.

PTB's AIORateLimiter answers one RetryAfter by pausing every request of the bot for retry_after
seconds, so a single busy group (or one 30-second flood wait) silenced every other courtyard. Here
a 429 blocks only the chat it was for. A request to a blocked chat waits when the block ends soon,
and otherwise fails at once with RetryAfter, so handlers never pile up behind one chat; messages
owed later go through the outbox (handlers/dispatcher.py), which re-queues them itself.
"""

from __future__ import annotations

import asyncio
import time
import warnings
from collections import deque
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from telegram._utils.types import JSONDict
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter
from telegram.warnings import PTBDeprecationWarning

MAX_WAIT_S = 3.0  # longer than this and the request fails at once instead of holding a handler
OVERALL_PER_S = 29  # Telegram allows about thirty messages a second in all
GROUP_PER_WINDOW, GROUP_WINDOW_S = 20, 60.0  # about twenty messages a minute to one group
_SENDS = ("send", "edit", "copy", "forward")  # Bot API methods that put a message in a chat


def retry_seconds(exc: RetryAfter) -> float:
    """Seconds Telegram asked us to wait, without PTB's int/timedelta deprecation warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class ChatRateLimiter(BaseRateLimiter[None]):
    """Paces sends overall; remembers 429 blocks per chat."""

    def __init__(
        self,
        *,
        max_wait_s: float = MAX_WAIT_S,
        overall_per_s: int = OVERALL_PER_S,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_wait_s = max_wait_s
        self.overall_per_s = overall_per_s
        self._now = now
        self._blocked: dict[object, float] = {}
        self._sent: deque[float] = deque()
        self._group: dict[int, deque[float]] = {}
        self._pace = asyncio.Lock()

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    def blocked_for(self, chat_id: object) -> float:
        """Seconds until this chat may be sent to again (0 when it may now)."""
        until = self._blocked.get(chat_id)
        if until is None:
            return 0.0
        wait = until - self._now()
        if wait <= 0:
            del self._blocked[chat_id]
            return 0.0
        return wait

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> bool | JSONDict | list[JSONDict]:
        """Send unless the chat is blocked for long; on 429 block that chat alone and retry once if soon."""
        # Only messages count against Telegram's limits; reads (getChatAdministrators, getChat) and
        # button answers go straight through, also to a flooded chat.
        chat_id = data.get("chat_id") if endpoint.startswith(_SENDS) else None
        for attempt in range(2):
            if chat_id is not None:
                wait = self.blocked_for(chat_id)
                if wait > self.max_wait_s:
                    raise RetryAfter(int(wait) + 1)
                if wait > 0:
                    await asyncio.sleep(wait)
                await self._paced(chat_id)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                seconds = retry_seconds(exc)
                if chat_id is not None:
                    self._blocked[chat_id] = max(self._blocked.get(chat_id, 0.0), self._now() + seconds)
                if attempt or chat_id is None or seconds > self.max_wait_s:
                    raise
        raise AssertionError("unreachable")

    async def _paced(self, chat_id: object) -> None:
        # Overall: a one-second window of sends; a send over the limit waits for the oldest to leave it.
        # A group: twenty a minute; a send over that waits up to max_wait_s, then goes anyway (Telegram's
        # group limit is loose, and a 429 then blocks that group alone).
        if isinstance(chat_id, int) and chat_id < 0:
            window = self._group.setdefault(chat_id, deque())
            now = self._now()
            while window and now - window[0] >= GROUP_WINDOW_S:
                window.popleft()
            if len(window) >= GROUP_PER_WINDOW:
                wait = window[0] + GROUP_WINDOW_S - now
                if wait <= self.max_wait_s:
                    await asyncio.sleep(wait)
            window.append(self._now())
        async with self._pace:
            while True:
                now = self._now()
                while self._sent and now - self._sent[0] >= 1.0:
                    self._sent.popleft()
                if len(self._sent) < self.overall_per_s:
                    self._sent.append(now)
                    return
                await asyncio.sleep(self._sent[0] + 1.0 - now)
