"""Plain row types returned by the repositories."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Courtyard:
    id: int
    community_id: int
    name: str


@dataclass(frozen=True)
class Chat:
    chat_id: int
    type: str
    title: str
    community_id: int | None
    courtyard_id: int | None
    scope: str
    locale: str | None
    active: bool


@dataclass(frozen=True)
class User:
    user_id: int
    display_name: str
    locale: str | None
    language_code: str | None
    private_chat: bool


@dataclass(frozen=True)
class Role:
    user_id: int
    role: str
    scope_id: int
    position: str | None


@dataclass(frozen=True)
class Dialog:
    user_id: int
    chat_id: int
    kind: str
    state: str
