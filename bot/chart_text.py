"""Text for the charts: the bundled Chinese font, which characters it can draw, wrapping and fitting lines."""

from __future__ import annotations

import math
import pathlib
import struct
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    from PIL import ImageFont

ELLIPSIS = "…"
_NO_LINE_START = set("，。、：；！？）》」』】〕…,.:;!?)]}%")
_NO_LINE_END = set("（《「『【〔([{")


class FontUnavailableError(RuntimeError):
    """The bundled CJK font package is not installed."""


def cjk_font_path() -> pathlib.Path:
    """Return the path of the Noto Sans SC font file the charts are drawn with."""
    try:
        # Imported here so that merely importing this module needs no font package.
        import pylopdf_fonts_zh_cn
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise FontUnavailableError("install the 'pylopdf-fonts-zh-cn' package to draw charts") from exc
    path = pylopdf_fonts_zh_cn.sans_path()
    if not path.is_file():  # pragma: no cover - a broken install
        raise FontUnavailableError(f"font file missing: {path}")
    return path


# --- character map -------------------------------------------------------------------------------


class CharMap:
    """Codepoint -> glyph id lookups straight from a font's 'cmap' table, read once from the file."""

    def __init__(self, path: pathlib.Path | str, font_index: int = 0) -> None:
        """Read the best Unicode subtable of font number font_index in the file."""
        with pathlib.Path(path).open("rb") as fh:
            base = self._font_offset(fh, font_index)
            cmap_offset = self._table_offset(fh, base, b"cmap")
            self._format, self._data = self._best_subtable(fh, cmap_offset)
        if self._format == 12:
            (count,) = struct.unpack_from(">L", self._data, 12)
            groups = struct.unpack_from(f">{3 * count}L", self._data, 16)
            self._starts = groups[0::3]
            self._ends = groups[1::3]
            self._glyphs = groups[2::3]
        else:
            (seg_x2,) = struct.unpack_from(">H", self._data, 6)
            seg = seg_x2 // 2
            self._ends = struct.unpack_from(f">{seg}H", self._data, 14)
            self._starts = struct.unpack_from(f">{seg}H", self._data, 16 + seg_x2)
            self._deltas = struct.unpack_from(f">{seg}h", self._data, 16 + 2 * seg_x2)
            self._range_pos = 16 + 3 * seg_x2
            self._ranges = struct.unpack_from(f">{seg}H", self._data, self._range_pos)

    @staticmethod
    def _read(fh: BinaryIO, offset: int, size: int) -> bytes:
        """Read exactly size bytes at offset, or fail on a truncated file."""
        fh.seek(offset)
        data = fh.read(size)
        if len(data) != size:
            raise ValueError("truncated font file")
        return data

    @classmethod
    def _font_offset(cls, fh: BinaryIO, font_index: int) -> int:
        """Offset of the wanted font's table directory (collections hold several)."""
        if cls._read(fh, 0, 4) != b"ttcf":
            if font_index != 0:
                raise ValueError("a single font has only font index 0")
            return 0
        (count,) = struct.unpack(">L", cls._read(fh, 8, 4))
        if not 0 <= font_index < count:
            raise ValueError(f"font index {font_index} out of range 0..{count - 1}")
        (offset,) = struct.unpack(">L", cls._read(fh, 12 + 4 * font_index, 4))
        return int(offset)

    @classmethod
    def _table_offset(cls, fh: BinaryIO, base: int, tag: bytes) -> int:
        """Offset of the table named tag, from the sfnt table directory."""
        (count,) = struct.unpack(">H", cls._read(fh, base + 4, 2))
        directory = cls._read(fh, base + 12, 16 * count)
        for i in range(count):
            name, _checksum, offset, _length = struct.unpack_from(">4sLLL", directory, 16 * i)
            if name == tag:
                return int(offset)
        raise ValueError(f"font has no {tag.decode()} table")

    @classmethod
    def _best_subtable(cls, fh: BinaryIO, cmap: int) -> tuple[int, bytes]:
        """The full-Unicode (format 12) subtable if any, else the BMP (format 4) one."""
        (count,) = struct.unpack(">H", cls._read(fh, cmap + 2, 2))
        records = cls._read(fh, cmap + 4, 8 * count)
        best: tuple[int, int] | None = None
        for i in range(count):
            platform, encoding, offset = struct.unpack_from(">HHL", records, 8 * i)
            unicode = platform == 0 or (platform == 3 and encoding in (1, 10))
            if not unicode:
                continue
            (fmt,) = struct.unpack(">H", cls._read(fh, cmap + offset, 2))
            if fmt in (4, 12) and (best is None or fmt > best[0]):
                best = (fmt, cmap + offset)
        if best is None:
            raise ValueError("font has no Unicode character map")
        fmt, start = best
        if fmt == 12:
            (length,) = struct.unpack(">L", cls._read(fh, start + 4, 4))
        else:
            (length,) = struct.unpack(">H", cls._read(fh, start + 2, 2))
        return fmt, cls._read(fh, start, length)

    def glyph_id(self, codepoint: int) -> int:
        """Glyph id for codepoint; 0 (.notdef) means the font cannot draw it."""
        i = _bisect_left(self._ends, codepoint)
        if i == len(self._ends) or self._starts[i] > codepoint:
            return 0
        if self._format == 12:
            return int(self._glyphs[i] + codepoint - self._starts[i])
        if self._ranges[i] == 0:
            return int(codepoint + self._deltas[i]) & 0xFFFF
        where = self._range_pos + 2 * i + self._ranges[i] + 2 * (codepoint - self._starts[i])
        if where + 2 > len(self._data):
            return 0
        (glyph,) = struct.unpack_from(">H", self._data, where)
        return int(glyph + self._deltas[i]) & 0xFFFF if glyph else 0

    def has(self, char: str) -> bool:
        """Whether the font has a real glyph for one character."""
        return self.glyph_id(ord(char)) != 0


def _bisect_left(items: Sequence[int], value: int) -> int:
    """First index whose item is >= value (items ascending)."""
    lo, hi = 0, len(items)
    while lo < hi:
        mid = (lo + hi) // 2
        if items[mid] < value:
            lo = mid + 1
        else:
            hi = mid
    return lo


def font_has_glyphs(path: pathlib.Path | str, text: str, *, font_index: int = 0) -> bool:
    """Whether the font's character map has a glyph for every non-space character of text."""
    # The cmap is the font's own statement of coverage; comparing rendered bitmaps with .notdef
    # would misjudge blank glyphs and depends on the rasteriser.
    cmap = CharMap(path, font_index)
    return all(cmap.has(ch) for ch in text if not ch.isspace())


# --- text helpers --------------------------------------------------------------------------------


def clean_text(text: str, can_draw: Callable[[str], bool]) -> str:
    """Collapse whitespace and drop characters the font would draw as empty boxes (emoji, ZWJ...)."""
    kept = "".join(ch if ch.isspace() or can_draw(ch) else " " for ch in text)
    return " ".join(kept.split())


def _is_wide(ch: str) -> bool:
    """CJK ideographs, kana, hangul and full-width forms may be broken between any two characters."""
    cp = ord(ch)
    return (
        0x2E80 <= cp <= 0x9FFF
        or 0xAC00 <= cp <= 0xD7AF
        or 0xF900 <= cp <= 0xFAFF
        or 0xFE30 <= cp <= 0xFE4F
        or 0xFF00 <= cp <= 0xFFEF
        or 0x20000 <= cp <= 0x3FFFF
    )


def text_tokens(text: str) -> Iterator[str]:
    """Split text into unbreakable pieces: one wide character, one Latin word, or one space."""
    token = ""
    glue = False
    for ch in text:
        if ch.isspace():
            if token:
                yield token
            yield ch
            token, glue = "", False
            continue
        if glue or (ch in _NO_LINE_START and token):
            token += ch  # keep opening punctuation with what follows, closing with what precedes
        elif _is_wide(ch) or ch in _NO_LINE_END or (token and _is_wide(token[-1])):
            if token:
                yield token
            token = ch
        else:
            token += ch
        glue = ch in _NO_LINE_END
    if token:
        yield token


def fit_text(text: str, font: ImageFont.FreeTypeFont, width: float) -> str:
    """Cut text so that it plus an ellipsis fits in width."""
    while text and font.getlength(text + ELLIPSIS) > width:
        text = text[:-1]
    return text.rstrip() + ELLIPSIS


def wrap_text(text: str, font: ImageFont.FreeTypeFont, width: float, max_lines: int) -> list[str]:
    """Greedy line breaking for mixed Chinese/Latin text, ellipsised after max_lines."""
    lines: list[str] = []
    line = ""
    pieces = deque(text_tokens(text))
    while pieces:
        piece = pieces.popleft()
        if not line and piece.isspace():
            continue
        if font.getlength(line + piece) <= width:
            line += piece
            continue
        if not line.strip():
            # A single piece wider than the whole line (a long URL, say): break it by character.
            cut = 1
            while cut < len(piece) and font.getlength(piece[: cut + 1]) <= width:
                cut += 1
            line, rest = piece[:cut], piece[cut:]
            if rest:
                pieces.appendleft(rest)
        else:
            pieces.appendleft(piece.lstrip())
        lines.append(line.rstrip())
        line = ""
        if len(lines) == max_lines:
            if any(p.strip() for p in pieces):
                lines[-1] = fit_text(lines[-1], font, width)
            return lines
    if line.strip():
        lines.append(line.rstrip())
    return lines or [""]


def format_number(value: float) -> str:
    """Whole numbers without decimals, others with one."""
    if math.isfinite(value) and value == int(value):
        return f"{int(value)}"
    return f"{value:.1f}"
