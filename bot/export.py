"""Tables as CSV and Excel files for social workers' reports (headers come translated from the caller)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

Cell = str | int | float | datetime | None
# A cell starting with one of these is run as a formula by spreadsheet programs: a resident
# named "=HYPERLINK(…)" must stay text (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
_MAX_SHEET_TITLE = 31
_BAD_SHEET_CHARS = str.maketrans({c: " " for c in "[]:*?/\\"})


def xlsx_value(value: Cell) -> Cell:
    """A cell value Excel accepts: control characters (a name typed with a NUL) are dropped."""
    if isinstance(value, str) and ILLEGAL_CHARACTERS_RE.search(value):
        return str(ILLEGAL_CHARACTERS_RE.sub("", value))
    return value


def sheet_title(title: str, fallback: str = "Sheet1") -> str:
    """A worksheet title Excel accepts: no []:*?/\\, at most 31 characters."""
    return title.translate(_BAD_SHEET_CHARS).strip()[:_MAX_SHEET_TITLE] or fallback


def _csv_cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    text = str(value)
    return "'" + text if isinstance(value, str) and text.startswith(_FORMULA_START) else text


def to_csv(headers: Sequence[str], rows: Sequence[Sequence[Cell]]) -> bytes:
    """UTF-8 CSV with a byte-order mark, so Excel opens Chinese text correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(title: str, headers: Sequence[str], rows: Sequence[Sequence[Cell]]) -> bytes:
    """One worksheet with a bold header row, real date cells and columns wide enough to read."""
    book = Workbook()
    sheet = book.active
    sheet.title = sheet_title(title)
    sheet.append(list(headers))
    bold = Font(bold=True)
    for cell in sheet[1]:
        cell.font = bold
    widths = [len(h) * 2 + 2 for h in headers]
    for row_no, row in enumerate(rows, start=2):
        for col, value in enumerate(row, start=1):
            cell = sheet.cell(row=row_no, column=col)
            cell.value = value = xlsx_value(value)
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"  # openpyxl would otherwise store it as a formula
            elif isinstance(value, datetime):
                cell.number_format = DATETIME_FORMAT
            shown = 16 if isinstance(value, datetime) else len(str(value or "")) * 2
            widths[col - 1] = min(max(widths[col - 1], shown + 2), 60)
    for col, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(col)].width = width
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
