"""Pure rendering of polls: live tallies, results, chart inputs, reminders, lists, and safe splitting."""

from __future__ import annotations

import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callback_data as cb
from bot.charts import BarInput
from bot.clock import from_ts
from bot.html_text import to_plain
from bot.i18n import Html, Translator, esc
from bot.services.errors import DomainError, InvalidInput, PermissionDenied
from bot.services.poll_spec import Poll, PollSpec
from bot.services.polls import PollView
from handlers.common import MAX_TEXT, error_text
from handlers.notify import mention

BUTTON_LABEL = 28
NAMES_IN_TALLY = 1500  # characters of voter names a live tally shows before "and N more"
NAMES_PER_LINE = 300
MAX_MENTIONS = 40
CAPTION = 1024
CHART_LABEL = 40


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _share(t: Translator, votes: int, voters: int) -> str:
    return t.percent(votes / voters if voters else 0.0)


def mode_line(t: Translator, spec: PollSpec) -> str:
    """Single/multiple, public/anonymous and who votes, in one line (of a poll, or of a draft's spec)."""
    kind = (
        t._("single choice")
        if spec.max_choices == 1
        else t._("multiple choice (up to {n})", n=t.number(spec.max_choices))
    )
    privacy = t._("anonymous") if spec.anonymous else t._("public")
    who = t._("committee members only") if spec.electorate == "committee" else t._("all members")
    return t._("{kind} · {privacy} · {who}", kind=kind, privacy=privacy, who=who)


def _name_lines(t: Translator, names: list[str], budget: int, extra: int = 0) -> list[str]:
    """Voter names joined with 、, wrapped into lines, cut at budget characters with "and N more"."""
    lines: list[str] = []
    line: list[str] = []
    used = 0
    shown = 0
    for name in names:
        piece = str(esc(name))
        if used + len(piece) > budget:
            break
        if line and sum(len(p) + 1 for p in line) + len(piece) > NAMES_PER_LINE:
            lines.append("　" + "、".join(line))
            line = []
        line.append(piece)
        used += len(piece) + 1
        shown += 1
    if line:
        lines.append("　" + "、".join(line))
    hidden = len(names) - shown + extra
    if hidden > 0:
        lines.append("　" + t._("… and {n} more people", n=t.number(hidden)))
    return lines


def _option_lines(t: Translator, view: PollView, *, name_budget: int | None) -> list[str]:
    lines: list[str] = []
    per_option = None if name_budget is None else max(80, name_budget // max(1, len(view.options)))
    for option in view.options:
        lines.append(
            t._(
                "{n}. <b>{label}</b> — {votes} · {share}",
                n=option.position,
                label=option.label,
                votes=t.ngettext("{count} vote", "{count} votes", option.votes, count=t.number(option.votes)),
                share=_share(t, option.votes, view.voters),
            )
        )
        if option.names:
            lines.extend(_name_lines(t, option.names, per_option if per_option is not None else 10**9))
    return lines


def _count_lines(t: Translator, view: PollView, *, name_budget: int | None) -> list[str]:
    """The options with their votes, then turnout and quorum: what the tally and the results share."""
    lines = _option_lines(t, view, name_budget=name_budget)
    if view.forgotten:
        lines.append(t._("({n} votes of people who erased their data)", n=t.number(view.forgotten)))
    lines.append("")
    lines.append(turnout_line(t, view))
    if (quorum := quorum_line(t, view)) is not None:
        lines.append(quorum)
    return lines


def turnout_line(t: Translator, view: PollView) -> str:
    """Voters against the electorate, as a percentage."""
    if view.poll.electorate == "committee":
        return t._(
            "Voted: {voters} of {size} committee members ({share})",
            voters=t.number(view.voters),
            size=t.number(view.electorate_size),
            share=_share(t, view.voters, view.electorate_size),
        )
    return t._(
        "Voted: {voters} of {size} known members of this group ({share})",
        voters=t.number(view.voters),
        size=t.number(view.electorate_size),
        share=_share(t, view.voters, view.electorate_size),
    )


def quorum_line(t: Translator, view: PollView) -> str | None:
    """Whether the quorum was reached (None without a quorum)."""
    if view.poll.quorum is None:
        return None
    quorum = t.number(view.poll.quorum)
    if view.quorum_met:
        return t._("Quorum of {quorum} voters: reached ✅", quorum=quorum)
    return t._("Quorum of {quorum} voters: not reached ❌", quorum=quorum)


def _header(t: Translator, poll: Poll) -> list[str]:
    lines = [t._("🗳 <b>Poll #{id}</b>", id=poll.id), t._("<b>{question}</b>", question=poll.question)]
    lines.append(mode_line(t, poll))
    if poll.closes_at is not None:
        lines.append(t._("⏰ Closes: {when}", when=t.datetime(from_ts(poll.closes_at))))
    return lines


def render_tally(t: Translator, view: PollView) -> str:
    """The live tally message (edited in place, debounced)."""
    poll = view.poll
    lines = _header(t, poll)
    lines.append("")
    lines.extend(_count_lines(t, view, name_budget=NAMES_IN_TALLY))
    if poll.is_open:
        if poll.max_choices > 1:
            lines.append(t._("Tap options to choose or unchoose them. You can change your vote until the poll closes."))
        else:
            lines.append(t._("Tap an option to vote. You can change your vote until the poll closes."))
    else:
        lines.append(t._("🔒 This poll is closed."))
    if poll.outcome:
        lines.append(t._("📝 <b>Outcome:</b> {text}", text=poll.outcome))
    return split_html("\n".join(lines), MAX_TEXT)[0]


def tally_keyboard(t: Translator, view: PollView) -> InlineKeyboardMarkup | None:
    """Vote buttons with counts, plus remind and close; after close only "write the outcome"."""
    poll = view.poll
    if not poll.is_open:
        if poll.outcome:
            return None
        return InlineKeyboardMarkup(
            [[InlineKeyboardButton(t._("📝 Write the outcome"), callback_data=cb.POLL_ADMIN.build("outcome", poll.id))]]
        )
    rows = [
        [
            # Button labels are plain text (not HTML), so user text is not escaped here.
            InlineKeyboardButton(
                f"{o.position}. {_short(o.label, BUTTON_LABEL)} · {t.number(o.votes)}",
                callback_data=cb.VOTE.build("v", poll.id, o.position),
            )
        ]
        for o in view.options
    ]
    rows.append(
        [
            InlineKeyboardButton(t._("🔔 Remind non-voters"), callback_data=cb.POLL_ADMIN.build("remind", poll.id)),
            InlineKeyboardButton(t._("🔒 Close"), callback_data=cb.POLL_ADMIN.build("close", poll.id)),
        ]
    )
    return InlineKeyboardMarkup(rows)


def _leaders_line(t: Translator, view: PollView) -> str:
    leaders = view.leaders
    if not leaders:
        return t._("Nobody voted.")
    if len(leaders) == 1:
        return t._("🏆 Most votes: {label}", label=leaders[0].label)
    return t._("🤝 Tie between: {labels}", labels=t.join([o.label for o in leaders]))


def render_results(t: Translator, view: PollView) -> str:
    """The full results announcement (may exceed one message; split with split_html)."""
    poll = view.poll
    lines = [
        t._("📊 <b>Results of poll #{id}</b>", id=poll.id),
        t._("<b>{question}</b>", question=poll.question),
        mode_line(t, poll),
        "",
    ]
    lines.extend(_count_lines(t, view, name_budget=None))
    lines.append(_leaders_line(t, view))
    if view.quorum_met is False:
        lines.append(t._("The quorum was not reached, so this result is advisory only."))
    if poll.outcome:
        lines.append(t._("📝 <b>Outcome:</b> {text}", text=poll.outcome))
    return "\n".join(lines)


def results_caption(t: Translator, view: PollView) -> str:
    """The short summary under the chart picture (captions hold 1024 characters)."""
    lines = [
        t._("📊 <b>Poll #{id} has closed</b>", id=view.poll.id),
        t._("<b>{question}</b>", question=_short(view.poll.question, 300)),
        _leaders_line(t, view),
        turnout_line(t, view),
    ]
    if (quorum := quorum_line(t, view)) is not None:
        lines.append(quorum)
    return split_html("\n".join(lines), CAPTION)[0]


def chart_input(t: Translator, view: PollView) -> BarInput:
    """What the bar chart shows: plain text (the chart escapes nothing and needs nothing escaped)."""
    labels = [_short(f"{o.position}. {o.label}", CHART_LABEL) for o in view.options]
    value_labels = [
        to_plain(t.ngettext("{count} vote", "{count} votes", o.votes, count=t.number(o.votes)))
        + " · "
        + _share(t, o.votes, view.voters)
        for o in view.options
    ]
    subtitle = to_plain(turnout_line(t, view))
    return BarInput(
        _short(view.poll.question, 80), labels, [float(o.votes) for o in view.options], value_labels, subtitle
    )


def render_reminder(
    t: Translator, view: PollView, missing: list[tuple[int, str]], *, automatic: bool, privately: int | None = None
) -> str:
    """One message mentioning only those who have not voted yet (anonymous polls: only how many)."""
    poll = view.poll
    if automatic and poll.closes_at is not None:
        lines = [
            t._(
                "⏰ Poll #{id} «{question}» closes at {when}.",
                id=poll.id,
                question=_short(poll.question, 100),
                when=t.datetime(from_ts(poll.closes_at)),
            )
        ]
    else:
        lines = [t._("🔔 Reminder: poll #{id} «{question}»", id=poll.id, question=_short(poll.question, 100))]
    if not missing:
        lines.append(t._("Everyone has voted. Thank you!"))
        return "\n".join(lines)
    if poll.anonymous:
        # Only the count: names next to a live tally would tell who voted how.
        lines.append(t._("{n} people have not voted yet.", n=t.number(len(missing))))
        if privately != 0:
            lines.append(t._("I have reminded those I can reach in private chat."))
        lines.append(t._("If you have not voted yet, please tap a button on the poll message."))
        return "\n".join(lines)
    names = Html("、".join(str(mention(user_id, name)) for user_id, name in missing[:MAX_MENTIONS]))
    lines.append(t._("Not voted yet: {names}", names=names))
    if len(missing) > MAX_MENTIONS:
        lines.append(t._("… and {n} more people", n=t.number(len(missing) - MAX_MENTIONS)))
    lines.append(t._("Please vote with the buttons on the poll message."))
    return split_html("\n".join(lines), MAX_TEXT)[0]


def render_private_nudge(t: Translator, view: PollView, group: str) -> str:
    """The private reminder of an anonymous poll to one person who has not voted."""
    poll = view.poll
    lines = [
        t._(
            "🔔 You have not voted yet in poll #{id} «{question}» in {group}.",
            id=poll.id,
            question=_short(poll.question, 100),
            group=group,
        )
    ]
    if poll.closes_at is not None:
        lines.append(t._("It closes at {when}.", when=t.datetime(from_ts(poll.closes_at))))
    lines.append(t._("Please go back to the group and tap a button on the poll message. Nobody sees what you chose."))
    return "\n".join(lines)


def render_polls_list(t: Translator, views: list[PollView]) -> tuple[str, InlineKeyboardMarkup | None]:
    """/polls: the open polls of this chat, with a button to show each one's tally again."""
    if not views:
        return t._("No open polls here. Backbone volunteers start one with /vote."), None
    lines = [t._("<b>Open polls</b>")]
    rows = []
    for view in views:
        poll = view.poll
        line = t._(
            "#{id} {question} — {voters} voted",
            id=poll.id,
            question=_short(poll.question, 60),
            voters=t.number(view.voters),
        )
        if poll.closes_at is not None:
            line += t._(", closes {when}", when=t.short_datetime(from_ts(poll.closes_at)))
        lines.append(line)
        rows.append(
            [
                InlineKeyboardButton(
                    t._("🗳 Show poll #{id}", id=poll.id), callback_data=cb.POLL_ADMIN.build("show", poll.id)
                )
            ]
        )
    return split_html("\n".join(lines), MAX_TEXT)[0], InlineKeyboardMarkup(rows[:50])


def vote_answer(t: Translator, chosen: list[str]) -> str:
    """The short answer to a vote press."""
    if not chosen:
        return t._("Your vote was withdrawn.")
    return t._("Your vote: {choices}", choices=t.join(chosen))


def polls_error(t: Translator, exc: DomainError) -> str:
    """Poll-specific refusals, then the shared ones."""
    if isinstance(exc, PermissionDenied):
        if exc.needed == "committee":
            return t._("Sorry, only committee members can vote in this poll.")
        if exc.needed == "poll_creator":
            return t._("Sorry, only the person who started the poll or a social worker can close it.")
    if isinstance(exc, InvalidInput):
        limit = exc.details.get("limit", "")
        text = {
            "poll_closed": t._("This poll is closed. Votes are no longer accepted."),
            "poll_open": t._("The poll is still open. Write the outcome after it closes."),
            "no_such_option": t._("That option does not exist in this poll."),
            "too_many_choices": t._("You can choose at most {limit}. Tap a chosen option to unchoose it.", limit=limit),
            "empty_question": t._("Please write the question."),
            "question_too_long": t._("The question is too long: at most {limit} characters.", limit=limit),
            "too_few_options": t._("A poll needs at least two options."),
            "too_few_proposals": t._("Please choose at least two proposals."),
            "too_many_options": t._("At most {limit} options, please.", limit=limit),
            "option_too_long": t._("An option is too long: at most {limit} characters each.", limit=limit),
            "duplicate_options": t._("Two options are the same. Please make each option different."),
            "bad_max_choices": t._("The maximum must be between 1 and {limit}.", limit=limit),
            "bad_quorum": t._("Please send the quorum as a whole number (0 for none), at most {limit}.", limit=limit),
            "deadline_too_soon": t._(
                "The deadline must be at least {minutes} minutes from now.", minutes=exc.details.get("minutes", "")
            ),
            "deadline_too_far": t._("The deadline must be within a year."),
            "nudged_recently": t._(
                "A reminder was sent a few minutes ago. Please wait {minutes} minutes between reminders.",
                minutes=exc.details.get("minutes", ""),
            ),
            "empty_committee": t._(
                "No one is on the review committee yet, so a committee-only poll would have no voters. "
                "A social worker can add committee members first; until then, everyone votes."
            ),
            "empty_outcome": t._("Please write the outcome."),
            "outcome_too_long": t._("The outcome is too long: at most {limit} characters.", limit=limit),
        }.get(exc.reason)
        if text is not None:
            return text
    return error_text(t, exc)


# -- splitting long HTML messages safely ----------------------------------------------------------

_TOKEN = re.compile(r"<[^>]*>|&#?\w+;|[^<&]+|[<&]")
_TAG = re.compile(r"<(/?)([a-zA-Z0-9-]+)[^>]*>")


def split_html(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Split Telegram HTML into parts of at most limit characters, on line breaks where possible.

    A line longer than limit is cut between tokens (never inside a tag or an entity); tags open at
    the cut are closed at the end of the part and opened again at the start of the next.
    """
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            parts.append(current)
            current = ""
        if len(line) <= limit:
            current = line
            continue
        pieces = _split_line(line, limit)
        parts.extend(pieces[:-1])
        current = pieces[-1]
    if current.strip() or not parts:
        parts.append(current)
    return parts


def _split_line(line: str, limit: int) -> list[str]:
    pieces: list[str] = []
    stack: list[tuple[str, str]] = []  # (tag name, opening tag text)
    chunk = ""

    def closing() -> str:
        return "".join(f"</{name}>" for name, _ in reversed(stack))

    def flush() -> None:
        nonlocal chunk
        pieces.append(chunk + closing())
        chunk = "".join(opening for _, opening in stack)

    for token in _TOKEN.findall(line):
        tag = _TAG.fullmatch(token)
        if tag is not None:
            reserve = len(token) + len(closing()) + (0 if tag[1] else len(tag[2]) + 3)
            if len(chunk) + reserve > limit and chunk.strip():
                flush()
            chunk += token
            if tag[1]:
                if stack and stack[-1][0] == tag[2]:
                    stack.pop()
            else:
                stack.append((tag[2], token))
            continue
        while token:
            room = limit - len(chunk) - len(closing())
            if room <= 0 or (token.startswith("&") and len(token) > room):
                flush()
                continue
            take = token if token.startswith("&") else token[:room]
            chunk += take
            token = token[len(take) :]
    if chunk:
        pieces.append(chunk + closing())
    return pieces
