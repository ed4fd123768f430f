"""Poll deadlines typed the way people say them (明晚8点, 周六下午3点, 12月5日 19:30), via bot.timeparse."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.services.errors import InvalidInput
from bot.services.polls import MIN_AHEAD
from bot.timeparse import TimeParseError, parse_time

NO_DEADLINE = frozenset({"无", "没有", "不设", "取消", "none", "no", "0", "-"})
# "周六" alone: a deadline in the evening, when residents are home to vote.
DEFAULT_HOUR = 20


def parse_deadline(text: str, *, now: datetime, tz: ZoneInfo) -> datetime | None:
    """An aware deadline, None for "no deadline" (无); InvalidInput when it is not a usable time."""
    if "".join(text.split()).lower() in NO_DEADLINE:
        return None
    try:
        parsed = parse_time(text, now=now.astimezone(tz), default_hour=DEFAULT_HOUR)
    except TimeParseError as exc:
        if exc.reason == "past":
            raise InvalidInput("deadline_too_soon", minutes=int(MIN_AHEAD.total_seconds() // 60)) from exc
        raise InvalidInput("bad_deadline") from exc
    if parsed.recurrence is not None:
        raise InvalidInput("bad_deadline")  # 每周三 is a rhythm, not a deadline
    return parsed.when
