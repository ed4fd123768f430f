"""Telegram's sending limits as a pure, clock-driven calculator (no I/O)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Telegram's documented limits, with a safety margin on the global one."""

    per_chat_interval: float = 1.0  # one message a second to the same chat
    group_per_window: int = 20  # twenty a minute to the same group
    group_window: float = 60.0
    global_per_window: int = 29  # Telegram allows thirty a second; counted at the moment of sending, 3% margin
    global_window: float = 1.0

    def scaled(self, factor: float) -> Limits:
        """The same limits with time running factor times faster (benchmarks and tests run short)."""
        return Limits(
            per_chat_interval=self.per_chat_interval / factor,
            group_per_window=self.group_per_window,
            group_window=self.group_window / factor,
            global_per_window=self.global_per_window,
            global_window=self.global_window / factor,
        )


class SendLimiter:
    """Says how long to wait before the next message to a chat may go."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._global: deque[float] = deque()
        self._chat_last: dict[int, float] = {}
        self._group: dict[int, deque[float]] = {}
        self._blocked: dict[int, float] = {}

    def _trim(self, now: float) -> None:
        while self._global and now - self._global[0] >= self.limits.global_window:
            self._global.popleft()

    def global_delay(self, now: float) -> float:
        """Seconds until the overall limit allows another message."""
        self._trim(now)
        if len(self._global) < self.limits.global_per_window:
            return 0.0
        return self._global[0] + self.limits.global_window - now

    def chat_delay(self, chat_id: int, now: float) -> float:
        """Seconds until this chat may receive another message (ignoring the global limit)."""
        wait = self._blocked.get(chat_id, 0.0) - now
        last = self._chat_last.get(chat_id)
        if last is not None:
            wait = max(wait, last + self.limits.per_chat_interval - now)
        if chat_id < 0:
            window = self._group.get(chat_id)
            if window is not None:
                while window and now - window[0] >= self.limits.group_window:
                    window.popleft()
                if len(window) >= self.limits.group_per_window:
                    wait = max(wait, window[0] + self.limits.group_window - now)
        return max(wait, 0.0)

    def record(self, chat_id: int, now: float) -> None:
        """Count a message just sent (or about to be)."""
        self._global.append(now)
        self._chat_last[chat_id] = now
        if chat_id < 0:
            self._group.setdefault(chat_id, deque()).append(now)

    def block(self, chat_id: int, until: float) -> None:
        """Telegram said 429 for this chat: wait until then."""
        self._blocked[chat_id] = max(self._blocked.get(chat_id, 0.0), until)


# What Telegram itself enforces (the fake Bot API in tests answers 429 beyond these).
TELEGRAM_LIMITS = Limits(global_per_window=30)
