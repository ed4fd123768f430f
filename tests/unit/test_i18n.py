from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot import i18n_tools
from bot.i18n import Catalogs, Html, resolve_locale

TZ = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("zh-hans", "zh_CN"),
        ("zh-hant", "zh_CN"),
        ("zh", "zh_CN"),
        ("zh-CN", "zh_CN"),
        ("zh-TW", "zh_CN"),
        ("en-US", "en"),
        ("en", "en"),
        (None, "zh_CN"),
        ("", "zh_CN"),
        ("fr", "zh_CN"),
        ("ZH_hans", "zh_CN"),
    ],
)
def test_language_codes_resolve(code: str | None, expected: str) -> None:
    assert resolve_locale(code) == expected


def test_catalogues_are_complete_consistent_and_current() -> None:
    assert i18n_tools.problems() == []


def test_chinese_is_used_and_values_are_escaped() -> None:
    t = Catalogs().translator("zh_CN", TZ)
    text = t._("This group is now the chat of courtyard <b>{name}</b>.", name="<i>碧水苑</i>&")
    assert text == "本群现在是<b>&lt;i&gt;碧水苑&lt;/i&gt;&amp;</b>院落的群。"
    assert t._("{name} is now a {role}.", name="<x>", role=Html("<b>骨干</b>")) == "&lt;x&gt;现在是<b>骨干</b>了。"


def test_dates_are_formatted_for_the_locale_in_the_community_zone() -> None:
    moment = datetime(2020, 9, 12, 7, 0, tzinfo=UTC)  # 15:00 in Shanghai
    zh = Catalogs().translator("zh_CN", TZ)
    assert zh.datetime(moment) == "2020年9月12日 星期六 15:00"
    assert zh.relative(timedelta(days=3)) == "3天后"
    assert zh.join(["甲", "乙", "丙"]) == "甲、乙和丙"
    en = Catalogs().translator("en", TZ)
    assert en.datetime(moment) == "Sat 12 Sep 2020, 15:00"
    assert en.percent(0.4) == "40%"


def test_broadcast_failures_are_told_in_chinese_with_telegrams_words_only_as_detail() -> None:
    from handlers.broadcast import failure_reason

    t = Catalogs().translator("zh_CN", ZoneInfo("Asia/Shanghai"))
    assert failure_reason(t, "forbidden") == "机器人已被移出群或被屏蔽"
    assert failure_reason(t, "Bad Request: chat not found") == "群已不存在或已解散"
    assert failure_reason(t, "Bad Request: not enough rights to send text messages to the chat") == (
        "机器人在这个群里没有发言权限"
    )
    assert failure_reason(t, "Bad Request: <odd>") == "Telegram 拒绝发送（Bad Request: &lt;odd&gt;）"

    assert t.plain("👋 Leave {team}", team="A&B <队>") == "👋 退出A&B <队>"
