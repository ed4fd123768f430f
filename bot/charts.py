"""PNG charts (poll results, participation over time) with Chinese text drawn by a bundled font."""

from __future__ import annotations

import io
import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.chart_text import CharMap, cjk_font_path, clean_text, fit_text, format_number, wrap_text

if TYPE_CHECKING:
    # Pillow is imported lazily inside the render functions: the bot idles far more than it draws,
    # and importing PIL at start-up would cost RSS for nothing.
    from PIL import Image, ImageDraw, ImageFont

# Drawing takes 30-150 ms of CPU: async callers should use asyncio.to_thread to keep the event loop free.
__all__ = ["BarInput", "draw_bars", "render_bar_chart", "render_line_chart"]

# Telegram shows a photo about 360 dp wide on a phone, so a ~960 px picture is shrunk to roughly
# a third: body text needs ~34 px here to read like the chat's own text.
WIDTH = 960
MARGIN = 40
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
# --- drawing -------------------------------------------------------------------------------------


class _Fonts:
    """Font faces by pixel size, opened once per picture and dropped with it."""

    def __init__(self, scale: int = 1) -> None:
        """Open nothing yet; remember the supersampling factor."""
        self._path = str(cjk_font_path())
        self._scale = scale
        self._faces: dict[int, ImageFont.FreeTypeFont] = {}
        self.cmap = CharMap(self._path)

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
        return clean_text(text, self.cmap.has)


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
        for line in wrap_text(text, font, width, lines):
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


@dataclass(frozen=True)
class BarInput:
    """What a bar chart shows (poll results, the participation ladder): plain text, nothing escaped."""

    title: str
    labels: list[str]
    values: list[float]
    value_labels: list[str]
    subtitle: str


def draw_bars(chart: BarInput) -> bytes:
    """render_bar_chart of a BarInput."""
    return render_bar_chart(
        chart.title, chart.labels, chart.values, value_labels=chart.value_labels, subtitle=chart.subtitle
    )


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
    texts = list(value_labels) if value_labels is not None else [format_number(v) for v in values]
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
            rows.append((wrap_text(fonts.clean(label) or "?", label_font, max(room, inner / 3), max_lines), value_text))
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
            name = fit_text(name, legend_font, width / 2) if legend_font.getlength(name) > width / 2 else name
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
    tick_texts = [format_number(t) for t in ticks]

    y_title = fonts.clean(y_label)
    if y_title:
        _text(draw, (MARGIN * s, y), wrap_text(y_title, tick_font, width - 2 * MARGIN * s, 1)[0], tick_font, MUTED)
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
    xs_text = [t if tick_font.getlength(t) <= room else fit_text(t, tick_font, room) for t in xs_text]
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
            shown = text if tick_font.getlength(text) <= slot * every else fit_text(text, tick_font, slot * every)
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
                    _text(draw, (x_of(j), y_of(value) - 14 * s), format_number(value), tick_font, INK, anchor="md")

    return _png(image.resize((WIDTH, height // s), Image.Resampling.LANCZOS))
