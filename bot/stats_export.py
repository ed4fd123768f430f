"""The statistics workbook: several sheets streamed with openpyxl's write-only mode (fast, little memory)."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from bot.export import DATETIME_FORMAT, Cell, sheet_title, xlsx_value


@dataclass(frozen=True)
class Sheet:
    """One worksheet: a title, translated headers, rows (naive local datetimes for dates) and column widths."""

    title: str
    headers: Sequence[str]
    rows: Iterable[Sequence[Cell]]
    widths: Sequence[int] = ()


def _cells(sheet: WriteOnlyWorksheet, row: Sequence[Cell]) -> list[object]:
    out: list[object] = []
    for raw in row:
        value = xlsx_value(raw)
        if isinstance(value, datetime):
            cell = WriteOnlyCell(sheet, value)
            cell.number_format = DATETIME_FORMAT
            out.append(cell)
        elif isinstance(value, str) and value.startswith("="):
            # A resident named "=HYPERLINK(…)" must stay text, never become a formula.
            cell = WriteOnlyCell(sheet, value)
            cell.data_type = "s"
            out.append(cell)
        else:
            out.append(value)
    return out


def build_workbook(sheets: Sequence[Sheet]) -> bytes:
    """The .xlsx bytes of the sheets, in order, each with a bold frozen header row."""
    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for spec in sheets:
        sheet = book.create_sheet(sheet_title(spec.title, "Sheet"))
        sheet.freeze_panes = "A2"
        for col, width in enumerate(spec.widths, start=1):
            sheet.column_dimensions[_column(col)].width = width
        header = []
        for text in spec.headers:
            cell = WriteOnlyCell(sheet, text)
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for row in spec.rows:
            sheet.append(_cells(sheet, row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _column(index: int) -> str:
    """Spreadsheet column letters of a 1-based index (1 → A, 27 → AA)."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
