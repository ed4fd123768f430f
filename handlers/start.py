"""/start, /help, /menu, /privacy, /forget, /cancel and /me."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.ext import Application

from bot import callback_data as cb
from bot.context import BotContext
from bot.i18n import Translator
from bot.services.errors import WrongChat
from handlers.buttons import buttons
from handlers.common import Press, answer, commands, edit, error_text, reply, tr
from handlers.live import live


def render_help(t: Translator, community: str) -> str:
    """The /start and /help text for residents, backbone and social workers."""
    return "\n".join(
        [
            t._("<b>Courtyard Bot · {community}</b>", community=community),
            t._("I help neighbours of our old courtyards discuss and decide things together."),
            "",
            t._("<b>Residents</b>"),
            t._("/menu – big buttons for everything below"),
            t._("/propose 主题 – propose a theme for the courtyard; /themes – support others' with 👍"),
            t._("/polls – open polls: vote with the buttons"),
            t._("/teams – this courtyard's teams; /join, /leave, /roster; /myteams – your teams"),
            t._("/meetings – upcoming meetings (press 参加 / 待定 / 不参加); /checkin 签到码 – check in"),
            t._("/remind 周六上午9点 带上扫帚 – a reminder for yourself (in private); /reminders – list and cancel"),
            t._("/me – your teams, meetings, roles and language"),
            t._("/lang – choose Chinese or English"),
            t._("/privacy – what I store about you; /forget – erase it"),
            "",
            t._("<b>Backbone volunteers and team captains</b>"),
            t._("Group admins of a courtyard chat count as backbone there."),
            t._("/vote 问题 | 选项一 | 选项二 – start a poll (or /vote alone: from proposals)"),
            t._("/answer 编号 – answer a proposal (采纳 / 不采纳 / 研究中); /outcome 编号 – record a poll's outcome"),
            t._("/newteam 队名 [名额] – start a sign-up; /captain, /teamsettings, /callteam"),
            t._("/meeting 坝坝会 明天下午3点 院坝 主题 – announce a meeting; /newmeeting – step by step in private"),
            t._("/minutes and /task – record decisions and tasks after a meeting"),
            t._("/remind 时间 内容 – a reminder for the whole group"),
            t._("/stats – how broadly and deeply this courtyard takes part (in its group)"),
            "",
            t._("<b>Social workers</b>"),
            t._("/bind 院落名 – bind this group to a courtyard; /unbind; /courtyards – all courtyards"),
            t._("/grant and /revoke – reply to someone's message to make them backbone (or /grant 社工)"),
            t._("/broadcast 通知 – send a notice to all or chosen courtyard groups, with a delivery report"),
            t._("/exportroster – team rosters as Excel"),
            t._("/stats – participation breadth and depth with charts; /exportstats – the Excel workbook for reports"),
            "",
            t._("Type /cancel at any time to stop what you are doing."),
        ]
    )


def menu_keyboard(t: Translator) -> InlineKeyboardMarkup:
    """Big buttons, two per row, for the main actions."""
    entries = [
        ("teams", t._("👥 Teams")),
        ("themes", t._("💡 Themes")),
        ("polls", t._("🗳 Polls")),
        ("meetings", t._("📅 Meetings")),
        ("feedback", t._("📮 Feedback")),
        ("me", t._("🙋 About me")),
        ("privacy", t._("🔒 Privacy")),
        ("help", t._("❓ Help")),
    ]
    rows = [
        [InlineKeyboardButton(label, callback_data=cb.MENU.build(action)) for action, label in entries[i : i + 2]]
        for i in range(0, len(entries), 2)
    ]
    return InlineKeyboardMarkup(rows)


def render_privacy(t: Translator) -> str:
    """What is stored, why and for how long."""
    return "\n".join(
        [
            t._("<b>What I store</b>"),
            t._("• Your Telegram id and display name, and which courtyard groups you took part in."),
            t._("• What you do with me: teams you join, proposals, votes, replies to meetings, feedback."),
            t._("• Your language choice."),
            t._("I never store phone numbers or addresses."),
            "",
            t._("<b>Why</b>"),
            t._(
                "So that teams, polls and meetings work, and so that social workers can see how broadly "
                "residents take part (as counts in reports)."
            ),
            "",
            t._("<b>How long</b>"),
            t._(
                "Until you erase it. /forget erases everything about you at once; "
                "results of polls that are already closed keep only anonymous counts."
            ),
            t._(
                "Messages in the groups stay there: what you and others wrote in a group, and what others "
                "said about you, are in the group's history, not in my records. Delete your own messages "
                "in the group, or ask the group's admin."
            ),
        ]
    )


async def show_start(update: Update, context: BotContext) -> None:
    """Greet the person; a deep-link payload is handed to the feature that made it."""
    payload = context.args[0] if context.args else ""
    handler = context.bot_data.ext.start_payloads.get(payload.split("_", 1)[0]) if payload else None
    if handler is not None:
        await handler(update, context, payload)
        return
    t = await tr(update, context)
    await reply(update, render_help(t, context.deps.config.community.name), reply_markup=menu_keyboard(t))


async def show_help(update: Update, context: BotContext) -> None:
    """Explain what the bot does."""
    t = await tr(update, context)
    await reply(update, render_help(t, context.deps.config.community.name))


async def show_menu(update: Update, context: BotContext) -> None:
    """Show the big-button menu."""
    t = await tr(update, context)
    await reply(update, t._("What would you like to do?"), reply_markup=menu_keyboard(t))


async def show_privacy(update: Update, context: BotContext) -> None:
    """Explain what is stored."""
    t = await tr(update, context)
    await reply(update, render_privacy(t))


async def show_me(update: Update, context: BotContext) -> None:
    """Show the person's roles and language (features add their sections)."""
    t = await tr(update, context)
    user = update.effective_user
    assert user is not None
    deps = context.deps
    actor = await deps.services.people.actor(user.id, user.full_name, None, user.id, ChatType.PRIVATE, False)
    lines = [t._("<b>{name}</b>", name=user.full_name)]
    if actor.is_social_worker:
        lines.append(t._("Role: social worker"))
    names = []
    for courtyard_id in sorted(actor.backbone_courtyards):
        yard = await deps.services.community.courtyard(courtyard_id)
        if yard is not None:
            names.append(yard.name)
    if names:
        lines.append(t._("Backbone in: {yards}", yards=t.join(names)))
    lines.append(t._("Language: {language}", language=t._("Chinese") if t.locale == "zh_CN" else t._("English")))
    for section in context.bot_data.ext.me_sections:
        extra = await section(update, context, t)
        if extra:
            lines.extend(["", extra])
    await reply(update, "\n".join(lines))


async def ask_forget(update: Update, context: BotContext) -> None:
    """Ask for confirmation (in private only, so nobody presses it for someone else)."""
    t = await tr(update, context)
    chat = update.effective_chat
    if chat is None or chat.type != ChatType.PRIVATE:
        await reply(update, error_text(t, WrongChat("private")))
        return
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(t._("Yes, erase my data"), callback_data=cb.FORGET.build("yes"))],
            [InlineKeyboardButton(t._("No, keep it"), callback_data=cb.FORGET.build("no"))],
        ]
    )
    await reply(
        update,
        t._(
            "This erases everything I store about you: teams, proposals, votes, replies and feedback. "
            "It cannot be undone. Continue?"
        ),
        reply_markup=keyboard,
    )


async def forget_pressed(update: Update, context: BotContext, press: Press) -> None:
    """Erase the data of the person who pressed (only ever their own)."""
    query, t = press.query, press.t
    if query.message is None or query.message.chat.type != ChatType.PRIVATE:
        await answer(query, t._("This button is no longer valid."))
        return
    deps = context.deps
    user_id = query.from_user.id
    # Read before the erasure: afterwards nothing says which rosters and tallies showed the person.
    showing = await live(context).showing(context, user_id)
    await deps.services.privacy.forget(user_id)
    deps.services.people.forget_cached(user_id)
    await answer(query)
    await live(context).redraw(context, showing)
    await edit(query, t._("Done. Everything I stored about you has been erased."))


async def keep_pressed(update: Update, context: BotContext, press: Press) -> None:
    """No, keep my data."""
    await answer(press.query)
    await edit(press.query, press.t._("Nothing was erased."))


# The menu's own screens; features add theirs to ext.menu_actions.
SCREENS: dict[str, Callable[[Update, BotContext], Awaitable[None]]] = {
    "help": show_help,
    "privacy": show_privacy,
    "me": show_me,
}


async def press_menu(update: Update, context: BotContext, press: Press) -> None:
    """A menu button opens its screen."""
    target = context.bot_data.ext.menu_actions.get(press.action) or SCREENS.get(press.action)
    if target is None:
        await answer(press.query, press.t._("Coming soon: this part of the bot is still being built."), alert=True)
        return
    await answer(press.query)
    await target(update, context)


async def cancel(update: Update, context: BotContext) -> None:
    """Stop any multi-step conversation in this chat."""
    t = await tr(update, context)
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    await context.deps.services.people.end_dialog(user.id, chat.id)
    await reply(update, t._("OK, stopped."))


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Add this module's handlers."""
    commands(
        app,
        start=show_start,
        help=show_help,
        menu=show_menu,
        privacy=show_privacy,
        me=show_me,
        forget=ask_forget,
        cancel=cancel,
    )
    buttons(app, cb.FORGET, yes=forget_pressed, no=keep_pressed)
    buttons(app, cb.MENU, press_menu)
