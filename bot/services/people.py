"""People: who they are, their language, their roles, and pending dialogs."""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiosqlite

from bot.clock import Clock, to_ts
from bot.services.actor import Actor
from bot.services.errors import InvalidInput, PermissionDenied, WrongChat
from storage.db import Database
from storage.rows import Chat, Dialog, User
from storage.users import DialogsRepository, RolesRepository, UsersRepository

# Seen-cache sizes and ages: a person's row is rewritten at most once an hour unless
# their name or language changed, so a busy vote does not cost an extra write each press.
_NO_ROLES: tuple[bool, frozenset[int]] = (False, frozenset())
_SEEN_MAX = 50_000
_SEEN_REFRESH_S = 3600
ROLE_ALIASES = {
    "骨干": "backbone",
    "backbone": "backbone",
    "社工": "social_worker",
    "social_worker": "social_worker",
    "socialworker": "social_worker",
}


@dataclass(frozen=True)
class GrantResult:
    role: str
    scope_id: int
    changed: bool


def _role_in(actor: Actor, role_word: str | None) -> tuple[str, int]:
    """The role a social worker names (backbone by default) and its scope: this courtyard, or 0."""
    role = ROLE_ALIASES.get((role_word or "backbone").strip().lower())
    if role is None:
        raise InvalidInput("unknown_role")
    actor.require_social_worker()
    if role != "backbone":
        return role, 0
    if actor.courtyard_id is None:
        raise WrongChat("bound")
    return role, actor.courtyard_id


class PeopleService:
    """People, their roles and their dialogs; free of Telegram."""

    def __init__(self, db: Database, clock: Clock, config_social_workers: frozenset[int]) -> None:
        self.db = db
        self.clock = clock
        self.config_social_workers = config_social_workers
        self._seen: OrderedDict[tuple[int, int], tuple[str, str | None, int]] = OrderedDict()
        # Roles are few (staff and backbone volunteers) and change only through this service, so
        # all of them live in memory: a press by someone never seen before costs no role query.
        self._roles_cache: dict[int, tuple[bool, frozenset[int]]] | None = None
        self._roles_generation = 0

    def _now(self) -> int:
        return to_ts(self.clock.now())

    async def touch(
        self, user_id: int, display_name: str, language_code: str | None, chat_id: int, *, defer: bool = False
    ) -> None:
        """Record that a person was seen in a chat (rate-limited by an in-memory cache).

        defer: write it with the update's first transaction instead of a commit of its own.
        """
        now = self._now()
        key = (user_id, chat_id)
        cached = self._seen.get(key)
        if cached and cached[0] == display_name and cached[1] == language_code and now - cached[2] < _SEEN_REFRESH_S:
            return

        async def write(conn: aiosqlite.Connection) -> None:
            users = UsersRepository(conn)
            await users.touch(user_id, display_name, language_code, now)
            if chat_id == user_id:
                await users.set_private_chat(user_id, True)
            else:
                await users.touch_member(chat_id, user_id, now)
            # Only once written: a command right after a press must not skip its own write and
            # then find no users row.
            self._seen[key] = (display_name, language_code, now)
            self._seen.move_to_end(key)
            while len(self._seen) > _SEEN_MAX:
                self._seen.popitem(last=False)

        if defer:
            self.db.defer(write)
        else:
            async with self.db.transaction() as conn:
                await write(conn)

    def forget_cached(self, user_id: int) -> None:
        """Drop in-memory knowledge of a person (after /forget)."""
        self._unsee(user_id)
        self._drop_roles()

    def _unsee(self, user_id: int) -> None:
        for key in [k for k in self._seen if k[0] == user_id]:
            del self._seen[key]

    def _drop_roles(self) -> None:
        # Reloading the whole table is simplest, and rare: a grant, a revoke, a /forget.
        self._roles_cache = None
        self._roles_generation += 1

    async def user(self, user_id: int) -> User | None:
        """Return a person's row."""
        return await UsersRepository(self.db.reader).get(user_id)

    async def set_private_reachable(self, user_id: int, reachable: bool) -> None:
        """Remember whether private messages reach this person (403 means no)."""
        async with self.db.transaction() as conn:
            await UsersRepository(conn).set_private_chat(user_id, reachable)
        self._unsee(user_id)  # their next private message sets it again; their roles did not change

    async def set_user_locale(self, user_id: int, locale: str) -> None:
        """Set the language of a person's private messages."""
        async with self.db.transaction() as conn:
            await UsersRepository(conn).set_locale(user_id, locale)

    async def _roles(self, user_id: int) -> tuple[bool, frozenset[int]]:
        cache = self._roles_cache
        if cache is None:
            generation = self._roles_generation
            social_workers: set[int] = set()
            backbone: dict[int, set[int]] = {}
            for role in await RolesRepository(self.db.reader).every():
                if role.role == "social_worker":
                    social_workers.add(role.user_id)
                elif role.role == "backbone":
                    backbone.setdefault(role.user_id, set()).add(role.scope_id)
            holders = social_workers | set(backbone)
            cache = {uid: (uid in social_workers, frozenset(backbone.get(uid, ()))) for uid in holders}
            if generation == self._roles_generation:  # no grant or revoke while we read
                self._roles_cache = cache
        return cache.get(user_id, _NO_ROLES)

    async def actor(
        self, user_id: int, display_name: str, chat: Chat | None, chat_id: int, chat_type: str, is_chat_admin: bool
    ) -> Actor:
        """Assemble the facts a permission check needs."""
        granted_sw, backbone = await self._roles(user_id)
        return Actor(
            user_id=user_id,
            display_name=display_name,
            chat_id=chat_id,
            chat_type=chat_type,
            courtyard_id=chat.courtyard_id if chat else None,
            is_social_worker=user_id in self.config_social_workers or granted_sw,
            is_chat_admin=is_chat_admin,
            backbone_courtyards=backbone,
        )

    async def grant(self, actor: Actor, target_id: int, role_word: str | None) -> GrantResult:
        """Grant backbone (in this courtyard) or social worker to the person replied to."""
        role, scope_id = _role_in(actor, role_word)
        async with self.db.transaction() as conn:
            if await UsersRepository(conn).get(target_id) is None:
                raise InvalidInput("unknown_person")
            changed = await RolesRepository(conn).grant(target_id, role, scope_id, actor.user_id, self._now())
        self._drop_roles()
        return GrantResult(role, scope_id, changed)

    async def revoke(self, actor: Actor, target_id: int, role_word: str | None) -> GrantResult:
        """Revoke backbone (in this courtyard) or a granted social-worker role."""
        role, scope_id = _role_in(actor, role_word)
        if role == "social_worker" and target_id in self.config_social_workers:
            raise PermissionDenied("config")
        async with self.db.transaction() as conn:
            changed = await RolesRepository(conn).revoke(target_id, role, scope_id)
        self._drop_roles()
        return GrantResult(role, scope_id, changed)

    async def dialog(self, user_id: int, chat_id: int) -> tuple[str, dict[str, Any]] | None:
        """Return the kind and state of a pending dialog, if any."""
        found: Dialog | None = await DialogsRepository(self.db.reader).get(user_id, chat_id)
        if found is None:
            return None
        return found.kind, json.loads(found.state)

    async def start_dialog(self, user_id: int, chat_id: int, kind: str, state: Mapping[str, Any]) -> None:
        """Remember that the person's next message in this chat answers a question."""
        async with self.db.transaction() as conn:
            await DialogsRepository(conn).put(user_id, chat_id, kind, json.dumps(dict(state)), self._now())

    async def end_dialog(self, user_id: int, chat_id: int) -> None:
        """Forget a pending dialog."""
        async with self.db.transaction() as conn:
            await DialogsRepository(conn).clear(user_id, chat_id)
