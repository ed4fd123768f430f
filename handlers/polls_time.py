"""Poll deadlines typed the way people say them (明晚8点, 周六下午3点, 12月5日 19:30), or 无 for none."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.services.poll_spec import MAX_AHEAD, MIN_AHEAD
from bot.timeparse import read_time

NO_DEADLINE = frozenset({"无", "没有", "不设", "取消", "none", "no", "0", "-"})
# "周六" alone: a deadline in the evening, when residents are home to vote.
DEFAULT_HOUR = 20


def parse_deadline(text: str, *, now: datetime, tz: ZoneInfo) -> datetime | None:
    """An aware deadline, None for "no deadline" (无); TimeRefusal when it is not a usable time."""
    if "".join(text.split()).lower() in NO_DEADLINE:
        return None
    local = now.astimezone(tz)
    return read_time(text, now=local, default_hour=DEFAULT_HOUR, min_ahead=MIN_AHEAD, max_ahead=MAX_AHEAD).when
