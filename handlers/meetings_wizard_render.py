"""Pure text and keyboards of the meeting wizard: the draft card and each step's question (no I/O)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callback_data as cb
from bot.clock import from_ts
from bot.i18n import Translator
from bot.services.meeting_model import (
    KINDS,
    MAX_AGENDA,
    Draft,
)
from handlers.meetings_render import kind_label, offset_label


def render_draft(t: Translator, draft: Draft, yards: Sequence[str]) -> str:
    """Everything the meeting will be, echoed back before it is saved."""
    lines = [t._("<b>Please check the meeting:</b>"), t._("Kind: {kind}", kind=kind_label(t, draft.kind))]
    if draft.title:
        lines.append(t._("Topic: {title}", title=draft.title))
    if draft.starts_at is not None:
        lines.append(t._("Time: {when}", when=t.datetime(from_ts(draft.starts_at))))
    if draft.place:
        lines.append(t._("Place: {place}", place=draft.place))
    if draft.agenda:
        lines.append(t._("Agenda: {agenda}", agenda=draft.agenda))
    if draft.mode == "here":
        lines.append(t._("For: this group"))
    elif draft.mode == "all":
        lines.append(t._("For: all courtyards"))
    else:
        lines.append(t._("For: {yards}", yards=t.join(list(yards)) or t._("(none chosen)")))
    if draft.capacity is None:
        lines.append(t._("Places: no limit"))
    else:
        lines.append(t._("Places: {n} (then a waitlist)", n=draft.capacity))
    reminders = t.join([offset_label(t, o) for o in draft.offsets]) or t._("none")
    lines.append(t._("Reminders: {when}", when=reminders))
    if draft.only_undecided:
        lines.append(t._("Reminders go only to those who have not answered."))
    return "\n".join(lines)


def confirm_keyboard(t: Translator) -> InlineKeyboardMarkup:
    """Save and send, or drop the draft."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t._("✅ Create and send the notice"), callback_data=cb.MEETING_WIZARD.build("ok", 0)
                )
            ],
            [InlineKeyboardButton(t._("✖ Cancel"), callback_data=cb.MEETING_WIZARD.build("cancel", 0))],
        ]
    )


def kind_keyboard(t: Translator) -> InlineKeyboardMarkup:
    """The kinds of meeting, two per row."""
    buttons = [
        InlineKeyboardButton(kind_label(t, kind), callback_data=cb.MEETING_WIZARD.build("kind", i))
        for i, kind in enumerate(KINDS)
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append([InlineKeyboardButton(t._("✖ Cancel"), callback_data=cb.MEETING_WIZARD.build("cancel", 0))])
    return InlineKeyboardMarkup(rows)


def time_check_keyboard(t: Translator) -> InlineKeyboardMarkup:
    """Is the echoed time right?"""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t._("✅ Yes, that is right"), callback_data=cb.MEETING_WIZARD.build("tyes", 0)),
                InlineKeyboardButton(t._("✏️ Type it again"), callback_data=cb.MEETING_WIZARD.build("tno", 0)),
            ]
        ]
    )


def yards_keyboard(
    t: Translator, yards: Sequence[tuple[int, str]], draft: Draft, *, may_all: bool
) -> InlineKeyboardMarkup:
    """Courtyards as toggles, "all" for social workers, and Next."""
    build = cb.MEETING_WIZARD.build
    rows = []
    if may_all:
        mark = "✅" if draft.mode == "all" else "☐"
        rows.append([InlineKeyboardButton(t._("{mark} All courtyards", mark=mark), callback_data=build("all", 0))])
    for yard_id, name in yards[:40]:
        mark = "✅" if draft.mode == "yards" and yard_id in draft.yards else "☐"
        rows.append([InlineKeyboardButton(f"{mark} {name}", callback_data=build("yard", yard_id))])
    rows.append([InlineKeyboardButton(t._("Next ➡️"), callback_data=build("ynext", 0))])
    return InlineKeyboardMarkup(rows)


CAPACITY_CHOICES = (10, 20, 30, 50, 100)


def capacity_keyboard(t: Translator) -> InlineKeyboardMarkup:
    """Common capacities, or no limit."""
    build = cb.MEETING_WIZARD.build
    numbers = [InlineKeyboardButton(str(n), callback_data=build("cap", n)) for n in CAPACITY_CHOICES]
    return InlineKeyboardMarkup([numbers, [InlineKeyboardButton(t._("No limit"), callback_data=build("cap", 0))]])


def offsets_keyboard(t: Translator, draft: Draft, choices: Sequence[int]) -> InlineKeyboardMarkup:
    """Reminder times as toggles, "only those who have not answered", and Next."""
    build = cb.MEETING_WIZARD.build
    rows = [
        [
            InlineKeyboardButton(
                ("✅ " if seconds in draft.offsets else "☐ ") + offset_label(t, seconds),
                callback_data=build("off", seconds),
            )
        ]
        for seconds in choices
    ]
    mark = "✅" if draft.only_undecided else "☐"
    rows.append(
        [
            InlineKeyboardButton(
                t._("{mark} Only those who have not answered", mark=mark), callback_data=build("undec", 0)
            )
        ]
    )
    rows.append([InlineKeyboardButton(t._("Next ➡️"), callback_data=build("onext", 0))])
    return InlineKeyboardMarkup(rows)


def wizard_prompt(t: Translator, step: str) -> str:
    """The question of each step of /newmeeting."""
    return {
        "kind": t._("<b>New meeting</b> (1/8). What kind of meeting is it?"),
        "time": t._(
            "(2/8) When does it start? Type it as you would say it, e.g. 明天下午3点, 下周六上午10点, 12月5日 19:30."
        ),
        "place": t._("(3/8) Where? e.g. 碧水苑院坝, 社区活动室."),
        "agenda": t._(
            "(4/8) What is it about? The first line is the topic; further lines (optional) are the agenda. "
            "At most {limit} characters.",
            limit=MAX_AGENDA,
        ),
        "targets": t._("(5/8) Which courtyards are invited? Tap to choose, then Next."),
        "capacity": t._("(6/8) How many places? Tap a number, type one, or choose no limit."),
        "reminders": t._("(7/8) When should I remind people? Tap to choose, then Next."),
        "confirm": t._("(8/8) Almost done."),
    }[step]


def render_time_check(t: Translator, when: datetime) -> str:
    """Echo a parsed time in full before it is used."""
    return t._("I understood: <b>{when}</b>. Is that right?", when=t.datetime(when))


def reminder_choices(defaults: Sequence[int], choices: Sequence[int]) -> list[int]:
    """The offered reminder times: the usual ones plus the community's defaults, longest first."""
    return sorted(set(choices) | set(defaults), reverse=True)
