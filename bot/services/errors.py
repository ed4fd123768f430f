"""Domain outcomes raised by services and mapped to translated text by handlers."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every expected, user-caused outcome."""


class PermissionDenied(DomainError):
    """The actor lacks the role this action needs."""

    def __init__(self, needed: str) -> None:
        super().__init__(needed)
        self.needed = needed  # "social_worker" | "backbone" | "admin" | "captain" | "committee" …


class InvalidInput(DomainError):
    """The input was understood but not acceptable."""

    def __init__(self, reason: str, **details: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details


class NotFound(DomainError):
    """The thing referred to does not exist (or is not visible here)."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


class WrongChat(DomainError):
    """The action needs a different kind of chat (group, private, bound courtyard)."""

    def __init__(self, needed: str) -> None:
        super().__init__(needed)
        self.needed = needed  # "group" | "private" | "bound"


def required_text(text: str, limit: int, empty: str, too_long: str) -> str:
    """The text (already trimmed), refused with reason `empty` when blank or `too_long` past limit characters."""
    if not text:
        raise InvalidInput(empty)
    if len(text) > limit:
        raise InvalidInput(too_long, limit=limit)
    return text
