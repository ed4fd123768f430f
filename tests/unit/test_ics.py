"""The .ics writer: RFC 5545 escaping, folding, UTC times, CRLF."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.ics import CalendarEvent, calendar, escape_text, fold, utc_stamp

SHANGHAI = timezone(timedelta(hours=8))


def unfold(content: str) -> list[str]:
    return content.replace("\r\n ", "").split("\r\n")


def test_text_values_are_escaped() -> None:
    assert escape_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"
    assert escape_text("第一行\r\n第二行") == "第一行\\n第二行"
    assert escape_text("碧水\x00苑\x1b\t会议室") == "碧水苑\t会议室"


def test_times_are_utc() -> None:
    assert utc_stamp(datetime(2026, 12, 5, 15, 0, tzinfo=SHANGHAI)) == "20261205T070000Z"
    with pytest.raises(ValueError):
        utc_stamp(datetime(2026, 12, 5, 15, 0))


@given(st.text(min_size=0, max_size=400))
def test_folding_keeps_lines_short_and_loses_nothing(text: str) -> None:
    line = "DESCRIPTION:" + escape_text(text)
    folded = fold(line)
    assert all(len(part.encode()) <= 75 for part in folded.split("\r\n"))
    assert folded.replace("\r\n ", "") == line


def test_a_whole_calendar() -> None:
    start = datetime(2026, 12, 5, 11, 30, tzinfo=UTC)
    event = CalendarEvent(
        uid="meeting-7@CourtyardTestBot",
        start=start,
        end=start + timedelta(hours=2),
        summary="宣讲会 · 垃圾分类, 有奖问答; 欢迎",
        location="社区活动室",
        description="1. 分类知识\n2. 有奖问答" * 5,
        sequence=3,
        alarms=(timedelta(days=1), timedelta(hours=1)),
    )
    content = calendar(event, stamp=datetime(2026, 11, 29, 2, 0, tzinfo=UTC)).decode()
    assert content.endswith("\r\n") and "\n" not in content.replace("\r\n", "")
    lines = unfold(content)
    assert lines[:5] == ["BEGIN:VCALENDAR", "VERSION:2.0", lines[2], "CALSCALE:GREGORIAN", "METHOD:PUBLISH"]
    assert "DTSTART:20261205T113000Z" in lines and "DTEND:20261205T133000Z" in lines
    assert "SUMMARY:宣讲会 · 垃圾分类\\, 有奖问答\\; 欢迎" in lines
    assert "TRIGGER:-PT1440M" in lines and "TRIGGER:-PT60M" in lines
    assert lines.count("BEGIN:VALARM") == lines.count("END:VALARM") == 2
    assert "STATUS:CONFIRMED" in lines and "SEQUENCE:3" in lines
    cancelled = calendar(CalendarEvent("u", start, start, "x", cancelled=True), stamp=start).decode()
    assert "STATUS:CANCELLED" in unfold(cancelled)
