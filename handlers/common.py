"""Helpers every handler module shares: actor, translator, replies, errors, command filters."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from datetime import timedelta
from typing import Any, NamedTuple, TypeVar

from telegram import CallbackQuery, Chat, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Message, Update, User
from telegram.constants import ChatType
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, CommandHandler, filters

from bot.context import BotContext
from bot.html_text import to_plain, truncate_html
from bot.i18n import Translator, resolve_locale
from bot.reply_limiter import retry_seconds as retry_seconds  # features read it here
from bot.services.actor import Actor
from bot.services.errors import DomainError, InvalidInput, NotFound, PermissionDenied, WrongChat
from bot.timeparse import Asked, Refusal, TimeRefusal

T = TypeVar("T")
log = logging.getLogger(__name__)

ANONYMOUS_ADMIN_ID = 1087968824
MAX_TEXT = 4096

Callback = Callable[[Update, BotContext], Coroutine[Any, Any, None]]


ErrorText = Callable[[Translator, DomainError], str]


def command(
    name: str | list[str], callback: Callback, *, private_only: bool = False, errors: ErrorText | None = None
) -> CommandHandler[Any, None]:
    """A CommandHandler that ignores edited messages (an edited /join must not join twice).

    With errors, a DomainError (or a refused time) the command raises is answered with the feature's text.
    """
    flt: filters.BaseFilter = filters.UpdateType.MESSAGE
    if private_only:
        flt = flt & filters.ChatType.PRIVATE
    return CommandHandler(name, callback if errors is None else answering(callback, errors), filters=flt)


def commands(
    app: Application[Any, Any, Any, Any, Any, Any], *, errors: ErrorText | None = None, **named: Callback
) -> None:
    """Add a feature's commands (keyword = command name), each answering refusals with the feature's errors."""
    for name, callback in named.items():
        app.add_handler(command(name, callback, errors=errors or error_text))


def answering(callback: Callback, errors: ErrorText) -> Callback:
    """The commands' one prologue: what the service refused is said politely, and nothing changed."""

    async def run(update: Update, context: BotContext) -> None:
        try:
            await callback(update, context)
        except (DomainError, TimeRefusal) as exc:
            t = await tr(update, context)
            await reply(update, time_error_text(t, exc) if isinstance(exc, TimeRefusal) else errors(t, exc))

    return run


def display_name(user: User) -> str:
    """The person's display name as Telegram shows it (no username, no phone)."""
    return user.full_name.strip() or str(user.id)


def replied_person(message: Message | None) -> User | None:
    """The person whose message this one replies to: not a bot, and not a forum topic's root."""
    replied = message.reply_to_message if message is not None else None
    if replied is None or replied.forum_topic_created is not None:
        return None
    # In a forum every message of a topic carries the topic's root as its reply, even when the
    # person replied to nobody; only a reply to another message of the topic names someone.
    if message is not None and message.is_topic_message and replied.message_id == message.message_thread_id:
        return None
    person = replied.from_user
    return person if person is not None and not person.is_bot else None


async def chat_admins(context: BotContext, chat_id: int) -> frozenset[int]:
    """Telegram admins of a group, cached for a few minutes."""
    cache = context.bot_data.admins
    cached = cache.get(chat_id)
    if cached is not None:
        return cached
    try:
        members = await context.bot.get_chat_administrators(chat_id)
        admins = frozenset(m.user.id for m in members)
    except TelegramError as exc:
        # Not cached: a flood wait or a network error must not make the admins residents for minutes.
        log.warning("getChatAdministrators failed for a chat: %s", type(exc).__name__)
        return frozenset()
    cache.put(chat_id, admins)
    return admins


async def actor_for(update: Update, context: BotContext) -> Actor:
    """Build the Actor for the person behind this update."""
    deps = context.deps
    user = update.effective_user
    chat = update.effective_chat
    if user is None or chat is None:
        raise WrongChat("group")
    row = await deps.services.community.chat(chat.id)
    is_admin = False
    if chat.type in (ChatType.GROUP, ChatType.SUPERGROUP):
        message = update.effective_message
        # Anonymous admins post as the group itself (user 1087968824, sender_chat = chat).
        if message is not None and message.sender_chat is not None and message.sender_chat.id == chat.id:
            is_admin = True
        elif user.id != ANONYMOUS_ADMIN_ID:
            is_admin = user.id in await chat_admins(context, chat.id)
    return await deps.services.people.actor(user.id, display_name(user), row, chat.id, chat.type, is_admin)


async def chat_translator(context: BotContext, chat: Chat | None, user: User | None = None) -> Translator:
    """Translator for messages shown in a chat: the group's language, or the person's in private."""
    deps = context.deps
    default = deps.config.community.default_locale
    tz = deps.config.community.timezone
    if chat is not None and chat.type != ChatType.PRIVATE:
        row = await deps.services.community.chat(chat.id)
        return deps.catalogs.translator(row.locale if row and row.locale else default, tz)
    user_id = user.id if user else (chat.id if chat else None)
    return await user_translator(context, user_id, user.language_code if user else None)


async def chat_translator_for_id(context: BotContext, chat_id: int) -> Translator:
    """Translator for a chat known only by id (scheduled and background messages)."""
    deps = context.deps
    if chat_id > 0:
        return await user_translator(context, chat_id)
    row = await deps.services.community.chat(chat_id)
    locale = row.locale if row and row.locale else deps.config.community.default_locale
    return deps.catalogs.translator(locale, deps.config.community.timezone)


async def user_translator(context: BotContext, user_id: int | None, language_code: str | None = None) -> Translator:
    """Translator for a private message to one person."""
    deps = context.deps
    default = deps.config.community.default_locale
    locale = None
    if user_id is not None:
        row = await deps.services.people.user(user_id)
        if row is not None:
            locale = row.locale or resolve_locale(row.language_code or language_code, default)
    if locale is None:
        locale = resolve_locale(language_code, default)
    return deps.catalogs.translator(locale, deps.config.community.timezone)


async def tr(update: Update, context: BotContext) -> Translator:
    """Translator for replying to this update where it happened."""
    return await chat_translator(context, update.effective_chat, update.effective_user)


def error_text(t: Translator, exc: DomainError) -> str:
    """A polite, translated sentence for a domain outcome."""
    if isinstance(exc, PermissionDenied):
        return {
            "social_worker": t._("Sorry, only social workers can do this."),
            "backbone": t._("Sorry, only backbone volunteers and social workers of this courtyard can do this."),
            "admin": t._("Sorry, only the group's admins can do this."),
            "config": t._("This social worker is listed in config.toml; remove them there."),
        }.get(exc.needed, t._("Sorry, you are not allowed to do this."))
    if isinstance(exc, WrongChat):
        return {
            "group": t._("Please use this command in a courtyard group chat."),
            "private": t._("Please use this command in a private chat with me."),
            "bound": t._("This group is not bound to a courtyard yet. A social worker can bind it with /bind 院落名."),
        }.get(exc.needed, t._("This command does not work in this chat."))
    if isinstance(exc, NotFound):
        return t._("Sorry, I could not find that. It may have been removed.")
    if isinstance(exc, InvalidInput):
        return invalid_input_text(t, exc)
    return t._("Sorry, that did not work.")


def invalid_input_text(t: Translator, exc: InvalidInput) -> str:
    """Translate the foundation's invalid-input reasons; features map their own first."""
    limit = exc.details.get("limit", "")
    return {
        "empty_name": t._("Please add a name after the command."),
        "name_too_long": t._("That name is too long: at most {limit} characters, please.", limit=limit),
        "bad_characters": t._("That name has characters I cannot use. Please type it again."),
        "not_bound": t._("This group is not bound to any courtyard."),
        "unknown_role": t._("I know these roles: 骨干 (backbone) and 社工 (social worker)."),
        "unknown_person": t._("I have not seen that person yet. Ask them to send a message in the group first."),
    }.get(exc.reason, t._("Sorry, I did not understand that. Please check and try again."))


async def reply(update: Update, text: str, **kwargs: Any) -> Message | None:
    """Reply in the chat of the update (no quoting needed in private)."""
    message = update.effective_message
    if message is None:
        return None
    return await message.reply_text(truncate_html(text, MAX_TEXT), **kwargs)


async def edit(query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Edit the message a button sits on; a double tap's "message is not modified" is not an error."""
    try:
        await query.edit_message_text(truncate_html(text, MAX_TEXT), reply_markup=markup)
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():
            raise


_ANSWERED: OrderedDict[str, None] = OrderedDict()  # recent presses already answered (Telegram takes one answer)


def was_answered(query: CallbackQuery) -> bool:
    """True when this press was answered already (a second answer would be refused by Telegram)."""
    return query.id in _ANSWERED


async def answer(query: CallbackQuery, text: str = "", *, alert: bool = False) -> None:
    """Answer a button press at once; Telegram allows 200 characters."""
    _ANSWERED[query.id] = None
    while len(_ANSWERED) > 10_000:
        _ANSWERED.popitem(last=False)
    # The popup shows plain text: translated messages are HTML with escaped values ("花&amp;草").
    text = to_plain(text)[:200]
    try:
        await query.answer(text or None, show_alert=alert)
    except TelegramError as exc:
        # A late answer ("query is too old") must not undo work already committed.
        log.info("answerCallbackQuery failed: %s", type(exc).__name__)


class Press(NamedTuple):
    """A button press with valid data: what was pressed, its query, and the translator for the answer."""

    action: str
    args: tuple[int, ...]
    query: CallbackQuery
    t: Translator


def time_error_text(t: Translator, exc: TimeRefusal) -> str:
    """The one wording of a refused typed time, in every feature: what went wrong, then an example that works."""
    what = exc.fragment
    limit = exc.limit or timedelta(0)
    if not what:
        # Refusals found after the reading (an echoed time that has passed while the draft waited).
        reason = {
            Refusal.PAST: t._("That time has already passed. Please choose a time that is still to come."),
        }.get(exc.reason, t._("Please tell me when."))
    else:
        reason = {
            Refusal.NOT_UNDERSTOOD: t._(
                "I did not understand the time “{what}”. Please write it another way.", what=what
            ),
            Refusal.NO_SUCH_DATE: t._(
                "There is no such date or time as “{what}”. Please check the month, the day and the hour.", what=what
            ),
            Refusal.HOUR_MISSING: t._("What time on “{what}”? Please add the hour, e.g. 下午3点.", what=what),
            Refusal.PAST: t._("“{what}” has already passed. Please choose a time that is still to come.", what=what),
            Refusal.TOO_SOON: t._(
                "“{what}” is too soon. Please choose a time at least {minutes} minutes from now.",
                what=what,
                minutes=int(limit.total_seconds() // 60),
            ),
            Refusal.TOO_FAR: t._(
                "“{what}” is too far ahead. Please choose a time within {days} days.", what=what, days=limit.days
            ),
            Refusal.RECURRING: t._("“{what}” repeats, but one time is needed here, e.g. 本周三晚上7点.", what=what),
            Refusal.CALENDAR_UNKNOWN: t._(
                "The official holiday arrangement for “{what}” is not published yet, so I cannot tell the working"
                " days. Please give the date instead, e.g. 1月4日上午9点.",
                what=what,
            ),
        }.get(exc.reason, t._("Please tell me when."))
    example = {
        Asked.DAY: t._("For example: 明天, 下周六, 12月5日, 2026-12-05."),
        Asked.REPEAT: t._("For example: 明天下午3点, 周六上午10点, 12月5日 19:30, 每周三晚上7点."),
    }.get(exc.asked, t._("For example: 明天下午3点, 周六上午10点, 12月5日 19:30."))
    return f"{reason}\n{example}"


async def send_files_privately(
    update: Update,
    context: BotContext,
    t: Translator,
    actor: Actor,
    files: Iterable[tuple[str, bytes]],
    caption: str,
    start: str = "",
) -> bool:
    """Send files to the actor's private chat; if Telegram refuses, offer the open-a-chat button and return False."""
    try:
        for name, content in files:
            await context.bot.send_document(actor.user_id, InputFile(content, filename=name), caption=caption)
    except TelegramError as exc:
        log.info("private files not delivered: %s", type(exc).__name__)
        await offer_private_chat(update, context, t, actor, start)
        return False
    return True


async def offer_private_chat(update: Update, context: BotContext, t: Translator, actor: Actor, start: str = "") -> None:
    """Tell the actor to open a private chat first, with a button that opens it (and /start <start>)."""
    url = f"https://t.me/{context.bot.username}" + (f"?start={start}" if start else "")
    text = t._(
        "{name}, I cannot send you files privately yet. Please press the button below, then “Start”, and try again.",
        name=actor.display_name,
    )
    button = InlineKeyboardButton(t._("💬 Open a private chat with me"), url=url)
    await reply(update, text, reply_markup=InlineKeyboardMarkup([[button]]))


async def unless_gone(lookup: Awaitable[T]) -> T | None:
    """The looked-up object, or None when it was deleted meanwhile (a renderer then draws nothing)."""
    try:
        return await lookup
    except NotFound:
        return None


def command_args(update: Update) -> str:
    """The text after the command (and after @botname), stripped."""
    message = update.effective_message
    text = (message.text or message.caption or "") if message else ""
    parts = text.split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""
