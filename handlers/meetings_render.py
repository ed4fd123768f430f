"""Pure text and keyboards of the meetings feature (no I/O)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callback_data as cb
from bot.clock import from_ts
from bot.i18n import Html, Translator
from bot.ics import CalendarEvent
from bot.services.errors import DomainError, InvalidInput, PermissionDenied
from bot.services.meeting_model import (
    MEETING_LENGTH,
    CheckinResult,
    MeetingView,
    MinutesView,
    RsvpResult,
    TaskView,
)
from bot.timeparse import TimeRefusal
from handlers.common import error_text, time_error_text
from storage.meetings import MeetingRow, Person, TaskRow

MAX_NAMES = 30
LIVE = "meeting"  # the live-message kind of meeting notices


def kind_label(t: Translator, kind: str) -> str:
    """The translated name of a kind of meeting."""
    labels = {
        "briefing": t._("Briefing"),
        "courtyard": t._("Courtyard meeting"),
        "consultation": t._("Consultation"),
        "team": t._("Team-building"),
        "visit": t._("Visit"),
        "award": t._("Award ceremony"),
    }
    return labels.get(kind) or t._("Meeting")


def offset_label(t: Translator, seconds: int) -> str:
    """How long before the start a reminder goes: 1 day before / 提前1天."""
    if seconds % 86400 == 0:
        return t.ngettext("{n} day before", "{n} days before", seconds // 86400)
    if seconds % 3600 == 0:
        return t.ngettext("{n} hour before", "{n} hours before", seconds // 3600)
    return t.ngettext("{n} minute before", "{n} minutes before", max(1, seconds // 60))


def names(t: Translator, people: Sequence[Person]) -> str:
    """Up to MAX_NAMES names, then how many more."""
    shown = [p.name for p in people[:MAX_NAMES]]
    if len(people) > MAX_NAMES:
        shown.append(t._("{n} more", n=len(people) - MAX_NAMES))
    return t.join(shown)


def headline(t: Translator, meeting: MeetingRow) -> Html:
    """坝坝会 · 讨论墙绘分工 (#12), escaped once, ready to be a value of other messages."""
    return Html(t._("{kind} · {title} (#{id})", kind=kind_label(t, meeting.kind), title=meeting.title, id=meeting.id))


def render_notice(t: Translator, view: MeetingView, now: datetime) -> str:
    """The notice in a courtyard chat, with live answer counts."""
    meeting = view.meeting
    lines = [t._("📅 <b>{headline}</b>", headline=headline(t, meeting))]
    if meeting.status == "cancelled":
        lines.append(t._("❌ <b>Cancelled.</b>"))
    lines.append(t._("🕒 {when}", when=t.datetime(view.start)))
    if meeting.place:
        lines.append(t._("📍 {place}", place=meeting.place))
    if view.yards:
        lines.append(t._("🏘 For: {yards}", yards=t.join(view.yards)))
    if meeting.agenda:
        lines += ["", t._("📝 {agenda}", agenda=meeting.agenda)]
    if view.organiser:
        lines.append(t._("Organiser: {name}", name=view.organiser))
    lines.append("")
    if meeting.capacity is not None:
        lines.append(
            t._("✅ Going: {n} of {capacity} places", n=len(view.confirmed), capacity=t.number(meeting.capacity))
        )
    else:
        lines.append(t._("✅ Going: {n}", n=len(view.confirmed)))
    if view.confirmed:
        lines.append(t._("　{names}", names=names(t, view.confirmed)))
    if view.waitlist:
        lines.append(t._("⏳ Waitlist: {n} — {names}", n=len(view.waitlist), names=names(t, view.waitlist)))
    lines.append(t._("🤔 Maybe: {maybe} · ❌ Not going: {no}", maybe=view.maybe, no=view.no))
    if now >= view.start and meeting.status == "scheduled":
        lines.append(t._("🙋 Checked in: {n}", n=view.checked_in))
    return "\n".join(lines)


def rsvp_keyboard(t: Translator, view: MeetingView, *, manage: bool = False) -> InlineKeyboardMarkup:
    """参加 / 待定 / 不参加 with counts, and a calendar button."""
    meeting_id = view.meeting.id
    rows = [
        [
            InlineKeyboardButton(
                t._("✅ Going ({n})", n=len(view.confirmed) + len(view.waitlist)),
                callback_data=cb.RSVP.build("yes", meeting_id),
            ),
            InlineKeyboardButton(t._("🤔 Maybe ({n})", n=view.maybe), callback_data=cb.RSVP.build("maybe", meeting_id)),
            InlineKeyboardButton(t._("❌ Not going ({n})", n=view.no), callback_data=cb.RSVP.build("no", meeting_id)),
        ],
        [InlineKeyboardButton(t._("📆 Add to my calendar"), callback_data=cb.RSVP.build("ics", meeting_id))],
    ]
    if manage:
        rows.append([InlineKeyboardButton(t._("⚙️ Manage"), callback_data=cb.MEETING_ADMIN.build("adm", meeting_id))])
    return InlineKeyboardMarkup(rows)


def notice_markup(t: Translator, view: MeetingView, now: datetime) -> InlineKeyboardMarkup | None:
    """Answer buttons while answers are open, none after the start or a cancellation."""
    if view.meeting.status != "scheduled" or now >= view.start:
        return None
    return rsvp_keyboard(t, view)


def render_rsvp(t: Translator, result: RsvpResult) -> str:
    """The short answer to a button press (≤ 200 characters)."""
    if result.answer == "yes" and result.waitlist_position is not None:
        return t._("The places are full. You are number {n} on the waitlist.", n=result.waitlist_position)
    return {
        "yes": t._("✅ You are going. See you there!"),
        "maybe": t._("🤔 Noted as maybe."),
        "no": t._("❌ Noted: not going."),
    }[result.answer]


def render_reminder(t: Translator, view: MeetingView, now: datetime, mention: Sequence[Html] = ()) -> str:
    """A reminder before the start, to a chat or to one person."""
    meeting = view.meeting
    lines = [
        t._(
            "⏰ <b>Reminder:</b> {headline} starts {relative}.",
            headline=headline(t, meeting),
            relative=t.relative(view.start - now),
        ),
        t._("🕒 {when}", when=t.datetime(view.start)),
    ]
    if meeting.place:
        lines.append(t._("📍 {place}", place=meeting.place))
    if mention:
        lines += ["", t._("{people}: please tell us whether you can come.", people=Html(t.join(list(mention))))]
    else:
        lines.append(t._("✅ Going so far: {n}", n=len(view.confirmed)))
    return "\n".join(lines)


def render_promoted(t: Translator, who: str, meeting: MeetingRow) -> str:
    """A place became free and the person moved up from the waitlist."""
    return t._(
        "🎉 {who}, a place became free: you are now going to {headline} on {when}.",
        who=who,
        headline=headline(t, meeting),
        when=t.datetime(from_ts(meeting.starts_at)),
    )


def render_late(t: Translator, meeting: MeetingRow) -> str:
    """Told to the organiser: reminders fell due while the bot was down, and the meeting has begun."""
    return t._(
        "⚠️ The reminders for {headline} were not sent: I was offline until after the meeting began ({when}).",
        headline=headline(t, meeting),
        when=t.datetime(from_ts(meeting.starts_at)),
    )


def render_cancelled(t: Translator, meeting: MeetingRow) -> str:
    """Told to the chats: the meeting will not take place."""
    return t._(
        "❌ <b>Cancelled:</b> {headline}, planned for {when}, will not take place.",
        headline=headline(t, meeting),
        when=t.datetime(from_ts(meeting.starts_at)),
    )


def render_moved(t: Translator, meeting: MeetingRow, old: int) -> str:
    """Told to the chats: the meeting has a new time."""
    return t._(
        "🕒 <b>New time:</b> {headline} now starts {when} (instead of {old}).",
        headline=headline(t, meeting),
        when=t.datetime(from_ts(meeting.starts_at)),
        old=t.datetime(from_ts(old)),
    )


def render_checkin(t: Translator, result: CheckinResult) -> str:
    """After /checkin or the QR link."""
    if not result.first_time:
        return t._(
            "You had already checked in to {headline}. {n} people are here.",
            headline=headline(t, result.meeting),
            n=result.count,
        )
    return t._(
        "🙋 Checked in to {headline}. You are number {n}. Welcome!",
        headline=headline(t, result.meeting),
        n=result.count,
    )


def render_listing(t: Translator, meetings: Sequence[MeetingRow], *, here: bool) -> str:
    """/meetings: upcoming meetings with their times."""
    if not meetings:
        return t._("No upcoming meetings here.") if here else t._("No upcoming meetings.")
    lines = [t._("<b>Upcoming meetings</b>")]
    for meeting in meetings:
        # Built outside the outer call: Babel's extractor misses a message nested in another's arguments.
        place = Html(t._(", {place}", place=meeting.place)) if meeting.place else Html("")
        when = t.short_datetime(from_ts(meeting.starts_at))
        lines.append(t._("• {when} — {headline}{place}", when=when, headline=headline(t, meeting), place=place))
    lines += ["", t._("Calendar file: /ics number (e.g. /ics {id}).", id=meetings[0].id)]
    return "\n".join(lines)


def render_mine(t: Translator, mine: Sequence[tuple[MeetingRow, str]]) -> str:
    """The /me paragraph: the person's upcoming meetings."""
    if not mine:
        return ""
    places = {"yes": t._("going"), "waitlist": t._("waitlist"), "maybe": t._("maybe")}
    lines = [t._("<b>My meetings</b>")]
    for meeting, answer in mine:
        lines.append(
            t._(
                "• {when} — {headline} ({answer})",
                when=t.short_datetime(from_ts(meeting.starts_at)),
                headline=headline(t, meeting),
                answer=places.get(answer, answer),
            )
        )
    return "\n".join(lines)


def listing_keyboard(t: Translator, meetings: Sequence[MeetingRow]) -> InlineKeyboardMarkup | None:
    """A button per meeting to open it privately."""
    if not meetings:
        return None
    rows = [
        [
            InlineKeyboardButton(
                t.plain("#{id} {title}", id=m.id, title=m.title[:24]),
                callback_data=cb.MEETING_ADMIN.build("show", m.id),
            )
        ]
        for m in meetings[:15]
    ]
    return InlineKeyboardMarkup(rows)


def render_panel(t: Translator, view: MeetingView) -> str:
    """The organiser's panel: check-in code and counts."""
    meeting = view.meeting
    return "\n".join(
        [
            t._("⚙️ <b>{headline}</b>", headline=headline(t, meeting)),
            t._("🕒 {when}", when=t.datetime(view.start)),
            t._(
                "Check-in code: <b>{code}</b> — say it at the meeting, or show the QR picture. "
                "It works from two hours before the start.",
                code=meeting.checkin_code,
            ),
            t._(
                "Going {yes}, waitlist {wait}, maybe {maybe}, not going {no}; checked in {checked}.",
                yes=len(view.confirmed),
                wait=len(view.waitlist),
                maybe=view.maybe,
                no=view.no,
                checked=view.checked_in,
            ),
        ]
    )


def panel_keyboard(t: Translator, meeting: MeetingRow) -> InlineKeyboardMarkup:
    """Organiser actions."""
    build = cb.MEETING_ADMIN.build
    rows = [
        [
            InlineKeyboardButton(t._("📷 Check-in QR"), callback_data=build("qr", meeting.id)),
            InlineKeyboardButton(t._("👥 Who is coming"), callback_data=build("who", meeting.id)),
        ],
        [InlineKeyboardButton(t._("📝 Minutes"), callback_data=build("min", meeting.id))],
    ]
    if meeting.status == "scheduled":
        rows.append(
            [
                InlineKeyboardButton(t._("🕒 Change the time"), callback_data=build("move", meeting.id)),
                InlineKeyboardButton(t._("❌ Cancel the meeting"), callback_data=build("cancel", meeting.id)),
            ]
        )
    return InlineKeyboardMarkup(rows)


def render_who(t: Translator, view: MeetingView, attendees: Sequence[str]) -> str:
    """Who said yes, who waits, who checked in."""
    none = t._("nobody yet")
    lines = [
        t._("<b>{headline}</b>", headline=headline(t, view.meeting)),
        t._("✅ Going ({n}): {names}", n=len(view.confirmed), names=names(t, view.confirmed) or none),
    ]
    if view.waitlist:
        lines.append(t._("⏳ Waitlist ({n}): {names}", n=len(view.waitlist), names=names(t, view.waitlist)))
    lines.append(t._("🤔 Maybe: {maybe} · ❌ Not going: {no}", maybe=view.maybe, no=view.no))
    lines.append(t._("🙋 Checked in ({n}): {names}", n=len(attendees), names=t.join(list(attendees)) or none))
    return "\n".join(lines)


def render_qr_caption(t: Translator, meeting: MeetingRow) -> str:
    """Under the QR picture."""
    return t._(
        "Scan to check in to {headline}, or send me /checkin {code}.",
        headline=headline(t, meeting),
        code=meeting.checkin_code,
    )


def render_minutes(t: Translator, view: MinutesView) -> str:
    """Minutes: attendance, decisions and tasks."""
    meeting = view.meeting
    lines = [
        t._("📝 <b>Minutes: {headline}</b>", headline=headline(t, meeting)),
        t._("🕒 {when}", when=t.datetime(from_ts(meeting.starts_at))),
        t._("🙋 Attendees (checked in): {n}", n=len(view.attendees)),
    ]
    if view.attendees:
        lines.append(t._("　{names}", names=t.join(view.attendees[:MAX_NAMES])))
    if meeting.decisions:
        lines += ["", t._("<b>Decisions</b>")]
        lines += [t._("• {line}", line=line.strip()) for line in meeting.decisions.splitlines() if line.strip()]
    if view.tasks:
        lines += ["", t._("<b>Tasks</b>")]
        lines += [render_task_line(t, task) for task in view.tasks]
    return "\n".join(lines)


def render_task_line(t: Translator, task: TaskRow) -> str:
    """• 买油漆 — 张大爷, by 12月4日 周五 17:00 ✅."""
    owner = task.owner_name or t._("(nobody)")
    line = t._("• {text} — {owner}, by {due}", text=task.text, owner=owner, due=t.short_datetime(from_ts(task.due_at)))
    return line + (" ✅" if task.done_at else "")


def render_task(t: Translator, view: TaskView, owner: Html | str) -> str:
    """A task as recorded (and as reminded when due)."""
    task = view.task
    lines = [
        t._("📌 <b>Task #{id}</b> for {owner}: {text}", id=task.id, owner=owner, text=task.text),
        t._("Due: {due}", due=t.datetime(from_ts(task.due_at))),
        t._("From: {headline}", headline=headline(t, view.meeting)),
    ]
    if task.done_at:
        lines.append(t._("✅ Done."))
    return "\n".join(lines)


def render_task_due(t: Translator, view: TaskView, owner: Html | str) -> str:
    """The reminder when a task falls due."""
    return "\n".join([t._("⏰ <b>A task is due now.</b>"), render_task(t, view, owner)])


def task_keyboard(t: Translator, task: TaskRow) -> InlineKeyboardMarkup | None:
    """A "done" button while the task is open."""
    if task.done_at:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(t._("✅ Mark as done"), callback_data=cb.MEETING_TASK.build("done", task.id))]]
    )


# -- the wizard -------------------------------------------------------------------
def quick_usage(t: Translator) -> str:
    """How to write the one-line /meeting command."""
    return "\n".join(
        [
            t._("<b>/meeting kind time place topic</b>, words separated by spaces:"),
            t._("/meeting 坝坝会 明天下午3点 碧水苑院坝 讨论墙绘分工"),
            t._(
                "Kind (optional): 宣讲会, 坝坝会, 协商会, 团创会, 参访, 颁奖 or 其他. The time may have spaces "
                "(12月5日 19:30). After the time, the first word is the place and the rest is the topic."
            ),
            t._("For capacity, reminders and several courtyards, use /newmeeting in a private chat with me."),
        ]
    )


def meeting_error(t: Translator, exc: DomainError | TimeRefusal) -> str:
    """Meeting-specific refusals, then the shared ones (times: the one wording of every feature)."""
    if isinstance(exc, TimeRefusal):
        return time_error_text(t, exc)
    if isinstance(exc, PermissionDenied) and exc.needed in ("organiser", "task_owner", "meeting_organiser"):
        return {
            "meeting_organiser": t._("Sorry, only backbone volunteers and social workers can arrange meetings."),
            "organiser": t._("Sorry, only the organiser and social workers can do this."),
            "task_owner": t._("Sorry, only the person responsible, the organiser or a social worker can do this."),
        }[exc.needed]
    if isinstance(exc, InvalidInput):
        limit = exc.details.get("limit", "")
        text = {
            "quick_usage": quick_usage(t),
            "empty_text": t._("Please write some text."),
            "too_long": t._("That is too long: at most {limit} characters, please.", limit=limit),
            "title_too_long": t._("The topic (first line) is too long: at most {limit} characters.", limit=limit),
            "agenda_too_long": t._("The agenda is too long: at most {limit} characters.", limit=limit),
            "place_too_long": t._("The place is too long: at most {limit} characters.", limit=limit),
            "decisions_too_long": t._("The decisions are too long: at most {limit} characters.", limit=limit),
            "task_too_long": t._("The task is too long: at most {limit} characters.", limit=limit),
            "bad_capacity": t._("Please type a number of places from 1 to {limit}.", limit=limit),
            "bad_kind": t._("Please choose the kind of meeting with the buttons."),
            "no_targets": t._("No courtyard chat to send the notice to. Choose at least one courtyard with a group."),
            "meeting_cancelled": t._("This meeting was cancelled."),
            "meeting_started": t._("This meeting has already started; answers are closed."),
            "not_started": t._("Minutes can be written once the meeting has begun."),
            "unknown_code": t._(
                "Sorry, that check-in code is not valid now. Please check the code said at the meeting."
            ),
            "too_many_tries": t._("Too many wrong codes. Please wait ten minutes and try again."),
            "task_usage": t._(
                "Reply to the person's message with /task 截止时间 内容, e.g. /task 周五下午5点 买油漆 "
                "(or mention them after /task)."
            ),
            "no_decisions": t._("Please write the decisions first."),
        }.get(exc.reason)
        if text is not None:
            return text
    return error_text(t, exc)


def calendar_event(t: Translator, view: MeetingView, bot_username: str | None) -> CalendarEvent:
    """The calendar entry of a meeting (plain text: the .ics format escapes its own way)."""
    meeting = view.meeting
    description = [meeting.agenda] if meeting.agenda else []
    if view.organiser:
        description.append(view.organiser)
    return CalendarEvent(
        uid=f"meeting-{meeting.id}@{bot_username or 'courtyard-bot'}",
        start=view.start,
        end=view.start + MEETING_LENGTH,
        summary=f"{kind_label(t, meeting.kind)} · {meeting.title}",
        location=meeting.place,
        description="\n".join(description),
        cancelled=meeting.status == "cancelled",
        sequence=meeting.updated_at,
        alarms=tuple(timedelta(seconds=o) for o in meeting.offsets),
    )
