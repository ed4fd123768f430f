"""The working-day calendar (published years and the honest fallback) and lunar dates."""

from __future__ import annotations

from datetime import date

from bot.holidays import Workday, lunar_to_solar, next_workday


def test_published_year_skips_holidays_and_keeps_make_up_days() -> None:
    # 国庆 2026: 1–7 October off; Saturday 10 October is a make-up working day.
    assert next_workday(date(2026, 9, 30)) == Workday(date(2026, 10, 8), True)
    assert next_workday(date(2026, 10, 9)) == Workday(date(2026, 10, 10), True)


def test_unpublished_year_falls_back_to_monday_to_friday_and_says_so() -> None:
    assert next_workday(date(2027, 1, 8)) == Workday(date(2027, 1, 11), False)


def test_lunar_dates() -> None:
    assert lunar_to_solar(2027, 1, 1) == date(2027, 2, 6)  # 春节 2027
    assert lunar_to_solar(2026, 12, 23) == date(2027, 1, 30)  # 腊月二十三 (小年)
