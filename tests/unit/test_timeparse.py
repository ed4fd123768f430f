"""Chinese time expressions: what residents type, relative to a fixed Sunday morning in Shanghai."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.timeparse import Recurrence, Refusal, TimeInput, TimeRefusal, read_time

SH = ZoneInfo("Asia/Shanghai")
NY = ZoneInfo("America/New_York")
# Sunday 2026-11-29 10:00 in Shanghai (no DST there, always UTC+8).
NOW = datetime(2026, 11, 29, 10, 0, tzinfo=SH)
# Wednesday of the same week, for "本周五"-style expressions that are past on Sunday.
WED = datetime(2026, 11, 25, 10, 0, tzinfo=SH)


def parse_time(text: str, **rules: Any) -> TimeInput:
    """The whole text is a time; repeats accepted (the rules /remind reads with, minus the leading text)."""
    return read_time(text, recurring=True, **rules)


def split_time(text: str, **rules: Any) -> tuple[TimeInput, str]:
    """A time leads the text, as /remind and /meeting read it."""
    found = read_time(text, leading=True, recurring=True, **rules)
    return found, found.rest


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, tz: ZoneInfo = SH) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=tz)


def _corpus() -> list[tuple[str, datetime, datetime]]:
    """The corpus of typed times, the moments they mean and when typed (tests/unit/timeparse_corpus.tsv)."""
    cases = []
    now = NOW
    for line in (Path(__file__).parent / "timeparse_corpus.tsv").read_text(encoding="utf-8").splitlines():
        if line.startswith("#@now\t"):  # the lines below are typed at this moment
            now = datetime.strptime(line.split("\t")[1], "%Y-%m-%d %H:%M").replace(tzinfo=SH)
            continue
        if not line.strip() or line.startswith("#"):
            continue
        text, moment, *_ = line.split("\t")
        cases.append((text, datetime.strptime(moment, "%Y-%m-%d %H:%M").replace(tzinfo=SH), now))
    return cases


PARSED = _corpus()


@pytest.mark.parametrize(("text", "expected", "now"), PARSED)
def test_parses(text: str, expected: datetime, now: datetime) -> None:
    parsed = parse_time(text, now=now)
    assert parsed.when == expected
    assert parsed.when.tzinfo is SH
    assert parsed.when.utcoffset() == timedelta(hours=8)
    assert parsed.recurrence is None
    assert parsed.matched == text.strip().rstrip("。")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("本周五下午", at(2026, 11, 27, 15)),
        ("这周日", at(2026, 11, 29, 9)),  # default_hour 9
        ("周五 15:00", at(2026, 11, 27, 15)),
        ("下周一", at(2026, 11, 30, 9)),
        ("上周一", None),
    ],
)
def test_weekdays_from_wednesday(text: str, expected: datetime | None) -> None:
    if expected is None:
        with pytest.raises(TimeRefusal) as err:
            parse_time(text, now=WED, default_hour=9)
        assert err.value.reason == "past"
    else:
        assert parse_time(text, now=WED, default_hour=9).when == expected


def test_bare_weekday_today_passed_goes_to_next_week() -> None:
    saturday = at(2026, 12, 5, 16)
    assert parse_time("周六 15:00", now=saturday).when == at(2026, 12, 12, 15)
    assert parse_time("周六 17:00", now=saturday).when == at(2026, 12, 5, 17)


@pytest.mark.parametrize(
    ("text", "kind", "weekday", "day", "hour", "minute", "first"),
    [
        ("每周三晚上7点", "weekly", 2, None, 19, 0, at(2026, 12, 2, 19)),
        ("每天早上8点", "daily", None, None, 8, 0, at(2026, 11, 30, 8)),
        ("每月1号上午9点", "monthly", None, 1, 9, 0, at(2026, 12, 1, 9)),
        ("每周六上午9点", "weekly", 5, None, 9, 0, at(2026, 12, 5, 9)),
        ("每周日上午9点", "weekly", 6, None, 9, 0, at(2026, 12, 6, 9)),
        ("每周日上午11点", "weekly", 6, None, 11, 0, at(2026, 11, 29, 11)),
        ("每个星期一下午3点半", "weekly", 0, None, 15, 30, at(2026, 11, 30, 15, 30)),
        ("每晚8点", "daily", None, None, 20, 0, at(2026, 11, 29, 20)),
        ("每天15:00", "daily", None, None, 15, 0, at(2026, 11, 29, 15)),
        ("每个月的二十号晚上", "monthly", None, 20, 19, 0, at(2026, 12, 20, 19)),
        ("每月31号上午9点", "monthly", None, 31, 9, 0, at(2026, 11, 30, 9)),  # clamped to 30 November
        ("每周日晚上12点", "weekly", 0, None, 0, 0, at(2026, 11, 30, 0)),  # Sunday's midnight is Monday 00:00
    ],
)
def test_recurrences(
    text: str, kind: str, weekday: int | None, day: int | None, hour: int, minute: int, first: datetime
) -> None:
    parsed = parse_time(text, now=NOW)
    assert parsed.recurrence == Recurrence(kind, weekday, day, hour, minute)
    assert parsed.when == first
    assert parsed.matched == text


@pytest.mark.parametrize(
    ("text", "reason", "fragment"),
    [
        ("", "empty", ""),
        ("   ", "empty", ""),
        ("\u3000", "empty", ""),
        ("昨天下午3点", "past", "昨天下午3点"),
        ("2025年1月1日上午9点", "past", "2025年1月1日上午9点"),
        ("11月29日上午9点", "past", "11月29日上午9点"),  # today's date with a passed time: not next year
        ("今天上午9点", "past", "今天上午9点"),
        ("本周五下午", "past", "本周五下午"),  # Friday of this (Monday..Sunday) week was two days ago
        ("32号", "invalid_date", "32号"),
        ("2月30日", "invalid_date", "2月30日"),
        ("13月1日", "invalid_date", "13月1日"),
        ("4月31日上午9点", "invalid_date", "4月31日"),
        ("2026-02-29 10:00", "invalid_date", "2026-02-29"),
        ("25点", "invalid_date", "25点"),
        ("晚上25点", "invalid_date", "晚上25点"),
        ("上午15点", "invalid_date", "上午15点"),
        ("下午3点60分", "invalid_date", "3点60分"),
        ("24:30", "invalid_date", "24:30"),
        ("12月5日（周五）上午9点", "invalid_date", "12月5日（周五）"),  # 5 December 2026 is a Saturday
        ("每月32号上午9点", "invalid_date", "每月32号"),
        ("随便什么时候", "unrecognised", "随便什么时候"),
        ("abc", "unrecognised", "abc"),
        ("下周", "unrecognised", "下周"),
        ("每周", "unrecognised", "每周"),
        ("明天下午3点开会", "unrecognised", "开会"),
        ("明天", "no_time", "明天"),
        ("12月5日", "no_time", "12月5日"),
        ("下下周一", "no_time", "下下周一"),
        ("每周三", "no_time", "每周三"),
    ],
)
def test_refusals(text: str, reason: str, fragment: str) -> None:
    with pytest.raises(TimeRefusal) as err:
        parse_time(text, now=NOW)
    assert err.value.reason == reason
    assert err.value.fragment == fragment
    assert isinstance(err.value, ValueError)


def test_named_month_without_that_day_is_invalid() -> None:
    # From October, "下个月" is November, which has no 31st; a named month is never moved.
    with pytest.raises(TimeRefusal) as err:
        parse_time("下个月31号上午9点", now=at(2026, 10, 29, 10))
    assert (err.value.reason, err.value.fragment) == ("invalid_date", "下个月31号")


def test_allow_past_returns_the_past_moment() -> None:
    assert parse_time("昨天下午3点", now=NOW, allow_past=True).when == at(2026, 11, 28, 15)
    assert parse_time("本周五下午", now=NOW, allow_past=True).when == at(2026, 11, 27, 15)
    # allow_past does not change future preference for ambiguous expressions
    assert parse_time("周六 15:00", now=NOW, allow_past=True).when == at(2026, 12, 5, 15)


@pytest.mark.parametrize(
    ("text", "default_hour", "expected"),
    [
        ("明天", 9, at(2026, 11, 30, 9)),
        ("12月5日", 18, at(2026, 12, 5, 18)),
        ("下下周一", 9, at(2026, 12, 7, 9)),
        ("明天晚上", 9, at(2026, 11, 30, 19)),  # a period beats the default hour
        ("明天下午3点", 9, at(2026, 11, 30, 15)),
    ],
)
def test_default_hour(text: str, default_hour: int, expected: datetime) -> None:
    assert parse_time(text, now=NOW, default_hour=default_hour).when == expected


@pytest.mark.parametrize(
    ("text", "expected", "matched", "rest"),
    [
        ("周六上午9点 带上扫帚", at(2026, 12, 5, 9), "周六上午9点", "带上扫帚"),
        ("明天下午3点开会", at(2026, 11, 30, 15), "明天下午3点", "开会"),
        ("明天下午3点 3号楼集合", at(2026, 11, 30, 15), "明天下午3点", "3号楼集合"),
        ("明天下午3点5楼集合", at(2026, 11, 30, 15), "明天下午3点", "5楼集合"),
        ("12月5日 19:30 居民大会", at(2026, 12, 5, 19, 30), "12月5日 19:30", "居民大会"),
        ("两小时后，关火", at(2026, 11, 29, 12), "两小时后", "关火"),
        ("今晚 聚餐", at(2026, 11, 29, 19), "今晚", "聚餐"),
        ("１５：００　交电费", at(2026, 11, 29, 15), "１５：００", "交电费"),
        ("后天晚上7点半：楼道大扫除 ", at(2026, 12, 1, 19, 30), "后天晚上7点半", "楼道大扫除"),
        ("明天下午3点", at(2026, 11, 30, 15), "明天下午3点", ""),
    ],
)
def test_split_time(text: str, expected: datetime, matched: str, rest: str) -> None:
    parsed, remainder = split_time(text, now=NOW)
    assert parsed.when == expected
    assert parsed.matched == matched
    assert remainder == rest


def test_split_time_recurrence() -> None:
    parsed, rest = split_time("每周三晚上7点 倒垃圾", now=NOW)
    assert parsed.recurrence == Recurrence("weekly", 2, None, 19, 0)
    assert rest == "倒垃圾"


@pytest.mark.parametrize(
    ("text", "reason", "fragment"),
    [
        ("开会 明天", "unrecognised", "开会"),
        ("3号楼门口集合", "unrecognised", "3号楼门口集合"),
        ("明天开会", "no_time", "明天"),
        ("昨天下午3点 开会", "past", "昨天下午3点"),
        ("", "empty", ""),
    ],
)
def test_split_time_refusals(text: str, reason: str, fragment: str) -> None:
    with pytest.raises(TimeRefusal) as err:
        split_time(text, now=NOW)
    assert err.value.reason == reason
    assert err.value.fragment == fragment


def test_split_time_default_hour() -> None:
    parsed, rest = split_time("明天 开会", now=NOW, default_hour=9)
    assert parsed.when == at(2026, 11, 30, 9)
    assert rest == "开会"


# --- Recurrence.next_after ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("rec", "after", "expected"),
    [
        # weekly: same day still ahead, same day passed, across a week boundary, across a year
        (Recurrence("weekly", 5, None, 9, 0), at(2026, 12, 5, 8, 59), at(2026, 12, 5, 9)),
        (Recurrence("weekly", 5, None, 9, 0), at(2026, 12, 5, 9), at(2026, 12, 12, 9)),  # strictly after
        (Recurrence("weekly", 0, None, 7, 30), at(2026, 11, 29, 23), at(2026, 11, 30, 7, 30)),
        (Recurrence("weekly", 2, None, 19, 0), at(2026, 12, 3, 10), at(2026, 12, 9, 19)),
        (Recurrence("weekly", 3, None, 20, 0), at(2026, 12, 31, 21), at(2027, 1, 7, 20)),
        # daily
        (Recurrence("daily", None, None, 8, 0), at(2026, 11, 29, 7), at(2026, 11, 29, 8)),
        (Recurrence("daily", None, None, 8, 0), at(2026, 12, 31, 23, 30), at(2027, 1, 1, 8)),
        # monthly: day 31 is clamped to the last day of shorter months, never skipped
        (Recurrence("monthly", None, 31, 9, 0), at(2026, 11, 15), at(2026, 11, 30, 9)),
        (Recurrence("monthly", None, 31, 9, 0), at(2026, 11, 30, 9), at(2026, 12, 31, 9)),
        (Recurrence("monthly", None, 31, 9, 0), at(2027, 1, 31, 10), at(2027, 2, 28, 9)),
        (Recurrence("monthly", None, 30, 9, 0), at(2028, 2, 1), at(2028, 2, 29, 9)),
        (Recurrence("monthly", None, 1, 9, 0), at(2026, 12, 1, 9, 1), at(2027, 1, 1, 9)),
    ],
)
def test_next_after(rec: Recurrence, after: datetime, expected: datetime) -> None:
    assert rec.next_after(after) == expected


def test_next_after_keeps_wall_clock_across_dst() -> None:
    # DST zones are handled even though Shanghai has none: 09:00 stays 09:00 after the clocks go back.
    rec = Recurrence("daily", None, None, 9, 0)
    first = rec.next_after(datetime(2026, 10, 30, 10, tzinfo=NY))
    assert (first.day, first.hour, first.utcoffset()) == (31, 9, timedelta(hours=-4))
    second = rec.next_after(first)
    assert second == datetime(2026, 11, 1, 9, tzinfo=NY)
    assert second.utcoffset() == timedelta(hours=-5)
    # Same-zone subtraction in Python is wall-clock; compare instants in UTC.
    assert second.astimezone(UTC) - first.astimezone(UTC) == timedelta(hours=25)


def test_next_after_moves_a_skipped_time_forward() -> None:
    # 02:30 does not exist in New York on 14 March 2027: the reminder fires at 03:30 EDT.
    rec = Recurrence("daily", None, None, 2, 30)
    moment = rec.next_after(datetime(2027, 3, 14, 0, tzinfo=NY))
    assert moment.astimezone(UTC) == datetime(2027, 3, 14, 7, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "args",
    [("hourly", None, None, 9, 0), ("weekly", None, None, 9, 0), ("weekly", 7, None, 9, 0), ("monthly", None, 0, 9, 0)],
)
def test_recurrence_rejects_impossible_rows(args: tuple[str, int | None, int | None, int, int]) -> None:
    with pytest.raises(ValueError):
        Recurrence(*args)


# --- Time zones and arguments ------------------------------------------------------------


def test_results_follow_the_zone_of_now() -> None:
    utc_now = NOW.astimezone(UTC)  # 02:00 UTC, same instant
    in_utc = parse_time("两小时后", now=utc_now)
    assert in_utc.when == at(2026, 11, 29, 12) and in_utc.when.tzinfo is UTC
    # Wall-clock expressions are read in now's zone, so callers convert now first.
    assert parse_time("下午3点", now=utc_now).when == datetime(2026, 11, 29, 15, tzinfo=UTC)
    fixed = timezone(timedelta(hours=8))
    assert parse_time("下午3点", now=NOW.astimezone(fixed)).when == at(2026, 11, 29, 15)


def test_durations_count_real_time_across_dst() -> None:
    before_fallback = datetime(2026, 11, 1, 0, 30, tzinfo=NY)  # EDT; clocks go back at 02:00
    later = parse_time("两小时后", now=before_fallback).when
    assert later.astimezone(UTC) - before_fallback.astimezone(UTC) == timedelta(hours=2)
    assert (later.hour, later.utcoffset()) == (1, timedelta(hours=-5))


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse_time("明天下午3点", now=datetime(2026, 11, 29, 10))
    with pytest.raises(ValueError, match="default_hour"):
        parse_time("明天", now=NOW, default_hour=24)


def test_error_reasons_are_checked_and_pickle() -> None:
    with pytest.raises(ValueError):
        TimeRefusal("nonsense")
    err = pickle.loads(pickle.dumps(TimeRefusal("past", "昨天")))
    assert (err.reason, err.fragment, str(err)) == ("past", "昨天", "past: '昨天'")


def test_deterministic() -> None:
    # Speed is measured in bench/, not here (these machines are noisy).
    first = [parse_time(t, now=now) for t, _, now in PARSED]
    assert [parse_time(t, now=now) for t, _, now in PARSED] == first
    assert all(isinstance(p, TimeInput) for p in first)


def test_unpublished_holiday_year_is_refused_not_guessed() -> None:
    # 31 December 2026: the next working day falls in 2027, whose arrangement chinese-calendar does not know.
    with pytest.raises(TimeRefusal) as err:
        parse_time("下个工作日上午9点", now=at(2026, 12, 31, 10))
    assert err.value.reason is Refusal.CALENDAR_UNKNOWN
    assert err.value.fragment == "下个工作日"


def test_explicit_weekend_and_festival_day_that_passed_is_past() -> None:
    with pytest.raises(TimeRefusal) as err:
        parse_time("除夕晚上7点", now=at(2026, 2, 16, 20))
    assert err.value.reason is Refusal.PAST
    with pytest.raises(TimeRefusal):
        parse_time("这个周末上午", now=NOW)  # Sunday 10:00: this weekend's morning is over
