"""The one place that builds and parses inline-button data (versioned, ≤ 64 bytes, strict)."""

from __future__ import annotations

import re
from dataclasses import dataclass

VERSION = "1"
MAX_BYTES = 64
# Arguments are our own small ids (team 17, option 3), never chat ids or names: the chat
# is taken from the message the button sits on, so a forged id cannot point elsewhere.
MAX_ARG = 10**12 - 1
_ARG_RE = re.compile(r"^(0|[1-9][0-9]{0,11})$")
_PREFIX_RE = re.compile(r"^[a-z]{2,3}$")
_ACTION_RE = re.compile(r"^[a-z]{1,8}$")


class ForgedData(ValueError):
    """Button data that this bot did not build (or an old version of it)."""


@dataclass(frozen=True)
class Family:
    """One family of buttons: a prefix, its actions and how many integer arguments they carry."""

    prefix: str
    actions: frozenset[str]
    nargs: int

    def __post_init__(self) -> None:
        if not _PREFIX_RE.match(self.prefix) or not all(_ACTION_RE.match(a) for a in self.actions):
            raise ValueError(f"bad callback family {self.prefix}")
        if self.worst_case_bytes() > MAX_BYTES:
            raise ValueError(f"callback family {self.prefix} can exceed {MAX_BYTES} bytes")

    def worst_case_bytes(self) -> int:
        """The longest data this family can build."""
        longest = max(len(a) for a in self.actions)
        return len(self.head) + longest + self.nargs * (1 + len(str(MAX_ARG)))

    @property
    def head(self) -> str:
        """The versioned prefix every button of the family starts with."""
        return f"{self.prefix}{VERSION}:"

    def build(self, action: str, *args: int) -> str:
        """Build button data; raises ValueError on a programming error."""
        if action not in self.actions or len(args) != self.nargs:
            raise ValueError(f"{self.prefix}: bad action or argument count")
        for arg in args:
            if isinstance(arg, bool) or not 0 <= arg <= MAX_ARG:
                raise ValueError(f"{self.prefix}: argument out of range")
        data = ":".join([self.head + action, *map(str, args)])
        assert len(data.encode()) <= MAX_BYTES
        return data

    def parse(self, data: str | None) -> tuple[str, tuple[int, ...]]:
        """Parse button data strictly; raise ForgedData on anything unexpected."""
        if not data or not data.startswith(self.head) or len(data.encode()) > MAX_BYTES:
            raise ForgedData(data)
        parts = data[len(self.head) :].split(":")
        action, raw_args = parts[0], parts[1:]
        if action not in self.actions or len(raw_args) != self.nargs:
            raise ForgedData(data)
        if not all(_ARG_RE.match(a) for a in raw_args):
            raise ForgedData(data)
        return action, tuple(int(a) for a in raw_args)


FAMILIES: dict[str, Family] = {}


def family(prefix: str, actions: set[str] | frozenset[str], nargs: int = 0) -> Family:
    """Declare a family; prefixes are unique across the bot."""
    if prefix in FAMILIES:
        raise ValueError(f"callback prefix {prefix} declared twice")
    fam = Family(prefix, frozenset(actions), nargs)
    FAMILIES[prefix] = fam
    return fam


# Foundation families. Feature families are declared below theirs, one block per feature.
MENU = family("mn", {"teams", "themes", "polls", "meetings", "feedback", "me", "help", "privacy"})
LANG = family("lg", {"zh", "en"}, nargs=0)
BIND = family("bd", {"yard", "whole"}, nargs=1)
FORGET = family("fg", {"yes", "no"}, nargs=0)

# Broadcasts and reminders (handlers/broadcast.py, handlers/remind.py).
BROADCAST = family("bc", {"all", "yard", "send", "cancel"}, nargs=1)
REMINDER = family("rm", {"cancel"}, nargs=1)
# Teams (handlers/teams.py): actions on a team, its settings (team id, value), captain decisions (request number).
TEAM = family("tm", {"join", "leave", "bye", "roster", "set", "call"}, nargs=1)
# "ask" (1 places, 2 deadline, 3 purpose) is how cards posted by older versions ask; new cards name the question.
TEAM_SET = family("tj", {"cap", "places", "until", "about", "ask", "appr", "open", "nodl", "kick", "back"}, nargs=2)
TEAM_DECIDE = family("ta", {"ok", "no", "rm"}, nargs=1)

# Meetings (handlers/meetings*.py): wizard, answers, organiser panel and check-in, tasks.
MEETING_WIZARD = family(
    "mt",
    {"kind", "tyes", "tno", "yard", "all", "ynext", "cap", "off", "undec", "onext", "ok", "cancel", "resume", "new"},
    nargs=1,
)
RSVP = family("mr", {"yes", "maybe", "no", "ics"}, nargs=1)
MEETING_ADMIN = family(
    "mc", {"show", "adm", "qr", "who", "min", "mfin", "pub", "cancel", "cok", "move", "mvok"}, nargs=1
)
MEETING_TASK = family("mk", {"done"}, nargs=1)

# Theme proposals and polls (handlers/proposals.py, handlers/polls.py).
PROPOSAL = family("pp", {"sup", "photo", "yes", "no", "acc", "rej", "stu"}, nargs=1)
VOTE = family("pv", {"v"}, nargs=2)
POLL_DRAFT = family(
    "pc", {"pick", "next", "kind", "more", "less", "anon", "dl", "rem", "quo", "elec", "go", "cancel"}, nargs=1
)
POLL_ADMIN = family("po", {"close", "remind", "outcome", "show"}, nargs=1)

# Participation statistics (handlers/stats.py): the period buttons under /stats (days; 0: everything).
STATS = family("st", {"p"}, nargs=1)

# The review committee (handlers/committee.py): ask to join, leave (0), approve / decline a request (its id).
COMMITTEE = family("cm", {"join", "leave", "ok", "no"}, nargs=1)

# Guided creation, less clutter, mis-taps (issue 14): "bye" on TEAM asks before 取消报名; the answer
# names the team and the person asked (only they can answer it).
TEAM_LEAVE = family("tl", {"yes", "no"}, nargs=2)
