"""Pure parts of meetings: the quick-command rule, drafts, the wizard's steps, waitlists, labels."""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from babel.messages.pofile import read_po

from bot.i18n import Catalogs
from bot.services.errors import InvalidInput
from bot.services.meeting_model import Draft, clean_capacity, confirmed_and_waiting, split_agenda
from bot.services.meetings import MeetingService
from bot.timeparse import Refusal, TimeRefusal
from handlers.common import time_error_text
from handlers.meetings_render import offset_label
from handlers.meetings_wizard import pressed, typed
from storage.meetings import Person
from tests.fakes import FakeClock

TZ = ZoneInfo("Asia/Shanghai")
T = Catalogs().translator("zh_CN", TZ)


def service() -> MeetingService:
    return MeetingService(None, FakeClock(), 1, TZ, (86400, 3600))  # type: ignore[arg-type]


def local(ts: int | None) -> datetime:
    assert ts is not None
    return datetime.fromtimestamp(ts, UTC).astimezone(TZ)


def test_quick_rule_kind_time_place_topic() -> None:
    draft = service().quick_draft("坝坝会 明天下午3点 碧水苑院坝 讨论墙绘分工 和 经费")
    assert (draft.kind, draft.place, draft.title) == ("courtyard", "碧水苑院坝", "讨论墙绘分工 和 经费")
    assert local(draft.starts_at) == datetime(2026, 11, 30, 15, 0, tzinfo=TZ)
    assert draft.offsets == (86400, 3600)
    other = service().quick_draft("12月5日 19:30 活动室 宣讲")
    assert other.kind == "other" and local(other.starts_at).hour == 19
    assert service().quick_draft("颁奖典礼 周六 15:00 广场 院落美化大赛颁奖").kind == "award"


@pytest.mark.parametrize("text", ["坝坝会", "坝坝会 明天下午3点", "坝坝会 明天下午3点 院坝", ""])
def test_quick_rule_needs_every_part(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        service().quick_draft(text)
    assert caught.value.reason == "quick_usage"


@pytest.mark.parametrize(
    ("text", "reason", "fragment"),
    [
        ("坝坝会 昨天下午3点 院坝 讨论", "past", "昨天下午3点"),
        ("坝坝会 32号 院坝 讨论", "invalid_date", "32号"),
        ("坝坝会 每周三晚上7点 院坝 讨论", "recurring", "每周三晚上7点"),
        ("坝坝会 下周六 院坝 讨论", "no_time", "下周六"),
    ],
)
def test_quick_rule_refuses_times_with_a_reason(text: str, reason: str, fragment: str) -> None:
    with pytest.raises(TimeRefusal) as caught:
        service().quick_draft(text)
    assert (caught.value.reason, caught.value.fragment) == (reason, fragment)
    assert fragment in time_error_text(T, caught.value)


def test_every_refusal_reason_has_its_own_sentence() -> None:
    texts = {time_error_text(T, TimeRefusal(r, "x")) for r in Refusal}
    assert len(texts) == len(Refusal)


def test_draft_round_trips_through_json_state() -> None:
    draft = Draft("team", "团建", 123, "院坝", "议程", "yards", (3, 1), 20, (86400,), True)
    assert Draft.from_state(draft.to_state()) == draft


def test_wizard_steps_in_order() -> None:
    svc = service()
    state: dict[str, Any] = {"step": "kind", "quick": False, "draft": svc.new_draft().to_state()}
    state = pressed(svc, state, "kind", 2, set())
    assert state["step"] == "time" and state["draft"]["kind"] == "consultation"
    state = typed(svc, state, "后天晚上7点半")
    assert state["step"] == "time_check" and local(state["pending"]) == datetime(2026, 12, 1, 19, 30, tzinfo=TZ)
    state = pressed(svc, state, "tyes", 0, set())
    state = typed(svc, typed(svc, state, "活动室"), "停车难\n1. 现状\n2. 办法")
    assert state["step"] == "targets" and state["draft"]["title"] == "停车难"
    assert pressed(svc, state, "yard", 9, {1, 2})["draft"]["yards"] == []  # not a choice offered
    assert pressed(svc, state, "all", 0, {1, 2})["draft"]["mode"] == "yards"  # only social workers
    assert pressed(svc, state, "all", 0, {1, 2}, may_all=True)["draft"]["mode"] == "all"
    state = pressed(svc, pressed(svc, state, "yard", 2, {1, 2}), "ynext", 0, {1, 2})
    state = typed(svc, state, "30")
    assert state["step"] == "reminders" and state["draft"]["capacity"] == 30
    state = pressed(svc, pressed(svc, state, "off", 1800, set()), "off", 86400, set())
    assert state["draft"]["offsets"] == [3600, 1800]
    assert pressed(svc, state, "off", 999, set())["draft"]["offsets"] == [3600, 1800]
    state = pressed(svc, pressed(svc, state, "undec", 0, set()), "onext", 0, set())
    assert state["step"] == "confirm" and state["draft"]["only_undecided"] is True
    assert pressed(svc, state, "kind", 0, set()) == state  # a stale button of an earlier step


def test_capacity_and_agenda_input() -> None:
    assert clean_capacity(" 25人 ") == 25
    for bad in ("0", "abc", "100001"):
        with pytest.raises(InvalidInput):
            clean_capacity(bad)
    assert split_agenda("主题\n议程一\n议程二") == ("主题", "议程一\n议程二")


def test_waitlist_is_the_tail_of_the_yes_queue() -> None:
    people = [Person(i, f"p{i}", False) for i in range(5)]
    assert confirmed_and_waiting(people, 3) == (people[:3], people[3:])
    assert confirmed_and_waiting(people, None) == (people, [])


def test_offset_labels() -> None:
    assert [offset_label(T, s) for s in (86400, 2 * 86400, 3600, 1800)] == [
        "提前1天",
        "提前2天",
        "提前1小时",
        "提前30分钟",
    ]


def test_every_meetings_message_reaches_the_catalogue() -> None:
    # Babel's extractor silently skips a message nested in another message's arguments.
    root = Path(__file__).resolve().parents[2]
    with (root / "locales" / "meetings.pot").open("rb") as fh:
        known = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id}
    for path in root.glob("handlers/meetings*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "_":
                assert node.args[0].value in known, f"{path.name}:{node.lineno}"  # type: ignore[attr-defined]
