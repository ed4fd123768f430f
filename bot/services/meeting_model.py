"""Meetings' vocabulary: kinds, limits, outbox kinds, drafts and views, and the rules every part shares."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.clock import from_ts
from bot.numbers import typed_number
from bot.services.actor import Actor
from bot.services.errors import InvalidInput, NotFound, PermissionDenied
from storage.meetings import MeetingRow, MeetingsRepository, Person, TaskRow

KINDS = ("briefing", "courtyard", "consultation", "team", "visit", "award", "other")
# The words people type for each kind (the first one is how the bot writes it in Chinese).
KIND_WORDS: dict[str, str] = {
    "宣讲会": "briefing",
    "宣讲": "briefing",
    "坝坝会": "courtyard",
    "院坝会": "courtyard",
    "协商会": "consultation",
    "议事会": "consultation",
    "协商": "consultation",
    "团创会": "team",
    "团建": "team",
    "参访": "visit",
    "参观": "visit",
    "颁奖": "award",
    "颁奖会": "award",
    "颁奖典礼": "award",
    "其他": "other",
    "其它": "other",
    "briefing": "briefing",
    "courtyard": "courtyard",
    "consultation": "consultation",
    "team": "team",
    "visit": "visit",
    "award": "award",
    "other": "other",
}
ANSWERS = ("yes", "maybe", "no")

# Outbox kinds of this feature.
NOTICE = "meeting_notice"
REMINDER = "meeting_reminder"
NOTE = "meeting_note"
PROMOTED = "meeting_promoted"  # a note to one person (bot/services/notes.py): moved up from the waitlist
TASK_DUE = "task_due"

MAX_TITLE = 60
MAX_PLACE = 80
MAX_AGENDA = 1500
MAX_DECISIONS = 3000
MAX_TASK = 200
MAX_CAPACITY = 10_000
MEETING_LENGTH = timedelta(hours=2)  # for calendar files; meetings have no stored end
OFFSET_CHOICES = (7 * 86400, 86400, 6 * 3600, 3600, 1800)
CHECKIN_EARLY_S = 2 * 3600  # the code works from two hours before the start
CHECKIN_LATE_S = 12 * 3600  # ... until twelve hours after it
WRONG_CODES = 5  # wrong codes a person may try per window, so four digits cannot be guessed
WRONG_CODE_WINDOW_S = 600
TASK_DEFAULT_HOUR = 9


@dataclass(frozen=True)
class Draft:
    """A meeting being written (the wizard's and the quick command's state)."""

    kind: str = "other"
    title: str = ""
    starts_at: int | None = None
    place: str = ""
    agenda: str = ""
    mode: str = "here"  # here: the group it was written in | all | yards
    yards: tuple[int, ...] = ()
    capacity: int | None = None
    offsets: tuple[int, ...] = ()
    only_undecided: bool = False

    def to_state(self) -> dict[str, Any]:
        """JSON-able form for the dialogs table."""
        return {
            "kind": self.kind,
            "title": self.title,
            "starts_at": self.starts_at,
            "place": self.place,
            "agenda": self.agenda,
            "mode": self.mode,
            "yards": list(self.yards),
            "capacity": self.capacity,
            "offsets": list(self.offsets),
            "only_undecided": self.only_undecided,
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> Draft:
        """Rebuild from the dialogs table."""
        return cls(
            kind=str(state.get("kind", "other")),
            title=str(state.get("title", "")),
            starts_at=state.get("starts_at"),
            place=str(state.get("place", "")),
            agenda=str(state.get("agenda", "")),
            mode=str(state.get("mode", "here")),
            yards=tuple(int(y) for y in state.get("yards", ())),
            capacity=state.get("capacity"),
            offsets=tuple(int(o) for o in state.get("offsets", ())),
            only_undecided=bool(state.get("only_undecided", False)),
        )


@dataclass(frozen=True)
class MeetingView:
    """A meeting with everything a notice shows."""

    meeting: MeetingRow
    yards: list[str]
    confirmed: list[Person]
    waitlist: list[Person]
    maybe: int
    no: int
    checked_in: int
    organiser: str | None

    @property
    def start(self) -> datetime:
        """The start as an aware datetime."""
        return from_ts(self.meeting.starts_at)


@dataclass(frozen=True)
class RsvpResult:
    answer: str
    changed: bool
    waitlist_position: int | None  # 1-based place on the waitlist, None when in (or not "yes")
    promoted: list[Person]
    stale: bool = False  # a later press of the person was obeyed already: answer is the one kept


@dataclass(frozen=True)
class CheckinResult:
    meeting: MeetingRow
    first_time: bool
    count: int


@dataclass(frozen=True)
class ReminderDecision:
    """What a due reminder should do: send (view set) or skip; queued new outbox items."""

    view: MeetingView | None
    mention: tuple[Person, ...] = ()
    queued: int = 0


@dataclass(frozen=True)
class MinutesView:
    meeting: MeetingRow
    attendees: list[str]
    tasks: list[TaskRow]


@dataclass(frozen=True)
class TaskView:
    task: TaskRow
    meeting: MeetingRow


def kind_of(word: str) -> str | None:
    """The meeting kind a typed word names, if any."""
    return KIND_WORDS.get(word.strip().lower())


def clean_text(raw: str, *, limit: int, reason: str = "too_long", required: bool = True) -> str:
    """Trim user text; refuse it empty (when required) or too long."""
    text = raw.strip()
    if required and not text:
        raise InvalidInput("empty_text")
    if len(text) > limit:
        raise InvalidInput(reason, limit=limit)
    return text


def clean_capacity(raw: str) -> int:
    """A typed capacity: a whole number of people."""
    text = raw.strip().removesuffix("人").strip()
    number = typed_number(text, high=MAX_CAPACITY)
    if number is None or number < 1:
        raise InvalidInput("bad_capacity", limit=MAX_CAPACITY)
    return number


def split_agenda(text: str) -> tuple[str, str]:
    """The first line is the title, the rest the agenda."""
    first, _, rest = text.strip().partition("\n")
    title = clean_text(first, limit=MAX_TITLE, reason="title_too_long")
    return title, clean_text(rest, limit=MAX_AGENDA, reason="agenda_too_long", required=False)


def confirmed_and_waiting(queue: list[Person], capacity: int | None) -> tuple[list[Person], list[Person]]:
    """Split the "yes" queue at the capacity."""
    if capacity is None:
        return queue, []
    return queue[:capacity], queue[capacity:]


async def existing_meeting(repo: MeetingsRepository, meeting_id: int) -> MeetingRow:
    """The meeting, or NotFound."""
    meeting = await repo.get(meeting_id)
    if meeting is None:
        raise NotFound("meeting")
    return meeting


def require_open(meeting: MeetingRow, now: int) -> None:
    """Refuse changing answers to a cancelled meeting or one that has begun."""
    if meeting.status == "cancelled":
        raise InvalidInput("meeting_cancelled")
    if now >= meeting.starts_at:
        raise InvalidInput("meeting_started")


def may_manage(actor: Actor, meeting: MeetingRow) -> bool:
    """Whether the actor is the organiser or a social worker."""
    return actor.is_social_worker or actor.user_id == meeting.organiser_id


def require_manager(actor: Actor, meeting: MeetingRow) -> None:
    """Only the organiser or a social worker manages a meeting."""
    if not may_manage(actor, meeting):
        raise PermissionDenied("organiser")
