"""The /vote wizard's draft (kept in the dialogs table) and its pure card and keyboards."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callback_data as cb
from bot.clock import from_ts
from bot.i18n import Translator
from bot.services.polls import DEFAULT_REMIND_BEFORE, MAX_OPTIONS, REMIND_CHOICES, PollSpec
from handlers.polls_render import mode_line
from storage.polls import Poll
from storage.proposals import Proposal

DRAFT = "poll_draft"


@dataclass(frozen=True)
class Draft:
    """A poll being set up by one person in one chat; survives restarts as dialog state."""

    question: str = ""
    options: list[tuple[str, int | None]] = field(default_factory=list)
    max_choices: int = 1
    anonymous: bool = False
    electorate: str = "all"
    quorum: int | None = None
    closes_at: int | None = None
    remind_before: int = DEFAULT_REMIND_BEFORE
    awaiting: str | None = None  # "deadline" | "quorum": the next reply answers that question
    card: int | None = None  # the settings card's message id: only that card's buttons act
    picking: list[int] | None = None  # proposal ids chosen so far, while picking from proposals

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Draft:
        """Rebuild from JSON (tuples came back as lists)."""
        options = [(str(label), pid) for label, pid in state.get("options", [])]
        return replace(cls(**{k: v for k, v in state.items() if k != "options"}), options=options)

    def to_state(self) -> dict[str, Any]:
        """JSON-able dialog state."""
        return asdict(self)

    def spec(self) -> PollSpec:
        """The settings as the service takes them."""
        return PollSpec(
            question=self.question,
            options=tuple(self.options),
            max_choices=self.max_choices,
            anonymous=self.anonymous,
            electorate=self.electorate,
            quorum=self.quorum,
            closes_at=from_ts(self.closes_at) if self.closes_at is not None else None,
            remind_before=self.remind_before,
        )

    def toggled(self, action: str) -> Draft:
        """The draft after a settings button (kind, more, less, anon, rem, elec)."""
        if action == "kind":
            return replace(self, max_choices=1 if self.max_choices > 1 else min(2, len(self.options)))
        if action == "more":
            return replace(self, max_choices=min(self.max_choices + 1, len(self.options)))
        if action == "less":
            return replace(self, max_choices=max(self.max_choices - 1, 2 if self.max_choices > 1 else 1))
        if action == "anon":
            return replace(self, anonymous=not self.anonymous)
        if action == "elec":
            return replace(self, electorate="committee" if self.electorate == "all" else "all")
        if action == "rem":
            index = REMIND_CHOICES.index(self.remind_before) if self.remind_before in REMIND_CHOICES else 0
            return replace(self, remind_before=REMIND_CHOICES[(index + 1) % len(REMIND_CHOICES)])
        return self


def parse_typed(args: str) -> tuple[str, list[tuple[str, int | None]]] | None:
    """`问题 | 选项一 | 选项二 …` (also with ｜ or line breaks); None when not in that form."""
    text = args.replace("｜", "|")
    parts = [p.strip() for p in (text.split("|") if "|" in text else text.splitlines())]
    parts = [p for p in parts if p]
    if len(parts) < 2:
        return None
    return parts[0], [(label, None) for label in parts[1:]]


def _remind_label(t: Translator, seconds: int) -> str:
    if seconds == 0:
        return t._("no reminder")
    if seconds >= 86400:
        return t._("1 day before")
    return t._("1 hour before")


def render_card(t: Translator, draft: Draft) -> tuple[str, InlineKeyboardMarkup]:
    """The settings card: the question and options, and one button per setting."""
    preview = Poll(
        id=0,
        community_id=0,
        scope_id=0,
        chat_id=0,
        creator_id=None,
        question=draft.question,
        max_choices=draft.max_choices,
        anonymous=draft.anonymous,
        electorate=draft.electorate,
        quorum=draft.quorum,
        closes_at=draft.closes_at,
        remind_before=draft.remind_before,
        remind_at=None,
        reminded_at=None,
        nudged_at=None,
        status="open",
        closed_at=None,
        outcome=None,
        outcome_at=None,
        created_at=0,
    )
    lines = [t._("🗳 <b>New poll</b>"), t._("<b>{question}</b>", question=draft.question)]
    lines += [t._("{n}. {label}", n=i, label=label) for i, (label, _) in enumerate(draft.options, start=1)]
    lines += ["", mode_line(t, preview)]
    if draft.anonymous:
        lines.append(t._("Anonymous: nobody, not even you, will see who chose what."))
    lines.append(t._("Change the settings below, then tap “Start the poll”."))
    single = draft.max_choices == 1
    rows = [
        [
            InlineKeyboardButton(
                t._("☑ Single choice") if single else t._("☑ Multiple choice"),
                callback_data=cb.POLL_DRAFT.build("kind", 0),
            )
        ]
    ]
    if not single:
        rows.append(
            [
                InlineKeyboardButton("➖", callback_data=cb.POLL_DRAFT.build("less", 0)),
                InlineKeyboardButton(
                    t._("At most {n}", n=draft.max_choices), callback_data=cb.POLL_DRAFT.build("more", 0)
                ),
                InlineKeyboardButton("➕", callback_data=cb.POLL_DRAFT.build("more", 0)),
            ]
        )
    deadline = t.short_datetime(from_ts(draft.closes_at)) if draft.closes_at is not None else t._("not set")
    quorum = t._("{n} voters", n=draft.quorum) if draft.quorum else t._("not set")
    rows += [
        [
            InlineKeyboardButton(
                t._("🔒 Anonymous") if draft.anonymous else t._("👀 Public (names shown)"),
                callback_data=cb.POLL_DRAFT.build("anon", 0),
            )
        ],
        [InlineKeyboardButton(t._("⏰ Deadline: {when}", when=deadline), callback_data=cb.POLL_DRAFT.build("dl", 0))],
    ]
    if draft.closes_at is not None:
        rows.append(
            [
                InlineKeyboardButton(
                    t._("🔔 Reminder: {when}", when=_remind_label(t, draft.remind_before)),
                    callback_data=cb.POLL_DRAFT.build("rem", 0),
                )
            ]
        )
    rows += [
        [InlineKeyboardButton(t._("👥 Quorum: {n}", n=quorum), callback_data=cb.POLL_DRAFT.build("quo", 0))],
        [
            InlineKeyboardButton(
                t._("🗳 Who votes: committee only") if draft.electorate == "committee" else t._("🗳 Who votes: everyone"),
                callback_data=cb.POLL_DRAFT.build("elec", 0),
            )
        ],
        [
            InlineKeyboardButton(t._("✅ Start the poll"), callback_data=cb.POLL_DRAFT.build("go", 0)),
            InlineKeyboardButton(t._("✖ Cancel"), callback_data=cb.POLL_DRAFT.build("cancel", 0)),
        ],
    ]
    return "\n".join(lines), InlineKeyboardMarkup(rows)


def render_pick(t: Translator, proposals: list[Proposal], picked: list[int]) -> tuple[str, InlineKeyboardMarkup]:
    """Choose the open proposals that become the poll's options."""
    lines = [
        t._("🗳 <b>New poll from proposals</b>"),
        t._("Tap the proposals residents will vote on (at least two), then “Next”."),
        t._("For your own options type: /vote 问题 | 选项一 | 选项二"),
    ]
    rows = [
        [
            # Button labels are plain text (not HTML), so the title is not escaped here.
            InlineKeyboardButton(
                f"{'✅' if p.id in picked else '☐'} #{p.number} {p.title} · {p.supports}",
                callback_data=cb.POLL_DRAFT.build("pick", p.id),
            )
        ]
        for p in proposals[:MAX_OPTIONS]
    ]
    rows.append(
        [
            InlineKeyboardButton(t._("Next ({n} chosen)", n=len(picked)), callback_data=cb.POLL_DRAFT.build("next", 0)),
            InlineKeyboardButton(t._("✖ Cancel"), callback_data=cb.POLL_DRAFT.build("cancel", 0)),
        ]
    )
    return "\n".join(lines), InlineKeyboardMarkup(rows)
