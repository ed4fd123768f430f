"""Builders for Bot API update JSON: several users, groups and private chats."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Any

from tests.fakes import BOT_ID, BOT_USERNAME

_update_ids = itertools.count(1)
_message_ids = itertools.count(1)
_query_ids = itertools.count(1)
DATE = 1_780_000_000


def next_update_id() -> int:
    """A fresh update id, later than every update built so far (for calling services directly)."""
    return next(_update_ids)


@dataclass(frozen=True)
class TgUser:
    """A Telegram user for tests."""

    id: int
    first_name: str
    last_name: str = ""
    language_code: str | None = "zh-hans"

    def json(self) -> dict[str, Any]:
        """The User object."""
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.language_code is not None:
            data["language_code"] = self.language_code
        return data


@dataclass(frozen=True)
class TgChat:
    """A Telegram chat for tests."""

    id: int
    type: str
    title: str = ""
    is_forum: bool = False

    def json(self) -> dict[str, Any]:
        """The Chat object."""
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.type == "private":
            data["first_name"] = self.title or "Someone"
        else:
            data["title"] = self.title
        if self.is_forum:
            data["is_forum"] = True
        return data


def group(chat_id: int = -1001000000001, title: str = "碧水苑居民群") -> TgChat:
    """A supergroup (ids below -10^12) or a basic group."""
    return TgChat(chat_id, "supergroup" if chat_id < -1_000_000_000_000 else "group", title)


def private(user: TgUser) -> TgChat:
    """The private chat with a user."""
    return TgChat(user.id, "private", user.first_name)


def _message(user: TgUser | None, chat: TgChat, text: str | None, **extra: Any) -> dict[str, Any]:
    message: dict[str, Any] = {"message_id": next(_message_ids), "date": DATE, "chat": chat.json()}
    if user is not None:
        message["from"] = user.json()
    if text is not None:
        message["text"] = text
        found = entities(text)
        if found:
            message["entities"] = found
    message.update(extra)
    return message


# What Telegram's clients mark: a command is Latin letters, digits and _ (so /菜单 is plain text), and only
# a command at the start of a message counts as one (tests.fakes.privacy_mode_delivers).
_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_@])")
_MENTION = re.compile(r"(?<![A-Za-z0-9_])@[A-Za-z0-9_]{5,32}(?![A-Za-z0-9_])")


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def entities(text: str) -> list[dict[str, Any]]:
    """The bot_command (at the start) and mention entities Telegram would attach, offsets in UTF-16 units."""
    found: list[dict[str, Any]] = []
    command = _COMMAND.match(text)
    if command is not None:
        found.append({"type": "bot_command", "offset": 0, "length": _utf16(command.group())})
    for mention in _MENTION.finditer(text):
        found.append({"type": "mention", "offset": _utf16(text[: mention.start()]), "length": _utf16(mention.group())})
    return found


def message(user: TgUser, chat: TgChat, text: str, *, reply_to: dict[str, Any] | None = None) -> dict[str, Any]:
    """An update with a new text message (commands get their entity)."""
    msg = _message(user, chat, text)
    if reply_to is not None:
        msg["reply_to_message"] = reply_to
    return {"update_id": next(_update_ids), "message": msg}


def edited(user: TgUser, chat: TgChat, text: str) -> dict[str, Any]:
    """An update with an edited message."""
    msg = _message(user, chat, text, edit_date=DATE + 60)
    return {"update_id": next(_update_ids), "edited_message": msg}


def photo(user: TgUser, chat: TgChat, caption: str = "", *, reply_to: dict[str, Any] | None = None) -> dict[str, Any]:
    """An update with a photo (in a group, a reply to the bot's prompt reaches a bot in privacy mode)."""
    msg = _message(
        user, chat, None, photo=[{"file_id": "AgACphoto", "file_unique_id": "uphoto", "width": 640, "height": 480}]
    )
    if caption:
        msg["caption"] = caption
        found = entities(caption)
        if found:
            msg["caption_entities"] = found
    if reply_to is not None:
        msg["reply_to_message"] = reply_to
    return {"update_id": next(_update_ids), "message": msg}


def bot_message(chat: TgChat, message_id: int, text: str = "") -> dict[str, Any]:
    """A message the bot sent (what a button press or a reply refers to)."""
    return {
        "message_id": message_id,
        "date": DATE,
        "chat": chat.json(),
        "from": {"id": BOT_ID, "is_bot": True, "first_name": "Courtyard", "username": BOT_USERNAME},
        "text": text or "…",
    }


def user_message(user: TgUser, chat: TgChat, text: str = "hello") -> dict[str, Any]:
    """A plain message by a user, to reply to."""
    return _message(user, chat, text)


def callback(user: TgUser, chat: TgChat, data: str, *, message_id: int = 1, text: str = "") -> dict[str, Any]:
    """An update for a button press on a bot message."""
    return {
        "update_id": next(_update_ids),
        "callback_query": {
            "id": str(next(_query_ids)),
            "from": user.json(),
            "chat_instance": f"ci{chat.id}",
            "data": data,
            "message": bot_message(chat, message_id, text),
        },
    }


def my_chat_member(chat: TgChat, by: TgUser, old: str, new: str) -> dict[str, Any]:
    """The bot's own membership changed (added: left→member, removed: member→left/kicked)."""
    bot_user = {"id": BOT_ID, "is_bot": True, "first_name": "Courtyard", "username": BOT_USERNAME}

    def member(status: str) -> dict[str, Any]:
        data: dict[str, Any] = {"status": status, "user": bot_user}
        if status == "kicked":
            data["until_date"] = 0
        return data

    return {
        "update_id": next(_update_ids),
        "my_chat_member": {
            "chat": chat.json(),
            "from": by.json(),
            "date": DATE,
            "old_chat_member": member(old),
            "new_chat_member": member(new),
        },
    }


def migrate(old: TgChat, new_id: int, by: TgUser) -> dict[str, Any]:
    """The service message in the old group announcing its move to a supergroup."""
    msg = _message(by, old, None, migrate_to_chat_id=new_id)
    return {"update_id": next(_update_ids), "message": msg}


def migrate_from(new: TgChat, old_id: int, by: TgUser) -> dict[str, Any]:
    """The service message in the new supergroup naming the old group."""
    msg = _message(by, new, None, migrate_from_chat_id=old_id)
    return {"update_id": next(_update_ids), "message": msg}


def forum(chat_id: int = -1001000000001, title: str = "碧水苑居民群") -> TgChat:
    """A forum supergroup (topics turned on)."""
    return TgChat(chat_id, "supergroup", title, is_forum=True)


def topic_root(creator: TgUser, chat: TgChat, name: str = "院落议事") -> dict[str, Any]:
    """The service message that opens a forum topic (its id is the topic's thread id)."""
    root = _message(creator, chat, None, forum_topic_created={"name": name, "icon_color": 7322096})
    root["message_thread_id"] = root["message_id"]
    return root


def in_topic(
    user: TgUser, chat: TgChat, text: str, root: dict[str, Any], *, reply_to: dict[str, Any] | None = None
) -> dict[str, Any]:
    """An update with a message in a forum topic (reply_to_message is the topic's root unless a real reply)."""
    msg = _message(user, chat, text, message_thread_id=root["message_id"], is_topic_message=True)
    msg["reply_to_message"] = reply_to if reply_to is not None else root
    return {"update_id": next(_update_ids), "message": msg}


def topic_user_message(user: TgUser, chat: TgChat, root: dict[str, Any], text: str = "hello") -> dict[str, Any]:
    """A plain message by a user inside a forum topic, to reply to."""
    return _message(user, chat, text, message_thread_id=root["message_id"], is_topic_message=True)
