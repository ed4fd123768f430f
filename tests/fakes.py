"""A fake Telegram Bot API at python-telegram-bot's HTTP seam (BaseRequest)."""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from telegram.error import TimedOut
from telegram.request import BaseRequest, RequestData

_SENDS = {"sendMessage", "sendPhoto", "sendDocument"}
BOT_ID = 7000000001
BOT_USERNAME = "CourtyardTestBot"
TEST_TOKEN = f"{BOT_ID}:AAHfakeTokenForTests_abcdefghijklmnopq"


# The parts of a Message that make it a person's message rather than a service message.
_CONTENT = frozenset(
    {
        "text",
        "caption",
        "photo",
        "document",
        "sticker",
        "voice",
        "video",
        "video_note",
        "audio",
        "animation",
        "location",
        "venue",
        "contact",
        "poll",
        "dice",
        "game",
        "story",
        "paid_media",
        "checklist",
        "invoice",
    }
)
_MESSAGE_KEYS = ("message", "edited_message", "business_message", "edited_business_message")


def privacy_mode_delivers(
    update: Mapping[str, Any], *, bot_id: int = BOT_ID, bot_username: str = BOT_USERNAME, bot_is_admin: bool = False
) -> bool:
    """Whether Telegram delivers this update to a bot whose group privacy mode is on (the default).

    Telegram's rules (Bot FAQ "What messages will my bot get?" and Bot Features "Privacy mode",
    core.telegram.org/bots/faq and /bots/features#privacy-mode):

    - Every bot, whatever its settings, receives all service messages (members added or removed, a new
      title, a group's move to a supergroup, a forum topic created, a pinned message…), all messages in
      private chats with users, and all messages of channels it is a member of.
    - A bot that is an administrator of the group, or whose privacy mode is off, receives all messages
      (except other bots' messages).
    - Otherwise, in a group or supergroup, a bot with privacy mode on receives only:
      * commands explicitly meant for it (``/command@this_bot``), and general commands (``/command``;
        Telegram gives those to the last bot that spoke in the group when there are several — this bot
        is the only one in our tests, so it gets them); never ``/command@other_bot``;
      * replies to its own messages (a typed answer must be a reply: send the prompt with
        ``ForceReply(selective=True)``, so the person's client quotes the prompt);
      * messages that mention it by username (``@this_bot``) or by a text mention of its user;
      * messages sent via this bot (inline mode).
      Button presses (callback queries) and other non-message updates (``my_chat_member``, …) are
      always delivered; an edited message follows the same rules as a new one.

    A "command" is what Telegram marks as one: a ``bot_command`` entity at offset 0 (Latin letters, digits
    and ``_``; ``/菜单`` is plain text to Telegram). Telegram also delivers replies to messages "implicitly
    meant" for the bot (a reply to a person's /command): not modelled, so a test passing here is never
    relying on a delivery Telegram might not make. In a forum topic every message has
    ``reply_to_message`` = the topic's root service message, which is not the bot's, so it is not a reply
    to the bot.
    """
    key = next((k for k in _MESSAGE_KEYS if k in update), None)
    if key is None:
        return True  # callback_query, my_chat_member, chat_member, channel_post, …
    message = update[key]
    chat_type = (message.get("chat") or {}).get("type")
    if chat_type not in ("group", "supergroup"):
        return True
    if not _CONTENT.intersection(message):
        return True  # a service message
    if bot_is_admin:
        return True
    if (message.get("via_bot") or {}).get("id") == bot_id:
        return True
    replied = message.get("reply_to_message") or {}
    if (replied.get("from") or {}).get("id") == bot_id:
        return True
    text = message.get("text") or message.get("caption") or ""
    entities = message.get("entities") or message.get("caption_entities") or []
    me = "@" + bot_username.lower()
    for entity in entities:
        piece = _entity_text(text, entity).lower()
        if entity.get("type") == "bot_command" and entity.get("offset") == 0:
            _, at, target = piece.partition("@")
            if not at or "@" + target == me:
                return True
        if entity.get("type") == "mention" and piece == me:
            return True
        if entity.get("type") == "text_mention" and (entity.get("user") or {}).get("id") == bot_id:
            return True
    return False


def _entity_text(text: str, entity: Mapping[str, Any]) -> str:
    """The text an entity covers (offsets and lengths count UTF-16 code units, as Telegram does)."""
    raw = text.encode("utf-16-le")
    start, length = int(entity.get("offset", 0)) * 2, int(entity.get("length", 0)) * 2
    return raw[start : start + length].decode("utf-16-le", errors="replace")


@dataclass
class Call:
    """One Bot API request the bot made."""

    method: str
    params: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)
    at: float = 0.0
    result: Any = None

    @property
    def message_id(self) -> int:
        """The id of the message this call created (send*) or edited."""
        assert isinstance(self.result, dict), "the call did not return a message"
        return int(self.result["message_id"])

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """(label, callback_data) of every inline button sent with the call."""
        markup = self.params.get("reply_markup") or {}
        if isinstance(markup, str):
            markup = json.loads(markup)
        return [(b["text"], b.get("callback_data", "")) for row in markup.get("inline_keyboard", []) for b in row]

    @property
    def chat_id(self) -> int | None:
        """The target chat id, if any."""
        value = self.params.get("chat_id")
        return int(value) if value is not None else None

    @property
    def text(self) -> str:
        """The text or caption sent."""
        return str(self.params.get("text") or self.params.get("caption") or "")


@dataclass
class Failure:
    """An error to answer instead of success."""

    method: str | None
    chat_id: int | None
    kind: str  # "429" | "403" | "migrate" | "timeout" | "400" | "too_long" | "500"
    times: int
    retry_after: int = 1
    new_chat_id: int = 0
    description: str = ""


class FakeBotAPI(BaseRequest):
    """Records every call and answers with Bot-API-shaped JSON; errors can be injected."""

    def __init__(self, *, privacy_mode: bool = True) -> None:
        self.calls: list[Call] = []
        # Telegram's default group privacy mode (see privacy_mode_delivers): on unless a test says why not.
        self.privacy_mode = privacy_mode
        self.withheld: list[dict[str, Any]] = []  # updates Telegram would not have delivered to the bot
        self.failures: list[Failure] = []
        self.forbidden: set[int] = set()
        self.migrated: dict[int, int] = {}
        self.admins: dict[int, list[int]] = {}
        self.chat_types: dict[int, str] = {}
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._next_message_id: dict[int, int] = {}
        self.delay = 0.0
        self.updates: list[dict[str, Any]] = []
        # Telegram's flood limits, enforced like Telegram does (429) when set.
        self.enforce: Any = None
        self.violations = 0
        self.violation_log: list[tuple[str, int, float]] = []
        self._recent_global: deque[float] = deque()
        self._chat_last: dict[int, float] = {}
        self._group_recent: dict[int, deque[float]] = {}

    def delivers(self, update: Mapping[str, Any]) -> bool:
        """Whether Telegram would deliver this update to the bot; a withheld one is kept in self.withheld."""
        if not self.privacy_mode:
            return True
        key = next((k for k in _MESSAGE_KEYS if k in update), None)
        chat_id = (update[key].get("chat") or {}).get("id") if key else None
        admin = chat_id is not None and BOT_ID in self.admins.get(int(chat_id), [])
        if privacy_mode_delivers(update, bot_is_admin=admin):
            return True
        self.withheld.append(dict(update))
        return False

    # -- BaseRequest --------------------------------------------------------------
    @property
    def read_timeout(self) -> float | None:
        """Default read timeout."""
        return 5.0

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: float | None = None,
        write_timeout: float | None = None,
        connect_timeout: float | None = None,
        pool_timeout: float | None = None,
    ) -> tuple[int, bytes]:
        """Answer one Bot API call."""
        api_method = url.rsplit("/", 1)[-1]
        params: dict[str, Any] = dict(request_data.parameters) if request_data else {}
        files: dict[str, bytes] = {}
        if request_data is not None and request_data.contains_files:
            for name, value in (request_data.multipart_data or {}).items():
                if isinstance(value, tuple) and len(value) >= 2 and isinstance(value[1], bytes):
                    files[name] = value[1]
        if self.delay:
            await asyncio.sleep(self.delay)
        return self.respond(Call(api_method, params, files, time.monotonic()))

    def respond(self, call: Call) -> tuple[int, bytes]:
        """Record one decoded call and answer it (shared with the HTTP fake in tests/fakeserver.py)."""
        api_method = call.method
        if self.enforce is not None and api_method in _SENDS and call.chat_id is not None:
            if self._over_limit(call.chat_id, call.at):
                self.violations += 1
                self.calls.append(call)
                return self._error(Failure(api_method, call.chat_id, "429", 1, retry_after=1))
            self._count_send(call.chat_id, call.at)
        failure = self._failure_for(call)
        if failure is not None:
            self.calls.append(call)
            return self._error(failure)
        self.calls.append(call)
        result = self._result(call)
        if isinstance(result, tuple):
            return result
        call.result = result
        return 200, json.dumps({"ok": True, "result": result}).encode()

    def _over_limit(self, chat_id: int, now: float) -> bool:
        limits = self.enforce
        slack = 0.9  # requests arrive with a little jitter; Telegram is not exact either
        window = limits.global_window * slack
        while self._recent_global and now - self._recent_global[0] >= window:
            self._recent_global.popleft()
        if len(self._recent_global) >= limits.global_per_window:
            self.violation_log.append(("global", chat_id, len(self._recent_global)))
            return True
        last = self._chat_last.get(chat_id)
        if last is not None and now - last < limits.per_chat_interval * slack:
            self.violation_log.append(("chat", chat_id, now - last))
            return True
        if chat_id < 0:
            group = self._group_recent.setdefault(chat_id, deque())
            while group and now - group[0] >= limits.group_window * slack:
                group.popleft()
            if len(group) >= limits.group_per_window:
                self.violation_log.append(("group", chat_id, len(group)))
                return True
        return False

    def _count_send(self, chat_id: int, now: float) -> None:
        self._recent_global.append(now)
        self._chat_last[chat_id] = now
        if chat_id < 0:
            self._group_recent.setdefault(chat_id, deque()).append(now)

    # -- error injection ----------------------------------------------------------
    def fail(
        self,
        kind: str,
        *,
        method: str | None = None,
        chat_id: int | None = None,
        times: int = 1,
        retry_after: int = 1,
        new_chat_id: int = 0,
        description: str = "",
    ) -> None:
        """Answer the next matching call(s) with an error (description: Telegram's text, for 400 and 403)."""
        self.failures.append(Failure(method, chat_id, kind, times, retry_after, new_chat_id, description))

    def _failure_for(self, call: Call) -> Failure | None:
        chat_id = call.chat_id
        if chat_id is not None and chat_id in self.forbidden:
            return Failure(call.method, chat_id, "403", 1)
        if chat_id is not None and chat_id in self.migrated:
            return Failure(call.method, chat_id, "migrate", 1, new_chat_id=self.migrated[chat_id])
        for failure in self.failures:
            if failure.times <= 0:
                continue
            if failure.method not in (None, call.method):
                continue
            if failure.chat_id not in (None, chat_id):
                continue
            failure.times -= 1
            return failure
        return None

    @staticmethod
    def _error(failure: Failure) -> tuple[int, bytes]:
        if failure.kind == "timeout":
            raise TimedOut("fake timeout")
        body: dict[str, Any]
        if failure.kind == "429":
            body = {
                "ok": False,
                "error_code": 429,
                "description": f"Too Many Requests: retry after {failure.retry_after}",
                "parameters": {"retry_after": failure.retry_after},
            }
            return 429, json.dumps(body).encode()
        if failure.kind == "403":
            text = failure.description or "Forbidden: bot was kicked from the group chat"
            body = {"ok": False, "error_code": 403, "description": text}
            return 403, json.dumps(body).encode()
        if failure.kind == "500":
            body = {"ok": False, "error_code": 500, "description": "Internal Server Error"}
            return 500, json.dumps(body).encode()
        if failure.kind == "migrate":
            body = {
                "ok": False,
                "error_code": 400,
                "description": "Bad Request: group chat was upgraded to a supergroup chat",
                "parameters": {"migrate_to_chat_id": failure.new_chat_id},
            }
            return 400, json.dumps(body).encode()
        if failure.kind == "too_long":
            body = {"ok": False, "error_code": 400, "description": "Bad Request: message is too long"}
            return 400, json.dumps(body).encode()
        body = {"ok": False, "error_code": 400, "description": failure.description or "Bad Request: fake"}
        return 400, json.dumps(body).encode()

    # -- results ------------------------------------------------------------------
    def chat_json(self, chat_id: int) -> dict[str, Any]:
        """A Chat object for an id; negative ids are groups, -100… supergroups."""
        kind = self.chat_types.get(chat_id)
        if kind is None:
            kind = "private" if chat_id > 0 else ("supergroup" if chat_id < -1_000_000_000_000 else "group")
        chat: dict[str, Any] = {"id": chat_id, "type": kind}
        if kind == "private":
            chat["first_name"] = f"User{chat_id}"
        else:
            chat["title"] = f"Group {chat_id}"
        return chat

    def _message(self, call: Call, chat_id: int) -> dict[str, Any]:
        message_id = self._next_message_id.get(chat_id, 1000) + 1
        self._next_message_id[chat_id] = message_id
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(datetime.now(UTC).timestamp()),
            "chat": self.chat_json(chat_id),
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Courtyard", "username": BOT_USERNAME},
        }
        if "text" in call.params:
            message["text"] = call.params["text"]
        if "caption" in call.params:
            message["caption"] = call.params["caption"]
        if call.method == "sendPhoto":
            message["photo"] = [
                {"file_id": f"photo{message_id}", "file_unique_id": f"u{message_id}", "width": 800, "height": 600}
            ]
        if call.method == "sendDocument":
            message["document"] = {"file_id": f"doc{message_id}", "file_unique_id": f"d{message_id}"}
        if "reply_markup" in call.params:
            markup = call.params["reply_markup"]
            markup = json.loads(markup) if isinstance(markup, str) else markup
            if "inline_keyboard" in markup:  # Telegram echoes only inline keyboards (not ForceReply)
                message["reply_markup"] = markup
        self.messages[(chat_id, message_id)] = message
        return message

    def _result(self, call: Call) -> Any:
        method = call.method
        chat_id = call.chat_id
        if method == "getMe":
            return {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "Courtyard",
                "username": BOT_USERNAME,
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        if method in ("sendMessage", "sendPhoto", "sendDocument") and chat_id is not None:
            if method == "sendMessage" and len(call.params.get("text", "")) > 4096:
                return self._error(Failure(method, chat_id, "too_long", 1))
            return self._message(call, chat_id)
        if method in ("editMessageText", "editMessageReplyMarkup", "editMessageCaption") and chat_id is not None:
            key = (chat_id, int(call.params["message_id"]))
            stored = self.messages.get(key)
            if stored is None:
                return 400, json.dumps(
                    {"ok": False, "error_code": 400, "description": "Bad Request: message to edit not found"}
                ).encode()
            new_text = call.params.get("text", stored.get("text"))
            new_markup = call.params.get("reply_markup")
            if isinstance(new_markup, str):
                new_markup = json.loads(new_markup)
            if new_text == stored.get("text") and new_markup == stored.get("reply_markup"):
                return 400, json.dumps(
                    {"ok": False, "error_code": 400, "description": "Bad Request: message is not modified"}
                ).encode()
            stored["text"] = new_text
            if new_markup is not None or method == "editMessageText":
                stored["reply_markup"] = new_markup
            return dict(stored)
        if method == "getChatAdministrators" and chat_id is not None:
            return [
                {
                    "status": "administrator",
                    "user": {"id": uid, "is_bot": False, "first_name": f"Admin{uid}"},
                    "can_be_edited": False,
                    "is_anonymous": False,
                    "can_manage_chat": True,
                    "can_delete_messages": True,
                    "can_manage_video_chats": True,
                    "can_restrict_members": True,
                    "can_promote_members": False,
                    "can_change_info": True,
                    "can_invite_users": True,
                    "can_post_stories": False,
                    "can_edit_stories": False,
                    "can_delete_stories": False,
                }
                for uid in self.admins.get(chat_id, [])
            ]
        if method == "getChatMemberCount":
            return 50
        if method == "getChat" and chat_id is not None:
            chat = self.chat_json(chat_id)
            chat["accent_color_id"] = 0
            chat["max_reaction_count"] = 11
            chat["accepted_gift_types"] = {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
            }
            return chat
        if method == "getUpdates":
            batch, self.updates = self.updates, []
            return batch
        # answerCallbackQuery, setMyCommands, deleteMessage, pinChatMessage, deleteWebhook, …
        return True

    # -- queries for assertions ----------------------------------------------------
    def of(self, method: str, chat_id: int | None = None) -> list[Call]:
        """Calls of one method (optionally to one chat)."""
        return [c for c in self.calls if c.method == method and (chat_id is None or c.chat_id == chat_id)]

    def sent(self, chat_id: int | None = None) -> list[Call]:
        """sendMessage calls."""
        return self.of("sendMessage", chat_id)

    def last_text(self, chat_id: int | None = None) -> str:
        """The text of the last message sent (to a chat)."""
        sent = self.sent(chat_id)
        assert sent, "the bot sent no message"
        return sent[-1].text

    def answers(self) -> list[Call]:
        """answerCallbackQuery calls."""
        return self.of("answerCallbackQuery")

    def clear(self) -> None:
        """Forget recorded calls (not state)."""
        self.calls.clear()


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 11, 29, 2, 0, tzinfo=UTC)

    def now(self) -> datetime:
        """Return the fake now."""
        return self.current

    def advance(self, delta: timedelta) -> None:
        """Move time forward."""
        self.current += delta
