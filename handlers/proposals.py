"""Theme proposals: /propose (with a photo), /themes with 附议 buttons, /answer with a reason."""

from __future__ import annotations

from typing import Any

from telegram import ForceReply, Message, Update
from telegram.constants import ChatType
from telegram.ext import Application, MessageHandler, filters

from bot import callback_data as cb
from bot.context import BotContext
from bot.i18n import Html, Translator
from bot.numbers import typed_number
from bot.services.errors import DomainError
from bot.services.proposals import PROPOSAL_NOTE
from handlers.buttons import buttons
from handlers.common import (
    Press,
    actor_for,
    answer,
    answering,
    chat_translator_for_id,
    command_args,
    commands,
    display_name,
    edit,
    reply,
    tr,
)
from handlers.dispatcher import Outgoing, dispatcher
from handlers.live import Rendered, live
from handlers.notify import mention, register_note
from handlers.proposals_render import (
    ANSWER_ACTIONS,
    ANSWER_WORDS,
    proposals_error,
    render_answer_menu,
    render_answered,
    render_list,
    render_mine,
    render_proposer_notice,
    render_reason_prompt,
    render_saved,
    render_similar,
    support_answer,
)
from storage.outbox import OutboxItem
from storage.proposals import Proposal

LIVE_KIND = "themes"
CONFIRM = "proposal_confirm"
PHOTO = "proposal_photo"
REASON = "proposal_answer"


def _photo_of(message: Message | None) -> str | None:
    """The largest size of a message's photo, or of the photo it replies to."""
    for candidate in (message, message.reply_to_message if message else None):
        if candidate is not None and candidate.photo:
            return candidate.photo[-1].file_id
    return None


async def propose(update: Update, context: BotContext) -> None:
    """/propose 主题 — as text, as a photo caption, or replying to a photo."""
    t = await tr(update, context)
    services = context.deps.services
    photo = _photo_of(update.effective_message)
    actor = await actor_for(update, context)
    result = await services.proposals.propose(actor, command_args(update), photo)
    if result.proposal is None:
        text, markup = render_similar(t, command_args(update), result.similar)
        state = {"title": command_args(update), "photo": photo}
        await services.people.start_dialog(actor.user_id, actor.chat_id, CONFIRM, state)
        await reply(update, text, reply_markup=markup)
        return
    await _saved(update, context, result.proposal)


async def _saved(update: Update, context: BotContext, proposal: Proposal, *, in_place: bool = False) -> None:
    """Confirm a saved proposal; without a photo, offer to add one by replying."""
    t = await tr(update, context)
    people = context.deps.services.people
    text = render_saved(t, proposal, ask_photo=proposal.photo_file_id is None)
    query = update.callback_query
    if in_place and query is not None:
        await edit(query, text)
    else:
        # In a group the photo only reaches the bot as a reply (privacy mode): ForceReply quotes this message.
        chat = update.effective_chat
        in_group = chat is not None and chat.type != ChatType.PRIVATE
        force = ForceReply(selective=True) if in_group and proposal.photo_file_id is None else None
        await reply(update, text, reply_markup=force)
    if proposal.photo_file_id is None:
        await people.start_dialog(proposal.proposer_id, proposal.chat_id, PHOTO, {"proposal_id": proposal.id})
    else:
        await people.end_dialog(proposal.proposer_id, proposal.chat_id)
    await live(context).changed(context, LIVE_KIND, proposal.scope_id)


async def attach_photo(update: Update, context: BotContext, state: dict[str, Any]) -> None:
    """A photo sent in reply after /propose becomes the proposal's photo; anything else ends the offer."""
    message, people = update.effective_message, context.deps.services.people
    photo = _photo_of(message) if message is not None and message.photo else None
    t = await tr(update, context)
    try:
        actor = await actor_for(update, context)
        await people.end_dialog(actor.user_id, actor.chat_id)
        if photo is None:
            return
        proposal = await context.deps.services.proposals.attach_photo(actor, int(state["proposal_id"]), photo)
    except DomainError as exc:
        await reply(update, proposals_error(t, exc))
        return
    await reply(update, t._("📷 Photo added to proposal #{number}.", number=proposal.number))
    await live(context).changed(context, LIVE_KIND, proposal.scope_id)


async def show_themes(update: Update, context: BotContext) -> None:
    """/themes: the open proposals with 附议 buttons, kept up to date."""
    t = await tr(update, context)
    services = context.deps.services
    actor = await actor_for(update, context)
    scope = await services.proposals.scope_of(actor)
    proposals = await services.proposals.listing(actor)
    text, markup = render_list(t, proposals)
    message = await live(context).post(context, actor.chat_id, LIVE_KIND, scope, text, markup)
    # Only the newest list in a chat follows the supports; older copies would cost edits nobody reads.
    await live(context).retire(context, actor.chat_id, LIVE_KIND, scope, keep=message.message_id)


async def support_pressed(update: Update, context: BotContext, press: Press) -> None:
    """附议 (or take it back)."""
    actor = await actor_for(update, context)
    result = await context.deps.services.proposals.toggle_support(actor, press.args[0], update.update_id)
    await answer(press.query, support_answer(press.t, result.proposal, result.supported))
    await live(context).changed(context, LIVE_KIND, result.proposal.scope_id)


async def photo_pressed(update: Update, context: BotContext, press: Press) -> None:
    """Show the proposal's photo."""
    actor = await actor_for(update, context)
    proposal = await context.deps.services.proposals.get(actor, press.args[0])
    await answer(press.query)
    if proposal.photo_file_id:
        caption = press.t._("#{number} {title}", number=proposal.number, title=proposal.title)
        await context.bot.send_photo(actor.chat_id, proposal.photo_file_id, caption=caption)


async def confirm_pressed(update: Update, context: BotContext, press: Press) -> None:
    """Save anyway, or not, after "similar proposals exist"."""
    await _confirm(update, context, press.action == "yes")


async def answer_pressed(update: Update, context: BotContext, press: Press) -> None:
    """采纳 / 不采纳 / 研究中: ask backbone for the reason."""
    actor = await actor_for(update, context)
    proposal = await context.deps.services.proposals.get(actor, press.args[0])
    actor.require_backbone()
    await _ask_reason(update, context, proposal, ANSWER_ACTIONS[press.action])


async def _confirm(update: Update, context: BotContext, save: bool) -> None:
    """The proposer's answer to "similar proposals exist": save anyway or cancel."""
    query = update.callback_query
    assert query is not None
    t = await tr(update, context)
    services = context.deps.services
    actor = await actor_for(update, context)
    pending = await services.people.dialog(actor.user_id, actor.chat_id)
    if pending is None or pending[0] != CONFIRM:
        await answer(query, t._("This button is no longer valid."))
        return
    if not save:
        await services.people.end_dialog(actor.user_id, actor.chat_id)
        await answer(query)
        await edit(query, t._("OK, the proposal was not saved."))
        return
    state = pending[1]
    result = await services.proposals.propose(actor, state["title"], state.get("photo"), confirmed=True)
    assert result.proposal is not None
    await answer(query)
    await _saved(update, context, result.proposal, in_place=True)


async def _ask_reason(update: Update, context: BotContext, proposal: Proposal, status: str) -> None:
    """Ask the person answering for a reason, with a ForceReply (groups only show the bot replies)."""
    t = await tr(update, context)
    user = update.effective_user
    chat = update.effective_chat
    assert user is not None and chat is not None
    state = {"proposal_id": proposal.id, "status": status}
    await context.deps.services.people.start_dialog(user.id, chat.id, REASON, state)
    if update.callback_query is not None:
        await answer(update.callback_query)
    who = mention(user.id, display_name(user))
    await reply(update, render_reason_prompt(t, proposal, status, who), reply_markup=ForceReply(selective=True))


async def answer_command(update: Update, context: BotContext) -> None:
    """/answer 3 — buttons; /answer 3 采纳 理由 — at once; /answer 3 采纳 — then the reason."""
    t = await tr(update, context)
    words = command_args(update).split(maxsplit=2)
    number = typed_number(words[0]) if words else None
    if number is None:
        await reply(update, t._("Please give the proposal number, e.g. /answer 3 采纳 已列入本月计划"))
        return
    services = context.deps.services
    actor = await actor_for(update, context)
    actor.require_backbone()
    proposal = await services.proposals.by_number(actor, number)
    status = ANSWER_WORDS.get(words[1].lower()) if len(words) > 1 else None
    if status is None:
        text, markup = render_answer_menu(t, proposal)
        await reply(update, text, reply_markup=markup)
    elif len(words) < 3:
        await _ask_reason(update, context, proposal, status)
    else:
        await _record_answer(update, context, proposal.id, status, words[2])


async def reason_reply(update: Update, context: BotContext, state: dict[str, Any]) -> None:
    """The reason typed after an answer button."""
    message = update.effective_message
    if message is None or not message.text:
        return
    await _record_answer(update, context, int(state["proposal_id"]), str(state["status"]), message.text, REASON)


async def _record_answer(
    update: Update, context: BotContext, proposal_id: int, status: str, reason: str, dialog: str | None = None
) -> None:
    """Record the answer; a reason typed in the dialog ends it in the same commit (a crash cannot answer twice)."""
    t = await tr(update, context)
    services = context.deps.services
    try:
        actor = await actor_for(update, context)
        proposal = await services.proposals.answer(actor, proposal_id, status, reason, dialog=dialog)
    except DomainError as exc:
        await reply(update, proposals_error(t, exc))
        return
    if dialog is None:  # typed as /answer: a question still open for it is answered too
        await services.people.end_dialog(actor.user_id, actor.chat_id)
    await reply(update, render_answered(t, proposal, mention(proposal.proposer_id, proposal.proposer_name)))
    dispatcher(context).wake()  # the proposer's private note was queued with the answer
    await live(context).changed(context, LIVE_KIND, proposal.scope_id)


async def draw_proposer_note(context: BotContext, item: OutboxItem, t: Translator, who: Html | None) -> Outgoing | None:
    """The proposer's private note of the answer; skipped once the proposal is gone or answered otherwise."""
    proposal = await context.deps.services.proposals.answered(int(item.ref_id or 0), item.payload.get("status"))
    return Outgoing(render_proposer_notice(t, proposal)) if proposal is not None else None


async def draw_list(context: BotContext, scope_id: int, chat_id: int) -> Rendered | None:
    """Live renderer of a /themes message."""
    t = await chat_translator_for_id(context, chat_id)
    return render_list(t, await context.deps.services.proposals.listing_for_scope(scope_id))


async def my_proposals(update: Update, context: BotContext, t: Translator) -> str:
    """/me section: the person's proposals."""
    user = update.effective_user
    return render_mine(t, await context.deps.services.proposals.mine(user.id)) if user else ""


async def keep_waiting(update: Update, context: BotContext, state: dict[str, Any]) -> None:
    """A message while "similar proposals exist" is pending leaves the question open for the buttons."""


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Add /propose, /themes, /answer, their buttons, dialogs and the live list."""
    commands(app, errors=proposals_error, propose=propose)
    caption = filters.CaptionRegex(r"^/propose(@\w+)?(\s|$)")
    app.add_handler(
        MessageHandler(filters.UpdateType.MESSAGE & filters.PHOTO & caption, answering(propose, proposals_error))
    )
    commands(app, errors=proposals_error, themes=show_themes, proposals=show_themes, answer=answer_command)
    buttons(
        app,
        cb.PROPOSAL,
        errors=proposals_error,
        sup=support_pressed,
        photo=photo_pressed,
        yes=confirm_pressed,
        no=confirm_pressed,
        acc=answer_pressed,
        rej=answer_pressed,
        stu=answer_pressed,
    )
    ext = app.bot_data.ext
    ext.dialogs[CONFIRM] = keep_waiting
    ext.dialogs[PHOTO] = attach_photo
    ext.dialogs[REASON] = reason_reply
    ext.menu_actions["themes"] = show_themes
    ext.me_sections.append(my_proposals)
    live(app).register(LIVE_KIND, draw_list)
    # A duplicate note of an answer beats a proposer who never hears of it (ARCHITECTURE.md).
    register_note(app, PROPOSAL_NOTE, draw_proposer_note)
