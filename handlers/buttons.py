"""One router for every inline-button press: the family's head and the action pick the handler.

With one CallbackQueryHandler per family, python-telegram-bot checked every press against each
handler of group 0 in turn (forty-odd CommandHandlers included) and matched each family's regex,
and a late group asked every pattern again to find unclaimed data. That was a good part of a
vote's cost. The router sits first in group 0, so a press is looked at once, and data no family
claims (forged, or from an older version) is answered here too: a press left unanswered keeps
the client's button spinning.

Each family is routed per action, `buttons(app, cb.TEAM, errors=team_error, join=…, leave=…)`, and every
declared action must have a handler (checked at start-up). The router is also the presses' one prologue:
it parses the data strictly, finds the translator, and answers a DomainError raised by the handler with
the feature's error text, so handlers hold only what the press does.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.ext import Application, BaseHandler

from bot.callback_data import Family, ForgedData
from bot.context import BotContext
from bot.services.errors import DomainError
from handlers.common import ErrorText, Press, answer, error_text, tr, was_answered

PressHandler = Callable[[Update, BotContext, Press], Awaitable[None]]


@dataclass(frozen=True)
class Route:
    """How one family's presses are handled: a handler per action, and the feature's error texts."""

    family: Family
    actions: dict[str, PressHandler]
    errors: ErrorText


class ButtonRouter(BaseHandler[Update, BotContext, None]):
    """Routes callback queries by the head of their data ("tm1:")."""

    def __init__(self) -> None:
        super().__init__(self._dispatch)
        self.routes: dict[str, Route] = {}

    def add(self, route: Route) -> None:
        """Send presses of one family to its action handlers."""
        head = route.family.head
        if head in self.routes:
            raise ValueError(f"buttons {head} routed twice")
        missing = route.family.actions - route.actions.keys()
        extra = route.actions.keys() - route.family.actions
        if missing or extra:
            raise ValueError(f"buttons {head}: no handler for {sorted(missing)}, unknown {sorted(extra)}")
        self.routes[head] = route

    def check_update(self, update: object) -> bool:
        """Every callback query (answered as stale if no family claims it)."""
        return isinstance(update, Update) and update.callback_query is not None

    async def _dispatch(self, update: Update, context: BotContext) -> None:
        query = update.callback_query
        assert query is not None
        data = query.data
        head = data[: data.find(":") + 1] if isinstance(data, str) else ""
        route = self.routes.get(head) if head else None
        if route is None:
            await stale_button(update, context)
            return
        t = await tr(update, context)
        try:
            action, args = route.family.parse(data)
        except ForgedData:
            await answer(query, t._("This button is no longer valid."))
            return
        try:
            await route.actions[action](update, context, Press(action, args, query, t))
        except DomainError as exc:
            if not was_answered(query):
                await answer(query, route.errors(t, exc), alert=True)
            elif query.message is not None:
                # Answered already (a menu button opened a screen that then refused): say it in the chat.
                await context.bot.send_message(query.message.chat.id, route.errors(t, exc))


async def stale_button(update: Update, context: BotContext) -> None:
    """Any button no family claimed: forged, or from an older version."""
    query = update.callback_query
    if query is None:
        return
    t = await tr(update, context)
    await answer(query, t._("This button is no longer valid."))


def router_of(app: Application[Any, Any, Any, Any, Any, Any]) -> ButtonRouter:
    """The application's button router, installed first in group 0 on first use."""
    for handler in app.handlers.get(0, []):
        if isinstance(handler, ButtonRouter):
            return handler
    router = ButtonRouter()
    app.add_handler(router, group=0)
    if app.handlers[0][0] is not router:
        raise RuntimeError("the button router must be the first handler of group 0 (register it before features)")
    return router


def buttons(
    app: Application[Any, Any, Any, Any, Any, Any],
    fam: Family,
    every: PressHandler | None = None,
    /,
    *,
    errors: ErrorText = error_text,
    **actions: PressHandler,
) -> None:
    """Route a family's presses: a handler per action (keyword = action), or `every` for all of them."""
    if every is not None:
        actions = dict.fromkeys(fam.actions, every) | actions
    router_of(app).add(Route(fam, dict(actions), errors))


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Install the router ahead of every feature's handlers."""
    router_of(app)
