"""State-changing actions the kill/restart test streams at the bot, each with how to see it was done.

An Action is a few updates (sent in order, spaced so each is processed before the next), a test of
whether the bot acknowledged success (a reply or a callback answer recorded by the fake server), and
a test of whether it is in the database. The kill test checks, after every SIGKILL:
acknowledged ⇒ stored, every INVARIANT holds, and PRAGMA integrity_check is ok.

Votes (single and multiple choice), team sign-ups (with leaves, beyond capacity), 附议 supports and
meeting RSVPs are in; their team, polls, proposal and meeting are created by `feature_setup` before
the stream starts.
Adding another feature's path:
1. write `def thing_actions(world: World) -> list[Action]` (see `vote_actions` for a button press on
   something set-up created, `grant_actions` for a command replying to a person's message); if it
   needs something to exist first, create it in a set-up function (see `feature_setup`: it sends
   updates one at a time with `world.send_and_wait` and keeps ids in `world.ids`) added to SETUPS;
2. append the maker to ACTION_FAMILIES;
3. add what must never happen twice to INVARIANTS (see `team_never_overfills_nor_strands_the_waitlist`).
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot import callback_data as cb
from tests import builders as b
from tests.fakes import Call
from tests.fakeserver import FakeTelegramServer
from tests.process.botproc import SOCIAL_WORKERS, database, wait_until

Update = dict[str, Any]


class Transcript:
    """What the bot said, indexed: replies by the message they quote, answers by callback query."""

    def __init__(self, calls: list[Call]) -> None:
        self.calls = calls
        self.replies: dict[tuple[int, int], list[str]] = defaultdict(list)
        self.answers: dict[str, list[str]] = defaultdict(list)
        self.sends: dict[int, list[Call]] = defaultdict(list)
        for call in calls:
            if call.method == "answerCallbackQuery":
                self.answers[str(call.params.get("callback_query_id"))].append(str(call.params.get("text") or ""))
            elif call.method == "sendMessage" and call.chat_id is not None:
                self.sends[call.chat_id].append(call)
                quoted = (call.params.get("reply_parameters") or {}).get("message_id")
                if quoted is not None:
                    self.replies[(call.chat_id, int(quoted))].append(call.text)

    def replies_to(self, update: Update) -> list[str]:
        """Texts of the bot's replies quoting this update's message (groups quote by default)."""
        message = update["message"]
        return self.replies.get((int(message["chat"]["id"]), int(message["message_id"])), [])

    def answers_to(self, update: Update) -> list[str]:
        """Texts of the answers to this button press ("" for a silent success)."""
        return self.answers.get(str(update["callback_query"]["id"]), [])

    def answered_ok(self, update: Update) -> bool:
        """The press was answered without a message: the bot's way of saying it worked."""
        return "" in self.answers_to(update)


@dataclass
class Action:
    """One thing a person does, with how to tell that the bot acknowledged it and that it is stored."""

    label: str
    updates: list[Update]
    acked: Callable[[Transcript], bool]
    stored: Callable[[sqlite3.Connection], bool]
    window: tuple[float, float] = (0.0, 1.0)  # when in the stream it starts, as fractions (dependencies)
    gap_s: float = 0.6  # seconds between this action's own updates


@dataclass
class World:
    """The people and chats of a stream, the fake server the updates go to, and the bot's database."""

    server: FakeTelegramServer
    rng: random.Random
    db_path: Path
    groups: list[b.TgChat] = field(default_factory=list)
    residents: list[b.TgUser] = field(default_factory=list)
    ids: dict[str, int] = field(default_factory=dict)  # what set-up created: team, polls, proposal, messages

    @staticmethod
    def build(server: FakeTelegramServer, rng: random.Random, db_path: Path, n_groups: int = 40) -> World:
        """Groups -1001700000000…, one resident per group."""
        groups = [b.group(-1001700000000 - i, f"院落群{i:02d}") for i in range(n_groups)]
        residents = [b.TgUser(300000 + i, f"居民{i:02d}号") for i in range(n_groups)]
        return World(server, rng, db_path, groups, residents)

    def send_and_wait(self, update: Update, timeout: float = 20.0) -> list[Call]:
        """Send one update (set-up only) and wait for the bot's reply or answer; return the calls it made."""
        mark = len(self.server.calls)
        self.server.enqueue(update)

        def said() -> bool:
            tr = Transcript(self.server.calls)
            if "callback_query" in update:
                return bool(tr.answers_to(update))
            chat = update["message"]["chat"]["id"]
            return bool(tr.replies_to(update)) or any(c.chat_id == chat for c in self.server.calls_since(mark))

        wait_until(said, timeout, f"the answer to {update.get('message', {}).get('text', 'a press')!r}")
        time.sleep(0.2)  # whatever else the handler sends (live messages) right after its answer
        return self.server.calls_since(mark)

    def scalar(self, sql: str, *params: Any) -> Any:
        """One value from the bot's database."""
        with database(self.db_path) as conn:
            row = conn.execute(sql, params).fetchone()
        return row[0] if row else None

    def social_worker(self, i: int) -> b.TgUser:
        """Social workers take turns, so nobody hits the flood throttle."""
        return SOCIAL_WORKERS[i % len(SOCIAL_WORKERS)]

    def press(self, user: b.TgUser, chat: b.TgChat, data: str) -> Update:
        """A button press on a message the bot sent earlier (seeded, so the bot can edit it)."""
        message_id = self.server.seed_message(chat.id)
        return b.callback(user, chat, data, message_id=message_id)


def yard_name(i: int) -> str:
    """Courtyard names shared by several groups (no name is a substring of another)."""
    return f"院落{i % 15:02d}"


def bind_actions(world: World) -> list[Action]:
    """A social worker binds each group to a courtyard (several groups per courtyard)."""
    actions = []
    for i, chat in enumerate(world.groups):
        name = yard_name(i)
        update = b.message(world.social_worker(i), chat, f"/bind {name}")

        def acked(tr: Transcript, update: Update = update, name: str = name) -> bool:
            return any(name in text for text in tr.replies_to(update))

        def stored(conn: sqlite3.Connection, chat_id: int = chat.id, name: str = name) -> bool:
            row = conn.execute(
                "SELECT c.scope, y.name FROM chats c JOIN courtyards y ON y.id = c.courtyard_id WHERE c.chat_id = ?",
                (chat_id,),
            ).fetchone()
            return row == ("courtyard", name)

        actions.append(Action(f"bind {chat.id}", [update], acked, stored, window=(0.0, 0.3)))
    return actions


def grant_actions(world: World) -> list[Action]:
    """A social worker makes a resident backbone by replying to what they said.

    Under group privacy mode the bot never saw the resident's message itself (tests.fakes.privacy_mode_delivers):
    the reply is what introduces them.
    """
    actions = []
    for i, (chat, person) in enumerate(zip(world.groups, world.residents, strict=True)):
        said = b.user_message(person, chat, "大家好")
        grant = b.message(world.social_worker(i + 7), chat, "/grant", reply_to=said)

        def acked(tr: Transcript, grant: Update = grant, name: str = person.first_name) -> bool:
            return any(name in text for text in tr.replies_to(grant))

        def stored(conn: sqlite3.Connection, user_id: int = person.id, chat_id: int = chat.id) -> bool:
            row = conn.execute(
                "SELECT COUNT(*) FROM roles r JOIN chats c ON c.courtyard_id = r.scope_id "
                "WHERE r.user_id = ? AND r.role = 'backbone' AND c.chat_id = ?",
                (user_id, chat_id),
            ).fetchone()
            return bool(row[0])

        actions.append(Action(f"grant {person.id}", [grant], acked, stored, window=(0.35, 1.0)))
    return actions


def lang_actions(world: World, *, count: int = 40, first_id: int = 400000) -> list[Action]:
    """People choose English for their private messages with the language button."""
    actions = []
    for i in range(count):
        person = b.TgUser(first_id + i, f"邻居{i:02d}号")
        press = world.press(person, b.private(person), cb.LANG.build("en"))

        def acked(tr: Transcript, press: Update = press) -> bool:
            return tr.answered_ok(press)

        def stored(conn: sqlite3.Connection, user_id: int = person.id) -> bool:
            row = conn.execute("SELECT locale FROM users WHERE user_id = ?", (user_id,)).fetchone()
            return row is not None and row[0] == "en"

        actions.append(Action(f"lang {person.id}", [press], acked, stored))
    return actions


def notice_marker(k: int) -> str:
    """What identifies broadcast k's text wherever it is sent."""
    return f"第{k}号通知"


def broadcast_actions(world: World, count: int = 5) -> list[Action]:
    """Social workers broadcast a notice to every courtyard chat (message, then the send button)."""
    actions = []
    for k in range(count):
        sender = SOCIAL_WORKERS[-1 - k]  # one sender per broadcast: drafts are per person and chat
        chat = b.private(sender)
        draft = b.message(sender, chat, f"/broadcast {notice_marker(k)}：本周六上午9点大扫除，请带上扫帚。")
        send = world.press(sender, chat, cb.BROADCAST.build("all", 0))

        def acked(tr: Transcript, send: Update = send) -> bool:
            return tr.answered_ok(send)

        def stored(conn: sqlite3.Connection, k: int = k) -> bool:
            row = conn.execute(
                "SELECT COUNT(*) FROM broadcasts b WHERE b.text LIKE ? AND "
                "(SELECT COUNT(*) FROM outbox o WHERE o.kind = 'broadcast' AND o.ref_id = b.id) = b.target_count",
                (f"{notice_marker(k)}%",),
            ).fetchone()
            return int(row[0]) == 1

        actions.append(Action(f"broadcast {k}", [draft, send], acked, stored, window=(0.3, 1.0), gap_s=0.5))
    return actions


# -- features that need something to exist first: a team, two polls, a proposal --------------------
AGORA = b.group(-1001790000000, "议事院居民群")
TEAM_CAPACITY = 8
TEAM_NAME = "议事院护卫队"


def feature_setup(world: World) -> None:
    """Bind AGORA, then create a team, a single- and a multiple-choice poll, a proposal and a meeting in it."""
    sw = SOCIAL_WORKERS[0]
    world.send_and_wait(b.message(sw, AGORA, "/bind 议事院"))
    world.send_and_wait(b.message(sw, AGORA, f"/newteam {TEAM_NAME} {TEAM_CAPACITY}"))
    world.ids["team"] = int(world.scalar("SELECT id FROM teams WHERE name = ?", TEAM_NAME))
    for key, question, settings in (
        ("single", "选哪个主题 | 汉藏文化融合 | 碧水蓝天", ()),
        ("multiple", "周末活动 | 大扫除 | 种花 | 墙绘", ("kind",)),
    ):
        calls = world.send_and_wait(b.message(sw, AGORA, f"/vote {question}"))
        card = next(c for c in calls if c.method == "sendMessage" and c.chat_id == AGORA.id).message_id
        for action in (*settings, "go"):
            world.send_and_wait(b.callback(sw, AGORA, cb.POLL_DRAFT.build(action, 0), message_id=card))
        world.ids[key] = poll_id = int(world.scalar("SELECT MAX(id) FROM polls"))
        tally_sql = "SELECT message_id FROM live_messages WHERE kind = 'poll' AND entity_id = ?"
        # The press is answered first; the tally is posted and recorded as live just after.
        wait_until(lambda: world.scalar(tally_sql, poll_id) is not None, 20, "the live tally")  # noqa: B023
        world.ids[f"{key}_tally"] = int(world.scalar(tally_sql, poll_id))
    proposer = b.TgUser(310000, "提案的王阿姨")
    calls = world.send_and_wait(b.message(proposer, AGORA, "/propose 院里种些月季花"))
    world.ids["proposal"] = int(world.scalar("SELECT id FROM proposals"))
    world.ids["proposal_card"] = next(c for c in calls if c.method == "sendMessage").message_id
    calls = world.send_and_wait(b.message(sw, AGORA, "/meeting 坝坝会 明天下午3点 议事院院坝 讨论墙绘分工"))
    card = next(c for c in calls if c.method == "sendMessage" and c.chat_id == AGORA.id).message_id
    mark = len(world.server.calls)
    world.send_and_wait(b.callback(sw, AGORA, cb.MEETING_WIZARD.build("ok", 0), message_id=card))
    world.ids["meeting"] = int(world.scalar("SELECT MAX(id) FROM meetings"))

    def notices() -> list[Call]:  # the outbox sends the notice with the RSVP buttons
        return [c for c in world.server.calls_since(mark, "sendMessage") if c.chat_id == AGORA.id and "📅" in c.text]

    wait_until(lambda: bool(notices()), 30, "the meeting notice")
    world.ids["meeting_notice"] = notices()[0].message_id


def _voter(i: int) -> b.TgUser:
    return b.TgUser(320000 + i, f"投票人{i:02d}号")


def _choices(conn: sqlite3.Connection, poll_id: int, user_id: int) -> set[int]:
    rows = conn.execute(
        "SELECT c.position FROM poll_choices c JOIN poll_ballots p USING (poll_id, voter_key) "
        "WHERE p.poll_id = ? AND p.user_id = ?",
        (poll_id, user_id),
    ).fetchall()
    return {int(r[0]) for r in rows}


def vote_actions(world: World, count: int = 30) -> list[Action]:
    """Residents vote in the single-choice poll and tick one option of the multiple-choice poll."""
    actions = []
    for i in range(count):
        voter = _voter(i)
        for key, position in (("single", 1 + i % 2), ("multiple", 1 + i % 3)):
            poll_id = world.ids[key]
            press = b.callback(
                voter, AGORA, cb.VOTE.build("v", poll_id, position), message_id=world.ids[f"{key}_tally"]
            )

            def acked(tr: Transcript, press: Update = press) -> bool:
                return any(text.startswith("您投给了") for text in tr.answers_to(press))

            def stored(
                conn: sqlite3.Connection, poll_id: int = poll_id, user_id: int = voter.id, p: int = position
            ) -> bool:
                # Exactly this choice: a press applied twice would have toggled the tick off again.
                return _choices(conn, poll_id, user_id) == {p}

            actions.append(Action(f"vote {key} {voter.id}", [press], acked, stored))
    return actions


def signup_actions(world: World, count: int = 20) -> list[Action]:
    """Residents sign up for the team (more than its capacity); every fifth leaves again later."""
    actions = []
    team_id = world.ids["team"]
    for i in range(count):
        person = b.TgUser(330000 + i, f"报名人{i:02d}号")
        join = world.press(person, AGORA, cb.TEAM.build("join", team_id))
        leaves = i % 5 == 4
        presses = [join, world.press(person, AGORA, cb.TEAM.build("leave", team_id))] if leaves else [join]

        def acked(tr: Transcript, last: Update = presses[-1]) -> bool:
            return any(TEAM_NAME in text for text in tr.answers_to(last))

        def stored(conn: sqlite3.Connection, user_id: int = person.id, leaves: bool = leaves) -> bool:
            row = conn.execute(
                "SELECT status FROM team_members WHERE team_id = ? AND user_id = ?", (team_id, user_id)
            ).fetchone()
            return row is not None and (row[0] == "left" if leaves else row[0] in ("member", "waitlist"))

        actions.append(Action(f"signup {person.id}", presses, acked, stored))
    return actions


def support_actions(world: World, count: int = 20) -> list[Action]:
    """Residents support (附议) the proposal once each."""
    actions = []
    for i in range(count):
        person = b.TgUser(340000 + i, f"附议人{i:02d}号")
        press = b.callback(
            person, AGORA, cb.PROPOSAL.build("sup", world.ids["proposal"]), message_id=world.ids["proposal_card"]
        )

        def acked(tr: Transcript, press: Update = press) -> bool:
            return any(text.startswith("已附议") for text in tr.answers_to(press))

        def stored(conn: sqlite3.Connection, user_id: int = person.id) -> bool:
            row = conn.execute("SELECT COUNT(*) FROM proposal_supports WHERE user_id = ?", (user_id,)).fetchone()
            return bool(row[0])

        actions.append(Action(f"support {person.id}", [press], acked, stored))
    return actions


RSVP_ANSWERS = {"yes": "✅", "maybe": "🤔", "no": "❌"}


def rsvp_actions(world: World, count: int = 21) -> list[Action]:
    """Residents answer the meeting notice: going, maybe, not going."""
    actions = []
    for i in range(count):
        person = b.TgUser(350000 + i, f"参会人{i:02d}号")
        choice = list(RSVP_ANSWERS)[i % 3]
        press = b.callback(
            person, AGORA, cb.RSVP.build(choice, world.ids["meeting"]), message_id=world.ids["meeting_notice"]
        )

        def acked(tr: Transcript, press: Update = press, mark: str = RSVP_ANSWERS[choice]) -> bool:
            return any(text.startswith(mark) for text in tr.answers_to(press))

        def stored(conn: sqlite3.Connection, user_id: int = person.id, choice: str = choice) -> bool:
            row = conn.execute(
                "SELECT answer FROM meeting_rsvps WHERE meeting_id = ? AND user_id = ?", (world.ids["meeting"], user_id)
            ).fetchone()
            return row is not None and row[0] == choice

        actions.append(Action(f"rsvp {person.id}", [press], acked, stored))
    return actions


ActionMaker = Callable[[World], list[Action]]
ACTION_FAMILIES: list[ActionMaker] = [
    bind_actions,
    grant_actions,
    lang_actions,
    broadcast_actions,
    vote_actions,
    signup_actions,
    support_actions,
    rsvp_actions,
]
# Run with the bot up before the stream and the kills (they fill World.ids for the makers above).
SETUPS: list[Callable[[World], None]] = [feature_setup]


def schedule(actions: list[Action], rng: random.Random, duration: float) -> list[tuple[float, Update]]:
    """Spread the actions over the stream: (seconds from the start, update), in time order."""
    timeline: list[tuple[float, Update]] = []
    for action in actions:
        first, last = (fraction * duration for fraction in action.window)
        at = rng.uniform(first, max(first, last - action.gap_s * (len(action.updates) - 1)))
        for update in action.updates:
            timeline.append((at, update))
            at += action.gap_s
    timeline.sort(key=lambda item: item[0])
    return timeline


# -- invariants: what must hold at every moment, whatever was acknowledged ---------------------------
Invariant = Callable[[sqlite3.Connection, Transcript], list[str]]


def one_broadcast_per_draft(conn: sqlite3.Connection, tr: Transcript) -> list[str]:
    """A notice text is broadcast at most once (a redelivered or double-tapped send button)."""
    rows = conn.execute("SELECT text, COUNT(*) FROM broadcasts GROUP BY text HAVING COUNT(*) > 1").fetchall()
    return [f"broadcast created {n} times: {text[:20]}" for text, n in rows]


def no_chat_gets_a_notice_twice(conn: sqlite3.Connection, tr: Transcript) -> list[str]:
    """Broadcasts are never resent after an interruption (the ambiguous case is reported instead)."""
    problems = []
    texts = [str(r[0]) for r in conn.execute("SELECT text FROM broadcasts")]
    for chat_id, sends in tr.sends.items():
        if chat_id > 0:
            continue  # the sender's own chat shows the draft; only courtyard groups receive notices
        for text in texts:
            marker = text.split("：")[0]
            copies = sum(marker in c.text for c in sends)
            if copies > 1:
                problems.append(f"chat {chat_id} got {marker} {copies} times")
    return problems


def sent_means_sent(conn: sqlite3.Connection, tr: Transcript) -> list[str]:
    """Every outbox row marked sent matches a message the fake Telegram really accepted."""
    delivered = {(c.chat_id, c.message_id) for sends in tr.sends.values() for c in sends if isinstance(c.result, dict)}
    rows = conn.execute("SELECT id, chat_id, message_id FROM outbox WHERE status = 'sent'").fetchall()
    return [f"outbox {i} marked sent but never delivered" for i, chat, mid in rows if (chat, mid) not in delivered]


def team_never_overfills_nor_strands_the_waitlist(conn: sqlite3.Connection, tr: Transcript) -> list[str]:
    """Exactly the capacity: never more members, and nobody waits while a place is free."""
    problems = []
    rows = conn.execute(
        "SELECT t.id, t.capacity, SUM(m.status = 'member'), SUM(m.status = 'waitlist') "
        "FROM teams t LEFT JOIN team_members m ON m.team_id = t.id GROUP BY t.id"
    ).fetchall()
    for team_id, capacity, members, waiting in rows:
        members, waiting = int(members or 0), int(waiting or 0)
        if capacity is not None and (members > capacity or (waiting and members < capacity)):
            problems.append(f"team {team_id}: {members} members, {waiting} waiting, capacity {capacity}")
    return problems


def one_choice_in_single_choice_polls(conn: sqlite3.Connection, tr: Transcript) -> list[str]:
    """A single-choice ballot holds one choice; a person has one ballot per poll (public polls)."""
    rows = conn.execute(
        "SELECT c.poll_id, c.voter_key, COUNT(*) FROM poll_choices c JOIN polls p ON p.id = c.poll_id "
        "WHERE p.max_choices = 1 GROUP BY c.poll_id, c.voter_key HAVING COUNT(*) > 1"
    ).fetchall()
    return [f"poll {poll}: a ballot with {n} choices" for poll, _, n in rows]


INVARIANTS: list[Invariant] = [
    one_broadcast_per_draft,
    no_chat_gets_a_notice_twice,
    sent_means_sent,
    team_never_overfills_nor_strands_the_waitlist,
    one_choice_in_single_choice_polls,
]


def run_to_ack(server: FakeTelegramServer, actions: list[Action], timeout: float = 60.0) -> None:
    """Send every action's updates (in order, one action step at a time) and wait for every acknowledgement."""
    steps = max(len(a.updates) for a in actions)
    for step in range(steps):
        batch = [a.updates[step] for a in actions if step < len(a.updates)]
        server.enqueue(*batch)
        wait_until(lambda b=batch: all(server.delivered[u["update_id"]] for u in b), timeout, "updates delivered")
    wait_until(lambda: all(a.acked(Transcript(server.calls)) for a in actions), timeout, "every action acknowledged")
