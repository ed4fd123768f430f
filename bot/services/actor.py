"""Who is acting, where, and with which rights: plain facts for permission checks."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.services.errors import PermissionDenied


@dataclass(frozen=True)
class Actor:
    """A person acting in one chat, with every fact a permission check needs."""

    user_id: int
    display_name: str
    chat_id: int
    chat_type: str
    courtyard_id: int | None = None
    is_social_worker: bool = False
    is_chat_admin: bool = False
    backbone_courtyards: frozenset[int] = field(default_factory=frozenset)

    @property
    def in_group(self) -> bool:
        """True in a group or supergroup."""
        return self.chat_type in ("group", "supergroup")

    @property
    def is_backbone_here(self) -> bool:
        """Social workers, this courtyard's backbone, and this group's Telegram admins."""
        if self.is_social_worker:
            return True
        if self.in_group and self.is_chat_admin:
            return True
        return self.courtyard_id is not None and self.courtyard_id in self.backbone_courtyards

    def require_social_worker(self) -> None:
        """Raise PermissionDenied unless a social worker."""
        if not self.is_social_worker:
            raise PermissionDenied("social_worker")

    def require_backbone(self) -> None:
        """Raise PermissionDenied unless backbone here."""
        if not self.is_backbone_here:
            raise PermissionDenied("backbone")

    def require_chat_admin(self) -> None:
        """Raise PermissionDenied unless a Telegram admin of this group or a social worker."""
        if not (self.is_social_worker or (self.in_group and self.is_chat_admin)):
            raise PermissionDenied("admin")
