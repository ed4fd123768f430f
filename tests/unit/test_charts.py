"""Charts: valid PNGs, a font that really covers Chinese, and no crash on awkward input."""

from __future__ import annotations

import io
import math
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageFont

from bot.chart_text import cjk_font_path, clean_text, font_has_glyphs, text_tokens, wrap_text
from bot.charts import render_bar_chart, render_line_chart

ROOT = Path(__file__).resolve().parents[2]

POLL_LABELS = ["汉藏文化融合", "碧水蓝天", "参加", "不参加", "待定"]
POLL_VALUES = [12.0, 8.0, 5.0, 3.0, 0.0]
POLL_VALUE_LABELS = ["12 票 · 43%", "8 票 · 29%", "5 票 · 18%", "3 票 · 11%", "0 票 · 0%"]


def open_png(data: bytes) -> Image.Image:
    """Decode PNG bytes, checking the signature first."""
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(data))
    image.load()
    assert image.format == "PNG"
    return image


def has_ink(image: Image.Image) -> bool:
    """Whether anything but the white background was drawn."""
    extrema = image.convert("L").getextrema()
    assert isinstance(extrema[0], int)
    return extrema[0] < 128


# --- font ----------------------------------------------------------------------------------------


def test_font_file_is_bundled_otf() -> None:
    path = cjk_font_path()
    assert path.is_file()
    assert path.read_bytes()[:4] in (b"OTTO", b"\x00\x01\x00\x00")


@pytest.mark.parametrize(
    "text",
    [
        "汉藏文化融合",
        "碧水蓝天",
        "参加/不参加/待定",
        "院落美化大赛",
        "票",
        "0123456789%",
        "参与人数 新晋骨干 9月 10月",
        "，。：；！？（）《》「」…·",
        "ABCxyz-+",
    ],
)
def test_font_has_glyphs_for_chinese_labels(text: str) -> None:
    assert font_has_glyphs(cjk_font_path(), text)
    assert font_has_glyphs(str(cjk_font_path()), text)


@pytest.mark.parametrize("text", ["\ue000", "汉\ue000", "\U000f0000", "👍", "碧水蓝天👍"])
def test_font_has_glyphs_is_false_for_missing_characters(text: str) -> None:
    assert not font_has_glyphs(cjk_font_path(), text)


def test_spaces_need_no_glyph() -> None:
    assert font_has_glyphs(cjk_font_path(), " \t\n\u3000")
    assert font_has_glyphs(cjk_font_path(), "")


def test_font_has_glyphs_agrees_with_fonttools() -> None:
    ttlib = pytest.importorskip("fontTools.ttLib")
    with ttlib.TTFont(str(cjk_font_path())) as font:
        cmap = font.getBestCmap()
    for cp in [*range(0x21, 0x3000), *range(0x4E00, 0x4F00), *range(0xE000, 0xE010), 0x1F44D, 0x20000]:
        if not chr(cp).isspace():
            assert font_has_glyphs(cjk_font_path(), chr(cp)) == (cp in cmap), hex(cp)


def test_font_has_glyphs_rejects_non_fonts(tmp_path: Path) -> None:
    junk = tmp_path / "junk.otf"
    junk.write_bytes(b"not a font at all")
    with pytest.raises(ValueError):
        font_has_glyphs(junk, "汉")
    with pytest.raises(ValueError):
        font_has_glyphs(cjk_font_path(), "汉", font_index=1)


def test_module_import_does_not_load_pillow() -> None:
    code = "import sys, bot.charts; sys.exit('PIL' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=False).returncode == 0


# --- text layout ---------------------------------------------------------------------------------


def test_tokens_keep_punctuation_with_neighbours() -> None:
    assert list(text_tokens("方案（含通道），ok v1.2")) == ["方", "案", "（含", "通", "道），", "ok", " ", "v1.2"]


def test_wrap_fits_width_and_ellipsises() -> None:
    font = ImageFont.truetype(str(cjk_font_path()), 34)
    text = "老槐树下的共享菜园与儿童游乐角改造方案（含无障碍通道）" * 3
    lines = wrap_text(text, font, 400, 2)
    assert len(lines) == 2
    assert lines[-1].endswith("…")
    assert all(font.getlength(line) <= 400 for line in lines)
    assert wrap_text("碧水蓝天", font, 400, 2) == ["碧水蓝天"]
    assert wrap_text("", font, 400, 2) == [""]
    # One unbreakable word wider than the line is cut by character rather than looping forever.
    assert all(font.getlength(line) <= 100 for line in wrap_text("x" * 200, font, 100, 3))


def test_clean_drops_what_the_font_cannot_draw() -> None:
    def can_draw(ch: str) -> bool:
        return ch != "👍"

    assert clean_text(" 👍 参加\n 👍", can_draw) == "参加"
    assert clean_text("👍", can_draw) == ""


# --- bar chart -----------------------------------------------------------------------------------


def test_bar_chart_is_a_phone_sized_png() -> None:
    data = render_bar_chart(
        "院落美化大赛", POLL_LABELS, POLL_VALUES, value_labels=POLL_VALUE_LABELS, subtitle="共 28 人投票"
    )
    image = open_png(data)
    assert 800 <= image.width <= 1000
    assert 300 <= image.height <= 2560
    assert has_ink(image)


def test_bar_chart_defaults_value_labels() -> None:
    image = open_png(render_bar_chart("票数", ["参加", "不参加"], [3, 1.5]))
    assert image.width == 960


def test_bar_chart_handles_many_long_and_odd_labels() -> None:
    labels = [f"选项{i} " + "很长的选项文字" * i for i in range(30)]
    values = [float(i % 4) for i in range(30)]
    image = open_png(render_bar_chart("三十个选项" * 20, labels, values, subtitle="说明" * 100))
    # Telegram shrinks photos whose long side passes 2560 px; 30 options must stay within it.
    assert image.height <= 2560
    assert image.width + image.height <= 10000


@pytest.mark.parametrize(
    ("labels", "values"),
    [
        (["参加", "不参加", "待定"], [0.0, 0.0, 0.0]),
        (["参加 👍", "👍👎", "🏠 碧水蓝天 🌊", "\ue000"], [1.0, 0.0, 2.0, 1.0]),
        (["", "   ", "\n"], [1.0, 2.0, 3.0]),
        (["负数", "NaN", "无穷"], [-3.0, math.nan, math.inf]),
        (["A" * 500, "汉" * 500], [1e9, 1e-9]),
        ([], []),
    ],
)
def test_bar_chart_survives_awkward_input(labels: list[str], values: list[float]) -> None:
    image = open_png(render_bar_chart("投票结果 📊", labels, values))
    assert image.width == 960


def test_bar_chart_rejects_mismatched_lengths() -> None:
    with pytest.raises(ValueError):
        render_bar_chart("t", ["a", "b"], [1.0])
    with pytest.raises(ValueError):
        render_bar_chart("t", ["a"], [1.0], value_labels=["1", "2"])


# --- line chart ----------------------------------------------------------------------------------


def test_line_chart_is_a_phone_sized_png() -> None:
    data = render_line_chart(
        "院落议事参与情况",
        ["9月", "10月", "11月", "12月"],
        {"参与人数": [12, 30, 45, 41], "新晋骨干": [1, 3, 4, 4]},
        y_label="人数",
    )
    image = open_png(data)
    assert 800 <= image.width <= 1000
    assert 400 <= image.height <= 1000
    assert has_ink(image)


@pytest.mark.parametrize(
    ("x_labels", "series"),
    [
        (["9月"], {"参与人数": [5.0]}),
        ([], {}),
        ([], {"参与人数": []}),
        (["9月", "10月", "11月"], {"参与人数": [0.0, 0.0, 0.0]}),
        (["9月", "10月", "11月"], {"参与人数": [1.0, math.nan, 3.0], "变化": [-2.0, 0.5, 1.0]}),
        ([f"{m}月" for m in range(1, 13)] * 3, {"参与人数": [float(i) for i in range(36)]}),
        (["很长的月份标签" * 5, "👍"], {f"系列{i} 👍": [1.0, 2.0] for i in range(12)}),
        (["a", "b"], {"x": [1e12, 1e-12]}),
    ],
)
def test_line_chart_survives_awkward_input(x_labels: list[str], series: dict[str, list[float]]) -> None:
    image = open_png(render_line_chart("参与情况 📈", x_labels, series, y_label="人数"))
    assert image.width == 960


def test_line_chart_rejects_series_of_wrong_length() -> None:
    with pytest.raises(ValueError):
        render_line_chart("t", ["9月", "10月"], {"参与人数": [1.0]})
