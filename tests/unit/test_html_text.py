"""truncate_html keeps Telegram HTML valid; the test validator in tests/telegram_html.py agrees."""

from __future__ import annotations

import html

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.html_text import truncate_html
from tests.telegram_html import TelegramHTMLError, check_html, visible_text

PIECES = st.one_of(
    st.text(max_size=30).map(html.escape),
    st.sampled_from(["<>&\"'", "😀", "长"]).map(html.escape),
    st.tuples(st.sampled_from(["b", "i", "u", "s", "code", "tg-spoiler"]), st.text(max_size=20)).map(
        lambda t: f"<{t[0]}>{html.escape(t[1])}</{t[0]}>"
    ),
    st.text(max_size=10).map(lambda s: f'<a href="https://example.org/?q=1&amp;r=2">{html.escape(s)}</a>'),
    st.text(max_size=10).map(lambda s: f"<b>x<i>{html.escape(s)}</i></b>"),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(PIECES, max_size=40).map("".join), st.integers(5, 300))
def test_truncated_html_stays_valid_and_within_the_limit(text: str, limit: int) -> None:
    cut = truncate_html(text, limit)
    assert len(cut) <= limit
    if text.strip():
        visible_text(cut)  # raises on a broken tag or entity
    if len(text) <= limit:
        assert cut == text
    else:
        assert cut.rstrip("</>abcdefghijklmnopqrstuvwxyz-").endswith("…")


def test_cut_never_splits_an_entity_or_leaves_a_tag_open() -> None:
    text = "<b>通知</b>\n\n" + "&lt;" * 2000
    cut = truncate_html(text, 4096)
    check_html(cut)
    assert cut.endswith("&lt;…") and len(cut) <= 4096
    assert truncate_html("<b>" + "长" * 5000 + "</b>", 100).endswith("…</b>")


@pytest.mark.parametrize(
    "bad",
    ["<script>x</script>", "a < b", "a & b", "&nbsp;", "<b>open", "<b><i>x</b></i>", "<span>x</span>", "x > y", ""],
)
def test_validator_refuses_what_telegram_refuses(bad: str) -> None:
    with pytest.raises(TelegramHTMLError):
        check_html(bad)


@pytest.mark.parametrize(
    "good",
    [
        "<b>粗</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>i</ins><s>s</s><strike>s</strike><del>d</del>",
        '<span class="tg-spoiler">x</span><tg-spoiler>y</tg-spoiler><a href="https://t.me/x?a=1&amp;b=2">link</a>',
        '<code>x</code><pre>y</pre><pre><code class="language-python">z</code></pre>',
        "<blockquote>q</blockquote><blockquote expandable>e</blockquote>",
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji> &lt;&gt;&amp;&quot;&#39;&#x4e2d;',
    ],
)
def test_validator_accepts_every_telegram_tag(good: str) -> None:
    check_html(good)


def test_length_counts_characters_after_parsing() -> None:
    check_html("&lt;" * 4096)
    with pytest.raises(TelegramHTMLError):
        check_html("长" * 4097)
    with pytest.raises(TelegramHTMLError):
        check_html("x" * 1025, limit=1024)
