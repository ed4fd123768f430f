"""The polls' outbox kinds: results (chart, then the full text in parts), reminders, private nudges."""

from __future__ import annotations

import asyncio
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import Application

from bot import callback_data as cb
from bot.charts import draw_bars
from bot.context import BotContext
from bot.i18n import Translator
from bot.services.polls import POLL_NUDGE, POLL_REMINDER, POLL_RESULTS, PollView
from handlers.common import chat_translator_for_id, unless_gone
from handlers.dispatcher import Kind, Outgoing, dispatcher
from handlers.polls_render import (
    chart_input,
    render_private_nudge,
    render_reminder,
    render_results,
    results_caption,
    split_html,
)
from storage.outbox import OutboxItem

log = logging.getLogger(__name__)


async def _chart(t: Translator, view: PollView) -> bytes | None:
    chart = chart_input(t, view)
    try:
        # Drawing takes tens of milliseconds of CPU: keep it off the event loop.
        return await asyncio.to_thread(draw_bars, chart)
    except Exception:
        # The text results follow anyway; a missing picture must not stop them.
        log.exception("poll chart failed")
        return None


async def draw_results(context: BotContext, item: OutboxItem) -> Outgoing | None:
    """Part 0: the chart with a summary; parts 1…n: the full results, split at 4096 characters."""
    assert item.ref_id is not None
    part = int(item.payload.get("part", 0))
    view = await unless_gone(context.deps.services.polls.view(item.ref_id))
    if view is None:
        return None
    t = await chat_translator_for_id(context, item.chat_id)
    if part == 0:
        return Outgoing(results_caption(t, view), photo=await _chart(t, view))
    parts = split_html(render_results(t, view))
    if part > len(parts):
        return None
    markup = None
    if part == len(parts) and not view.poll.outcome:
        button = InlineKeyboardButton(
            t._("📝 Write the outcome"), callback_data=cb.POLL_ADMIN.build("outcome", view.poll.id)
        )
        markup = InlineKeyboardMarkup([[button]])
    return Outgoing(parts[part - 1], markup)


async def results_done(context: BotContext, item: OutboxItem) -> None:
    """Queue the next part of the results (the chain is in the outbox, so a restart continues it)."""
    assert item.ref_id is not None
    part = int(item.payload.get("part", 0))
    if part > 0:
        view = await context.deps.services.polls.view(item.ref_id)
        t = await chat_translator_for_id(context, item.chat_id)
        if part >= len(split_html(render_results(t, view))):
            return
    if await context.deps.services.polls.queue_results_part(item.ref_id, item.chat_id, part + 1):
        dispatcher(context).wake()


async def _open_poll(context: BotContext, item: OutboxItem) -> PollView | None:
    """The view of the poll an outbox item is about, or None once it is gone or closed."""
    assert item.ref_id is not None
    view = await unless_gone(context.deps.services.polls.view(item.ref_id))
    if view is None:
        return None
    return view if view.poll.is_open else None


async def draw_reminder(context: BotContext, item: OutboxItem) -> Outgoing | None:
    """The automatic reminder before the deadline, mentioning only non-voters."""
    assert item.ref_id is not None
    polls = context.deps.services.polls
    view = await _open_poll(context, item)
    if view is None:
        return None
    t = await chat_translator_for_id(context, item.chat_id)
    return Outgoing(render_reminder(t, view, await polls.non_voters(item.ref_id), automatic=True))


async def draw_nudge(context: BotContext, item: OutboxItem) -> Outgoing | None:
    """An anonymous poll's private reminder; skipped once the poll closed or the person voted."""
    assert item.ref_id is not None
    polls = context.deps.services.polls
    view = await _open_poll(context, item)
    if view is None or await polls.has_voted(item.ref_id, item.chat_id):
        return None
    t = await chat_translator_for_id(context, item.chat_id)
    group = await context.deps.services.community.chat(view.poll.chat_id)
    title = group.title if group is not None and group.title else t._("your courtyard group")
    return Outgoing(render_private_nudge(t, view, title))


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Add the polls' outbox kinds and say what an interrupted send does."""
    outbox = dispatcher(app)
    # Results: at most once (the live tally shows the final count even if an announcement is lost).
    outbox.register(POLL_RESULTS, Kind(render=draw_results, resend_ambiguous=False, on_done=results_done))
    # A rare duplicate reminder is better than a lost one.
    outbox.register(POLL_REMINDER, Kind(render=draw_reminder, resend_ambiguous=True))
    outbox.register(POLL_NUDGE, Kind(render=draw_nudge, resend_ambiguous=True))
