"""Read a number a person typed, safely: no SQLite overflow, no "²" that isdigit() accepts but int() refuses."""

from __future__ import annotations

import unicodedata

# Ids and counts are small; this bound keeps any typed number far inside SQLite's 64-bit INTEGER.
MAX_TYPED = 10**12 - 1


def typed_number(text: str, *, high: int = MAX_TYPED) -> int | None:
    """The whole number in text ("12", "#12", full-width "１２"), or None if it is not one or exceeds high."""
    normal = unicodedata.normalize("NFKC", text).strip().removeprefix("#")
    if not normal.isascii() or not normal.isdigit() or len(normal) > len(str(high)):
        return None
    value = int(normal)
    return value if value <= high else None


_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
CHINESE_NUMERALS = "".join(_DIGITS) + "".join(_UNITS)


def chinese_number(text: str) -> int | None:
    """A whole number written in Chinese numerals below 10,000 (八, 十二, 二十, 一百零五), or None."""
    if not text or any(ch not in _DIGITS and ch not in _UNITS for ch in text):
        return None
    total, digit, last_unit = 0, None, 10**9
    for ch in text:
        if ch in _DIGITS:
            if digit is not None and _DIGITS[ch] != 0:
                return None  # two digits in a row (三五) is a range or a typo, not a number
            digit = _DIGITS[ch] if _DIGITS[ch] != 0 else None
            continue
        unit = _UNITS[ch]
        if unit >= last_unit:
            return None  # 十百, 十十
        total += (1 if digit is None else digit) * unit
        digit, last_unit = None, unit
    return total + (digit or 0)


def typed_count(text: str, *, high: int = MAX_TYPED) -> int | None:
    """A typed count: digits (12, １２) or Chinese numerals (十二); None if neither or above high."""
    number = typed_number(text, high=high)
    if number is None:
        number = chinese_number(unicodedata.normalize("NFKC", text).strip())
    return number if number is not None and number <= high else None
