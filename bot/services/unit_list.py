"""Reading a courtyard's unit list (.xlsx or .csv: 楼栋, 单元, 房号, 面积㎡, owner optional), row by row.

Pure: bytes in, accepted units and refused rows (with the reason) out. A CSV saved by Excel in China is
often GB18030, not UTF-8: both are read.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from bot.services.errors import InvalidInput

MAX_BYTES = 2_000_000
MAX_ROWS = 5000
MAX_AREA = 100_000  # ㎡
MAX_PART = 20  # characters of 楼栋, 单元 or 房号
MAX_OWNER = 60

# Header words, compared after removing spaces, brackets and units: the column each one names.
_HEADERS = {
    "building": ("楼栋", "栋", "楼号", "楼栋号", "幢", "building"),
    "entrance": ("单元", "单元号", "entrance", "unit"),
    "room": ("房号", "房间号", "门牌号", "户号", "室", "room"),
    "area": ("面积", "建筑面积", "专有部分面积", "面积㎡", "面积m2", "面积平方米", "area"),
    "owner": ("业主", "业主姓名", "业主名", "姓名", "owner"),
}
_CLEAN = re.compile(r"[\s()（）\[\]【】:：]|㎡|平方米|m²|m2", re.IGNORECASE)
_SUFFIX = re.compile(r"(号楼|栋|幢|号|单元|室)$")


@dataclass(frozen=True)
class ListedUnit:
    building: str
    entrance: str
    room: str
    area: int  # 0.01 ㎡
    owner: str | None


@dataclass(frozen=True)
class Refused:
    row: int  # the row number as the spreadsheet shows it (the header is row 1)
    reason: str  # 'no_building' | 'no_room' | 'bad_area' | 'duplicate' | 'too_long'


@dataclass(frozen=True)
class UnitList:
    units: tuple[ListedUnit, ...]
    refused: tuple[Refused, ...]


def unit_part(raw: object) -> str:
    """楼栋, 单元 or 房号 as stored: digits kept, spaces and the measure word removed (3栋 → 3, 2单元 → 2)."""
    text = "" if raw is None else str(raw).strip()
    if isinstance(raw, float) and raw.is_integer():
        text = str(int(raw))
    text = re.sub(r"\s+", "", text)
    return _SUFFIX.sub("", text) or text


def _area(raw: object) -> int | None:
    """An area in ㎡ as hundredths; None unless a positive number up to MAX_AREA with at most 2 decimals."""
    text = _CLEAN.sub("", str(raw if raw is not None else ""))
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    if not value.is_finite() or value <= 0 or value > MAX_AREA or value != value.quantize(Decimal("0.01")):
        return None
    return int(value * 100)


def _columns(header: Sequence[object]) -> dict[str, int]:
    found: dict[str, int] = {}
    for i, cell in enumerate(header):
        word = _CLEAN.sub("", str(cell or "")).casefold()
        for column, words in _HEADERS.items():
            if column not in found and word in {w.casefold() for w in words}:
                found[column] = i
    if not {"building", "room", "area"} <= set(found):
        raise InvalidInput("unit_list_header")
    return found


def _rows_of(name: str, content: bytes) -> Sequence[Sequence[object]]:
    if len(content) > MAX_BYTES:
        raise InvalidInput("unit_list_too_big")
    if name.lower().endswith(".xlsx"):
        import openpyxl

        try:
            book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
            raise InvalidInput("unit_list_unreadable") from exc
        sheet = book.worksheets[0]
        return [tuple(r) for r, _ in zip(sheet.iter_rows(values_only=True), range(MAX_ROWS + 2), strict=False)]
    if name.lower().endswith(".csv"):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = content.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise InvalidInput("unit_list_unreadable")
        return [tuple(r) for r in csv.reader(io.StringIO(text))][: MAX_ROWS + 2]
    raise InvalidInput("unit_list_kind")


def read_unit_list(name: str, content: bytes) -> UnitList:
    """Every row checked: accepted units in order, and each refused row with why."""
    rows = _rows_of(name, content)
    if not rows:
        raise InvalidInput("unit_list_header")
    cols = _columns(rows[0])
    if len(rows) > MAX_ROWS + 1:
        raise InvalidInput("unit_list_too_long", limit=MAX_ROWS)
    units: list[ListedUnit] = []
    refused: list[Refused] = []
    seen: set[tuple[str, str, str]] = set()

    def cell(row: Sequence[object], column: str) -> object:
        i = cols.get(column)
        return row[i] if i is not None and i < len(row) else None

    for number, row in enumerate(rows[1:], start=2):
        if all(c is None or not str(c).strip() for c in row):
            continue  # a blank line is no unit
        building, entrance, room = (unit_part(cell(row, c)) for c in ("building", "entrance", "room"))
        owner_raw = cell(row, "owner")
        owner = " ".join(str(owner_raw).split()) if owner_raw is not None and str(owner_raw).strip() else None
        area = _area(cell(row, "area"))
        reason = None
        if not building:
            reason = "no_building"
        elif not room:
            reason = "no_room"
        elif max(len(building), len(entrance), len(room)) > MAX_PART or len(owner or "") > MAX_OWNER:
            reason = "too_long"
        elif area is None:
            reason = "bad_area"
        elif (building, entrance, room) in seen:
            reason = "duplicate"
        if reason is not None:
            refused.append(Refused(number, reason))
            continue
        assert area is not None
        seen.add((building, entrance, room))
        units.append(ListedUnit(building, entrance, room, area, owner))
    return UnitList(tuple(units), tuple(refused))


def parse_unit(text: str) -> tuple[str, str, str] | None:
    """A unit as a resident types it: 3栋2单元501, 3-2-501, 3号楼501 (no 单元); None otherwise."""
    cleaned = re.sub(r"\s+", "", text).replace("－", "-").replace("—", "-")
    m = re.fullmatch(r"(\w+?)(?:号楼|栋|幢|号|-)(?:(\w+?)(?:单元|-))?(\w+?)(?:室|号)?", cleaned)
    if m is None:
        return None
    return m.group(1), m.group(2) or "", m.group(3)
