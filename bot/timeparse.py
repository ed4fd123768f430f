"""Read the Chinese times residents type ("明天下午3点", "周六 15:00", "每周三晚上7点"): one entry, read_time."""

# Framework-free and deterministic: every result depends only on the text and the `now` passed in.
# Results are in now.tzinfo, so callers pass `now` already converted to the community's zone
# (a zoneinfo.ZoneInfo or a fixed datetime.timezone; pytz zones are not supported).
#
# Every feature reads typed times through read_time, passing its own rules (leading text, a default hour,
# a day only, repeats, a horizon); a refusal is a TimeRefusal whose reason handlers.common.time_error_text
# words the same way everywhere. The words and patterns live in bot/timewords.py.
#
# Interpretation rules, chosen once so that every caller behaves the same:
# - Future is preferred where the text leaves room: a bare time ("8点", "凌晨2点") is today or else
#   tomorrow; a bare weekday ("周六") is this one or, if already passed, next week's; a date without a
#   year is this year or, if the day is already over, next year; a bare day ("5号") is this month or
#   the next month that has it. An explicit day ("今天", "本周五", "2026年…") is never moved.
#   allow_past only stops the "past" refusal; it does not change these preferences.
# - A date whose day is today but whose time has passed ("11月29日上午9点" at 10:00) is "past",
#   not next year: the resident almost certainly meant today.
# - Weeks run Monday..Sunday: 本周/这周X is in the current week (possibly past), 下周X in the next.
# - A bare hour 1–5 without a period means the afternoon (13–17): nobody schedules a courtyard
#   meeting at 3 a.m., and "凌晨" exists for that. A bare hour 6–11 means the first of h or h+12 that
#   is still ahead, trying each candidate day in turn (recurrences take h). Hours written with a
#   leading zero ("08:00") are taken literally.
# - A period alone ("礼拜三晚上") means its typical hour (see timewords.PERIOD_DEFAULT_HOUR).
# - "晚上12点" / "午夜" is midnight at the end of that day (the next day 00:00); "夜里2点" is the
#   small hours after that evening. In a recurrence that moves the weekday/day on by one
#   ("每周日晚上12点" = Mondays 00:00); "每月31号晚上12点" is refused as invalid_date.
# - "N天后" / "N周后" / "N个月后" alone is a duration (same clock time N days later); followed by a
#   time ("3天后下午3点") it names that day.
# - Hour/minute durations ("两小时后") are added in real (UTC) time, so they stay right across DST.

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from bot import holidays
from bot import recurrence as cal
from bot import timewords as w
from bot.recurrence import Recurrence

__all__ = ["Asked", "Recurrence", "Refusal", "TimeInput", "TimeRefusal", "read_time"]

END_OF_DAY = (23, 59, 59)  # date_only: a day without an hour counts until its end ("今天" is not past)


class Refusal(StrEnum):
    """Why a typed time cannot be used."""

    EMPTY = "empty"
    NOT_UNDERSTOOD = "unrecognised"
    NO_SUCH_DATE = "invalid_date"  # 2月30日, 25点, a weekday note that does not match the date
    HOUR_MISSING = "no_time"
    PAST = "past"
    TOO_SOON = "too_soon"  # closer than the caller's min_ahead (limit)
    TOO_FAR = "too_far"  # further than the caller's max_ahead (limit)
    RECURRING = "recurring"  # a repeat ("每周三") where one time is wanted
    CALENDAR_UNKNOWN = "calendar_unknown"  # 下个工作日 in a year whose holiday arrangement is not published


class Asked(StrEnum):
    """What the caller asked for, so a refusal can show an example that fits."""

    MOMENT = "moment"
    DAY = "day"
    REPEAT = "repeat"


class TimeRefusal(ValueError):
    """A typed time that cannot be used: ``reason`` says why, ``fragment`` which words."""

    def __init__(
        self,
        reason: Refusal | str,
        fragment: str = "",
        limit: timedelta | None = None,
        asked: Asked | str = Asked.MOMENT,
    ) -> None:
        reason, asked = Refusal(reason), Asked(asked)  # an unknown reason is a programming error
        # Everything goes to args so the exception survives pickling (e.g. across a process pool).
        super().__init__(reason, fragment, limit, asked)
        self.reason = reason
        self.fragment = fragment
        self.limit = limit
        self.asked = asked

    def __str__(self) -> str:
        """Show the reason and the offending text."""
        return f"{self.reason}: {self.fragment!r}" if self.fragment else str(self.reason)


@dataclass(frozen=True)
class TimeInput:
    """A usable typed time: the moment (first occurrence if recurring), its words and the text after them."""

    when: datetime  # aware, in now's zone; date_only without an hour: the end of that day
    recurrence: Recurrence | None
    matched: str
    rest: str = ""  # leading=True: the text after the time ("" if none)
    hour_given: bool = True  # False when the hour came from default_hour, date_only or "N天后"

    @property
    def day(self) -> date:
        """The calendar day of ``when``."""
        return self.when.date()


def read_time(
    text: str,
    *,
    now: datetime,
    leading: bool = False,
    default_hour: int | None = None,
    date_only: bool = False,
    recurring: bool = False,
    allow_past: bool = False,
    min_ahead: timedelta | None = None,
    max_ahead: timedelta | None = None,
) -> TimeInput:
    """The one reader of typed times: a TimeInput following the caller's rules, or a TimeRefusal."""
    # leading: the time starts a longer text (/remind 周六上午9点 带上扫帚) and the rest is returned;
    # otherwise the text must be nothing but the time. default_hour: the hour of a day typed without one
    # (None: HOUR_MISSING). date_only: a day is wanted, an hour is optional. recurring: 每周三… is accepted.
    cal.require_aware(now, "now")
    if default_hour is not None and not 0 <= default_hour <= 23:
        raise ValueError("default_hour must be 0..23")
    asked = Asked.DAY if date_only else (Asked.REPEAT if recurring else Asked.MOMENT)
    default_at = END_OF_DAY if date_only else (None if default_hour is None else (default_hour, 0, 0))
    try:
        found = _read(text, now, leading, default_at, allow_past)
        if found.recurrence is not None and not recurring:
            raise TimeRefusal(Refusal.RECURRING, found.matched)
        if min_ahead is not None and found.when < now + min_ahead and not allow_past:
            raise TimeRefusal(Refusal.TOO_SOON, found.matched, min_ahead)
        if max_ahead is not None and found.when > now + max_ahead:
            raise TimeRefusal(Refusal.TOO_FAR, found.matched, max_ahead)
    except TimeRefusal as exc:
        if exc.asked is asked:
            raise
        raise TimeRefusal(exc.reason, exc.fragment, exc.limit, asked) from None
    return found


def _read(
    text: str, now: datetime, leading: bool, default_at: tuple[int, int, int] | None, allow_past: bool
) -> TimeInput:
    """Scan and resolve ``text``; the rules of the caller that need the result come after."""
    norm, start = _prepare(text)
    scan = _scan(norm, text, start, now)
    if scan is None:
        raise TimeRefusal(Refusal.NOT_UNDERSTOOD, text.split()[0] if leading else text.strip())
    rest = ""
    if leading:
        rest_at = w.SEPARATORS.match(norm, scan.end)
        assert rest_at is not None  # the pattern can match the empty string
        rest = text[rest_at.end() :].rstrip()
    else:
        tail = w.TRAILING_PUNCT.match(norm, scan.end)
        if tail is None or tail.end() != len(norm):
            raise TimeRefusal(Refusal.NOT_UNDERSTOOD, text[scan.end :].strip())
    found = _resolve(scan, text, now, allow_past, default_at)
    hour_given = scan.clock is not None or scan.period is not None or scan.moment is not None
    return replace(found, rest=rest, hour_given=hour_given)


# --- Normalisation -------------------------------------------------------------------------


def _prepare(text: str) -> tuple[str, int]:
    """Normalise the text and find where the expression starts."""
    norm = text.translate(w.FULLWIDTH)
    start = len(norm) - len(norm.lstrip())
    if start == len(norm):
        raise TimeRefusal(Refusal.EMPTY)
    return norm, start


# --- Scanning ------------------------------------------------------------------------------


@dataclass
class _Scan:
    """What was recognised at the start of the text; offsets index the original string."""

    orig: str  # the caller's text, for fragments and ``matched``
    start: int
    end: int
    dates: list[date] = field(default_factory=list)  # candidate days, preferred first; [] = none
    rolls: bool = False  # no day was named: today, else tomorrow
    moment: datetime | None = None  # a duration already resolved to an instant
    day_shift: tuple[int, int] | None = None  # "3天后"/"2个月后" alone: (days, months) keeping clock time
    recur: tuple[str, int | None, int | None] | None = None
    period: str | None = None
    clock: tuple[int, int, int, bool] | None = None  # hour, minute, second, hour written with leading 0
    clock_text: str = ""

    def frag(self, start: int, end: int) -> str:
        """The caller's own text between two offsets, for error fragments."""
        return self.orig[start:end].strip()


def _scan(s: str, orig: str, pos: int, now: datetime) -> _Scan | None:
    """Recognise recurrence/duration/date, then period and clock, from ``pos``; None if nothing."""
    sc = _Scan(orig=orig, start=pos, end=pos)
    today = now.date()
    if m := w.RE_RECUR.match(s, pos):
        _scan_recurrence(m, sc)
    elif m := w.RE_DUR_HM.match(s, pos):
        sc.moment = _duration(m, now, sc.frag(m.start(), m.end()))
        sc.end = m.end()
        return sc
    elif (m := w.RE_DUR_DAY.match(s, pos)) and (m["unit"] != "月" or m["ge"]):
        # "3月后" is left alone: it reads as much like "after March" as "in 3 months".
        n = _checked_num(m["n"], sc.frag(m.start(), m.end()))
        days, months = {"天": (n, 0), "日": (n, 0), "月": (0, n)}.get(m["unit"], (7 * n, 0))
        y, mo = cal.add_months(today.year, today.month, months)
        sc.dates = [cal.clamped_day(y, mo, today.day) + timedelta(days=days)]
        sc.day_shift = (days, months)
        sc.end = m.end()
    elif not _scan_date(s, pos, sc, today):
        sc.rolls = True
    _scan_time(s, sc)
    if sc.end == sc.start:
        return None
    return sc


def _scan_recurrence(m: re.Match[str], sc: _Scan) -> None:
    """Record a 每天/每周X/每月N号 prefix."""
    sc.end = m.end()
    if m["dp"]:
        sc.recur = ("daily", None, None)
        sc.period = "早上" if m["dp"].startswith("每早") else ("夜里" if m["dp"] == "每夜" else "晚上")
    elif m["daily"]:
        sc.recur = ("daily", None, None)
    elif m["wd"]:
        sc.recur = ("weekly", w.WEEKDAY[m["wd"]], None)
    else:
        frag = sc.frag(m.start(), m.end())
        day = _checked_num(m["md"], frag)
        if not 1 <= day <= 31:
            raise TimeRefusal(Refusal.NO_SUCH_DATE, frag)
        sc.recur = ("monthly", None, day)


def _scan_date(s: str, pos: int, sc: _Scan, today: date) -> bool:
    """Recognise one date form at ``pos`` into ``sc``; False if none is there."""
    if m := w.RE_YMD_NUM.match(s, pos) or w.RE_YMD_CN.match(s, pos):
        frag = sc.frag(m.start(), m.end())
        year = _checked_num(m["y"], frag) if m["y"] else today.year + w.REL_YEAR[m["yrel"]]
        sc.dates = [_valid_date(year, _checked_num(m["m"], frag), _checked_num(m["d"], frag), frag)]
        end = m.end()
    elif m := w.RE_LUNAR_DATE.match(s, pos):
        frag = sc.frag(m.start(), m.end())
        month_word = m["m1"] or m["m2"] or m["m3"]
        day_word = m["d1"] or m["d2"] or m["d3"]
        found = holidays.next_lunar(w.LUNAR_MONTHS[month_word], w.lunar_day(day_word), today)
        if found is None:
            raise TimeRefusal(Refusal.NO_SUCH_DATE, frag)
        sc.dates = [found]
        end = m.end()
    elif m := w.RE_MD_CN.match(s, pos) or w.RE_MD_SLASH.match(s, pos) or w.RE_MD_DOT.match(s, pos):
        frag = sc.frag(m.start(), m.end())
        day = _checked_num(m["d"], frag)
        if "mrel" in m.groupdict() and m["mrel"]:
            y, mo = cal.add_months(today.year, today.month, 1 if m["mrel"].startswith("下") else 0)
            sc.dates = [_valid_date(y, mo, day, frag)]
        else:
            sc.dates = [_next_month_day(_checked_num(m["m"], frag), day, today, frag)]
        end = m.end()
    elif m := w.RE_DAY.match(s, pos):
        frag = sc.frag(m.start(), m.end())
        sc.dates = [_next_day_of_month(_checked_num(m["d"], frag), today, frag)]
        end = m.end()
    elif _scan_relative_date(s, pos, sc, today):
        end = sc.end
    else:
        return False
    # Residents often add the weekday: "12月5日（周六）", "明天周一". A wrong one means a typo somewhere.
    if note := w.RE_WD_NOTE.match(s, end):
        if w.WEEKDAY[note["wd"]] != sc.dates[0].weekday():
            raise TimeRefusal(Refusal.NO_SUCH_DATE, sc.frag(sc.start, note.end()))
        end = note.end()
    sc.end = end
    return True


def _scan_relative_date(s: str, pos: int, sc: _Scan, today: date) -> bool:
    """Recognise 今晚/明天/周六/下周六/月底/春节 style dates into ``sc``; False if none is there."""
    if m := w.RE_NAMED_DAY.match(s, pos):
        sc.dates = _named_day(m, today, sc.frag(m.start(), m.end()))
    elif m := w.RE_REL_DAY_PERIOD.match(s, pos):
        sc.dates = [today + timedelta(days=w.REL_DAY_OFFSET[m["d"]])]
        sc.period = m["p"]
    elif m := w.RE_REL_DAY.match(s, pos):
        word = m.group()
        key = word[:2] if word.startswith("大") else word[0]
        sc.dates = [today + timedelta(days=w.REL_DAY_OFFSET[key])]
    elif m := w.RE_WEEKDAY.match(s, pos):
        wd = w.WEEKDAY[m["wd"]]
        if m["rel"]:
            monday = today - timedelta(days=today.weekday())
            sc.dates = [monday + timedelta(days=7 * w.REL_WEEK[m["rel"]] + wd)]
        else:
            # A bare weekday is the coming one; today's if still ahead, else a week later.
            first = today + timedelta(days=(wd - today.weekday()) % 7)
            sc.dates = [first, first + timedelta(days=7)]
    else:
        return False
    sc.end = m.end()
    return True


def _named_day(m: re.Match[str], today: date, frag: str) -> list[date]:
    """The days a 月底/月初/周末/下个工作日/festival word names, preferred first (the coming one, or today)."""
    if m["monthend"]:
        return [date(today.year, today.month, calendar.monthrange(today.year, today.month)[1])]
    if m["monthstart"]:
        # 月初 said after the 1st means next month's start.
        if today.day == 1:
            return [today]
        y, mo = cal.add_months(today.year, today.month, 1)
        return [date(y, mo, 1)]
    if m["workday"]:
        found = holidays.next_workday(today)
        if not found.published:
            raise TimeRefusal(Refusal.CALENDAR_UNKNOWN, frag)
        return [found.day]
    if m["fest"] is None:
        # 这个周末: this week's Saturday (today on a Sunday); 下周末 the next week's; a bare 周末 that has
        # passed (Sunday evening) is the next one.
        weeks = {"下": 1, "下个": 1, "下下": 2, "下下个": 2}.get(m["wkrel"] or "", 0)
        monday = today - timedelta(days=today.weekday())
        saturday = monday + timedelta(days=7 * weeks + 5)
        if weeks == 0 and today.weekday() == 6:
            return [today] if m["wkrel"] else [today, saturday + timedelta(days=7)]
        return [saturday] if m["wkrel"] or weeks else [saturday, saturday + timedelta(days=7)]
    word = m["fest"]
    if word in w.EVE_WORDS:
        return [holidays.next_new_year_eve(today)]
    if word in w.LUNAR_FESTIVALS:
        found_day = holidays.next_lunar(*w.LUNAR_FESTIVALS[word], today)
        assert found_day is not None  # festival days exist every year
        return [found_day]
    return [_next_month_day(*w.FIXED_FESTIVALS[word], today, frag)]


def _scan_time(s: str, sc: _Scan) -> None:
    """Recognise an optional period and clock time after whatever ``sc`` holds so far."""
    pos = sc.end
    if sc.end > sc.start:
        gap = w.RE_GAP.match(s, pos)
        assert gap is not None  # the pattern can match the empty string
        pos = gap.end()
    if sc.period is None and (m := w.RE_PERIOD.match(s, pos)):
        sc.period = m.group()
        sc.end = pos = m.end()
        pos = len(s) - len(s[pos:].lstrip())
    if m := w.RE_CLOCK_COLON.match(s, pos):
        end = m.end()
        frag = sc.frag(m.start(), end)
        second = int(m["s"]) if m["s"] else 0
        sc.clock = (int(m["h"]), _minute(int(m["m"]), frag), _minute(second, frag), m["h"].startswith("0"))
    elif m := w.RE_CLOCK_CN.match(s, pos):
        end = m.end()
        minute = 0
        if m["half"]:
            minute = 30
        elif m["q"]:
            minute = 15 if m["q"] in "一1" else 45
        elif m["m"]:
            single = m["m"].isascii() and len(m["m"]) == 1 and not (m["zero"] or m["fen"])
            if single and not w.RE_BOUNDARY.match(s, end):
                # "3点5楼" is 3:00 followed by text; "3点5" on its own, "3点05" and "3点5分" are 3:05.
                end = m.start("m")
            else:
                minute = _minute(_checked_num(m["m"], sc.frag(m.start(), end)), sc.frag(m.start(), end))
        frag = sc.frag(m.start(), end)
        hour_text = m["h"]
        sc.clock = (_checked_num(hour_text, frag), minute, 0, hour_text.isascii() and hour_text.startswith("0"))
    else:
        return
    sc.end = end
    sc.clock_text = sc.frag(m.start(), end)


def _duration(m: re.Match[str], now: datetime, frag: str) -> datetime:
    """Resolve 两小时后/半小时后/10分钟后 to an instant, counted in real time."""
    if m["half"]:
        minutes = 30.0
    elif m["q"]:
        minutes = 15.0 * _checked_num(m["q"], frag)
    elif m["h"]:
        hours = float(m["h"]) if m["h"].isascii() else float(_checked_num(m["h"], frag))
        minutes = hours * 60 + (30 if m["hh"] else 0) + (_checked_num(m["hm"], frag) if m["hm"] else 0)
    else:
        minutes = float(_checked_num(m["m"], frag))
    tz = cal.require_aware(now, "now")
    return (now.astimezone(UTC) + timedelta(minutes=minutes)).astimezone(tz)


# --- Value checks --------------------------------------------------------------------------


def _checked_num(token: str, frag: str) -> int:
    """Parse a numeral matched by the patterns; a malformed one makes the fragment unrecognised."""
    value = w.num(token)
    if value is None:
        raise TimeRefusal(Refusal.NOT_UNDERSTOOD, frag)
    return value


def _minute(value: int, frag: str) -> int:
    """Check a minute or second is 0..59."""
    if not 0 <= value <= 59:
        raise TimeRefusal(Refusal.NO_SUCH_DATE, frag)
    return value


def _valid_date(year: int, month: int, day: int, frag: str) -> date:
    """Build a date or refuse it as invalid."""
    try:
        return date(year, month, day)
    except ValueError:
        raise TimeRefusal(Refusal.NO_SUCH_DATE, frag) from None


def _next_month_day(month: int, day: int, today: date, frag: str) -> date:
    """A year-less month/day: this year, or next year if that day is over (Feb 29 waits for a leap year)."""
    # 2000 is a leap year, so this accepts 2月29日 but refuses 2月30日, 4月31日 and 13月1日.
    _valid_date(2000, month, day, frag)
    for year in range(today.year, today.year + 9):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    raise AssertionError("unreachable: a leap year comes within 8 years")  # pragma: no cover


def _next_day_of_month(day: int, today: date, frag: str) -> date:
    """A bare "N号": this month if still ahead (or today), else the next month that has that day."""
    if not 1 <= day <= 31:
        raise TimeRefusal(Refusal.NO_SUCH_DATE, frag)
    for i in range(3):
        year, month = cal.add_months(today.year, today.month, i)
        if day <= calendar.monthrange(year, month)[1] and date(year, month, day) >= today:
            return date(year, month, day)
    raise AssertionError("unreachable: two consecutive months never both lack a day")  # pragma: no cover


# --- Resolution ----------------------------------------------------------------------------


def _hours(sc: _Scan, default_at: tuple[int, int, int] | None, frag: str) -> list[tuple[int, int, int]]:
    """Candidate (hour, minute, second) triples, preferred first; hour may be 24..29 (next day)."""
    kind = w.PERIOD_KIND[sc.period] if sc.period else None
    if sc.clock is None:
        if kind is not None:
            return [(w.PERIOD_DEFAULT_HOUR[kind], 0, 0)]
        if default_at is None:
            raise TimeRefusal(Refusal.HOUR_MISSING, frag)
        return [default_at]
    hour, minute, second, literal = sc.clock
    if kind is None:
        if hour > 24 or (hour == 24 and (minute or second)):
            raise TimeRefusal(Refusal.NO_SUCH_DATE, sc.clock_text)
        if literal or hour == 0 or hour >= 12:
            return [(hour, minute, second)]
        if hour <= 5:
            return [(hour + 12, minute, second)]
        return [(hour, minute, second), (hour + 12, minute, second)]
    shifted = w.period_hour(kind, hour)
    if shifted is None:
        raise TimeRefusal(Refusal.NO_SUCH_DATE, frag)
    return [(shifted, minute, second)]


def _resolve(
    sc: _Scan, text: str, now: datetime, allow_past: bool, default_at: tuple[int, int, int] | None
) -> TimeInput:
    """Turn a scan into a concrete moment, applying the future preference and the past check."""
    tz = cal.require_aware(now, "now")
    matched = text[sc.start : sc.end]
    if sc.moment is not None:
        return _checked(TimeInput(sc.moment, None, matched), now, allow_past)
    if sc.recur is not None:
        rec = _recurrence(sc, default_at, matched)
        return TimeInput(rec.next_after(now), rec, matched)
    if sc.day_shift is not None and sc.clock is None and sc.period is None:
        when = cal.wall_clock(sc.dates[0], now.time(), tz)
        return _checked(TimeInput(when, None, matched), now, allow_past)
    today = now.date()
    dates = [today, today + timedelta(days=1)] if sc.rolls else sc.dates
    candidates = [
        cal.wall_clock(day + timedelta(days=hour // 24), time(hour % 24, minute, second), tz)
        for day in dates
        for hour, minute, second in _hours(sc, default_at, matched)
    ]
    when = next((c for c in candidates if c >= now), candidates[0])
    return _checked(TimeInput(when, None, matched), now, allow_past)


def _recurrence(sc: _Scan, default_at: tuple[int, int, int] | None, matched: str) -> Recurrence:
    """Build the Recurrence, moving "晚上12点"-style times onto the following day."""
    assert sc.recur is not None
    kind, weekday, day = sc.recur
    hour, minute, _ = _hours(sc, default_at, matched)[0]
    if hour >= 24:
        hour -= 24
        if weekday is not None:
            weekday = (weekday + 1) % 7
        if day is not None:
            if day == 31:
                raise TimeRefusal(Refusal.NO_SUCH_DATE, matched)
            day += 1
    return Recurrence(kind, weekday, day, hour, minute)


def _checked(parsed: TimeInput, now: datetime, allow_past: bool) -> TimeInput:
    """Refuse a moment before ``now`` unless the caller accepts the past."""
    if parsed.when < now and not allow_past:
        raise TimeRefusal(Refusal.PAST, parsed.matched)
    return parsed
