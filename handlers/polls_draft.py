"""The /vote wizard's typed form, settings card and proposal picker (pure; the draft lives in the service)."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callback_data as cb
from bot.clock import from_ts
from bot.i18n import Translator
from bot.services.poll_spec import MAX_OPTIONS, Draft, PollSpec
from handlers.polls_render import mode_line
from storage.proposals import Proposal

DRAFT = "poll_draft"


def parse_typed(args: str) -> Draft | None:
    """`问题 | 选项一 | 选项二 …` (also with ｜ or line breaks); None when not in that form."""
    text = args.replace("｜", "|")
    parts = [p.strip() for p in (text.split("|") if "|" in text else text.splitlines())]
    parts = [p for p in parts if p]
    if len(parts) < 2:
        return None
    return Draft(spec=PollSpec(question=parts[0]), options=tuple((label, None) for label in parts[1:]))


def _remind_label(t: Translator, seconds: int | None) -> str:
    if seconds is None:
        return t._("no reminder")
    if seconds >= 86400:
        return t._("1 day before")
    return t._("1 hour before")


def render_card(t: Translator, draft: Draft) -> tuple[str, InlineKeyboardMarkup]:
    """The settings card: the question and options, and one button per setting."""
    spec = draft.spec
    lines = [t._("🗳 <b>New poll</b>"), t._("<b>{question}</b>", question=spec.question)]
    lines += [t._("{n}. {label}", n=i, label=label) for i, (label, _) in enumerate(draft.options, start=1)]
    lines += ["", mode_line(t, spec)]
    if spec.anonymous:
        lines.append(t._("Anonymous: nobody, not even you, will see who chose what."))
    lines.append(t._("Change the settings below, then tap “Start the poll”."))
    single = spec.max_choices == 1
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
                    t._("At most {n}", n=spec.max_choices), callback_data=cb.POLL_DRAFT.build("more", 0)
                ),
                InlineKeyboardButton("➕", callback_data=cb.POLL_DRAFT.build("more", 0)),
            ]
        )
    deadline = t.short_datetime(from_ts(spec.closes_at)) if spec.closes_at is not None else t._("not set")
    quorum = t._("{n} voters", n=spec.quorum) if spec.quorum else t._("not set")
    rows += [
        [
            InlineKeyboardButton(
                t._("🔒 Anonymous") if spec.anonymous else t._("👀 Public (names shown)"),
                callback_data=cb.POLL_DRAFT.build("anon", 0),
            )
        ],
        [InlineKeyboardButton(t._("⏰ Deadline: {when}", when=deadline), callback_data=cb.POLL_DRAFT.build("dl", 0))],
    ]
    if spec.closes_at is not None:
        rows.append(
            [
                InlineKeyboardButton(
                    t._("🔔 Reminder: {when}", when=_remind_label(t, spec.remind_before)),
                    callback_data=cb.POLL_DRAFT.build("rem", 0),
                )
            ]
        )
    rows += [
        [InlineKeyboardButton(t._("👥 Quorum: {n}", n=quorum), callback_data=cb.POLL_DRAFT.build("quo", 0))],
        [
            InlineKeyboardButton(
                t._("🗳 Who votes: committee only") if spec.electorate == "committee" else t._("🗳 Who votes: everyone"),
                callback_data=cb.POLL_DRAFT.build("elec", 0),
            )
        ],
        [
            InlineKeyboardButton(t._("✅ Start the poll"), callback_data=cb.POLL_DRAFT.build("go", 0)),
            InlineKeyboardButton(t._("✖ Cancel"), callback_data=cb.POLL_DRAFT.build("cancel", 0)),
        ],
    ]
    return "\n".join(lines), InlineKeyboardMarkup(rows)


def render_pick(t: Translator, proposals: list[Proposal], picked: tuple[int, ...]) -> tuple[str, InlineKeyboardMarkup]:
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
