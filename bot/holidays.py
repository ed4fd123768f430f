"""China's working days and festival dates, for typed times (下个工作日, 春节, 腊月二十三).

Working days follow the State Council's published holiday and make-up-workday calendar (chinese-calendar);
a year it has not published yet falls back to Monday..Friday, and the result says so (``published``), so a
caller can tell the person instead of guessing silently. Lunar dates come from lunar-python.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar
from lunar_python import Lunar

__all__ = ["Workday", "lunar_to_solar", "next_lunar", "next_new_year_eve", "next_workday"]


@dataclass(frozen=True)
class Workday:
    """A working day and whether the official calendar for its year was known (False: Monday..Friday assumed)."""

    day: date
    published: bool


def _is_workday(day: date) -> tuple[bool, bool]:
    """(is a working day, from the published calendar)."""
    try:
        return bool(chinese_calendar.is_workday(day)), True
    except NotImplementedError:  # the year's arrangement is not published (or not in this package version)
        return day.weekday() < 5, False


def next_workday(after: date, *, include: bool = False) -> Workday:
    """The first working day after ``after`` (or on it, with include=True)."""
    day = after if include else after + timedelta(days=1)
    published = True
    for _ in range(60):  # the longest official break is 8 days
        working, known = _is_workday(day)
        published = published and known
        if working:
            return Workday(day, published)
        day += timedelta(days=1)
    raise AssertionError("unreachable: no 60-day break exists")  # pragma: no cover


@lru_cache(maxsize=512)  # lunar-python builds a whole year's tables per call; festivals repeat
def lunar_to_solar(year: int, month: int, day: int) -> date:
    """The Gregorian date of a lunar (农历) date in lunar year ``year`` (正月 = 1, 腊月 = 12)."""
    solar = Lunar.fromYmd(year, month, day).getSolar()
    return date(solar.getYear(), solar.getMonth(), solar.getDay())


def next_lunar(month: int, day: int, today: date) -> date | None:
    """The first solar date on or after ``today`` of lunar month/day; None if that day never comes soon (腊月三十)."""
    for year in (today.year - 1, today.year, today.year + 1, today.year + 2):
        try:
            solar = lunar_to_solar(year, month, day)
        except Exception:  # lunar-python raises a bare Exception for a day the month lacks
            continue
        if solar >= today:
            return solar
    return None


def next_new_year_eve(today: date) -> date:
    """The coming 除夕: the day before the next 春节 (or today)."""
    for year in (today.year, today.year + 1):
        eve = lunar_to_solar(year, 1, 1) - timedelta(days=1)
        if eve >= today:
            return eve
    raise AssertionError("unreachable: 春节 comes every year")  # pragma: no cover
