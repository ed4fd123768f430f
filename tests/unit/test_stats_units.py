"""Pure parts of participation statistics: month windows, the workbook writer, the ladder rendering."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import openpyxl

from bot.i18n import Catalogs
from bot.services.stats import month_starts
from bot.stats_export import Sheet, _column, build_workbook
from handlers.stats_render import period_keyboard, rung_name

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_month_starts_are_local_month_boundaries_across_a_year_end() -> None:
    # 2027-01-31 20:00 UTC is already 1 February in Shanghai.
    starts = month_starts(datetime(2027, 1, 31, 20, tzinfo=UTC), SHANGHAI, 6)
    assert [(m.year, m.month, m.day) for m in starts] == [
        (2026, 9, 1),
        (2026, 10, 1),
        (2026, 11, 1),
        (2026, 12, 1),
        (2027, 1, 1),
        (2027, 2, 1),
    ]
    assert all(m.tzinfo == SHANGHAI and m.hour == 0 for m in starts)


def test_column_letters() -> None:
    assert [_column(i) for i in (1, 26, 27, 52, 703)] == ["A", "Z", "AA", "AZ", "AAA"]


def test_workbook_keeps_formula_text_and_real_dates() -> None:
    moment = datetime(2026, 11, 29, 15, 30)
    data = build_workbook(
        [
            Sheet(
                "居民", ["居民", "时间", "次数"], [["=1+1", moment, 3], ["张大爷", None, 0], ["李\x00阿姨", None, 1]]
            ),
            Sheet("bad/name:*", ["a"], []),
        ]
    )
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["居民", "bad name"]
    sheet = book["居民"]
    assert [c.value for c in sheet[1]] == ["居民", "时间", "次数"]
    assert sheet["A2"].value == "=1+1" and sheet["A2"].data_type == "s"
    assert sheet["B2"].value == moment and sheet["B2"].number_format == "yyyy-mm-dd hh:mm"
    assert sheet["C3"].value == 0
    assert sheet["A4"].value == "李阿姨"  # a NUL typed into a name is dropped, not fatal


def test_ladder_names_and_period_buttons_in_chinese() -> None:
    t = Catalogs().translator("zh_CN", SHANGHAI)
    assert [rung_name(t, r) for r in range(5)] == ["旁观", "参与", "议事", "决策", "主导"]
    labels = [b.text for row in period_keyboard(t, 90).inline_keyboard for b in row]
    assert labels == ["7天", "30天", "• 90天", "全部"]
