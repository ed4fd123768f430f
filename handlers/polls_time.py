"""Poll deadlines typed the way people say them (明晚8点, 周六下午3点, 12月5日 19:30, 3天后).

This is the one place poll deadlines are parsed. It covers the forms a deadline needs until the
shared Chinese time parser (bot.timeparse, from the meetings work) lands; then parse_deadline
becomes a call to it.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.services.errors import InvalidInput

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_NUM = r"[0-9零〇一二两三四五六七八九十]+"
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "七": 6}
_DAY_WORDS = {"今天": 0, "今日": 0, "今晚": 0, "明天": 1, "明日": 1, "明晚": 1, "明早": 1, "后天": 2, "大后天": 3}
_EVENING = ("晚", "下午", "傍晚", "夜")
_NONE_WORDS = {"无", "没有", "不设", "取消", "none", "no", "0", "-"}
END_OF_DAY = time(23, 59)

_RELATIVE = re.compile(rf"^({_NUM})\s*(个)?\s*(分钟|小时|钟头|天)\s*(以)?后$")
_ISO = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_MONTH_DAY = re.compile(rf"(?:(\d{{4}})\s*年\s*)?({_NUM})\s*月\s*({_NUM})\s*[日号]?")
_SLASH_DAY = re.compile(r"(?<![\d:])(\d{1,2})/(\d{1,2})(?![\d/])")
_WEEKDAY = re.compile(r"(下下|下个?|这个?|本)?\s*(?:周|星期|礼拜)([一二三四五六日天七])")
_CLOCK = re.compile(r"(\d{1,2})[:：](\d{2})")
_HOUR = re.compile(rf"({_NUM})\s*[点时](?:\s*(半|一刻|三刻|整|({_NUM})\s*分?))?")


class DeadlineError(InvalidInput):
    """The text is not a time this parser understands."""

    def __init__(self, text: str) -> None:
        super().__init__("bad_deadline")
        self.text = text


def chinese_number(text: str) -> int:
    """12, 十二, 二十三, 两 → int."""
    if text.isdigit():
        return int(text)
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (_DIGITS[tens] if tens else 1) * 10 + (_DIGITS[ones] if ones else 0)
    value = 0
    for ch in text:
        if ch not in _DIGITS:
            raise DeadlineError(text)
        value = value * 10 + _DIGITS[ch]
    return value


def _day(text: str, today: date) -> date | None:
    for word, offset in sorted(_DAY_WORDS.items(), key=lambda item: -len(item[0])):
        if word in text:
            return today + timedelta(days=offset)
    if match := _ISO.search(text):
        return date(int(match[1]), int(match[2]), int(match[3]))
    if match := _MONTH_DAY.search(text):
        year = int(match[1]) if match[1] else today.year
        found = date(year, chinese_number(match[2]), chinese_number(match[3]))
        # "12月5日" typed in January means the coming one, not last year's.
        return found if match[1] or found >= today else found.replace(year=year + 1)
    if match := _SLASH_DAY.search(text):
        found = date(today.year, int(match[1]), int(match[2]))
        return found if found >= today else found.replace(year=today.year + 1)
    if match := _WEEKDAY.search(text):
        target = _WEEKDAYS[match[2]]
        monday = today - timedelta(days=today.weekday())
        weeks = {"下下": 2, "下": 1, "下个": 1}.get(match[1] or "", 0)
        found = monday + timedelta(weeks=weeks, days=target)
        # A bare weekday means the next one to come (周六 said on a Sunday is six days ahead).
        return found if weeks or found >= today else found + timedelta(weeks=1)
    return None


def _clock(text: str) -> time | None:
    if match := _CLOCK.search(text):
        hour, minute = int(match[1]), int(match[2])
    elif match := _HOUR.search(text):
        hour = chinese_number(match[1])
        extra = match[2] or ""
        minute = {"半": 30, "一刻": 15, "三刻": 45, "整": 0, "": 0}.get(extra, 0)
        if match[3]:
            minute = chinese_number(match[3])
    else:
        return None
    afternoon = any(word in text for word in _EVENING) and hour < 12
    if afternoon or ("中午" in text and hour < 6):
        hour += 12
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise DeadlineError(text)
    return time(hour, minute)


def parse_deadline(text: str, *, now: datetime, tz: ZoneInfo) -> datetime | None:
    """An aware deadline for the text, None for "no deadline" (无); raise DeadlineError otherwise."""
    cleaned = "".join(text.split()).lower()
    if cleaned in _NONE_WORDS:
        return None
    try:
        return _parse(cleaned, now.astimezone(tz), tz)
    except (KeyError, ValueError, OverflowError) as exc:
        raise DeadlineError(text) from exc


def _parse(cleaned: str, local_now: datetime, tz: ZoneInfo) -> datetime:
    if match := _RELATIVE.match(cleaned):
        amount = chinese_number(match[1])
        unit = {"分钟": "minutes", "小时": "hours", "钟头": "hours", "天": "days"}[match[3]]
        return local_now + timedelta(**{unit: amount})
    day = _day(cleaned, local_now.date())
    clock = _clock(cleaned)
    if clock is None:
        if day is None:
            raise DeadlineError(cleaned)
        return datetime.combine(day, END_OF_DAY, tz)
    if day is None:
        day = local_now.date()
        if datetime.combine(day, clock, tz) <= local_now:
            day += timedelta(days=1)  # "8点" after eight o'clock means tomorrow's
    return datetime.combine(day, clock, tz)
