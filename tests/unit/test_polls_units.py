"""Pure parts of proposals and polls: duplicate check, typed polls, drafts, deadlines, safe splitting."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.clock import to_ts
from bot.i18n import Catalogs, esc
from bot.services.errors import InvalidInput
from bot.services.poll_spec import Draft, Poll, PollSpec, Toggle, clean_quorum, clean_spec
from bot.services.polls import OptionResult, PollView
from bot.services.proposals import clean_title, normalise_title, similar
from bot.timeparse import Refusal, TimeRefusal
from handlers.polls_draft import parse_typed
from handlers.polls_render import render_results, render_tally, split_html
from handlers.polls_time import parse_deadline
from tests.telegram_html import visible_text

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)  # Sunday 10:00 in Shanghai


# -- duplicate proposals --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "alike"),
    [
        ("碧水蓝天", "碧水 蓝天！", True),
        ("碧水蓝天", "碧水蓝天计划", True),  # containment
        ("汉藏文化融合", "汉藏文化的融合", True),  # ratio ≥ 0.8
        ("Green Yard", "green-yard", True),
        ("碧水蓝天", "环境美化", False),
        ("汉藏文化融合", "汉服文化节", False),
    ],
)
def test_similar_titles(a: str, b: str, alike: bool) -> None:
    assert similar(normalise_title(a), normalise_title(b)) is alike


def test_titles_are_checked() -> None:
    assert clean_title("  碧水   蓝天 ") == "碧水 蓝天"
    for bad, reason in (("", "empty_title"), ("！", "title_too_short"), ("长" * 61, "title_too_long")):
        with pytest.raises(InvalidInput) as caught:
            clean_title(bad)
        assert caught.value.reason == reason


# -- typed polls, drafts, settings ------------------------------------------------------------------


def test_typed_poll_forms() -> None:
    typed = Draft(spec=PollSpec(question="选哪个"), options=(("甲", None), ("乙", None)))
    assert parse_typed("选哪个 | 甲 | 乙") == typed
    assert parse_typed("选哪个｜甲｜乙") == typed
    assert parse_typed("选哪个\n甲\n乙") == typed
    assert parse_typed("只有问题") is None


def test_draft_round_trips_and_toggles() -> None:
    draft = Draft(spec=PollSpec(question="q", closes_at=123), options=(("甲", 3), ("乙", None), ("丙", None)), card=9)
    assert Draft.from_state(draft.to_state()) == draft
    multi = draft.toggled(Toggle.KIND)
    assert multi.spec.max_choices == 2
    assert multi.toggled(Toggle.MORE).toggled(Toggle.MORE).spec.max_choices == 3  # capped at the option count
    assert multi.toggled(Toggle.LESS).spec.max_choices == 2  # multiple choice keeps at least two
    assert multi.toggled(Toggle.KIND).spec.max_choices == 1
    anon = draft.toggled(Toggle.ANON)
    assert anon.spec.anonymous and not anon.toggled(Toggle.ANON).spec.anonymous
    assert draft.toggled(Toggle.ELEC).spec.electorate == "committee"
    rem = draft.toggled(Toggle.REM)
    assert [rem.spec.remind_before, rem.toggled(Toggle.REM).spec.remind_before] == [86400, None]


def test_a_draft_saved_by_the_previous_version_still_opens() -> None:
    """Drafts wait in the dialogs table across an upgrade: the flat settings and 0 for "no reminder"."""
    old = {
        "question": "q",
        "options": [["甲", 3], ["乙", None]],
        "max_choices": 2,
        "anonymous": True,
        "electorate": "all",
        "quorum": 5,
        "closes_at": 123,
        "remind_before": 0,
        "awaiting": None,
        "card": 9,
        "picking": None,
    }
    spec = PollSpec(question="q", max_choices=2, anonymous=True, quorum=5, closes_at=123, remind_before=None)
    assert Draft.from_state(old) == Draft(spec=spec, options=(("甲", 3), ("乙", None)), card=9)


def test_picking_proposals_needs_two_that_are_still_open() -> None:
    draft = Draft(picking=()).picked(4).picked(5).picked(6).picked(5)
    assert draft.picking == (4, 6)
    with pytest.raises(InvalidInput) as caught:
        draft.from_proposals("选哪个", [(4, "碧水蓝天"), (5, "环境美化")])  # 6 was answered meanwhile
    assert caught.value.reason == "too_few_proposals"
    chosen = draft.from_proposals("选哪个", [(6, "汉服"), (4, "碧水蓝天")])
    assert chosen.picking is None and chosen.options == (("碧水蓝天", 4), ("汉服", 6))
    assert chosen.spec.question == "选哪个"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"question": " "}, "empty_question"),
        ({"options": (("甲", None),)}, "too_few_options"),
        ({"options": tuple((str(i), None) for i in range(21))}, "too_many_options"),
        ({"options": (("甲", None), ("甲", None))}, "duplicate_options"),
        ({"max_choices": 3}, "bad_max_choices"),
        ({"quorum": 0}, "bad_quorum"),
        ({"closes_at": to_ts(NOW + timedelta(minutes=1))}, "deadline_too_soon"),
        ({"closes_at": to_ts(NOW + timedelta(days=400))}, "deadline_too_far"),
        ({"remind_before": 60}, "bad_reminder"),
    ],
)
def test_poll_settings_are_checked(change: dict[str, object], reason: str) -> None:
    options = change.pop("options", (("甲", None), ("乙", None)))
    spec = PollSpec(**{"question": "选哪个", **change})  # type: ignore[arg-type]
    with pytest.raises(InvalidInput) as caught:
        clean_spec(spec, options, NOW)  # type: ignore[arg-type]
    assert caught.value.reason == reason


def test_quorum_typed() -> None:
    assert clean_quorum(" 12 ") == 12
    assert clean_quorum("0") is None
    with pytest.raises(InvalidInput):
        clean_quorum("十个")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("明晚8点", datetime(2026, 11, 30, 20, 0, tzinfo=TZ)),
        ("周六下午3点", datetime(2026, 12, 5, 15, 0, tzinfo=TZ)),
        ("12月5日 19:30", datetime(2026, 12, 5, 19, 30, tzinfo=TZ)),
        ("明天", datetime(2026, 11, 30, 20, 0, tzinfo=TZ)),  # a day alone: the evening
        ("无", None),
    ],
)
def test_deadlines_typed_in_chinese(text: str, expected: datetime | None) -> None:
    assert parse_deadline(text, now=NOW, tz=TZ) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("过几天吧", Refusal.NOT_UNDERSTOOD),
        ("每周三晚上7点", Refusal.RECURRING),  # a rhythm, not a deadline
        ("今天上午9点", Refusal.PAST),
        ("3分钟后", Refusal.TOO_SOON),  # polls need five minutes
        ("2028年1月1日", Refusal.TOO_FAR),  # and close within a year
    ],
)
def test_deadline_refusals(text: str, reason: Refusal) -> None:
    with pytest.raises(TimeRefusal) as caught:
        parse_deadline(text, now=NOW, tz=TZ)
    assert caught.value.reason is reason


# -- rendering and splitting ---------------------------------------------------------------------------


def _strip(text: str) -> str:
    """The visible text, ignoring tags a split may add."""
    out = text
    for tag in ("<b>", "</b>", "<i>", "</i>", '<a href="tg://user?id=1">', "</a>"):
        out = out.replace(tag, "")
    return out


names = st.text(alphabet=st.sampled_from(list("李阿姨张大爷<>&ab ")), min_size=1, max_size=12)


@settings(max_examples=150, deadline=None)
@given(
    lines=st.lists(
        st.lists(st.tuples(st.sampled_from(["", "b", "i", "a"]), names), min_size=1, max_size=60),
        min_size=1,
        max_size=30,
    ),
    limit=st.integers(min_value=60, max_value=400),
)
def test_split_html_keeps_every_part_short_balanced_and_complete(
    lines: list[list[tuple[str, str]]], limit: int
) -> None:
    rendered = []
    for line in lines:
        pieces = []
        for tag, text in line:
            body = esc(text)
            if tag == "a":
                pieces.append(f'<a href="tg://user?id=1">{body}</a>')
            elif tag:
                pieces.append(f"<{tag}>{body}</{tag}>")
            else:
                pieces.append(body)
        rendered.append("、".join(pieces))
    text = "\n".join(rendered)
    parts = split_html(text, limit)
    assert all(len(part) <= limit for part in parts)
    for part in parts:
        visible_text(part)  # Telegram HTML: tags balanced and nested, nothing unescaped
    # Nothing is lost or reordered: the visible text is the same once tags and line breaks are ignored.
    assert _strip("".join(parts)).replace("\n", "") == _strip(text).replace("\n", "")
    # Entities are never cut.
    assert not [part for part in parts if re.search(r"&(?!(lt|gt|amp);)", part)]


def test_short_text_is_one_part() -> None:
    assert split_html("a\nb", 10) == ["a\nb"]
    assert split_html("", 10) == [""]


def _view(anonymous: bool, voters: int) -> PollView:
    poll = Poll(
        id=7,
        community_id=1,
        scope_id=1,
        chat_id=-1,
        creator_id=1,
        question="选哪个 <主题>",
        max_choices=1,
        anonymous=anonymous,
        electorate="all",
        quorum=5,
        closes_at=None,
        remind_before=None,
        remind_at=None,
        reminded_at=None,
        nudged_at=None,
        status="closed",
        closed_at=1,
        outcome=None,
        outcome_at=None,
        created_at=0,
    )
    names = [f"居民{i}号" for i in range(voters)]
    options = [
        OptionResult(1, "汉藏文化融合", voters, [] if anonymous else names),
        OptionResult(2, "碧水蓝天", 0, []),
    ]
    return PollView(poll, options, voters, max(voters, 10), 0)


def test_tally_fits_one_message_and_results_split() -> None:
    t = Catalogs().translator("zh_CN", TZ)
    view = _view(anonymous=False, voters=2000)
    tally = render_tally(t, view)
    assert len(tally) <= 4096 and "……还有" in tally and "选哪个 &lt;主题&gt;" in tally
    parts = split_html(render_results(t, view))
    assert len(parts) > 1 and all(len(visible_text(p)) <= len(p) <= 4096 for p in parts)
    assert all(f"居民{i}号" in "".join(parts) for i in range(2000))
    assert "最低投票人数5人：已达到 ✅" in parts[-1]


def test_anonymous_results_name_nobody() -> None:
    t = Catalogs().translator("zh_CN", TZ)
    text = render_results(t, _view(anonymous=True, voters=3))
    assert "居民" not in text and "1. <b>汉藏文化融合</b> — 3票 · 100%" in text


async def test_every_setting_is_a_column_and_a_stored_poll_reads_back_its_spec(tmp_path: Path) -> None:
    """A setting added to PollSpec needs a column of its name; the insert and the row mapping follow."""
    from bot.services.poll_spec import SPEC_FIELDS, spec_columns
    from storage.db import Database
    from storage.polls import PollsRepository

    db = Database(tmp_path / "t.db")
    await db.open()
    await db.migrate()
    try:
        async with db.reader.execute("SELECT name FROM pragma_table_info('polls')") as cur:
            columns = {str(r[0]) for r in await cur.fetchall()}
        assert set(SPEC_FIELDS) <= columns
        spec = PollSpec(question="选哪个", max_choices=2, anonymous=True, quorum=3, closes_at=99, remind_before=None)
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO communities(id, name, created_at) VALUES (1, 'c', 0)")
            await conn.execute("INSERT INTO chats(chat_id, type, added_at, updated_at) VALUES (-1, 'group', 0, 0)")
            where = {"community_id": 1, "scope_id": 0, "chat_id": -1, "creator_id": None, "created_at": 5}
            poll_id = await PollsRepository(conn).add({**spec_columns(spec), **where}, [("甲", None), ("乙", None)])
        row = await PollsRepository(db.reader).get(poll_id)
        assert row is not None
        poll = Poll.from_row(row)
        assert poll.spec == spec and poll.anonymous is True and poll.is_open and poll.created_at == 5
    finally:
        await db.close()
