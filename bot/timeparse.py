"""Parse the Chinese time expressions residents type ("明天下午3点", "周六 15:00", "每周三晚上7点")."""

# Framework-free and deterministic: every result depends only on the text and the `now` passed in.
# Results are in now.tzinfo, so callers pass `now` already converted to the community's zone
# (a zoneinfo.ZoneInfo or a fixed datetime.timezone; pytz zones are not supported).
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
# - A period alone ("礼拜三晚上") means its typical hour (see _PERIOD_DEFAULT_HOUR).
# - "晚上12点" / "午夜" is midnight at the end of that day (the next day 00:00); "夜里2点" is the
#   small hours after that evening. In a recurrence that moves the weekday/day on by one
#   ("每周日晚上12点" = Mondays 00:00); "每月31号晚上12点" is refused as invalid_date.
# - "N天后" / "N周后" / "N个月后" alone is a duration (same clock time N days later); followed by a
#   time ("3天后下午3点") it names that day.
# - Hour/minute durations ("两小时后") are added in real (UTC) time, so they stay right across DST.

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo

__all__ = ["REASONS", "ParsedTime", "Recurrence", "TimeParseError", "parse_time", "split_time"]

REASONS = frozenset({"empty", "unrecognised", "past", "invalid_date", "no_time"})


class TimeParseError(ValueError):
    """The text is not a usable time expression; ``reason`` says why, ``fragment`` says where."""

    def __init__(self, reason: str, fragment: str = "") -> None:
        if reason not in REASONS:
            raise ValueError(f"unknown TimeParseError reason {reason!r}")
        # Both go to args so the exception survives pickling (e.g. across a process pool).
        super().__init__(reason, fragment)
        self.reason = reason
        self.fragment = fragment

    def __str__(self) -> str:
        """Show the reason and the offending text."""
        return f"{self.reason}: {self.fragment!r}" if self.fragment else self.reason


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
        tz = _require_aware(after, "after")
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
            candidates = (_clamped_day(*_add_months(start.year, start.month, i), self.day) for i in range(3))
        for day in candidates:
            moment = _at(day, at, tz)
            if moment > after:
                return moment
        raise AssertionError("unreachable: a later occurrence always exists")  # pragma: no cover


@dataclass(frozen=True)
class ParsedTime:
    """A parsed expression: the moment (first occurrence if recurring) and the text it came from."""

    when: datetime
    recurrence: Recurrence | None
    matched: str


def parse_time(text: str, *, now: datetime, allow_past: bool = False, default_hour: int | None = None) -> ParsedTime:
    """Parse ``text``, which must be nothing but a time expression, relative to ``now``."""
    norm, start = _prepare(text, now, default_hour)
    scan = _scan(norm, text, start, now)
    if scan is None:
        raise TimeParseError("unrecognised", text.strip())
    tail = _TRAILING_PUNCT.match(norm, scan.end)
    if tail is None or tail.end() != len(norm):
        raise TimeParseError("unrecognised", text[scan.end :].strip())
    return _resolve(scan, text, now, allow_past, default_hour)


def split_time(
    text: str, *, now: datetime, allow_past: bool = False, default_hour: int | None = None
) -> tuple[ParsedTime, str]:
    """Split a leading time expression off ``text``; return it and the rest (may be "")."""
    norm, start = _prepare(text, now, default_hour)
    scan = _scan(norm, text, start, now)
    if scan is None:
        raise TimeParseError("unrecognised", text.split()[0])
    parsed = _resolve(scan, text, now, allow_past, default_hour)
    rest_at = _SEPARATORS.match(norm, scan.end)
    assert rest_at is not None  # the pattern can match the empty string
    return parsed, text[rest_at.end() :].rstrip()


# --- Normalisation -------------------------------------------------------------------------

# One output character per input character, so match offsets index the original text too.
_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20
_FULLWIDTH.update({ord(a): ord(b) for a, b in zip("點兩後週禮鐘號個時", "点两后周礼钟号个时", strict=True)})

_TRAILING_PUNCT = re.compile(r"[\s。.!！?？,，;；、~～]*")
_SEPARATORS = re.compile(r"[\s,，、:：;；\-—–~～。.!！]*")


def _prepare(text: str, now: datetime, default_hour: int | None) -> tuple[str, int]:
    """Validate arguments, normalise the text and find where the expression starts."""
    _require_aware(now, "now")
    if default_hour is not None and not 0 <= default_hour <= 23:
        raise ValueError("default_hour must be 0..23")
    norm = text.translate(_FULLWIDTH)
    start = len(norm) - len(norm.lstrip())
    if start == len(norm):
        raise TimeParseError("empty")
    return norm, start


def _require_aware(moment: datetime, name: str) -> tzinfo:
    """Return the zone of an aware datetime; naive ones are a programming error."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return moment.tzinfo


# --- Numbers -------------------------------------------------------------------------------

_CN_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_TENS = re.compile(r"([一二两三四五六七八九])?十([一二三四五六七八九])?|([廿卅])([一二三四五六七八九])?")
_CN = "[零〇一二两三四五六七八九十廿卅]+"
_N = f"(?:[0-9]+|{_CN})"
_N_START = "[0-9零〇一二两三四五六七八九十廿卅]"


def _num(token: str) -> int | None:
    """Value of an Arabic or Chinese numeral up to 99 (or a digit-by-digit year); None if malformed."""
    if token.isascii():
        return int(token)
    tens = _CN_TENS.fullmatch(token)
    if tens:
        if tens.group(3):
            return (20 if tens.group(3) == "廿" else 30) + _CN_DIGIT.get(tens.group(4) or "零", 0)
        return _CN_DIGIT.get(tens.group(1) or "一", 1) * 10 + _CN_DIGIT.get(tens.group(2) or "零", 0)
    if all(ch in _CN_DIGIT for ch in token) and (len(token) == 1 or "两" not in token):
        return int("".join(str(_CN_DIGIT[ch]) for ch in token))
    return None


# --- Patterns (each tried with .match at the current position) -----------------------------

_WD = "[一二三四五六日天七1-7]"
_WEEKDAY = {ch: i for i, ch in enumerate("一二三四五六日")} | {"天": 6, "七": 6} | {str(i + 1): i for i in range(7)}

_RE_RECUR = re.compile(
    rf"(?P<daily>每一?天|每日|天天)|(?P<dp>每晚上?|每夜|每早上?)"
    rf"|每个?(?:周|星期|礼拜)(?P<wd>{_WD})|每个?月的?(?P<md>{_N})[号日]"
)
_RE_DUR_HM = re.compile(
    rf"(?:(?P<half>半)个?(?:小时|钟头)|(?P<q>[一二两三1-3])刻钟"
    rf"|(?P<h>[0-9]+(?:\.[0-9]+)?|{_CN})个?(?P<hh>半)?(?:小时|钟头|钟)(?:[零〇]?(?P<hm>{_N})分钟?)?"
    rf"|(?P<m>{_N})分钟?)\s*(?:以后|之后|后)"
)
_RE_DUR_DAY = re.compile(rf"(?P<n>{_N})(?P<ge>个)?(?P<unit>天|日|周|星期|礼拜|月)\s*(?:以后|之后|后)")
_RE_YMD_NUM = re.compile(r"(?P<y>[0-9]{4})(?P<sep>[-/.])(?P<m>[0-9]{1,2})(?P=sep)(?P<d>[0-9]{1,2})(?![0-9])[日号]?")
_RE_YMD_CN = re.compile(
    rf"(?:(?P<y>[0-9]{{4}}|[零〇一二三四五六七八九]{{4}})|(?P<yrel>今|明|后|去|前))年\s*"
    rf"(?P<m>{_N})月份?\s*(?P<d>{_N})[日号]?"
)
_RE_MD_CN = re.compile(rf"(?:(?P<mrel>本|这个?|下个?)月|(?P<m>{_N})月份?)\s*(?P<d>{_N})[日号]?")
_RE_MD_SLASH = re.compile(r"(?P<m>[0-9]{1,2})/(?P<d>[0-9]{1,2})(?![0-9/])")
# "3号楼" is a building, not the 3rd of the month.
_RE_DAY = re.compile(rf"(?P<d>{_N})[日号](?![楼院门线床房室单元栋座期])")
_RE_REL_DAY_PERIOD = re.compile(r"(?P<d>今|明|昨)(?P<p>早上|早晨|晨|早|晚上|晚|夜里|夜)")
_RE_REL_DAY = re.compile(r"大后天|大前天|(?:今|明|后|昨|前)(?:天|儿个?)|(?:今|明|昨)日")
_RE_WEEKDAY = re.compile(rf"(?P<rel>下下个?|上上个?|下个?|上个?|本|这个?)?(?:周|星期|礼拜)(?P<wd>{_WD})")
_RE_WD_NOTE = re.compile(rf"\s*[(（]?\s*(?:周|星期|礼拜)(?P<wd>{_WD})\s*[)）]?")
_RE_BOUNDARY = re.compile(r"$|[\s,，、:：;；。.!！?？~～-]")
_RE_GAP = re.compile(r"\s*(?:的\s*)?")
_RE_PERIOD = re.compile(
    rf"凌晨|早上|早晨|清晨|上午|中午|正午|午间|下午|午后|傍晚|黄昏|晚上|晚间|夜晚|夜里|夜间|深夜|半夜|午夜"
    rf"|[早晚夜](?=\s*{_N_START})"
)
_RE_CLOCK_COLON = re.compile(r"(?P<h>[0-9]{1,2}):(?P<m>[0-9]{2})(?::(?P<s>[0-9]{2}))?(?![0-9])")
_RE_CLOCK_CN = re.compile(
    rf"(?P<h>{_N})(?:点|时)钟?"
    rf"(?:(?P<zheng>整)|(?P<half>半)|(?P<q>[一三13])刻钟?|(?P<zero>[零〇])?(?P<m>{_N})(?P<fen>分钟?)?)?"
)

_REL_DAY_OFFSET = {"大后": 3, "大前": -3, "今": 0, "明": 1, "后": 2, "昨": -1, "前": -2}
_REL_YEAR = {"今": 0, "明": 1, "后": 2, "去": -1, "前": -2}
_REL_WEEK = {"本": 0, "这": 0, "这个": 0, "下": 1, "下个": 1, "下下": 2, "下下个": 2}
_REL_WEEK |= {"上": -1, "上个": -1, "上上": -2, "上上个": -2}

_PERIOD_KIND = {
    "凌晨": "dawn",
    "早上": "morning", "早晨": "morning", "清晨": "morning", "早": "morning", "晨": "morning",
    "上午": "forenoon",
    "中午": "noon", "正午": "noon", "午间": "noon",
    "下午": "afternoon", "午后": "afternoon",
    "傍晚": "dusk", "黄昏": "dusk",
    "晚上": "evening", "晚间": "evening", "夜晚": "evening", "晚": "evening",
    "夜里": "night", "夜间": "night", "夜": "night", "深夜": "night",
    "半夜": "midnight", "午夜": "midnight",
}  # fmt: skip
# Hour used when only a period is given ("礼拜三晚上"); 24 means the midnight ending that day.
_PERIOD_DEFAULT_HOUR = {
    "dawn": 5, "morning": 8, "forenoon": 9, "noon": 12, "afternoon": 15,
    "dusk": 18, "evening": 19, "night": 22, "midnight": 24,
}  # fmt: skip


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
    if m := _RE_RECUR.match(s, pos):
        _scan_recurrence(m, sc)
    elif m := _RE_DUR_HM.match(s, pos):
        sc.moment = _duration(m, now, sc.frag(m.start(), m.end()))
        sc.end = m.end()
        return sc
    elif (m := _RE_DUR_DAY.match(s, pos)) and (m["unit"] != "月" or m["ge"]):
        # "3月后" is left alone: it reads as much like "after March" as "in 3 months".
        n = _checked_num(m["n"], sc.frag(m.start(), m.end()))
        days, months = {"天": (n, 0), "日": (n, 0), "月": (0, n)}.get(m["unit"], (7 * n, 0))
        y, mo = _add_months(today.year, today.month, months)
        sc.dates = [_clamped_day(y, mo, today.day) + timedelta(days=days)]
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
        sc.recur = ("weekly", _WEEKDAY[m["wd"]], None)
    else:
        frag = sc.frag(m.start(), m.end())
        day = _checked_num(m["md"], frag)
        if not 1 <= day <= 31:
            raise TimeParseError("invalid_date", frag)
        sc.recur = ("monthly", None, day)


def _scan_date(s: str, pos: int, sc: _Scan, today: date) -> bool:
    """Recognise one date form at ``pos`` into ``sc``; False if none is there."""
    if m := _RE_YMD_NUM.match(s, pos) or _RE_YMD_CN.match(s, pos):
        frag = sc.frag(m.start(), m.end())
        year = _checked_num(m["y"], frag) if m["y"] else today.year + _REL_YEAR[m["yrel"]]
        sc.dates = [_valid_date(year, _checked_num(m["m"], frag), _checked_num(m["d"], frag), frag)]
        end = m.end()
    elif m := _RE_MD_CN.match(s, pos) or _RE_MD_SLASH.match(s, pos):
        frag = sc.frag(m.start(), m.end())
        day = _checked_num(m["d"], frag)
        if "mrel" in m.groupdict() and m["mrel"]:
            y, mo = _add_months(today.year, today.month, 1 if m["mrel"].startswith("下") else 0)
            sc.dates = [_valid_date(y, mo, day, frag)]
        else:
            sc.dates = [_next_month_day(_checked_num(m["m"], frag), day, today, frag)]
        end = m.end()
    elif m := _RE_DAY.match(s, pos):
        frag = sc.frag(m.start(), m.end())
        sc.dates = [_next_day_of_month(_checked_num(m["d"], frag), today, frag)]
        end = m.end()
    elif _scan_relative_date(s, pos, sc, today):
        end = sc.end
    else:
        return False
    # Residents often add the weekday: "12月5日（周六）", "明天周一". A wrong one means a typo somewhere.
    if note := _RE_WD_NOTE.match(s, end):
        if _WEEKDAY[note["wd"]] != sc.dates[0].weekday():
            raise TimeParseError("invalid_date", sc.frag(sc.start, note.end()))
        end = note.end()
    sc.end = end
    return True


def _scan_relative_date(s: str, pos: int, sc: _Scan, today: date) -> bool:
    """Recognise 今晚/明天/周六/下周六 style dates into ``sc``; False if none is there."""
    if m := _RE_REL_DAY_PERIOD.match(s, pos):
        sc.dates = [today + timedelta(days=_REL_DAY_OFFSET[m["d"]])]
        sc.period = m["p"]
    elif m := _RE_REL_DAY.match(s, pos):
        word = m.group()
        key = word[:2] if word.startswith("大") else word[0]
        sc.dates = [today + timedelta(days=_REL_DAY_OFFSET[key])]
    elif m := _RE_WEEKDAY.match(s, pos):
        wd = _WEEKDAY[m["wd"]]
        if m["rel"]:
            monday = today - timedelta(days=today.weekday())
            sc.dates = [monday + timedelta(days=7 * _REL_WEEK[m["rel"]] + wd)]
        else:
            # A bare weekday is the coming one; today's if still ahead, else a week later.
            first = today + timedelta(days=(wd - today.weekday()) % 7)
            sc.dates = [first, first + timedelta(days=7)]
    else:
        return False
    sc.end = m.end()
    return True


def _scan_time(s: str, sc: _Scan) -> None:
    """Recognise an optional period and clock time after whatever ``sc`` holds so far."""
    pos = sc.end
    if sc.end > sc.start:
        gap = _RE_GAP.match(s, pos)
        assert gap is not None  # the pattern can match the empty string
        pos = gap.end()
    if sc.period is None and (m := _RE_PERIOD.match(s, pos)):
        sc.period = m.group()
        sc.end = pos = m.end()
        pos = len(s) - len(s[pos:].lstrip())
    if m := _RE_CLOCK_COLON.match(s, pos):
        end = m.end()
        frag = sc.frag(m.start(), end)
        second = int(m["s"]) if m["s"] else 0
        sc.clock = (int(m["h"]), _minute(int(m["m"]), frag), _minute(second, frag), m["h"].startswith("0"))
    elif m := _RE_CLOCK_CN.match(s, pos):
        end = m.end()
        minute = 0
        if m["half"]:
            minute = 30
        elif m["q"]:
            minute = 15 if m["q"] in "一1" else 45
        elif m["m"]:
            single = m["m"].isascii() and len(m["m"]) == 1 and not (m["zero"] or m["fen"])
            if single and not _RE_BOUNDARY.match(s, end):
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
    tz = _require_aware(now, "now")
    return (now.astimezone(UTC) + timedelta(minutes=minutes)).astimezone(tz)


# --- Value checks --------------------------------------------------------------------------


def _checked_num(token: str, frag: str) -> int:
    """Parse a numeral matched by the patterns; a malformed one makes the fragment unrecognised."""
    value = _num(token)
    if value is None:
        raise TimeParseError("unrecognised", frag)
    return value


def _minute(value: int, frag: str) -> int:
    """Check a minute or second is 0..59."""
    if not 0 <= value <= 59:
        raise TimeParseError("invalid_date", frag)
    return value


def _valid_date(year: int, month: int, day: int, frag: str) -> date:
    """Build a date or refuse it as invalid."""
    try:
        return date(year, month, day)
    except ValueError:
        raise TimeParseError("invalid_date", frag) from None


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
        raise TimeParseError("invalid_date", frag)
    for i in range(3):
        year, month = _add_months(today.year, today.month, i)
        if day <= calendar.monthrange(year, month)[1] and date(year, month, day) >= today:
            return date(year, month, day)
    raise AssertionError("unreachable: two consecutive months never both lack a day")  # pragma: no cover


def _add_months(year: int, month: int, months: int) -> tuple[int, int]:
    """Shift a (year, month) pair by a number of months."""
    index = year * 12 + month - 1 + months
    return index // 12, index % 12 + 1


def _clamped_day(year: int, month: int, day: int) -> date:
    """The given day of the month, or the month's last day if it is shorter."""
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _at(day: date, at: time, tz: tzinfo) -> datetime:
    """Wall-clock time on a day in ``tz``; a time skipped by a DST jump moves forward with the clocks."""
    naive = datetime.combine(day, at, tzinfo=tz)
    return naive.astimezone(UTC).astimezone(tz)


# --- Resolution ----------------------------------------------------------------------------


def _hours(sc: _Scan, default_hour: int | None, frag: str) -> list[tuple[int, int, int]]:
    """Candidate (hour, minute, second) triples, preferred first; hour may be 24..29 (next day)."""
    kind = _PERIOD_KIND[sc.period] if sc.period else None
    if sc.clock is None:
        if kind is not None:
            return [(_PERIOD_DEFAULT_HOUR[kind], 0, 0)]
        if default_hour is None:
            raise TimeParseError("no_time", frag)
        return [(default_hour, 0, 0)]
    hour, minute, second, literal = sc.clock
    if kind is None:
        if hour > 24 or (hour == 24 and (minute or second)):
            raise TimeParseError("invalid_date", sc.clock_text)
        if literal or hour == 0 or hour >= 12:
            return [(hour, minute, second)]
        if hour <= 5:
            return [(hour + 12, minute, second)]
        return [(hour, minute, second), (hour + 12, minute, second)]
    shifted = _shift(kind, hour)
    if shifted is None:
        raise TimeParseError("invalid_date", frag)
    return [(shifted, minute, second)]


def _shift(kind: str, hour: int) -> int | None:
    """Apply a period to a written hour (下午3点 → 15); None if they contradict (上午15点)."""
    if kind == "dawn":
        return 0 if hour == 12 else (hour if 0 <= hour <= 8 else None)
    if kind in ("morning", "forenoon"):
        return hour if 0 <= hour <= 12 else None
    if kind == "noon":
        return hour + 12 if 1 <= hour <= 4 else (hour if 10 <= hour <= 14 else None)
    if kind in ("afternoon", "dusk"):
        return hour + 12 if 1 <= hour <= 11 else (hour if 12 <= hour <= 23 else None)
    # Evening and night: 12 (or 0) is the midnight ending the day; small hours belong to the night after.
    if hour in (0, 12):
        return 24
    small = 4 if kind == "evening" else 5
    if 1 <= hour <= small:
        return 24 + hour
    if hour <= 11:
        return hour + 12
    return hour if hour <= 24 else None


def _resolve(sc: _Scan, text: str, now: datetime, allow_past: bool, default_hour: int | None) -> ParsedTime:
    """Turn a scan into a concrete moment, applying the future preference and the past check."""
    tz = _require_aware(now, "now")
    matched = text[sc.start : sc.end]
    if sc.moment is not None:
        return _checked(ParsedTime(sc.moment, None, matched), now, allow_past)
    if sc.recur is not None:
        rec = _recurrence(sc, default_hour, matched)
        return ParsedTime(rec.next_after(now), rec, matched)
    if sc.day_shift is not None and sc.clock is None and sc.period is None:
        when = _at(sc.dates[0], now.time(), tz)
        return _checked(ParsedTime(when, None, matched), now, allow_past)
    today = now.date()
    dates = [today, today + timedelta(days=1)] if sc.rolls else sc.dates
    candidates = [
        _at(day + timedelta(days=hour // 24), time(hour % 24, minute, second), tz)
        for day in dates
        for hour, minute, second in _hours(sc, default_hour, matched)
    ]
    when = next((c for c in candidates if c >= now), candidates[0])
    return _checked(ParsedTime(when, None, matched), now, allow_past)


def _recurrence(sc: _Scan, default_hour: int | None, matched: str) -> Recurrence:
    """Build the Recurrence, moving "晚上12点"-style times onto the following day."""
    assert sc.recur is not None
    kind, weekday, day = sc.recur
    hour, minute, _ = _hours(sc, default_hour, matched)[0]
    if hour >= 24:
        hour -= 24
        if weekday is not None:
            weekday = (weekday + 1) % 7
        if day is not None:
            if day == 31:
                raise TimeParseError("invalid_date", matched)
            day += 1
    return Recurrence(kind, weekday, day, hour, minute)


def _checked(parsed: ParsedTime, now: datetime, allow_past: bool) -> ParsedTime:
    """Refuse a moment before ``now`` unless the caller accepts the past."""
    if parsed.when < now and not allow_past:
        raise TimeParseError("past", parsed.matched)
    return parsed
