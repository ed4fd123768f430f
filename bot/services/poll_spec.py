"""A poll's settings (the one list of them), the stored poll, their checks and the /vote wizard's draft."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime, timedelta
from typing import Any

from bot.clock import from_ts
from bot.numbers import typed_number
from bot.services.errors import InvalidInput, required_text

MIN_OPTIONS = 2
MAX_OPTIONS = 20
MAX_QUESTION = 200
MAX_LABEL = 100
MAX_QUORUM = 100_000
MIN_AHEAD = timedelta(minutes=5)
MAX_AHEAD = timedelta(days=366)
DEFAULT_REMIND_BEFORE = 3600
REMIND_CHOICES: tuple[int | None, ...] = (3600, 86400, None)  # 1 hour, 1 day, none: what the wizard cycles through
ELECTORATES = ("all", "committee")

Options = tuple[tuple[str, int | None], ...]  # (label, proposal id), in order


@dataclass(frozen=True)
class PollSpec:
    """Everything a poll's creator chooses; each field is a column of `polls` of the same name."""

    # A new setting is a field here (with its default), a column of that name, a check in
    # clean_spec and its button: the draft, the insert, the stored poll and the card follow.
    question: str = ""
    max_choices: int = 1  # 1: single choice
    anonymous: bool = False
    electorate: str = "all"  # who votes: "all" (everyone seen in the chat) or "committee"
    quorum: int | None = None  # voters needed for the result to count
    closes_at: int | None = None  # the deadline, epoch seconds
    remind_before: int | None = DEFAULT_REMIND_BEFORE  # seconds before the deadline; None: no reminder


@dataclass(frozen=True, kw_only=True)
class Poll(PollSpec):
    """A stored poll: its settings, where it is and how far it got."""

    id: int
    community_id: int
    scope_id: int
    chat_id: int
    creator_id: int | None
    remind_at: int | None
    reminded_at: int | None
    nudged_at: int | None
    status: str
    closed_at: int | None
    outcome: str | None
    outcome_at: int | None
    created_at: int

    @property
    def is_open(self) -> bool:
        """True until the poll is closed (by hand or by the sweeper)."""
        return self.status == "open"

    @property
    def spec(self) -> PollSpec:
        """The settings alone."""
        return PollSpec(**{name: getattr(self, name) for name in SPEC_FIELDS})

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Poll:
        """A poll from a row mapped by column name (columns it does not know are ignored)."""
        poll = object.__new__(cls)
        # Filled in place: the frozen __init__ costs twenty object.__setattr__ calls, and every vote
        # builds one. The fields are exactly the dataclass's, and none has a __post_init__.
        values = poll.__dict__
        values.update({name: row[name] for name in _POLL_FIELDS})
        for name in _BOOL_FIELDS:  # SQLite keeps booleans as 0/1
            values[name] = bool(values[name])
        return poll


SPEC_FIELDS = tuple(f.name for f in fields(PollSpec))
_POLL_FIELDS = tuple(f.name for f in fields(Poll))
_BOOL_FIELDS = tuple(f.name for f in fields(Poll) if f.type == "bool")


def spec_columns(spec: PollSpec) -> dict[str, Any]:
    """The settings as the columns of a new polls row."""
    return asdict(spec)


def _one_line(raw: str) -> str:
    return " ".join(raw.split())


def clean_spec(spec: PollSpec, options: Sequence[tuple[str, int | None]], now: datetime) -> tuple[PollSpec, Options]:
    """Check a poll's settings and options; raise InvalidInput naming the first problem."""
    question = required_text(_one_line(spec.question), MAX_QUESTION, "empty_question", "question_too_long")
    cleaned = tuple((_one_line(label), proposal_id) for label, proposal_id in options)
    if any(not label for label, _ in cleaned) or len(cleaned) < MIN_OPTIONS:
        raise InvalidInput("too_few_options")
    if len(cleaned) > MAX_OPTIONS:
        raise InvalidInput("too_many_options", limit=MAX_OPTIONS)
    if any(len(label) > MAX_LABEL for label, _ in cleaned):
        raise InvalidInput("option_too_long", limit=MAX_LABEL)
    if len({label.casefold() for label, _ in cleaned}) != len(cleaned):
        raise InvalidInput("duplicate_options")
    if not 1 <= spec.max_choices <= len(cleaned):
        raise InvalidInput("bad_max_choices", limit=len(cleaned))
    if spec.electorate not in ELECTORATES:
        raise InvalidInput("bad_electorate")
    if spec.quorum is not None and not 1 <= spec.quorum <= MAX_QUORUM:
        raise InvalidInput("bad_quorum", limit=MAX_QUORUM)
    if spec.closes_at is not None:
        check_deadline(from_ts(spec.closes_at), now)
    if spec.remind_before not in REMIND_CHOICES:
        raise InvalidInput("bad_reminder")
    return replace(spec, question=question), cleaned


def check_deadline(closes_at: datetime, now: datetime) -> None:
    """A deadline must be at least a few minutes ahead and within a year."""
    if closes_at < now + MIN_AHEAD:
        raise InvalidInput("deadline_too_soon", minutes=int(MIN_AHEAD.total_seconds() // 60))
    if closes_at > now + MAX_AHEAD:
        raise InvalidInput("deadline_too_far")


def clean_quorum(raw: str) -> int | None:
    """A typed quorum: a whole number of voters, 0 for none."""
    value = typed_number(raw, high=MAX_QUORUM)
    if value is None:
        raise InvalidInput("bad_quorum", limit=MAX_QUORUM)
    return value or None


# -- the /vote wizard's draft ----------------------------------------------------------------------


class Toggle(enum.StrEnum):
    """The settings card's buttons that change a setting in place."""

    KIND = "kind"  # single ↔ multiple choice
    MORE = "more"
    LESS = "less"
    ANON = "anon"
    ELEC = "elec"
    REM = "rem"


TOGGLES = frozenset(toggle.value for toggle in Toggle)
PICKING_ACTIONS = frozenset({"pick", "next"})


@dataclass(frozen=True)
class Draft:
    """A poll being set up by one person in one chat (dialog state): its spec, options and wizard state."""

    spec: PollSpec = PollSpec()
    options: Options = ()
    awaiting: str | None = None  # "deadline" | "quorum": the next reply answers that question
    card: int | None = None  # the settings card's message id: only that card's buttons act
    picking: tuple[int, ...] | None = None  # proposal ids chosen so far, while picking from proposals

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> Draft:
        """Rebuild from JSON (tuples came back as lists); also a draft saved by an older version."""
        # Older versions kept the settings at the top level, and 0 for "no reminder".
        settings = dict(state.get("spec") or {name: state[name] for name in SPEC_FIELDS if name in state})
        if settings.get("remind_before") == 0:
            settings["remind_before"] = None
        picking = state.get("picking")
        return cls(
            spec=PollSpec(**settings),
            options=tuple((str(label), pid) for label, pid in state.get("options", [])),
            awaiting=state.get("awaiting"),
            card=state.get("card"),
            picking=None if picking is None else tuple(int(p) for p in picking),
        )

    def to_state(self) -> dict[str, Any]:
        """JSON-able dialog state."""
        return asdict(self)

    def accepts(self, action: str) -> bool:
        """Picking buttons belong to the proposal list, the others to the settings card; cancel to both."""
        return action == "cancel" or (action in PICKING_ACTIONS) == (self.picking is not None)

    def toggled(self, toggle: Toggle) -> Draft:
        """The draft after a settings button."""
        spec, options = self.spec, len(self.options)
        if toggle is Toggle.KIND:
            spec = replace(spec, max_choices=1 if spec.max_choices > 1 else min(2, options))
        elif toggle is Toggle.MORE:
            spec = replace(spec, max_choices=min(spec.max_choices + 1, options))
        elif toggle is Toggle.LESS:
            spec = replace(spec, max_choices=max(spec.max_choices - 1, 2 if spec.max_choices > 1 else 1))
        elif toggle is Toggle.ANON:
            spec = replace(spec, anonymous=not spec.anonymous)
        elif toggle is Toggle.ELEC:
            spec = replace(spec, electorate="committee" if spec.electorate == "all" else "all")
        elif toggle is Toggle.REM:
            at = REMIND_CHOICES.index(spec.remind_before) if spec.remind_before in REMIND_CHOICES else 0
            spec = replace(spec, remind_before=REMIND_CHOICES[(at + 1) % len(REMIND_CHOICES)])
        return replace(self, spec=spec)

    def picked(self, proposal_id: int) -> Draft:
        """Choose or unchoose a proposal (at most MAX_OPTIONS)."""
        chosen = self.picking or ()
        if proposal_id in chosen:
            return replace(self, picking=tuple(p for p in chosen if p != proposal_id))
        return replace(self, picking=(*chosen, proposal_id)[:MAX_OPTIONS])

    def from_proposals(self, question: str, open_ones: Sequence[tuple[int, str]]) -> Draft:
        """The chosen proposals (of those still open, as (id, title)) become the options; at least MIN_OPTIONS."""
        titles = dict(open_ones)
        chosen = [(titles[pid], pid) for pid in self.picking or () if pid in titles]
        if len(chosen) < MIN_OPTIONS:
            raise InvalidInput("too_few_proposals")
        return replace(self, picking=None, spec=replace(self.spec, question=question), options=tuple(chosen))
