"""The people and groups most tests meet, and the first thing most of them do: bind a group."""

from __future__ import annotations

from tests import builders as b
from tests.harness import SOCIAL_WORKER_ID, Harness

SW = b.TgUser(SOCIAL_WORKER_ID, "王社工")
AUNT = b.TgUser(100001, "李阿姨")
UNCLE = b.TgUser(100002, "张大爷")
ADMIN = b.TgUser(100003, "群主老陈")
NEIGHBOUR = b.TgUser(100004, "刘奶奶")
GROUP = b.group(-1001000000001, "碧水苑居民群")
OTHER = b.group(-1001000000002, "启明花园居民群")
PRIVATE = b.private(SW)


async def bind(h: Harness, chat: b.TgChat = GROUP, name: str = "碧水苑") -> None:
    """The social worker binds a group to a courtyard."""
    await h.send(b.message(SW, chat, f"/bind {name}"))
