"""PNG charts (poll results, participation over time) with Chinese text drawn by a bundled font."""

from __future__ import annotations

import io
import math
import pathlib
import struct
import sys
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    # Pillow is imported lazily inside the render functions: the bot idles far more than it draws,
    # and importing PIL at start-up would cost RSS for nothing.
    from PIL import Image, ImageDraw, ImageFont

# Drawing takes 30-150 ms of CPU: async callers should use asyncio.to_thread to keep the event loop free.
__all__ = ["cjk_font_path", "font_has_glyphs", "render_bar_chart", "render_line_chart"]

# Telegram shows a photo about 360 dp wide on a phone, so a ~960 px picture is shrunk to roughly
# a third: body text needs ~34 px here to read like the chat's own text.
WIDTH = 960
MARGIN = 40
ELLIPSIS = "…"
MAX_HEIGHT = 2560
# Bar chart layouts, roomiest first: label px, value px, label lines, bar px, gap px.
_BAR_LAYOUTS = ((34, 32, 2, 28, 28), (30, 28, 1, 20, 18), (28, 26, 1, 16, 12), (26, 24, 1, 12, 8))

BG = (255, 255, 255)
INK = (34, 34, 34)
MUTED = (110, 110, 110)
GRID = (226, 230, 236)
TRACK = (238, 241, 245)
BAR = (78, 121, 167)
LEADER = (242, 142, 43)
# Tableau 10: distinct for the common kinds of colour blindness and on a white background.
PALETTE = (
    (78, 121, 167),
    (242, 142, 43),
    (225, 87, 89),
    (118, 183, 178),
    (89, 161, 79),
    (237, 201, 72),
    (176, 122, 161),
    (255, 157, 167),
    (156, 117, 95),
    (186, 176, 172),
)

# Closing punctuation must not start a line (a light form of the Chinese line-breaking rule).
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


class _CharMap:
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
    cmap = _CharMap(path, font_index)
    return all(cmap.has(ch) for ch in text if not ch.isspace())


# --- text helpers --------------------------------------------------------------------------------


def _clean(text: str, can_draw: Callable[[str], bool]) -> str:
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


def _tokens(text: str) -> Iterator[str]:
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


def _fit(text: str, font: ImageFont.FreeTypeFont, width: float) -> str:
    """Cut text so that it plus an ellipsis fits in width."""
    while text and font.getlength(text + ELLIPSIS) > width:
        text = text[:-1]
    return text.rstrip() + ELLIPSIS


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: float, max_lines: int) -> list[str]:
    """Greedy line breaking for mixed Chinese/Latin text, ellipsised after max_lines."""
    lines: list[str] = []
    line = ""
    pieces = deque(_tokens(text))
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
                lines[-1] = _fit(lines[-1], font, width)
            return lines
    if line.strip():
        lines.append(line.rstrip())
    return lines or [""]


def _format_number(value: float) -> str:
    """Whole numbers without decimals, others with one."""
    if math.isfinite(value) and value == int(value):
        return f"{int(value)}"
    return f"{value:.1f}"


# --- drawing -------------------------------------------------------------------------------------


class _Fonts:
    """Font faces by pixel size, opened once per picture and dropped with it."""

    def __init__(self, scale: int = 1) -> None:
        """Open nothing yet; remember the supersampling factor."""
        self._path = str(cjk_font_path())
        self._scale = scale
        self._faces: dict[int, ImageFont.FreeTypeFont] = {}
        self.cmap = _CharMap(self._path)

    def __call__(self, size: int) -> ImageFont.FreeTypeFont:
        """The face for a size given in output pixels."""
        from PIL import ImageFont

        px = size * self._scale
        if px not in self._faces:
            # BASIC layout: Chinese needs no shaping, and it gives the same result with or without libraqm.
            self._faces[px] = ImageFont.truetype(self._path, px, layout_engine=ImageFont.Layout.BASIC)
        return self._faces[px]

    def clean(self, text: str) -> str:
        """Text reduced to what this font can draw."""
        return _clean(text, self.cmap.has)


def _line_height(font: ImageFont.FreeTypeFont) -> int:
    """Distance between baselines for a font, from its ascent and descent."""
    ascent, descent = font.getmetrics()
    return int((ascent + descent) * 1.05)


def _text(
    draw: ImageDraw.ImageDraw,
    xy: tuple[float, float],
    text: str,
    font: ImageFont.FreeTypeFont,
    fill: tuple[int, int, int],
    anchor: str = "la",
) -> None:
    """Draw one line of text; anchor as in Pillow ('la' = left, ascender at y)."""
    draw.text(xy, text, font=font, fill=fill, anchor=anchor)


def _header(draw: ImageDraw.ImageDraw | None, fonts: _Fonts, title: str, subtitle: str, scale: int = 1) -> int:
    """Draw (or, with draw=None, only measure) title and subtitle; return the y below them."""
    y = MARGIN * scale
    width = (WIDTH - 2 * MARGIN) * scale
    for text, size, colour, lines in ((title, 44, INK, 2), (subtitle, 30, MUTED, 2)):
        text = fonts.clean(text)
        if not text:
            continue
        font = fonts(size)
        for line in _wrap(text, font, width, lines):
            if draw is not None:
                _text(draw, (MARGIN * scale, y), line, font, colour)
            y += _line_height(font)
        y += 8 * scale
    return y + 16 * scale


def _png(image: Image.Image) -> bytes:
    """Encode a Pillow image as PNG bytes."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _trim_heap() -> None:
    """Give freed picture buffers back to the OS, so drawing a chart leaves the bot's idle RSS as it was."""
    # glibc keeps multi-megabyte frees in the heap once its mmap threshold has adapted upwards, which
    # would pin ~20 MB after every chart; elsewhere (musl, macOS) there is nothing to do.
    if sys.platform != "linux":
        return
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def render_bar_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    *,
    value_labels: Sequence[str] | None = None,
    subtitle: str = "",
) -> bytes:
    """Horizontal bar chart (e.g. poll results) as PNG bytes, one row per label."""
    if len(labels) != len(values):
        raise ValueError("labels and values differ in length")
    if value_labels is not None and len(value_labels) != len(values):
        raise ValueError("value_labels and values differ in length")
    png = _draw_bar_chart(title, labels, values, value_labels, subtitle)
    _trim_heap()
    return png


def _draw_bar_chart(
    title: str, labels: Sequence[str], values: Sequence[float], value_labels: Sequence[str] | None, subtitle: str
) -> bytes:
    """Draw the bar chart; the picture is freed when this returns."""
    from PIL import Image, ImageDraw

    # Negative or missing counts make no sense for a poll: draw them as empty bars.
    clean_values = [v if math.isfinite(v) and v > 0 else 0.0 for v in values]
    texts = list(value_labels) if value_labels is not None else [_format_number(v) for v in values]
    top = max(clean_values, default=0.0)

    fonts = _Fonts()
    inner = WIDTH - 2 * MARGIN
    header = _header(None, fonts, title, subtitle)
    # Roomiest layout that keeps the picture within Telegram's 2560 px (it shrinks taller photos,
    # and the text with them); many options get one line each and tighter rows.
    for label_size, value_size, max_lines, bar_height, row_gap in _BAR_LAYOUTS:
        label_font, value_font = fonts(label_size), fonts(value_size)
        rows: list[tuple[list[str], str]] = []
        for label, text in zip(labels, texts, strict=True):
            value_text = fonts.clean(text)
            room = inner - (value_font.getlength(value_text) + 24 if value_text else 0)
            rows.append((_wrap(fonts.clean(label) or "?", label_font, max(room, inner / 3), max_lines), value_text))
        label_step = _line_height(label_font)
        body = sum(len(lines) * label_step + 6 + bar_height + row_gap for lines, _ in rows)
        height = header + body + MARGIN - row_gap
        if height <= MAX_HEIGHT:
            break

    image = Image.new("RGB", (WIDTH, max(height, 2 * MARGIN)), BG)
    draw = ImageDraw.Draw(image)
    y = _header(draw, fonts, title, subtitle)
    for (lines, value_text), value in zip(rows, clean_values, strict=True):
        leader = top > 0 and value == top
        if value_text:
            _text(draw, (WIDTH - MARGIN, y), value_text, value_font, LEADER if leader else MUTED, anchor="ra")
        for line in lines:
            _text(draw, (MARGIN, y), line, label_font, INK)
            y += label_step
        y += 6
        radius = bar_height // 2
        draw.rounded_rectangle((MARGIN, y, WIDTH - MARGIN, y + bar_height), radius=radius, fill=TRACK)
        if value > 0:
            # A tiny share still gets a visible sliver rather than vanishing next to the leader.
            length = max(inner * value / top, float(bar_height))
            draw.rounded_rectangle(
                (MARGIN, y, MARGIN + length, y + bar_height), radius=radius, fill=LEADER if leader else BAR
            )
        y += bar_height + row_gap
    return _png(image)


def _nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round axis ticks (1, 2, 2.5 or 5 times a power of ten) covering low..high."""
    if high <= low:
        high = low + 1
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    start = math.floor(low / step) * step
    ticks = []
    tick = start
    while tick < high + step * 0.999:
        ticks.append(round(tick, 10))
        tick += step
    return ticks


def render_line_chart(
    title: str,
    x_labels: Sequence[str],
    series: Mapping[str, Sequence[float]],
    *,
    y_label: str = "",
) -> bytes:
    """Line chart with one line per series (e.g. participation per month) as PNG bytes."""
    for name, points in series.items():
        if len(points) != len(x_labels):
            raise ValueError(f"series {name!r} has {len(points)} points for {len(x_labels)} x labels")
    png = _draw_line_chart(title, x_labels, series, y_label)
    _trim_heap()
    return png


def _draw_line_chart(title: str, x_labels: Sequence[str], series: Mapping[str, Sequence[float]], y_label: str) -> bytes:
    """Draw the line chart; the picture is freed when this returns."""
    from PIL import Image, ImageDraw

    # Pillow's lines are not antialiased: draw at twice the size and shrink for smooth diagonals.
    s = 2
    fonts = _Fonts(scale=s)
    width, height = WIDTH * s, 640 * s
    image = Image.new("RGB", (width, height), BG)
    draw = ImageDraw.Draw(image)
    y = _header(draw, fonts, title, "", scale=s)

    # Legend: a swatch and a name per series, flowing onto further rows when wide.
    legend_font = fonts(28)
    x: float = MARGIN * s
    step = _line_height(legend_font)
    names = [fonts.clean(name) or "?" for name in series]
    if len(names) > 1 or y_label:
        for i, name in enumerate(names):
            name = _fit(name, legend_font, width / 2) if legend_font.getlength(name) > width / 2 else name
            item = 36 * s + legend_font.getlength(name)
            if x > MARGIN * s and x + item > width - MARGIN * s:
                x, y = MARGIN * s, y + step
            colour = PALETTE[i % len(PALETTE)]
            mid = y + step // 2
            draw.rounded_rectangle((x, mid - 6 * s, x + 24 * s, mid + 6 * s), radius=3 * s, fill=colour)
            _text(draw, (x + 32 * s, mid), name, legend_font, INK, anchor="lm")
            x += item + 28 * s
        y += step + 12 * s

    tick_font = fonts(26)
    finite = [v for points in series.values() for v in points if math.isfinite(v)]
    ticks = _nice_ticks(min([0.0, *finite]), max([0.0, *finite]))
    low, high = ticks[0], ticks[-1]
    tick_texts = [_format_number(t) for t in ticks]

    y_title = fonts.clean(y_label)
    if y_title:
        _text(draw, (MARGIN * s, y), _wrap(y_title, tick_font, width - 2 * MARGIN * s, 1)[0], tick_font, MUTED)
        y += _line_height(tick_font) + 8 * s

    annotate = len(series) == 1 and len(x_labels) <= 16
    # Room above the highest point for its number when points are annotated.
    plot_top = y + 12 * s + (_line_height(tick_font) if annotate else 0)
    plot_bottom = height - MARGIN * s - _line_height(tick_font) - 8 * s
    plot_left = MARGIN * s + max(tick_font.getlength(t) for t in tick_texts) + 16 * s
    plot_right = width - MARGIN * s

    def y_of(value: float) -> float:
        """Pixel row of a data value."""
        return plot_bottom - (value - low) / (high - low) * (plot_bottom - plot_top)

    for tick, text in zip(ticks, tick_texts, strict=True):
        ty = y_of(tick)
        draw.line((plot_left, ty, plot_right, ty), fill=GRID if tick else MUTED, width=s)
        _text(draw, (plot_left - 12 * s, ty), text, tick_font, MUTED, anchor="rm")

    # No x label may take more than a quarter of the axis, however long the caller made it.
    room = (plot_right - plot_left) / 4
    xs_text = [fonts.clean(label) for label in x_labels]
    xs_text = [t if tick_font.getlength(t) <= room else _fit(t, tick_font, room) for t in xs_text]
    widest = max((tick_font.getlength(t) for t in xs_text), default=0.0)
    # Keep the first and last labels inside the picture by padding the ends of the x range.
    pad = max(widest / 2, 24 * s)
    n = len(x_labels)
    span = plot_right - plot_left - 2 * pad

    def x_of(i: int) -> float:
        """Pixel column of the i-th x label."""
        return plot_left + pad + (span * i / (n - 1) if n > 1 else span / 2)

    # Thin the labels out so that neighbours never overlap.
    slot = span / (n - 1) if n > 1 else span
    every = max(1, math.ceil((widest + 16 * s) / slot)) if slot > 0 else n
    for i, text in enumerate(xs_text):
        if i % every == 0:
            shown = text if tick_font.getlength(text) <= slot * every else _fit(text, tick_font, slot * every)
            _text(draw, (x_of(i), plot_bottom + 8 * s), shown, tick_font, MUTED, anchor="ma")

    for i, points in enumerate(series.values()):
        colour = PALETTE[i % len(PALETTE)]
        segment: list[tuple[float, float]] = []
        # A missing (NaN) value breaks the line rather than dropping it to zero.
        for j, value in enumerate([*points, math.nan]):
            if math.isfinite(value):
                segment.append((x_of(j), y_of(value)))
                continue
            if len(segment) > 1:
                draw.line(segment, fill=colour, width=4 * s, joint="curve")
            # Markers only while they stay apart; on a long axis they would merge into a smear.
            for px, py in segment if n <= 24 else []:
                draw.ellipse((px - 7 * s, py - 7 * s, px + 7 * s, py + 7 * s), fill=BG, outline=colour, width=3 * s)
            segment = []
        if annotate:
            for j, value in enumerate(points):
                if math.isfinite(value):
                    _text(draw, (x_of(j), y_of(value) - 14 * s), _format_number(value), tick_font, INK, anchor="md")

    return _png(image.resize((WIDTH, height // s), Image.Resampling.LANCZOS))
