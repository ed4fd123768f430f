"""The one time-input entry point: each refusal reason, each caller's rule, and the one wording of refusals."""

from __future__ import annotations

import pickle
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.i18n import Catalogs
from bot.recurrence import Recurrence
from bot.timeparse import Asked, Refusal, TimeRefusal, read_time
from handlers.common import time_error_text

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 29, 10, 0, tzinfo=SH)  # Sunday morning
LATE = datetime(2026, 11, 29, 23, 30, tzinfo=SH)  # the same Sunday, late evening
ZH = Catalogs().translator("zh_CN", SH)


def refusal(text: str, **rules: object) -> TimeRefusal:
    with pytest.raises(TimeRefusal) as caught:
        read_time(text, now=NOW, **rules)  # type: ignore[arg-type]
    return caught.value


@pytest.mark.parametrize(
    ("text", "rules", "reason", "fragment"),
    [
        ("   ", {}, Refusal.EMPTY, ""),
        ("随便什么时候", {}, Refusal.NOT_UNDERSTOOD, "随便什么时候"),
        ("2月30日下午3点", {}, Refusal.NO_SUCH_DATE, "2月30日"),
        ("明天", {}, Refusal.HOUR_MISSING, "明天"),
        ("昨天下午3点", {}, Refusal.PAST, "昨天下午3点"),
        ("3分钟后", {"min_ahead": timedelta(minutes=5)}, Refusal.TOO_SOON, "3分钟后"),
        ("2028年1月1日下午3点", {"max_ahead": timedelta(days=366)}, Refusal.TOO_FAR, "2028年1月1日下午3点"),
        ("每周三晚上7点", {}, Refusal.RECURRING, "每周三晚上7点"),
    ],
)
def test_each_reason(text: str, rules: dict[str, object], reason: Refusal, fragment: str) -> None:
    refused = refusal(text, **rules)
    assert (refused.reason, refused.fragment) == (reason, fragment)


def test_horizons_carry_their_limit() -> None:
    assert refusal("3分钟后", min_ahead=timedelta(minutes=5)).limit == timedelta(minutes=5)
    assert refusal("2028年1月1日下午3点", max_ahead=timedelta(days=366)).limit == timedelta(days=366)
    assert read_time("10分钟后", now=NOW, min_ahead=timedelta(minutes=5)).when == NOW + timedelta(minutes=10)


def test_whole_text_or_leading_text() -> None:
    assert (refusal("明天下午3点开会").reason, refusal("明天下午3点开会").fragment) == (Refusal.NOT_UNDERSTOOD, "开会")
    found = read_time("明天下午3点开会", now=NOW, leading=True)
    assert (found.when, found.matched, found.rest) == (datetime(2026, 11, 30, 15, tzinfo=SH), "明天下午3点", "开会")
    assert refusal("开会 明天", leading=True).fragment == "开会"  # leading: the first word is named
    assert read_time("明天下午3点", now=NOW).rest == ""


def test_default_hour_and_whether_the_hour_was_given() -> None:
    found = read_time("周五 买油漆", now=NOW, leading=True, default_hour=9)
    assert (found.when.hour, found.hour_given, found.rest) == (9, False, "买油漆")
    assert read_time("周五下午5点", now=NOW, default_hour=9).hour_given is True
    assert read_time("周五晚上", now=NOW, default_hour=9).hour_given is True  # a period names the hour
    with pytest.raises(ValueError, match="default_hour"):
        read_time("明天", now=NOW, default_hour=24)


def test_date_only_wants_a_day_and_no_hour() -> None:
    assert read_time("12月5日", now=NOW, date_only=True).day == date(2026, 12, 5)
    assert read_time("今天", now=LATE, date_only=True).day == date(2026, 11, 29)  # the day is not over
    assert read_time("2026-12-05", now=NOW, date_only=True).hour_given is False
    assert read_time("12月5日晚上8点", now=NOW, date_only=True).day == date(2026, 12, 5)
    assert refusal("昨天", date_only=True).reason is Refusal.PAST
    assert refusal("每周三", date_only=True).reason is Refusal.RECURRING


def test_recurring_callers_get_the_rhythm() -> None:
    found = read_time("每周三晚上7点 倒垃圾", now=NOW, leading=True, recurring=True)
    assert found.recurrence == Recurrence("weekly", 2, None, 19, 0) and found.rest == "倒垃圾"
    assert found.when == datetime(2026, 12, 2, 19, tzinfo=SH)


def test_allow_past() -> None:
    assert read_time("昨天下午3点", now=NOW, allow_past=True).when == datetime(2026, 11, 28, 15, tzinfo=SH)


@pytest.mark.parametrize(
    ("rules", "asked"),
    [({}, Asked.MOMENT), ({"date_only": True}, Asked.DAY), ({"recurring": True}, Asked.REPEAT)],
)
def test_a_refusal_knows_what_was_asked_for(rules: dict[str, object], asked: Asked) -> None:
    assert refusal("随便", **rules).asked is asked
    assert refusal("2月30日", **rules).asked is asked  # also when raised deep in the scan


def test_refusals_are_checked_and_pickle() -> None:
    with pytest.raises(ValueError):
        TimeRefusal("nonsense")
    err = pickle.loads(pickle.dumps(TimeRefusal(Refusal.TOO_SOON, "1分钟后", timedelta(minutes=5), Asked.DAY)))
    assert (err.reason, err.fragment, err.limit, err.asked) == ("too_soon", "1分钟后", timedelta(minutes=5), "day")
    assert str(err) == "too_soon: '1分钟后'"


def test_one_wording_for_every_reason_and_an_example_that_fits() -> None:
    texts = {time_error_text(ZH, TimeRefusal(reason, "x")) for reason in Refusal}
    assert len(texts) == len(Refusal)
    assert time_error_text(ZH, refusal("昨天下午3点")) == (
        "“昨天下午3点”已经过去了，请换一个还没到的时间。\n可以这样写：明天下午3点、周六上午10点、12月5日 19:30。"
    )
    assert time_error_text(ZH, refusal("明天")).startswith("“明天”几点呢？请加上时间，比如“下午3点”。")
    assert "每周三晚上7点" in time_error_text(ZH, refusal("随便", recurring=True))
    assert "2026-12-05" in time_error_text(ZH, refusal("随便", date_only=True))
    too_soon = refusal("3分钟后", min_ahead=timedelta(minutes=5))
    assert time_error_text(ZH, too_soon).startswith("“3分钟后”太近了，请定在5分钟以后。")
    too_far = refusal("2028年1月1日下午3点", max_ahead=timedelta(days=366))
    assert "请定在366天以内" in time_error_text(ZH, too_far)
    # Found after the reading (a draft's time passed while it waited): no words to quote.
    assert time_error_text(ZH, TimeRefusal(Refusal.PAST)).startswith("这个时间已经过去了，请换一个还没到的时间。")
    assert time_error_text(ZH, TimeRefusal(Refusal.EMPTY)).startswith("请告诉我具体时间。")
