"""One router for every inline-button press: the family's head picks the handler with a dict lookup.

With one CallbackQueryHandler per family, python-telegram-bot checked every press against each
handler of group 0 in turn (forty-odd CommandHandlers included) and matched each family's regex,
and a late group asked every pattern again to find unclaimed data. That was a good part of a
vote's cost. The router sits first in group 0, so a press is looked at once, and data no family
claims (forged, or from an older version) is answered here too: a press left unanswered keeps
the client's button spinning.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, BaseHandler

from bot.callback_data import Family
from bot.context import BotContext
from handlers.common import Callback, answer, tr


class ButtonRouter(BaseHandler[Update, BotContext, None]):
    """Routes callback queries by the head of their data ("tm1:")."""

    def __init__(self) -> None:
        super().__init__(self._dispatch)
        self.routes: dict[str, Callback] = {}

    def add(self, fam: Family, callback: Callback) -> None:
        """Send presses of one family to its handler."""
        if fam.head in self.routes:
            raise ValueError(f"buttons {fam.head} routed twice")
        self.routes[fam.head] = callback

    def check_update(self, update: object) -> bool:
        """Every callback query (answered as stale if no family claims it)."""
        return isinstance(update, Update) and update.callback_query is not None

    async def _dispatch(self, update: Update, context: BotContext) -> None:
        query = update.callback_query
        assert query is not None
        data = query.data
        head = data[: data.find(":") + 1] if isinstance(data, str) else ""
        route = self.routes.get(head) if head else None
        await (route or stale_button)(update, context)


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


def buttons(app: Application[Any, Any, Any, Any, Any, Any], fam: Family, callback: Callback) -> None:
    """Route one callback family to its handler."""
    router_of(app).add(fam, callback)


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Install the router ahead of every feature's handlers."""
    router_of(app)
