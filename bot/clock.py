"""Time source, so tests can control the clock."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """Anything that can tell the current aware UTC time."""

    def now(self) -> datetime:
        """Return the current time, timezone-aware."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """Return the current UTC time."""
        return datetime.now(UTC)


def to_ts(moment: datetime) -> int:
    """Convert an aware datetime to epoch seconds for storage."""
    return int(moment.timestamp())


def from_ts(ts: int) -> datetime:
    """Convert stored epoch seconds back to an aware UTC datetime."""
    return datetime.fromtimestamp(ts, UTC)
