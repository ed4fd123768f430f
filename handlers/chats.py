"""The bot joining or leaving chats, and groups becoming supergroups."""

from __future__ import annotations

import logging

from telegram import ChatMemberUpdated, Update, User
from telegram.constants import ChatMemberStatus, ChatType
from telegram.ext import Application, ChatMemberHandler, MessageHandler, filters

from bot.context import BotContext
from handlers.common import chat_translator, display_name

log = logging.getLogger(__name__)

_PRESENT = {ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER}


def _became_present(change: ChatMemberUpdated) -> tuple[bool, bool]:
    was = change.old_chat_member.status in _PRESENT
    now = change.new_chat_member.status in _PRESENT
    return was, now


async def track_bot_membership(update: Update, context: BotContext) -> None:
    """Record the bot being added to or removed from a chat; greet a new group."""
    change = update.my_chat_member
    if change is None:
        return
    chat = change.chat
    deps = context.deps
    was, now = _became_present(change)
    person = change.from_user
    if chat.type == ChatType.PRIVATE:
        # Recorded first: seeing a person in their private chat marks it open, and the next line
        # says whether it still is. A person blocked (or unblocked) the bot: notices must go elsewhere.
        await _record_person(context, person, chat.id)
        await deps.services.people.set_private_reachable(chat.id, now)
        return
    await deps.services.community.bot_membership_changed(chat.id, chat.type, chat.title or "", now)
    # Only now: the person's member row needs the chat's row, which a brand-new group just got.
    await _record_person(context, person, chat.id)
    deps.admins.drop(chat.id)
    if now and not was:
        t = await chat_translator(context, chat)
        await context.bot.send_message(
            chat.id,
            t._(
                "Hello everyone! I am the courtyard bot of {community}. A social worker can bind this group "
                "to its courtyard with /bind 院落名. Everyone can type /menu to start.",
                community=deps.config.community.name,
            ),
        )


async def _record_person(context: BotContext, person: User, chat_id: int) -> None:
    if not person.is_bot:
        await context.deps.services.people.touch(person.id, display_name(person), person.language_code, chat_id)


async def follow_migration(update: Update, context: BotContext) -> None:
    """Move a group's data to its new supergroup id (all in one transaction)."""
    message = update.effective_message
    if message is None:
        return
    if message.migrate_to_chat_id:
        old_id, new_id = message.chat.id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id:
        old_id, new_id = message.migrate_from_chat_id, message.chat.id
    else:
        return
    moved = await context.deps.services.community.migrate_chat(old_id, new_id)
    context.deps.admins.drop(old_id)
    if moved:
        log.info("chat migrated to a supergroup; data moved")


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Add this module's handlers."""
    app.add_handler(ChatMemberHandler(track_bot_membership, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, follow_migration))
