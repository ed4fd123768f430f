"""Telegram adapters, one module per feature: parse the update, call a service, render, reply."""

from __future__ import annotations

from telegram.ext import Application

from handlers import admin, chats, fallback, live, middleware, start, teams

# Order matters only within a handler group; each module registers in group 0 unless it says.
FEATURES = (middleware, live, start, admin, chats, teams, fallback)


def register_all(app: Application) -> None:  # type: ignore[type-arg]
    """Register every feature's handlers on the application."""
    for module in FEATURES:
        module.register(app)
