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
