"""1000 residents vote at once, each pressing twice: exact tallies, every press answered, few edits."""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta

from bot import callback_data as cb
from handlers.live import live
from tests import builders as b
from tests.cast import GROUP, bind
from tests.e2e.test_polls import start_poll, tally_message
from tests.harness import Harness

VOTERS = 1000
LABELS = ["汉藏文化融合", "碧水蓝天", "环境美化", "院落花园"]
BATCHES = 8
STEP = timedelta(seconds=2.5)  # simulated time between batches


def interleaved(rng: random.Random, voters: list[b.TgUser]) -> list[tuple[b.TgUser, int]]:
    """Every voter twice, shuffled, with each voter's first press before their second."""
    slots = [u for u in voters for _ in range(2)]
    rng.shuffle(slots)
    return [(user, rng.randint(1, len(LABELS))) for user in slots]


async def test_1000_voters_pressing_twice_concurrently(h: Harness) -> None:
    await bind(h)
    poll_id = await start_poll(h, " | ".join(["选哪个主题", *LABELS]))
    message_id = await tally_message(h, poll_id)
    rng = random.Random(20261129)
    voters = [b.TgUser(500000 + i, f"居民{i}") for i in range(VOTERS)]
    presses = interleaved(rng, voters)
    # Update ids are given in list order, as Telegram numbers updates in the order they happen.
    updates = [
        b.callback(u, GROUP, cb.VOTE.build("v", poll_id, option), message_id=message_id) for u, option in presses
    ]
    expected = {user.id: option for user, option in presses}  # the last press of each voter
    h.fake.clear()

    messages = live(h.app)
    edit_times: list[float] = []
    size = len(updates) // BATCHES
    for i in range(BATCHES):
        await h.feed(updates[i * size : (i + 1) * size])  # processed concurrently by PTB
        await messages.flush(h.context)
        edits = len(h.fake.of("editMessageText", GROUP.id))
        edit_times += [h.clock.now().timestamp()] * (edits - len(edit_times))
        h.clock.advance(STEP)
    h.clock.advance(timedelta(seconds=10))
    await messages.flush(h.context)
    edits = h.fake.of("editMessageText", GROUP.id)
    edit_times += [h.clock.now().timestamp()] * (len(edits) - len(edit_times))

    # 1000 ballots, each voter's last press counted, per-option sum 1000.
    rows = await h.rows(
        "SELECT b.user_id, c.position FROM poll_ballots b JOIN poll_choices c "
        "ON c.poll_id = b.poll_id AND c.voter_key = b.voter_key WHERE b.poll_id = ?",
        poll_id,
    )
    assert len(rows) == VOTERS
    assert dict(rows) == expected
    counts = Counter(expected.values())
    assert sum(counts.values()) == VOTERS
    assert await h.rows(
        "SELECT position, COUNT(*) FROM poll_choices WHERE poll_id = ? GROUP BY position ORDER BY position", poll_id
    ) == sorted(counts.items())

    # Every press answered once.
    assert len(h.fake.answers()) == 2 * VOTERS

    # At most two edits in any 10 seconds of simulated time, and the last edit shows the exact tally.
    assert edits and all(e.params["message_id"] == message_id for e in edits)
    for start in edit_times:
        assert sum(1 for t in edit_times if start <= t < start + 10) <= 2, edit_times
    assert len(edits) >= 3  # the tally did follow the voting along the way
    final = edits[-1]
    for position, label in enumerate(LABELS, start=1):
        assert f"{position}. <b>{label}</b> — {counts[position]}票" in final.text
        assert f"{position}. {label} · {counts[position]}" in [text for text, _ in final.buttons]
    assert "已投票：1,000人" in final.text
