"""A repeating wall-clock time (每周三 19:00) and the calendar arithmetic it shares with bot/timeparse.py."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo


@dataclass(frozen=True)
class Recurrence:
    """A repeating wall-clock time: daily, weekly on ``weekday`` or monthly on ``day``."""

    kind: str  # "daily" | "weekly" | "monthly"
    weekday: int | None  # 0=Monday..6=Sunday, weekly only
    day: int | None  # 1..31, monthly only; clamped to the month's last day (see next_after)
    hour: int
    minute: int

    def __post_init__(self) -> None:
        """Reject combinations that could never fire, so bad rows fail early."""
        if self.kind not in ("daily", "weekly", "monthly"):
            raise ValueError(f"unknown recurrence kind {self.kind!r}")
        if self.kind == "weekly" and (self.weekday is None or not 0 <= self.weekday <= 6):
            raise ValueError("weekly recurrence needs weekday 0..6")
        if self.kind == "monthly" and (self.day is None or not 1 <= self.day <= 31):
            raise ValueError("monthly recurrence needs day 1..31")
        if not (0 <= self.hour <= 23 and 0 <= self.minute <= 59):
            raise ValueError("recurrence time out of range")

    def next_after(self, after: datetime) -> datetime:
        """Return the next occurrence strictly after ``after``, in ``after``'s zone."""
        tz = require_aware(after, "after")
        start = after.astimezone(tz).date()
        at = time(self.hour, self.minute)
        if self.kind == "daily":
            candidates = (start + timedelta(days=i) for i in range(2))
        elif self.kind == "weekly":
            assert self.weekday is not None
            first = start + timedelta(days=(self.weekday - start.weekday()) % 7)
            candidates = (first + timedelta(days=7 * i) for i in range(2))
        else:
            # Day 31 in a 30-day month (or 29–31 in February) is clamped to the month's last day
            # rather than skipped: "每月31号交水费" should still remind every month.
            assert self.day is not None
            candidates = (clamped_day(*add_months(start.year, start.month, i), self.day) for i in range(3))
        for day in candidates:
            moment = wall_clock(day, at, tz)
            if moment > after:
                return moment
        raise AssertionError("unreachable: a later occurrence always exists")  # pragma: no cover


def add_months(year: int, month: int, months: int) -> tuple[int, int]:
    """Shift a (year, month) pair by a number of months."""
    index = year * 12 + month - 1 + months
    return index // 12, index % 12 + 1


def clamped_day(year: int, month: int, day: int) -> date:
    """The given day of the month, or the month's last day if it is shorter."""
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def wall_clock(day: date, at: time, tz: tzinfo) -> datetime:
    """Wall-clock time on a day in ``tz``; a time skipped by a DST jump moves forward with the clocks."""
    naive = datetime.combine(day, at, tzinfo=tz)
    return naive.astimezone(UTC).astimezone(tz)


def require_aware(moment: datetime, name: str) -> tzinfo:
    """Return the zone of an aware datetime; naive ones are a programming error."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return moment.tzinfo
