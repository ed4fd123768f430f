"""Pure rendering of theme proposals: saved, similar, the live list, answers."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callback_data as cb
from bot.i18n import Html, Translator
from bot.services.errors import DomainError, InvalidInput, PermissionDenied
from handlers.common import MAX_TEXT, error_text
from handlers.polls_render import split_html
from storage.proposals import Proposal

LISTED = 30
MINE = 10
BUTTON_TITLE = 24
# Answer buttons and what they record.
ANSWER_ACTIONS = {"acc": "accepted", "rej": "rejected", "stu": "studying"}
ANSWER_WORDS = {
    "采纳": "accepted",
    "accept": "accepted",
    "accepted": "accepted",
    "不采纳": "rejected",
    "reject": "rejected",
    "rejected": "rejected",
    "研究中": "studying",
    "study": "studying",
    "studying": "studying",
}


def status_label(t: Translator, status: str) -> str:
    """采纳 / 不采纳 / 研究中 / 待答复."""
    return {
        "accepted": t._("adopted"),
        "rejected": t._("not adopted"),
        "studying": t._("under study"),
    }.get(status, t._("awaiting an answer"))


def render_saved(t: Translator, proposal: Proposal, *, ask_photo: bool) -> str:
    """Confirmation of a new proposal."""
    lines = [
        t._("💡 Proposal <b>#{number}</b> saved: <b>{title}</b>", number=proposal.number, title=proposal.title),
        t._("Neighbours can support it with /themes."),
    ]
    if ask_photo:
        lines.append(t._("To add a photo, reply to this message with the photo."))
    return "\n".join(lines)


def render_similar(t: Translator, title: str, similar: list[Proposal]) -> tuple[str, InlineKeyboardMarkup]:
    """Similar proposals exist: save anyway, support one of them, or cancel."""
    lines = [t._("There are similar proposals already:")]
    lines += [
        t._("#{number} {title} ({status})", number=p.number, title=p.title, status=status_label(t, p.status))
        for p in similar[:5]
    ]
    lines += ["", t._("Save «{title}» as a new proposal anyway?", title=title)]
    rows = [
        [InlineKeyboardButton(t._("Save anyway"), callback_data=cb.PROPOSAL.build("yes", 0))],
        *[
            [InlineKeyboardButton(t._("👍 Support #{number} instead", number=p.number), callback_data=_support(p))]
            for p in similar[:3]
            if p.status in ("open", "studying")
        ],
        [InlineKeyboardButton(t._("Cancel"), callback_data=cb.PROPOSAL.build("no", 0))],
    ]
    return "\n".join(lines), InlineKeyboardMarkup(rows)


def _support(p: Proposal) -> str:
    return cb.PROPOSAL.build("sup", p.id)


def render_list(t: Translator, proposals: list[Proposal]) -> tuple[str, InlineKeyboardMarkup | None]:
    """/themes: open proposals with support buttons and counts (a live message)."""
    if not proposals:
        return t._("No open theme proposals yet. Propose one with /propose 主题, e.g. /propose 碧水蓝天"), None
    shown = sorted(proposals, key=lambda p: (-p.supports, p.number))[:LISTED]
    lines = [t._("💡 <b>Theme proposals</b>")]
    rows = []
    for p in shown:
        line = t._(
            "#{number} <b>{title}</b> — {supports} · by {name}",
            number=p.number,
            title=p.title,
            supports=t.ngettext("{count} support", "{count} supports", p.supports, count=p.supports),
            name=p.proposer_name,
        )
        if p.status == "studying":
            line += t._(" · under study")
        if p.photo_file_id:
            line += " 📷"
        lines.append(line)
        title = p.title if len(p.title) <= BUTTON_TITLE else p.title[: BUTTON_TITLE - 1] + "…"
        # Button labels are plain text (not HTML), so the title is not escaped here.
        row = [InlineKeyboardButton(f"👍 #{p.number} {title} · {p.supports}", callback_data=_support(p))]
        if p.photo_file_id:
            row.append(InlineKeyboardButton("📷", callback_data=cb.PROPOSAL.build("photo", p.id)))
        rows.append(row)
    if len(proposals) > LISTED:
        lines.append(t._("… and {n} more", n=len(proposals) - LISTED))
    lines += ["", t._("Tap 👍 to support (附议) a proposal; tap again to withdraw.")]
    lines.append(t._("Backbone volunteers answer a proposal with /answer 编号."))
    return split_html("\n".join(lines), MAX_TEXT)[0], InlineKeyboardMarkup(rows)


def render_answer_menu(t: Translator, proposal: Proposal) -> tuple[str, InlineKeyboardMarkup]:
    """How to answer a proposal: three buttons."""
    text = "\n".join(
        [
            t._("Answer proposal #{number} <b>{title}</b>", number=proposal.number, title=proposal.title),
            t._(
                "Proposed by {name}; {supports}.",
                name=proposal.proposer_name,
                supports=t.ngettext("{count} support", "{count} supports", proposal.supports, count=proposal.supports),
            ),
            t._("Current status: {status}", status=status_label(t, proposal.status)),
        ]
    )
    row = [
        InlineKeyboardButton(t._("✅ Adopt"), callback_data=cb.PROPOSAL.build("acc", proposal.id)),
        InlineKeyboardButton(t._("❌ Do not adopt"), callback_data=cb.PROPOSAL.build("rej", proposal.id)),
        InlineKeyboardButton(t._("🔍 Under study"), callback_data=cb.PROPOSAL.build("stu", proposal.id)),
    ]
    return text, InlineKeyboardMarkup([row])


def render_reason_prompt(t: Translator, proposal: Proposal, status: str, who: Html) -> str:
    """Ask the person who answers for the reason (a ForceReply)."""
    return t._(
        "{who}, please reply to this message with the reason for “{status}” on proposal #{number} {title}.",
        who=who,
        status=status_label(t, status),
        number=proposal.number,
        title=proposal.title,
    )


def render_answered(t: Translator, proposal: Proposal, proposer: Html) -> str:
    """The group announcement of an official answer."""
    return "\n".join(
        [
            t._(
                "📣 Proposal #{number} <b>{title}</b>: <b>{status}</b>",
                number=proposal.number,
                title=proposal.title,
                status=status_label(t, proposal.status),
            ),
            t._("Reason: {reason}", reason=proposal.answer_reason or ""),
            t._("Proposed by {who}.", who=proposer),
        ]
    )


def render_proposer_notice(t: Translator, proposal: Proposal) -> str:
    """The private note to the proposer."""
    return "\n".join(
        [
            t._(
                "Your proposal #{number} «{title}» was answered: <b>{status}</b>",
                number=proposal.number,
                title=proposal.title,
                status=status_label(t, proposal.status),
            ),
            t._("Reason: {reason}", reason=proposal.answer_reason or ""),
        ]
    )


def render_mine(t: Translator, proposals: list[Proposal]) -> str:
    """The /me paragraph: the person's proposals with supports and status."""
    if not proposals:
        return ""
    lines = [t._("<b>Your theme proposals</b>")]
    lines += [
        t._(
            "#{number} {title} — {supports} · {status}",
            number=p.number,
            title=p.title,
            supports=t.ngettext("{count} support", "{count} supports", p.supports, count=p.supports),
            status=status_label(t, p.status),
        )
        for p in proposals[:MINE]
    ]
    return "\n".join(lines)


def support_answer(t: Translator, proposal: Proposal, supported: bool) -> str:
    """The short answer to a 附议 press."""
    if supported:
        return t._("You support #{number} ({count} in all).", number=proposal.number, count=proposal.supports)
    return t._("Support for #{number} withdrawn.", number=proposal.number)


def proposals_error(t: Translator, exc: DomainError) -> str:
    """Proposal-specific refusals, then the shared ones."""
    if isinstance(exc, PermissionDenied) and exc.needed == "proposer":
        return t._("Only the person who proposed it can add a photo.")
    if isinstance(exc, InvalidInput):
        limit = exc.details.get("limit", "")
        text = {
            "empty_title": t._("Please write the theme after the command, e.g. /propose 碧水蓝天"),
            "title_too_long": t._("The theme is too long: at most {limit} characters.", limit=limit),
            "title_too_short": t._("The theme is too short. Please write a few words."),
            "own_proposal": t._("This is your own proposal; others can support it."),
            "proposal_answered": t._("This proposal has already been answered."),
            "unknown_answer": t._("Please choose 采纳, 不采纳 or 研究中."),
            "empty_reason": t._("Please write a reason."),
            "reason_too_long": t._("The reason is too long: at most {limit} characters.", limit=limit),
        }.get(exc.reason)
        if text is not None:
            return text
    return error_text(t, exc)
