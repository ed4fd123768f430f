"""The feedback service over the running bot (issue 13's first slice, before its handlers): numbering, the
target time of a category, "someone already reported this", following, triage with a note queued for the
reporter and each follower in the change's transaction, and a resident who cannot change an item."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.services.errors import PermissionDenied
from tests import builders as b
from tests.cast import AUNT, GROUP, SW, UNCLE, bind
from tests.harness import Harness


async def test_report_follow_triage_and_notes(h: Harness) -> None:
    await bind(h)
    await h.send(b.message(AUNT, GROUP, "/menu"))
    await h.send(b.message(UNCLE, GROUP, "/menu"))
    fb, people = h.deps.services.feedback, h.deps.services.people
    row = await h.deps.services.community.chat(GROUP.id)
    aunt = await people.actor(AUNT.id, AUNT.first_name, row, GROUP.id, "supergroup", False)
    uncle = await people.actor(UNCLE.id, UNCLE.first_name, row, GROUP.id, "supergroup", False)
    worker = await people.actor(SW.id, SW.first_name, None, SW.id, "private", False)
    yard = await fb.group_courtyard(aunt)

    item = await fb.report(
        aunt,
        courtyard_id=yard,
        group_chat_id=GROUP.id,
        body="路灯坏了",
        category="设施维修",
        photo_file_id="p1",
        anonymous=True,
    )
    assert (item.number, item.status) == (1, "new")
    assert item.due_at - item.created_at == 3 * 86400  # 设施维修's default target: 3 days
    assert [f.number for f in await fb.similar_open(yard, "路灯坏了！")] == [1]

    await fb.follow(uncle, item.id)
    for status in ("acknowledged", "in_progress", "resolved"):
        await fb.change(worker, item.id, status)
    with pytest.raises(PermissionDenied):
        await fb.change(uncle, item.id, "new")

    notes = await h.rows("SELECT dedupe_key FROM outbox WHERE kind = 'feedback_note' ORDER BY id")
    people_told = sorted({key.rsplit(":", 1)[1] for (key,) in notes})
    assert len(notes) == 6  # three changes, each to the reporter and the follower
    assert people_told == sorted([str(AUNT.id), str(UNCLE.id)])
    assert (await fb.inbox(worker, statuses=("resolved",))).counts == {"resolved": 1}
    assert await h.rows("SELECT status FROM feedback") == [("resolved",)]


async def test_the_sweep_nudges_an_overdue_assignee_once_and_asks_the_reporter_once(h: Harness) -> None:
    await bind(h)
    await h.send(b.message(AUNT, b.private(AUNT), "/start"))  # both opened a chat: the notes go privately
    await h.send(b.message(SW, b.private(SW), "/start"))
    await h.send(b.message(AUNT, GROUP, "/menu"))
    fb, people = h.deps.services.feedback, h.deps.services.people
    row = await h.deps.services.community.chat(GROUP.id)
    aunt = await people.actor(AUNT.id, AUNT.first_name, row, GROUP.id, "supergroup", False)
    worker = await people.actor(SW.id, SW.first_name, None, SW.id, "private", False)
    yard = await fb.group_courtyard(aunt)
    item = await fb.report(
        aunt,
        courtyard_id=yard,
        group_chat_id=GROUP.id,
        body="楼道灯不亮",
        category="安全隐患",
        photo_file_id=None,
        anonymous=False,
    )
    await fb.change(worker, item.id, "in_progress", assignee_id=SW.id)

    h.clock.advance(timedelta(days=2))  # 安全隐患's target is one day
    assert await fb.sweep() == 1
    assert await fb.sweep() == 0  # once per target, however often the sweeper runs
    await fb.change(worker, item.id, "resolved")
    h.clock.advance(timedelta(days=4))  # asked ask_after_days (3) after 已解决
    assert await fb.sweep() == 1 and await fb.sweep() == 0
    keys = await h.rows("SELECT dedupe_key FROM outbox WHERE dedupe_key LIKE 'feedback_%:%:%' ORDER BY id")
    assert [k for (k,) in keys if not k.startswith("feedback_note")] == [
        f"feedback_overdue:{item.id}:{item.due_at}",
        f"feedback_check:{item.id}:{(await h.scalar('SELECT resolved_at FROM feedback'))}",
    ]
