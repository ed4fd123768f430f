"""Pure parts of teams: typed names, capacities and dates, matching, pages, export files."""

from __future__ import annotations

import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.export import to_csv, to_xlsx
from bot.i18n import Catalogs
from bot.services.errors import InvalidInput
from bot.services.teams import (
    Roster,
    match_teams,
    parse_capacity,
    split_name_and_capacity,
    split_team_prefix,
)
from bot.timeparse import Refusal, TimeRefusal, read_time
from handlers.teams_render import paginate, render_live_roster, roster_keyboard
from storage.teams import Membership, Team

TODAY = date(2026, 11, 29)
NOW = datetime(2026, 11, 29, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # Sunday morning


def team(team_id: int, name: str, **kw: object) -> Team:
    fields: dict[str, object] = {
        "id": team_id,
        "courtyard_id": 1,
        "home_chat_id": -100,
        "name": name,
        "purpose": "",
        "capacity": None,
        "deadline": None,
        "approval": False,
        "open": True,
        "captain_id": None,
        "created_by": None,
        "created_at": 0,
    }
    fields.update(kw)
    return Team(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("碧水苑墙绘队 8", ("碧水苑墙绘队", 8)),
        ("碧水苑墙绘队", ("碧水苑墙绘队", None)),
        ("启明花园 护卫队 40", ("启明花园 护卫队", 40)),
        ("护卫队 ４０人", ("护卫队", 40)),
        ("8", ("8", None)),
        ("2026队", ("2026队", None)),
    ],
)
def test_name_and_capacity(text: str, expected: tuple[str, int | None]) -> None:
    assert split_name_and_capacity(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12", 12), ("１２", 12), ("12人", 12), ("不限", None), ("0", None), ("十二", 12), ("二十个", 20), ("八", 8)],
)
def test_capacity(text: str, expected: int | None) -> None:
    assert parse_capacity(text) == expected


@pytest.mark.parametrize("text", ["", "-1", "1000", "1.5"])
def test_bad_capacity(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_capacity(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-05", date(2026, 12, 5)),
        ("2026/12/5", date(2026, 12, 5)),
        ("2027年1月3日", date(2027, 1, 3)),
        ("12月5日", date(2026, 12, 5)),
        ("12月5号", date(2026, 12, 5)),
        ("１２月５日", date(2026, 12, 5)),
        ("3月1日", date(2027, 3, 1)),  # already past this year: the next one
        ("11月29日", date(2026, 11, 29)),
    ],
)
def test_dates(text: str, expected: date) -> None:
    assert read_time(text, now=NOW, date_only=True).day == expected


def test_relative_days_are_dates_too() -> None:
    # The teams' own regexes refused these; the shared reader knows them.
    assert read_time("明天", now=NOW, date_only=True).day == date(2026, 11, 30)
    assert read_time("下周六", now=NOW, date_only=True).day == date(2026, 12, 5)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2026-02-30", Refusal.NO_SUCH_DATE),
        ("13月1日", Refusal.NO_SUCH_DATE),
        ("hello", Refusal.NOT_UNDERSTOOD),
        ("", Refusal.EMPTY),
        ("昨天", Refusal.PAST),
        ("每周三", Refusal.RECURRING),
    ],
)
def test_bad_dates(text: str, reason: Refusal) -> None:
    with pytest.raises(TimeRefusal) as caught:
        read_time(text, now=NOW, date_only=True)
    assert caught.value.reason is reason


def test_matching_prefers_the_exact_name() -> None:
    teams = [team(1, "墙绘队"), team(2, "碧水苑墙绘队"), team(3, "护卫队")]
    assert [t.id for t in match_teams(teams, "墙绘队")] == [1]
    assert [t.id for t in match_teams(teams, "墙绘")] == [1, 2]
    assert match_teams(teams, "  ") == []
    found, rest = split_team_prefix(teams, "碧水苑墙绘队 明早8点集合")
    assert found is not None and found.id == 2 and rest == "明早8点集合"
    assert split_team_prefix(teams, "明早集合") == (None, "明早集合")


@given(st.lists(st.text(min_size=0, max_size=500), max_size=60))
def test_pages_keep_every_line_whole_and_short(lines: list[str]) -> None:
    lines = [line.replace("\n", " ") for line in lines]
    pages = paginate(lines, limit=1000)
    assert all(len(p) <= 1000 for p in pages)
    assert "\n".join(pages).split("\n") == lines if lines else pages == []


def test_live_roster_of_a_huge_team_fits_one_message() -> None:
    t = Catalogs().translator("zh_CN", ZoneInfo("Asia/Shanghai"))
    members = [Membership(1, i, "<b>名字</b>&" * 10, "member", i, 0, 0, 0) for i in range(300)]
    roster = Roster(team(1, "护卫队", capacity=500), None, members, [], [], accepting=True)
    text = render_live_roster(t, roster)
    assert len(text) <= 4096 and "/roster" in text and "<b>名字" not in text
    closed = Roster(team(1, "护卫队", open=False), None, [], [], [], accepting=False)
    assert len(roster_keyboard(t, closed).inline_keyboard[0]) == 1  # only "leave" once closed


def test_exports_keep_formulas_as_text_and_open_in_openpyxl() -> None:
    headers = ["姓名", "时间"]
    rows = [
        ['=HYPERLINK("x")', datetime(2026, 11, 29, 10, 0)],
        ["+1", None],
        ["李阿姨", datetime(2026, 1, 1)],
        ["王\x00奶\x1b奶", None],  # control characters, which Excel refuses, typed into a name
    ]
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx("名单[1]", headers, rows)))
    sheet = book.active
    assert sheet.title == "名单 1"
    assert sheet["A5"].value == "王奶奶"
    assert sheet["A2"].value == '=HYPERLINK("x")' and sheet["A2"].data_type == "s"
    assert sheet["B2"].value == datetime(2026, 11, 29, 10, 0)
    text = to_csv(headers, rows).decode("utf-8")
    assert text.startswith("\ufeff姓名,时间")
    assert "'=HYPERLINK" in text and "'+1" in text and "2026-11-29 10:00" in text
