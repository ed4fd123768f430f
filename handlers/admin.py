"""Courtyard binding, roles and language: /bind /unbind /courtyards /grant /revoke /lang."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.ext import Application

from bot import callback_data as cb
from bot.context import BotContext
from bot.i18n import Translator
from bot.services.community import BindResult, CourtyardListing
from bot.services.errors import DomainError, WrongChat
from handlers.buttons import buttons
from handlers.common import (
    Press,
    actor_for,
    answer,
    command_args,
    commands,
    edit,
    error_text,
    replied_person,
    reply,
    tr,
)
from storage.rows import Chat


def render_bind(t: Translator, result: BindResult) -> str:
    """Confirmation after /bind."""
    if result.courtyard is None:
        return t._("This group is now the community-wide chat. Notices for all courtyards will come here too.")
    if result.created:
        return t._("New courtyard <b>{name}</b> created, and this group is now its chat.", name=result.courtyard.name)
    return t._("This group is now the chat of courtyard <b>{name}</b>.", name=result.courtyard.name)


def render_courtyards(t: Translator, community: str, yards: list[CourtyardListing], wide: list[Chat]) -> str:
    """The /courtyards listing."""
    if not yards and not wide:
        return t._("No courtyards yet. In a courtyard's group chat, a social worker types /bind 院落名.")
    lines = [t._("<b>Courtyards of {community}</b>", community=community)]
    for number, item in enumerate(yards, start=1):
        chats = t.join([c.title or str(c.chat_id) for c in item.chats]) if item.chats else t._("no group yet")
        lines.append(t._("{n}. {name} — {chats}", n=number, name=item.courtyard.name, chats=chats))
    if wide:
        lines.append(t._("Community-wide: {chats}", chats=t.join([c.title or str(c.chat_id) for c in wide])))
    return "\n".join(lines)


async def bind(update: Update, context: BotContext) -> None:
    """Bind this group to a courtyard; with no name, offer buttons."""
    t = await tr(update, context)
    services = context.deps.services
    name = command_args(update)
    actor = await actor_for(update, context)
    if not name:
        actor.require_social_worker()
        if not actor.in_group:
            raise WrongChat("group")
        yards, _ = await services.community.listing()
        rows = [
            [InlineKeyboardButton(item.courtyard.name, callback_data=cb.BIND.build("yard", item.courtyard.id))]
            for item in yards[:30]
        ]
        rows.append([InlineKeyboardButton(t._("Whole community"), callback_data=cb.BIND.build("whole", 0))])
        await reply(
            update,
            t._("Which courtyard is this group for? Choose below, or type /bind 院落名 for a new one."),
            reply_markup=InlineKeyboardMarkup(rows),
        )
        return
    result = await services.community.bind(actor, name)
    await reply(update, render_bind(t, result))


async def bind_yard_pressed(update: Update, context: BotContext, press: Press) -> None:
    """Bind this group to the courtyard on the button; the permission is checked again."""
    services = context.deps.services
    yard = await services.community.courtyard(press.args[0])
    if yard is None or yard.community_id != services.community_id:
        await answer(press.query, press.t._("This button is no longer valid."))
        return
    result = await services.community.bind(await actor_for(update, context), yard.name)
    await answer(press.query)
    await edit(press.query, render_bind(press.t, result))


async def bind_whole_pressed(update: Update, context: BotContext, press: Press) -> None:
    """Bind this group as the whole community's."""
    result = await context.deps.services.community.bind(await actor_for(update, context), None)
    await answer(press.query)
    await edit(press.query, render_bind(press.t, result))


async def unbind(update: Update, context: BotContext) -> None:
    """Remove this group's binding."""
    t = await tr(update, context)
    actor = await actor_for(update, context)
    previous = await context.deps.services.community.unbind(actor)
    if previous is None:
        await reply(update, t._("This group is no longer the community-wide chat."))
    else:
        await reply(update, t._("This group is no longer bound to {name}.", name=previous.name))


async def list_courtyards(update: Update, context: BotContext) -> None:
    """List every courtyard with its chats."""
    t = await tr(update, context)
    deps = context.deps
    yards, wide = await deps.services.community.listing()
    await reply(update, render_courtyards(t, deps.config.community.name, yards, wide))


def _role_name(t: Translator, role: str) -> str:
    return t._("social worker") if role == "social_worker" else t._("backbone volunteer")


async def grant(update: Update, context: BotContext) -> None:
    """Make the person replied to backbone here (or a social worker with /grant 社工)."""
    await _change_role(update, context, granting=True)


async def revoke(update: Update, context: BotContext) -> None:
    """Take a role away from the person replied to."""
    await _change_role(update, context, granting=False)


async def _change_role(update: Update, context: BotContext, *, granting: bool) -> None:
    t = await tr(update, context)
    target = replied_person(update.effective_message)
    if target is None:
        await reply(update, t._("Please reply to a message of the person, then type the command."))
        return
    people = context.deps.services.people
    try:
        actor = await actor_for(update, context)
        if granting:
            result = await people.grant(actor, target.id, command_args(update) or None)
        else:
            result = await people.revoke(actor, target.id, command_args(update) or None)
    except DomainError as exc:
        await reply(update, error_text(t, exc))
        return
    role = _role_name(t, result.role)
    name = target.full_name
    if granting:
        text = (
            t._("{name} is now a {role}.", name=name, role=role)
            if result.changed
            else t._("{name} already is a {role}.", name=name, role=role)
        )
    else:
        text = (
            t._("{name} is no longer a {role}.", name=name, role=role)
            if result.changed
            else t._("{name} was not a {role}.", name=name, role=role)
        )
    await reply(update, text)


async def choose_language(update: Update, context: BotContext) -> None:
    """Offer the languages; in a group this sets the group's language (admins only)."""
    t = await tr(update, context)
    chat = update.effective_chat
    if chat is not None and chat.type != ChatType.PRIVATE:
        (await actor_for(update, context)).require_chat_admin()
        question = t._("Which language should I use in this group?")
    else:
        question = t._("Which language should I use with you?")
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("中文", callback_data=cb.LANG.build("zh")),
                InlineKeyboardButton("English", callback_data=cb.LANG.build("en")),
            ]
        ]
    )
    await reply(update, question, reply_markup=keyboard)


async def press_language(update: Update, context: BotContext, press: Press) -> None:
    """Apply the chosen language to the group (admins) or to the person (private)."""
    action, _, query, t = press
    if query.message is None:
        return
    locale = "zh_CN" if action == "zh" else "en"
    deps = context.deps
    chat = query.message.chat
    if chat.type == ChatType.PRIVATE:
        await deps.services.people.set_user_locale(query.from_user.id, locale)
    else:
        actor = await actor_for(update, context)
        await deps.services.community.set_chat_locale(actor, locale)
    # Say it in the language just chosen.
    t = await tr(update, context)
    await answer(query)
    await edit(
        query, t._("OK, I will speak Chinese here.") if locale == "zh_CN" else t._("OK, I will speak English here.")
    )


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Add this module's handlers."""
    commands(
        app,
        bind=bind,
        unbind=unbind,
        courtyards=list_courtyards,
        grant=grant,
        revoke=revoke,
        lang=choose_language,
    )
    buttons(app, cb.BIND, yard=bind_yard_pressed, whole=bind_whole_pressed)
    buttons(app, cb.LANG, press_language)
