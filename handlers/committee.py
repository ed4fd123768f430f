"""/committee: the review committee's roster, appointments by reply, join requests and leaving."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application

from bot import callback_data as cb
from bot.clock import from_ts
from bot.context import BotContext
from bot.i18n import Html, Translator
from bot.services.committee import COMMITTEE_DECIDED, COMMITTEE_REQUEST, Roster
from bot.services.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from handlers.buttons import buttons
from handlers.common import Press, actor_for, answer, command_args, commands, edit, replied_person, reply, tr
from handlers.common import error_text as common_error
from handlers.dispatcher import Outgoing, dispatcher
from handlers.notify import register_note
from storage.outbox import OutboxItem

POSITION_WORDS = {"主席": "chair", "副主席": "vice_chair", "评审员": "member", "移出": "remove"}


def position_name(t: Translator, position: str | None) -> str:
    """主席 / 副主席 / 评审员."""
    return {"chair": t._("chair"), "vice_chair": t._("vice chair")}.get(position or "", t._("committee member"))


def committee_error(t: Translator, exc: DomainError) -> str:
    """The committee's refusals, each saying who can do it."""
    if isinstance(exc, PermissionDenied) and exc.needed == "chair":
        return t._("This is for the committee's chair or a social worker.")
    if isinstance(exc, NotFound):
        return t._("You are not on the review committee.")
    if isinstance(exc, InvalidInput):
        text = {
            "already_member": t._("You are on the review committee already."),
            "request_pending": t._("Your request to join is waiting for the chair or a social worker."),
            "request_decided": t._("This request has been answered already."),
            "unknown_position": t._("Please reply to the person with /committee 主席, 副主席, 评审员 or 移出."),
        }.get(exc.reason)
        if text:
            return text
    return common_error(t, exc)


def _day(t: Translator, ts: int) -> str:
    return t.date(from_ts(ts))


def render_roster(t: Translator, roster: Roster) -> tuple[str, InlineKeyboardMarkup]:
    """The members by position with the day each joined, then the history of joins and leaves."""
    lines = [t._("<b>Review committee</b> ({n} people)", n=len(roster.members))]
    for i, member in enumerate(roster.members, 1):
        lines.append(
            t._(
                "{i}. {name}, {position}, since {day}",
                i=i,
                name=member.name,
                position=position_name(t, member.position),
                day=_day(t, member.joined_at),
            )
        )
    if not roster.members:
        lines.append(t._("Nobody is on the committee yet."))
    left = [e for e in roster.history if e.event == "left"]
    if left:
        lines.append(t._("Left:"))
        lines.extend(t._("{name}, left on {day}", name=e.name, day=_day(t, e.at)) for e in left[-5:])
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t._("🙋 Ask to join"), callback_data=cb.COMMITTEE.build("join", 0)),
                InlineKeyboardButton(t._("👋 Leave the committee"), callback_data=cb.COMMITTEE.build("leave", 0)),
            ]
        ]
    )
    return "\n".join(lines), markup


async def committee_command(update: Update, context: BotContext) -> None:
    """/committee: the roster; a social worker replying to a person with /committee 主席 appoints them."""
    t = await tr(update, context)
    services = context.deps.services
    word = command_args(update).strip()
    if word:
        actor = await actor_for(update, context)
        position = POSITION_WORDS.get(word)
        target = replied_person(update.effective_message)
        if position is None or target is None:
            raise InvalidInput("unknown_position")
        if position == "remove":
            await services.committee.remove(actor, target.id)
            await reply(update, t._("{name} is no longer on the review committee.", name=target.full_name))
            return
        await services.committee.appoint(actor, target.id, position)
        await reply(
            update,
            t._(
                "{name} is now {position} of the review committee.",
                name=target.full_name,
                position=position_name(t, position),
            ),
        )
        return
    text, markup = render_roster(t, await services.committee.roster())
    await reply(update, text, reply_markup=markup)


async def join_pressed(update: Update, context: BotContext, press: Press) -> None:
    """申请加入: the chair and the social workers are told privately."""
    actor = await actor_for(update, context)
    await context.deps.services.committee.request_join(actor)
    dispatcher(context).wake()
    await answer(press.query, press.t._("Your request was sent to the chair and the social workers."))


async def leave_pressed(update: Update, context: BotContext, press: Press) -> None:
    """退出评审会."""
    actor = await actor_for(update, context)
    await context.deps.services.committee.leave(actor)
    await answer(press.query, press.t._("You have left the review committee. Thank you for your work!"))


async def decide_pressed(update: Update, context: BotContext, press: Press) -> None:
    """同意 / 不同意 on a join request."""
    actor = await actor_for(update, context)
    request = await context.deps.services.committee.decide(actor, press.args[0], press.action == "ok")
    dispatcher(context).wake()
    await answer(press.query)
    text = (
        press.t._("{name} has joined the review committee.", name=request.name)
        if request.status == "approved"
        else press.t._("The request of {name} was declined.", name=request.name)
    )
    await edit(press.query, text)


async def draw_request(context: BotContext, item: OutboxItem, t: Translator, who: Html | None) -> Outgoing | None:
    """To an approver: a resident asks to join, with buttons; skipped once decided."""
    request = await context.deps.services.committee.pending_request(int(item.ref_id or 0))
    if request is None:
        return None
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t._("✅ Approve"), callback_data=cb.COMMITTEE.build("ok", request.id)),
                InlineKeyboardButton(t._("Decline"), callback_data=cb.COMMITTEE.build("no", request.id)),
            ]
        ]
    )
    return Outgoing(t._("{name} asks to join the review committee.", name=request.name), markup)


async def draw_decided(context: BotContext, item: OutboxItem, t: Translator, who: Html | None) -> Outgoing | None:
    """To the resident: the answer to their request."""
    request = await context.deps.services.committee.request(int(item.ref_id or 0))
    if request is None or who is None:
        return None
    if request.status == "approved":
        return Outgoing(t._("{who}, welcome to the review committee!", who=who))
    return Outgoing(t._("{who}, your request to join the review committee was not approved this time.", who=who))


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Add /committee, its buttons and its notes (sent again after an interrupted send)."""
    commands(app, errors=committee_error, committee=committee_command)
    buttons(
        app, cb.COMMITTEE, errors=committee_error, join=join_pressed, leave=leave_pressed, ok=decide_pressed,
        no=decide_pressed,
    )  # fmt: skip
    register_note(app, COMMITTEE_REQUEST, draw_request)
    register_note(app, COMMITTEE_DECIDED, draw_decided)
