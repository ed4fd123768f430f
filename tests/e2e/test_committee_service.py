"""The committee service over the running bot: appointments with positions and history, a join request
approved by the chair with the resident told, leaving, and the committee role that committee-only polls use."""

from __future__ import annotations

import pytest

from bot.services.actor import Actor
from bot.services.errors import InvalidInput, NotFound, PermissionDenied
from bot.services.polls import COMMITTEE_ROLE, COMMITTEE_SCOPE
from storage.users import RolesRepository
from tests import builders as b
from tests.cast import AUNT, GROUP, NEIGHBOUR, SW, UNCLE, bind
from tests.harness import Harness


def actor(user: b.TgUser, *, social_worker: bool = False, chat: b.TgChat | None = None) -> Actor:
    where = chat or b.private(user)
    return Actor(user.id, user.first_name, where.id, where.type, is_social_worker=social_worker)


async def seen(h: Harness, *users: b.TgUser) -> None:
    for user in users:
        await h.send(b.message(user, b.private(user), "/start"))


async def test_appoint_join_leave_and_the_committee_role(h: Harness) -> None:
    await bind(h)
    await seen(h, SW, AUNT, UNCLE, NEIGHBOUR)
    committee = h.deps.services.committee
    sw = actor(SW, social_worker=True)

    assert await committee.appoint(sw, AUNT.id, "chair") is None
    assert await committee.appoint(sw, UNCLE.id, "vice_chair") is None
    with pytest.raises(PermissionDenied):
        await committee.appoint(actor(UNCLE), NEIGHBOUR.id, "member")  # only social workers appoint
    with pytest.raises(InvalidInput):
        await committee.appoint(sw, NEIGHBOUR.id, "boss")

    # A resident asks; the chair and the social worker get a note each; the chair approves, she is told.
    request_id = await committee.request_join(actor(NEIGHBOUR, chat=GROUP))
    with pytest.raises(InvalidInput):
        await committee.request_join(actor(NEIGHBOUR, chat=GROUP))  # one pending request
    notes = await h.rows("SELECT chat_id FROM outbox WHERE kind = 'committee_request' ORDER BY chat_id")
    assert notes == sorted([(AUNT.id,), (SW.id,)])
    with pytest.raises(PermissionDenied):
        await committee.decide(actor(UNCLE), request_id, True)  # the vice chair, while there is a chair
    decided = await committee.decide(actor(AUNT), request_id, True)
    assert decided.status == "approved"
    with pytest.raises(InvalidInput):
        await committee.decide(sw, request_id, False)  # decided already: nothing changes
    told = await h.rows("SELECT chat_id, payload FROM outbox WHERE kind = 'committee_decided'")
    assert len(told) == 1 and told[0][0] == NEIGHBOUR.id and '"approved": true' in told[0][1]

    roles = await RolesRepository(h.db.reader).holders(COMMITTEE_ROLE, COMMITTEE_SCOPE)
    assert {(r.user_id, r.position) for r in roles} == {
        (AUNT.id, "chair"), (UNCLE.id, "vice_chair"), (NEIGHBOUR.id, "member")
    }  # fmt: skip

    # A new chair moves the old one to member; a member leaves; the history keeps all of it.
    await committee.appoint(sw, UNCLE.id, "chair")
    assert await committee.position_of(AUNT.id) == "member"
    await committee.leave(actor(NEIGHBOUR))
    with pytest.raises(NotFound):
        await committee.leave(actor(NEIGHBOUR))
    roster = await committee.roster()
    assert [(m.user_id, m.position) for m in roster.members] == [(UNCLE.id, "chair"), (AUNT.id, "member")]
    events = [(e.user_id, e.event, e.position) for e in roster.history]
    assert events == [
        (AUNT.id, "joined", "chair"),
        (UNCLE.id, "joined", "vice_chair"),
        (NEIGHBOUR.id, "joined", "member"),
        (AUNT.id, "position", "member"),
        (UNCLE.id, "position", "chair"),
        (NEIGHBOUR.id, "left", None),
    ]
    await committee.require_chair(actor(UNCLE))
    with pytest.raises(PermissionDenied):
        await committee.require_chair(actor(AUNT))


async def test_committee_command_buttons_and_notes(h: Harness) -> None:
    from bot import callback_data as cb

    await bind(h)
    await seen(h, SW, NEIGHBOUR)
    said = b.user_message(AUNT, GROUP, "我愿意参加评审")
    await h.send({"update_id": b.next_update_id(), "message": said})
    await h.send(b.message(SW, GROUP, "/committee 主席", reply_to=said))
    assert "李阿姨现在是评审会主席。" in h.fake.last_text(GROUP.id)
    await h.send(b.message(UNCLE, GROUP, "/committee 主席", reply_to=said))  # not a social worker: nothing changes
    assert "社工" in h.fake.last_text(GROUP.id)
    assert await h.scalar("SELECT COUNT(*) FROM roles WHERE role = 'committee'") == 1

    await h.send(b.message(NEIGHBOUR, GROUP, "/committee"))
    roster = h.fake.sent(GROUP.id)[-1]
    assert "院落美化评审会</b>（共1人）" in roster.text and "李阿姨，主席" in roster.text
    await h.send(b.callback(NEIGHBOUR, GROUP, cb.COMMITTEE.build("join", 0), message_id=roster.message_id))
    assert h.fake.answers()[-1].params["text"] == "申请已发给主席和社工，答复后会告诉您。"
    await h.drain()
    ask = h.fake.sent(SW.id)[-1]
    assert ask.text == "刘奶奶申请加入评审会，请您答复。"
    request_id = await h.scalar("SELECT id FROM committee_requests")
    assert ("✅ 同意", cb.COMMITTEE.build("ok", request_id)) in ask.buttons
    await h.send(b.callback(SW, b.private(SW), cb.COMMITTEE.build("ok", request_id), message_id=ask.message_id))
    await h.drain()
    assert h.fake.sent(NEIGHBOUR.id)[-1].text == "刘奶奶，欢迎加入评审会！"
    # The chair's copy of the request is skipped once decided; a second press changes nothing.
    await h.send(b.callback(SW, b.private(SW), cb.COMMITTEE.build("no", request_id), message_id=ask.message_id))
    assert h.fake.answers()[-1].params["text"] == "这份申请已经答复过了。"
    assert await h.scalar("SELECT position FROM roles WHERE user_id = ?", NEIGHBOUR.id) == "member"

    await h.send(b.callback(NEIGHBOUR, GROUP, cb.COMMITTEE.build("leave", 0), message_id=roster.message_id))
    assert "感谢您的付出" in h.fake.answers()[-1].params["text"]
    assert await h.scalar("SELECT event FROM committee_history ORDER BY id DESC LIMIT 1") == "left"
