"""Issue 14 items 5 and 6: 取消报名 asks once, a full team's button says it means 候补, places in Chinese
numerals, and a superseded roster says where the newest one is."""

from __future__ import annotations

import pytest

from bot import callback_data as cb
from tests import builders as b
from tests.cast import AUNT, GROUP, UNCLE
from tests.e2e.test_teams import make_team, press, statuses
from tests.harness import Harness

pytestmark = pytest.mark.usefixtures("no_errors")


async def test_cancelling_a_sign_up_asks_once_and_only_the_person_can_answer(h: Harness) -> None:
    team_id = await make_team(h, "碧水苑墙绘队 5")
    await h.send(press(AUNT, "join", team_id))
    await h.send(press(AUNT, "bye", team_id))
    question = h.fake.sent(GROUP.id)[-1]
    assert "确定取消报名碧水苑墙绘队吗？" in question.text
    labels = dict(question.buttons)
    assert set(labels) == {"是，取消报名", "不，先保留"}
    assert await statuses(h, team_id) == [(AUNT.id, "member")]  # asking changes nothing

    yes = labels["是，取消报名"]
    await h.send(b.callback(UNCLE, GROUP, yes, message_id=question.message_id))  # not his question
    assert "问别的居民" in str(h.fake.answers()[-1].params.get("text"))
    assert await statuses(h, team_id) == [(AUNT.id, "member")]

    await h.send(b.callback(AUNT, GROUP, labels["不，先保留"], message_id=question.message_id))
    assert await statuses(h, team_id) == [(AUNT.id, "member")]
    await h.send(press(AUNT, "bye", team_id))
    again = h.fake.sent(GROUP.id)[-1]
    await h.send(b.callback(AUNT, GROUP, dict(again.buttons)["是，取消报名"], message_id=again.message_id))
    assert await statuses(h, team_id) == [(AUNT.id, "left")]


async def test_a_full_teams_button_says_it_is_the_waitlist(h: Harness) -> None:
    team_id = await make_team(h, "碧水苑墙绘队 1")
    await h.send(press(AUNT, "join", team_id))
    await h.send(press(UNCLE, "join", team_id))
    await h.send(b.message(AUNT, GROUP, "/teams"))
    labels = [label for label, _ in h.fake.sent(GROUP.id)[-1].buttons]
    assert any("排候补（1/1，候补1人）" in label for label in labels), labels


async def test_places_in_chinese_numerals(h: Harness) -> None:
    team_id = await make_team(h, "巡逻队 八")
    assert await h.rows("SELECT name, capacity FROM teams WHERE id = ?", team_id) == [("巡逻队", 8)]


async def test_an_older_roster_points_to_the_newest(h: Harness) -> None:
    team_id = await make_team(h, "碧水苑墙绘队 5")
    first = await h.scalar("SELECT message_id FROM live_messages WHERE kind = 'roster' AND entity_id = ?", team_id)
    await h.send(b.callback(AUNT, GROUP, cb.TEAM.build("roster", team_id)))
    newest = await h.scalar("SELECT message_id FROM live_messages WHERE kind = 'roster' AND entity_id = ?", team_id)
    assert newest != first
    edits = [c for c in h.fake.of("editMessageText", GROUP.id) if int(c.params["message_id"]) == first]
    assert edits and "这份名单已更新，请看最新一条 ⬇️" in edits[-1].text
    assert edits[-1].buttons == []
