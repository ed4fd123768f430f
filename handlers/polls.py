"""Polls: /vote (from proposals or typed), vote buttons, live tallies, /polls, close, remind, outcome, deadlines."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from dataclasses import replace
from typing import Any

from telegram import CallbackQuery, ForceReply, Update
from telegram.ext import Application

from bot import callback_data as cb
from bot.clock import to_ts
from bot.context import BotContext
from bot.i18n import Translator
from bot.numbers import typed_number
from bot.services.actor import Actor
from bot.services.errors import DomainError
from bot.services.poll_spec import (
    MIN_OPTIONS,
    Draft,
    Toggle,
    clean_quorum,
    clean_spec,
)
from bot.timeparse import TimeRefusal
from handlers import polls_outbox
from handlers.buttons import buttons
from handlers.common import (
    Press,
    actor_for,
    answer,
    chat_translator_for_id,
    command_args,
    commands,
    edit,
    reply,
    time_error_text,
    tr,
    unless_gone,
)
from handlers.dispatcher import dispatcher
from handlers.live import Rendered, live
from handlers.notify import mention
from handlers.polls_draft import DRAFT, parse_typed, render_card, render_pick
from handlers.polls_render import (
    polls_error,
    render_polls_list,
    render_reminder,
    render_tally,
    tally_keyboard,
    vote_answer,
)
from handlers.polls_time import parse_deadline

log = logging.getLogger(__name__)

LIVE_KIND = "poll"
OUTCOME = "poll_outcome"
SWEEP_INTERVAL_S = 20.0


def usage(t: Translator) -> str:
    """How to start a poll."""
    return "\n".join(
        [
            t._("To start a poll, type: /vote 问题 | 选项一 | 选项二"),
            t._("Or collect theme proposals with /propose first; then /vote lets you pick among them."),
        ]
    )


# -- the /vote wizard ------------------------------------------------------------------------------


async def start_vote(update: Update, context: BotContext) -> None:
    """/vote 问题 | 选项一 | 选项二 shows the settings card; /vote alone picks among open proposals."""
    t = await tr(update, context)
    services = context.deps.services
    args = command_args(update)
    typed = parse_typed(args) if args else None
    actor = await actor_for(update, context)
    await services.polls.require_launcher(actor)
    proposals = [] if args else await services.proposals.listing(actor)
    if typed is not None:
        clean_spec(typed.spec, typed.options, context.deps.clock.now())
    if typed is not None:
        draft = typed
        text, markup = render_card(t, draft)
    elif len(proposals) >= MIN_OPTIONS:  # fewer open proposals than a poll needs: type the options
        draft = Draft(picking=())
        text, markup = render_pick(t, proposals, ())
    else:
        await reply(update, usage(t))
        return
    message = await reply(update, text, reply_markup=markup)
    if message is not None:
        await _save(context, actor, replace(draft, card=message.message_id))


async def _save(context: BotContext, actor: Actor, draft: Draft) -> None:
    await context.deps.services.people.start_dialog(actor.user_id, actor.chat_id, DRAFT, draft.to_state())


async def _draft_of(context: BotContext, actor: Actor, query: CallbackQuery) -> Draft | None:
    """The presser's own draft, and only if the button is on its current card."""
    pending = await context.deps.services.people.dialog(actor.user_id, actor.chat_id)
    if pending is None or pending[0] != DRAFT:
        return None
    draft = Draft.from_state(pending[1])
    message = query.message
    return draft if message is not None and draft.card == message.message_id else None


DraftAction = Callable[[Update, BotContext, Press, Actor, Draft], Coroutine[Any, Any, None]]


def on_draft(act: DraftAction) -> Callable[[Update, BotContext, Press], Coroutine[Any, Any, None]]:
    """A settings-card button: only the person who started the draft acts, re-checked on each press."""

    async def pressed(update: Update, context: BotContext, press: Press) -> None:
        actor = await actor_for(update, context)
        await context.deps.services.polls.require_launcher(actor)
        draft = await _draft_of(context, actor, press.query)
        if draft is None or not draft.accepts(press.action):
            await answer(press.query, press.t._("This button is no longer valid."))
            return
        await act(update, context, press, actor, draft)

    return pressed


async def cancel_draft(update: Update, context: BotContext, press: Press, actor: Actor, draft: Draft) -> None:
    """Drop the draft."""
    await context.deps.services.people.end_dialog(actor.user_id, actor.chat_id)
    await answer(press.query)
    await edit(press.query, press.t._("Poll cancelled."), None)


async def toggle_setting(update: Update, context: BotContext, press: Press, actor: Actor, draft: Draft) -> None:
    """One settings button (choices, anonymity, reminder, electorate)."""
    draft = await context.deps.services.polls.toggle(draft, Toggle(press.action))
    await _save(context, actor, draft)
    await answer(press.query)
    await edit(press.query, *render_card(press.t, draft))


def asking_for(what: str) -> DraftAction:
    """A button that asks for a typed deadline or quorum."""

    async def ask(update: Update, context: BotContext, press: Press, actor: Actor, draft: Draft) -> None:
        await _ask_setting(update, context, actor, draft, what)

    return ask


async def launch(update: Update, context: BotContext, press: Press, actor: Actor, draft: Draft) -> None:
    """Start the poll."""
    await _launch(update, context, actor, draft)


async def picking(update: Update, context: BotContext, press: Press, actor: Actor, draft: Draft) -> None:
    """Tick a proposal, or go on with the ticked ones."""
    await _picking(update, context, actor, draft, press.action, press.args[0])


async def _picking(update: Update, context: BotContext, actor: Actor, draft: Draft, action: str, arg: int) -> None:
    """Toggle a proposal, or turn the chosen proposals into options."""
    query = update.callback_query
    assert query is not None
    t = await tr(update, context)
    proposals = context.deps.services.proposals
    open_ones = await proposals.listing(actor)
    if action == "pick":
        await proposals.get(actor, arg)  # another courtyard's proposal is refused as unknown
        draft = draft.picked(arg)
        await _save(context, actor, draft)
        await answer(query)
        await edit(query, *render_pick(t, open_ones, draft.picking or ()))
        return
    question = t._("Which theme should our courtyard choose?")
    draft = draft.from_proposals(question, [(p.id, p.title) for p in open_ones])
    await _save(context, actor, draft)
    await answer(query)
    await edit(query, *render_card(t, draft))


async def _ask_setting(update: Update, context: BotContext, actor: Actor, draft: Draft, what: str) -> None:
    """Ask for a typed deadline or quorum with a ForceReply (groups only show the bot replies)."""
    query = update.callback_query
    assert query is not None
    t = await tr(update, context)
    await _save(context, actor, replace(draft, awaiting=what))
    await answer(query)
    who = mention(actor.user_id, actor.display_name)
    if what == "deadline":
        text = t._(
            "{who}, please reply with the deadline, e.g. 明晚8点, 周六下午3点 or 12月5日 19:30. Reply 无 for none.",
            who=who,
        )
    else:
        text = t._("{who}, please reply with the number of voters needed (the quorum). Reply 0 for none.", who=who)
    await context.bot.send_message(actor.chat_id, text, reply_markup=ForceReply(selective=True))


async def setting_reply(update: Update, context: BotContext, state: dict[str, Any]) -> None:
    """The typed deadline or quorum; the card is shown again below with it."""
    draft = Draft.from_state(state)
    message = update.effective_message
    if draft.awaiting is None or message is None or not message.text:
        return
    t = await tr(update, context)
    now = context.deps.clock.now()
    try:
        actor = await actor_for(update, context)
        if draft.awaiting == "deadline":
            when = parse_deadline(message.text, now=now, tz=context.deps.config.community.timezone)
            draft = replace(draft, spec=replace(draft.spec, closes_at=to_ts(when) if when else None), awaiting=None)
            note = t._("Deadline: {when}", when=t.datetime(when)) if when else t._("No deadline.")
        else:
            quorum = clean_quorum(message.text)
            draft = replace(draft, spec=replace(draft.spec, quorum=quorum), awaiting=None)
            note = t._("Quorum: {n} voters", n=quorum) if quorum else t._("No quorum.")
    except TimeRefusal as exc:
        await reply(update, time_error_text(t, exc))
        return
    except DomainError as exc:
        await reply(update, polls_error(t, exc))
        return
    text, markup = render_card(t, draft)
    card = await reply(update, f"{note}\n\n{text}", reply_markup=markup)
    await _save(context, actor, replace(draft, card=card.message_id if card else draft.card))


async def _launch(update: Update, context: BotContext, actor: Actor, draft: Draft) -> None:
    """Create the poll and post its live tally with the vote buttons."""
    query = update.callback_query
    assert query is not None
    t = await tr(update, context)
    poll = await context.deps.services.polls.create(actor, draft.spec, draft.options, dialog=DRAFT)
    await answer(query)
    await edit(query, t._("✅ Poll #{id} started.", id=poll.id), None)
    await post_tally(context, poll.id, actor.chat_id)


async def post_tally(context: BotContext, poll_id: int, chat_id: int) -> None:
    """Send a poll's tally message; it is then kept up to date in place."""
    view = await context.deps.services.polls.view(poll_id)
    t = await chat_translator_for_id(context, chat_id)
    message = await live(context).post(
        context, chat_id, LIVE_KIND, poll_id, render_tally(t, view), tally_keyboard(t, view)
    )
    # Only the newest copy in a chat is kept up to date; its buttons work on any copy.
    await live(context).retire(context, chat_id, LIVE_KIND, poll_id, keep=message.message_id)


# -- voting and poll admin buttons --------------------------------------------------------------------


async def press_vote(update: Update, context: BotContext, press: Press) -> None:
    """A vote: answered at once; the tally follows, debounced."""
    # The group's language, like the tally the voter is looking at (and no per-press lookup of the person).
    _, (poll_id, position), query, t = press
    actor = await actor_for(update, context)
    # The update id orders one person's presses even when they are handled concurrently.
    result = await context.deps.services.polls.vote(actor, poll_id, position, update.update_id)
    await answer(query, vote_answer(t, result.chosen))
    if not result.stale:
        await live(context).changed(context, LIVE_KIND, poll_id)


async def close_pressed(update: Update, context: BotContext, press: Press) -> None:
    """Close the poll now; the results follow."""
    poll = await context.deps.services.polls.close(await actor_for(update, context), press.args[0])
    await answer(press.query, press.t._("Poll #{id} closed. The results follow.", id=poll.id))
    await after_close(context, [poll.id])


async def remind_pressed(update: Update, context: BotContext, press: Press) -> None:
    """Remind those who have not voted."""
    await _remind(update, context, await actor_for(update, context), press.args[0])


async def outcome_pressed(update: Update, context: BotContext, press: Press) -> None:
    """Ask for the outcome (what will be done)."""
    await _ask_outcome(update, context, await actor_for(update, context), press.args[0])


async def show_pressed(update: Update, context: BotContext, press: Press) -> None:
    """Post the live tally again at the bottom of the chat."""
    actor = await actor_for(update, context)
    await context.deps.services.polls.in_chat(actor, press.args[0])
    await answer(press.query)
    await post_tally(context, press.args[0], actor.chat_id)


async def _remind(update: Update, context: BotContext, actor: Actor, poll_id: int) -> None:
    """One message mentioning only those who have not voted yet."""
    query = update.callback_query
    assert query is not None
    t = await tr(update, context)
    polls = context.deps.services.polls
    nudged = await polls.nudge(actor, poll_id)
    missing = nudged.missing
    if not missing:
        await answer(query, t._("Everyone has voted. Thank you!"))
        return
    await answer(query, t._("Reminding {n} people.", n=len(missing)))
    view = await polls.view(poll_id)
    text = render_reminder(t, view, missing, automatic=False, privately=nudged.privately)
    await context.bot.send_message(actor.chat_id, text)


async def _ask_outcome(update: Update, context: BotContext, actor: Actor, poll_id: int) -> None:
    polls = context.deps.services.polls
    poll = await polls.in_chat(actor, poll_id)
    polls.require_outcome_writer(actor, poll)
    await context.deps.services.people.start_dialog(actor.user_id, actor.chat_id, OUTCOME, {"poll_id": poll_id})
    if update.callback_query is not None:
        await answer(update.callback_query)
    t = await tr(update, context)
    text = t._(
        "{who}, please reply with the outcome of poll #{id}: what was decided and what happens next.",
        who=mention(actor.user_id, actor.display_name),
        id=poll_id,
    )
    await context.bot.send_message(actor.chat_id, text, reply_markup=ForceReply(selective=True))


async def outcome_command(update: Update, context: BotContext) -> None:
    """/outcome 12 结论 — record at once; /outcome 12 — then type it."""
    t = await tr(update, context)
    words = command_args(update).split(maxsplit=1)
    number = typed_number(words[0]) if words else None
    if number is None:
        await reply(update, t._("Please give the poll number, e.g. /outcome 12 下月起实施"))
        return
    poll_id = number
    actor = await actor_for(update, context)
    if len(words) < 2:
        await _ask_outcome(update, context, actor, poll_id)
        return
    await _record_outcome(update, context, poll_id, words[1])


async def outcome_reply(update: Update, context: BotContext, state: dict[str, Any]) -> None:
    """The outcome typed after the button or /outcome N."""
    message = update.effective_message
    if message is not None and message.text:
        await _record_outcome(update, context, int(state["poll_id"]), message.text, OUTCOME)


async def _record_outcome(
    update: Update, context: BotContext, poll_id: int, text: str, dialog: str | None = None
) -> None:
    """Record the outcome; typed in the dialog, the dialog ends in the same commit."""
    t = await tr(update, context)
    services = context.deps.services
    try:
        actor = await actor_for(update, context)
        poll = await services.polls.set_outcome(actor, poll_id, text, dialog=dialog)
    except DomainError as exc:
        await reply(update, polls_error(t, exc))
        return
    if dialog is None:  # typed as /outcome: a question still open for it is answered too
        await services.people.end_dialog(actor.user_id, actor.chat_id)
    await reply(update, t._("📝 Outcome of poll #{id} recorded: {text}", id=poll.id, text=poll.outcome or ""))
    await live(context).changed(context, LIVE_KIND, poll.id)


async def list_polls(update: Update, context: BotContext) -> None:
    """/polls: the open polls of this chat."""
    t = await tr(update, context)
    actor = await actor_for(update, context)
    views = await context.deps.services.polls.open_polls(actor)
    text, markup = render_polls_list(t, views)
    await reply(update, text, reply_markup=markup)


# -- live tallies, results, reminders, deadlines -------------------------------------------------------


async def _voted_in(context: BotContext, user_id: int) -> list[int]:
    return await context.deps.services.polls.voted_in(user_id)


async def draw_tally(context: BotContext, poll_id: int, chat_id: int) -> Rendered | None:
    """Live renderer of a tally message."""
    view = await unless_gone(context.deps.services.polls.view(poll_id))
    if view is None:
        return None
    t = await chat_translator_for_id(context, chat_id)
    return render_tally(t, view), tally_keyboard(t, view)


async def after_close(context: BotContext, poll_ids: list[int]) -> None:
    """Closed polls: redraw their tallies and let the outbox announce the results."""
    for poll_id in poll_ids:
        await live(context).changed(context, LIVE_KIND, poll_id)
    dispatcher(context).wake()


async def sweep(context: BotContext) -> None:
    """Close polls past their deadline and queue due reminders (the database is the schedule)."""
    result = await context.deps.services.polls.sweep()
    if result.closed:
        await after_close(context, result.closed)
    elif result.reminded:
        dispatcher(context).wake()


async def _sweep_job(context: BotContext) -> None:
    try:
        await sweep(context)
    except Exception:
        log.exception("poll sweep failed")


async def _start(app: Application) -> None:  # type: ignore[type-arg]
    # Deadlines that passed while the bot was down are handled at once, then every SWEEP_INTERVAL_S.
    await _sweep_job(BotContext(app))
    if app.job_queue is not None:
        app.job_queue.run_repeating(_sweep_job, interval=SWEEP_INTERVAL_S, first=SWEEP_INTERVAL_S, name="poll-sweeper")  # type: ignore[arg-type]


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Add /vote, /polls, /outcome, their buttons, dialogs, live tallies, outbox kinds and the sweeper."""
    commands(app, errors=polls_error, vote=start_vote, polls=list_polls, outcome=outcome_command)
    toggles = {toggle.value: on_draft(toggle_setting) for toggle in Toggle}
    buttons(
        app,
        cb.POLL_DRAFT,
        errors=polls_error,
        pick=on_draft(picking),
        next=on_draft(picking),
        dl=on_draft(asking_for("deadline")),
        quo=on_draft(asking_for("quorum")),
        go=on_draft(launch),
        cancel=on_draft(cancel_draft),
        **toggles,
    )
    buttons(app, cb.VOTE, press_vote, errors=polls_error)
    buttons(
        app,
        cb.POLL_ADMIN,
        errors=polls_error,
        close=close_pressed,
        remind=remind_pressed,
        outcome=outcome_pressed,
        show=show_pressed,
    )
    ext = app.bot_data.ext
    ext.dialogs[DRAFT] = setting_reply
    ext.dialogs[OUTCOME] = outcome_reply
    ext.menu_actions["polls"] = list_polls
    ext.on_startup.append(_start)
    live(app).register(LIVE_KIND, draw_tally, lists=_voted_in)
    polls_outbox.register(app)
