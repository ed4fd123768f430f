"""Telegram adapters, one module per feature: parse the update, call a service, render, reply."""

from __future__ import annotations

from telegram.ext import Application

from handlers import (
    admin,
    broadcast,
    buttons,
    chats,
    committee,
    dispatcher,
    fallback,
    live,
    meetings,
    middleware,
    polls,
    proposals,
    remind,
    start,
    stats,
    teams,
    teams_confirm,
    teams_notes,
    teams_settings,
)

# Order matters only within a handler group; each module registers in group 0 unless it says.
FEATURES = (
    middleware,
    buttons,
    live,
    dispatcher,
    start,
    admin,
    chats,
    broadcast,
    remind,
    teams,
    teams_settings,
    teams_notes,
    teams_confirm,
    meetings,
    proposals,
    polls,
    stats,
    committee,
    fallback,
)


def register_all(app: Application) -> None:  # type: ignore[type-arg]
    """Register every feature's handlers on the application."""
    for module in FEATURES:
        module.register(app)
