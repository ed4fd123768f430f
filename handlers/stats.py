"""/stats (breadth and depth of participation, with charts) and /exportstats (the Excel workbook)."""

from __future__ import annotations

import asyncio
import logging

from telegram import InputFile, Update
from telegram.error import BadRequest
from telegram.ext import Application

from bot import callback_data as cb
from bot.charts import draw_bars, render_line_chart
from bot.context import BotContext
from bot.i18n import Translator
from bot.services.stats import DEFAULT_DAYS, StatsService, StatsView
from bot.stats_export import build_workbook
from handlers import stats_render as r
from handlers.buttons import buttons
from handlers.common import (
    Press,
    actor_for,
    answer,
    commands,
    edit,
    offer_private_chat,
    reply,
    send_files_privately,
    tr,
    user_translator,
)

log = logging.getLogger(__name__)


def stats_of(context: BotContext) -> StatsService:
    """The statistics service."""
    return context.deps.services.stats


def scope_name(context: BotContext, view: StatsView) -> str:
    """The courtyard's name, or the community's for a community-wide view."""
    return view.total.name if view.yard_id is not None else context.deps.config.community.name


async def _charts(t: Translator, view: StatsView, name: str) -> list[bytes]:
    """The ladder and the monthly breadth as PNGs; drawing runs on a thread, a failure only drops the picture."""
    bar = r.ladder_chart(t, view, name)
    line = r.breadth_chart(t, view, name)
    try:
        # Both pictures at once: Pillow releases the GIL while drawing, so two cores share the work.
        pictures = await asyncio.gather(
            asyncio.to_thread(draw_bars, bar),
            asyncio.to_thread(render_line_chart, line.title, line.x_labels, line.series, y_label=line.y_label),
        )
        return list(pictures)
    except Exception:
        log.exception("statistics chart failed")
        return []


async def stats_cmd(update: Update, context: BotContext) -> None:
    """/stats: the two charts, then the numbers as text with period buttons."""
    t = await tr(update, context)
    view = await stats_of(context).overview(await actor_for(update, context))
    name = scope_name(context, view)
    chat_id = update.effective_chat.id if update.effective_chat else 0
    for picture in await _charts(t, view, name):
        await context.bot.send_photo(chat_id, InputFile(picture, filename="stats.png"))
    await reply(update, r.render_overview(t, view, name), reply_markup=r.period_keyboard(t, DEFAULT_DAYS))


async def press_period(update: Update, context: BotContext, press: Press) -> None:
    """A period button: permission re-checked, the text edited in place."""
    _, (days,), query, t = press
    view = await stats_of(context).overview(await actor_for(update, context), days)
    await answer(query)
    try:
        await edit(query, r.render_overview(t, view, scope_name(context, view)), r.period_keyboard(t, days))
    except BadRequest as exc:
        # A message too old to edit; the figures are still on screen.
        log.info("stats edit skipped: %s", type(exc).__name__)


async def export_cmd(update: Update, context: BotContext) -> None:
    """/exportstats: the workbook, sent to the social worker's private chat."""
    t = await tr(update, context)
    actor = await actor_for(update, context)
    data = await stats_of(context).export(actor)
    person = await context.deps.services.people.user(actor.user_id)
    if person is None or not person.private_chat:
        await offer_private_chat(update, context, t, actor)
        return
    mine = await user_translator(context, actor.user_id)
    # Building the workbook is CPU work: off the event loop.
    content = await asyncio.to_thread(build_workbook, r.export_sheets(mine, data))
    stamp = context.deps.clock.now().astimezone(mine.tz).strftime("%Y%m%d-%H%M")
    caption = mine._("Participation statistics: {n} residents", n=mine.number(len(data.residents)))
    if not await send_files_privately(update, context, t, actor, [(f"participation-{stamp}.xlsx", content)], caption):
        return
    if actor.in_group:
        await reply(update, t._("I have sent the statistics workbook to you in our private chat."))


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Add /stats, /exportstats and the period buttons."""
    commands(app, errors=r.stats_error, stats=stats_cmd, exportstats=export_cmd)
    buttons(app, cb.STATS, press_period, errors=r.stats_error)
