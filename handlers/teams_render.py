"""Pure drawing of team messages and keyboards: rosters (接龙), settings, notices, exports."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callback_data as cb
from bot.clock import from_ts
from bot.export import Cell
from bot.i18n import Html, Translator, esc
from bot.services.teams import Decision, JoinResult, LeaveResult, MyTeam, Roster, TeamSummary
from bot.services.teams_export import ExportRow
from storage.teams import Membership, Team

# Room for a closing line under a page: every page stays below Telegram's 4096 characters.
PAGE_LIMIT = 3800
MAX_BUTTON_ROWS = 40
CAPACITY_PRESETS = (5, 8, 10, 20, 40)


def paginate(lines: Iterable[str], limit: int = PAGE_LIMIT) -> list[str]:
    """Join lines into messages under the limit, never splitting a line (so never a tag)."""
    pages: list[str] = []
    current: list[str] = []
    size = 0
    for line in lines:
        line = line[:limit]
        if current and size + len(line) + 1 > limit:
            pages.append("\n".join(current))
            current, size = [], 0
        current.append(line)
        size += len(line) + 1
    if current:
        pages.append("\n".join(current))
    return pages


def status_word(t: Translator, status: str) -> str:
    """A sign-up state in words."""
    return {
        "member": t._("member"),
        "waitlist": t._("waitlist"),
        "pending": t._("waiting for approval"),
        "left": t._("left"),
        "removed": t._("taken off"),
        "declined": t._("not accepted"),
        "captain": t._("captain"),
    }.get(status, status)


def _places(t: Translator, team: Team, members: int) -> str:
    if team.capacity is None:
        return t._("Members: {n} (no limit)", n=members)
    return t._("Places: {n}/{capacity}", n=members, capacity=team.capacity)


def _state_lines(t: Translator, team: Team, accepting: bool) -> list[str]:
    lines = []
    if not team.open:
        lines.append(t._("🔒 Sign-up is closed."))
    elif team.deadline is not None and not accepting:
        lines.append(t._("🔒 Sign-up ended on {date}.", date=t.date(from_ts(team.deadline))))
    elif team.deadline is not None:
        lines.append(t._("⏰ Sign-up until {date}", date=t.date(from_ts(team.deadline))))
    if team.approval:
        lines.append(t._("The captain approves each sign-up."))
    return lines


def _person(number: int, person: Membership, captain_id: int | None) -> str:
    star = " ⭐" if person.user_id == captain_id else ""
    return f"{number}. {esc(person.display_name)}{star}"


def roster_lines(t: Translator, roster: Roster) -> list[str]:
    """Every line of a roster, numbered like 接龙, the waitlist below."""
    team = roster.team
    lines = [t._("📋 <b>{team}</b>", team=team.name)]
    if team.purpose:
        lines.append(t._("Purpose: {purpose}", purpose=team.purpose))
    lines.append(_places(t, team, len(roster.members)))
    if roster.captain_name:
        lines.append(t._("Captain: {name} ⭐", name=roster.captain_name))
    lines.extend(_state_lines(t, team, roster.accepting))
    lines.append("")
    if roster.members:
        lines.extend(_person(n, p, team.captain_id) for n, p in enumerate(roster.members, start=1))
    else:
        lines.append(t._("Nobody yet. Press “Sign up” to be the first!"))
    if roster.waitlist:
        lines.extend(["", t._("<b>Waitlist</b> (moves up when someone leaves)")])
        lines.extend(_person(n, p, None) for n, p in enumerate(roster.waitlist, start=1))
    if roster.pending:
        lines.extend(["", t._("<b>Waiting for the captain</b>")])
        lines.extend(_person(n, p, None) for n, p in enumerate(roster.pending, start=1))
    return lines


def render_roster_pages(t: Translator, roster: Roster) -> list[str]:
    """The whole roster, split into messages under Telegram's limit."""
    return paginate(roster_lines(t, roster))


def render_live_roster(t: Translator, roster: Roster) -> str:
    """The roster message kept up to date in the group: the first page, and a pointer when longer."""
    pages = render_roster_pages(t, roster)
    if len(pages) == 1:
        return pages[0]
    more = t._("… the list goes on: type /roster {team} to see all of it.", team=roster.team.name)
    return pages[0] + "\n" + more


def join_label(t: Translator, team: Team, members: int, waitlist: int) -> str:
    """The sign-up button; on a full team it says that pressing it means the waitlist."""
    if team.capacity is None or members < team.capacity:
        return t._("✋ Sign up")
    if waitlist:
        return t.plain(
            "✋ Join the waitlist ({n}/{capacity}, {waiting} waiting)",
            n=members,
            capacity=team.capacity,
            waiting=waitlist,
        )
    return t.plain("✋ Join the waitlist ({n}/{capacity}, full)", n=members, capacity=team.capacity)


def roster_keyboard(t: Translator, roster: Roster) -> InlineKeyboardMarkup:
    """Big sign-up and leave buttons (only leave once sign-up has closed); leaving asks first."""
    team_id = roster.team.id
    leave = InlineKeyboardButton(t._("👋 Leave"), callback_data=cb.TEAM.build("bye", team_id))
    if not roster.accepting:
        return InlineKeyboardMarkup([[leave]])
    label = join_label(t, roster.team, len(roster.members), len(roster.waitlist))
    join = InlineKeyboardButton(label, callback_data=cb.TEAM.build("join", team_id))
    return InlineKeyboardMarkup([[join], [leave]])


def leave_question(t: Translator, team: str, who: Html | None) -> str:
    """Asked once before a sign-up is cancelled by a button."""
    if who is None:
        return t._("Do you really want to cancel your sign-up for {team}?", team=team)
    return t._("{who}, do you really want to cancel your sign-up for {team}?", who=who, team=team)


def leave_keyboard(t: Translator, team_id: int, user_id: int) -> InlineKeyboardMarkup:
    """是 / 否 under the question; only the person asked can answer it."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t._("Yes, cancel it"), callback_data=cb.TEAM_LEAVE.build("yes", team_id, user_id)),
                InlineKeyboardButton(t._("No, keep it"), callback_data=cb.TEAM_LEAVE.build("no", team_id, user_id)),
            ]
        ]
    )


def render_teams(t: Translator, courtyard: str, teams: list[TeamSummary]) -> str:
    """The /teams listing with counts like 12/40."""
    if not teams:
        return t._(
            "{courtyard} has no teams yet. Backbone volunteers can start one: /newteam 队名 名额", courtyard=courtyard
        )
    lines = [t._("<b>Teams of {courtyard}</b>", courtyard=courtyard)]
    for number, item in enumerate(teams, start=1):
        line = t._("{n}. <b>{team}</b> — {places}", n=number, team=item.team.name, places=_count(item))
        if item.counts.waitlist:
            line += t._(" · waitlist {n}", n=item.counts.waitlist)
        if not item.accepting:
            line += t._(" · 🔒 sign-up closed")
        lines.append(line)
        if item.team.purpose:
            lines.append(t._("    {purpose}", purpose=item.team.purpose))
    lines.extend(["", t._("Press a team's button to sign up, or 📋 to see who is in it.")])
    return "\n".join(lines)


def _join_label_of(t: Translator, item: TeamSummary) -> str:
    return join_label(t, item.team, item.counts.members, item.counts.waitlist)


def _full(item: TeamSummary) -> bool:
    return item.team.capacity is not None and item.counts.members >= item.team.capacity


def _count(item: TeamSummary) -> str:
    if item.team.capacity is None:
        return str(item.counts.members)
    return f"{item.counts.members}/{item.team.capacity}"


def teams_keyboard(t: Translator, teams: list[TeamSummary]) -> InlineKeyboardMarkup | None:
    """One row per team: sign up (with the count) and see the roster."""
    rows = [
        [
            InlineKeyboardButton(
                t.plain("✋ {team} ({count})", team=s.team.name, count=_count(s))
                if not _full(s)
                else t.plain("{team}: {join}", team=s.team.name, join=_join_label_of(t, s)),
                callback_data=cb.TEAM.build("join", s.team.id),
            ),
            InlineKeyboardButton("📋", callback_data=cb.TEAM.build("roster", s.team.id)),
        ]
        if s.accepting
        # A closed team keeps its roster button only: a sign-up button that always says no is a trap.
        else [
            InlineKeyboardButton(
                t.plain("📋 {team}", team=s.team.name), callback_data=cb.TEAM.build("roster", s.team.id)
            )
        ]
        for s in teams[:MAX_BUTTON_ROWS]
    ]
    return InlineKeyboardMarkup(rows) if rows else None


def choose_keyboard(teams: list[Team], action: str) -> InlineKeyboardMarkup:
    """One big button per team for an action (join, leave, roster, call)."""
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(team.name, callback_data=cb.TEAM.build(action, team.id))]
            for team in teams[:MAX_BUTTON_ROWS]
        ]
    )


def choose_prompt(t: Translator, action: str) -> str:
    """The question above the team buttons."""
    return {
        "join": t._("Which team would you like to sign up for? Press its name."),
        "leave": t._("Which team would you like to leave? Press its name."),
        "roster": t._("Whose list would you like to see? Press the team's name."),
        "call": t._("Which team should I call together? Press its name."),
        "set": t._("Which team's settings? Press its name."),
    }.get(action, t._("Press the team's name."))


def render_join(t: Translator, result: JoinResult) -> str:
    """What a person is told after pressing sign up (at most 200 characters)."""
    team, n, status = result.team.name, result.position, result.status
    if result.stale and status not in ("member", "waitlist", "pending"):
        return t._("You are not signed up for {team} now.", team=team)
    if result.already:
        if status == "member":
            return t._("You are already in {team} (number {n}).", team=team, n=n)
        if status == "waitlist":
            return t._("You are already on the waitlist of {team} (number {n}).", team=team, n=n)
        return t._("Your request for {team} is waiting for the captain.", team=team)
    if status == "member":
        return t._("Signed up for {team}! You are number {n}.", team=team, n=n)
    if status == "waitlist":
        return t._(
            "{team} is full. You are number {n} on the waitlist; I will tell you when a place frees up.",
            team=team,
            n=n,
        )
    return t._("Request sent to the captain of {team}. I will tell you the answer.", team=team)


def render_leave(t: Translator, result: LeaveResult) -> str:
    """What a person is told after leaving (or, for a press that came too late, the state kept)."""
    if result.current is not None:
        return render_join(t, result.current)
    team = result.team
    return {
        "member": t._("You have left {team}. Thank you for your help!", team=team.name),
        "waitlist": t._("You are off the waitlist of {team}.", team=team.name),
    }.get(result.previous, t._("Your request for {team} is withdrawn.", team=team.name))


def by_person(t: Translator, name: str, text: str) -> str:
    """A reply in the group that says whom it is for."""
    return t._("{name}: {text}", name=name, text=Html(text))


def render_decision(t: Translator, decision: Decision, by: str) -> str:
    """The approval message after the captain answered."""
    team, person = decision.team.name, decision.name
    if decision.status == "declined":
        return t._("{by} declined {person}'s request for {team}.", by=by, person=person, team=team)
    if decision.status == "removed":
        return t._("{by} took {person} off {team}.", by=by, person=person, team=team)
    if decision.status == "waitlist":
        return t._(
            "{by} accepted {person}; {team} is full, so they are number {n} on the waitlist.",
            by=by,
            person=person,
            team=team,
            n=decision.position,
        )
    return t._("{by} accepted {person} into {team}.", by=by, person=person, team=team)


def render_settings(t: Translator, team: Team, *, created: bool = False) -> str:
    """The settings screen of a team."""
    lines = []
    if created:
        lines.append(t._("✅ Team <b>{team}</b> created. You are its captain.", team=team.name))
        lines.append(t._("The sign-up list is above: residents press “Sign up”. Change the settings here:"))
        lines.append("")
    lines.append(t._("⚙️ <b>Settings of {team}</b>", team=team.name))
    if team.capacity is None:
        lines.append(t._("Places: no limit"))
    else:
        lines.append(t._("Places: {n}", n=team.capacity))
    if team.deadline is None:
        lines.append(t._("Sign-up deadline: none"))
    else:
        lines.append(t._("Sign-up deadline: {date}", date=t.date(from_ts(team.deadline))))
    lines.append(t._("Captain approves sign-ups: yes") if team.approval else t._("Captain approves sign-ups: no"))
    lines.append(t._("Sign-up: open") if team.open else t._("Sign-up: closed"))
    if team.purpose:
        lines.append(t._("Purpose: {purpose}", purpose=team.purpose))
    lines.extend(["", t._("Only the captain, backbone volunteers and social workers can change these.")])
    return "\n".join(lines)


def settings_keyboard(t: Translator, team: Team) -> InlineKeyboardMarkup:
    """Buttons for every setting; each carries the value it sets, so a second press changes nothing."""
    tid = team.id

    def button(label: str, action: str, value: int) -> InlineKeyboardButton:
        return InlineKeyboardButton(label, callback_data=cb.TEAM_SET.build(action, tid, value))

    presets = [button(t._("{n} places", n=n), "cap", n) for n in CAPACITY_PRESETS]
    rows = [
        presets[:3],
        [*presets[3:], button(t._("No limit"), "cap", 0)],
        [button(t._("✏️ Other number"), "places", 0), button(t._("📅 Deadline"), "until", 0)],
        [button(t._("📝 Purpose"), "about", 0)],
    ]
    if team.deadline is not None:
        rows[-1].append(button(t._("🗑 No deadline"), "nodl", 0))
    rows.append(
        [
            button(t._("Turn captain approval off"), "appr", 0)
            if team.approval
            else button(t._("Turn captain approval on"), "appr", 1)
        ]
    )
    rows.append(
        [button(t._("🔓 Reopen sign-up"), "open", 1) if not team.open else button(t._("🔒 Close sign-up"), "open", 0)]
    )
    rows.append(
        [
            button(t._("👤 Take someone off"), "kick", 0),
            InlineKeyboardButton(t._("📋 List"), callback_data=cb.TEAM.build("roster", tid)),
        ]
    )
    return InlineKeyboardMarkup(rows)


def render_kick(t: Translator, roster: Roster) -> str:
    """The question above the list of people who can be taken off."""
    if not roster.members and not roster.waitlist:
        return t._("{team} has nobody to take off.", team=roster.team.name)
    return t._("Whom should I take off {team}? Press the name.", team=roster.team.name)


def kick_keyboard(t: Translator, roster: Roster) -> InlineKeyboardMarkup:
    """One button per member and waitlisted person, and a way back."""
    rows = [
        [InlineKeyboardButton(f"❌ {n}. {p.display_name}", callback_data=cb.TEAM_DECIDE.build("rm", p.seq))]
        for n, p in enumerate(roster.members, start=1)
    ]
    rows += [
        [
            InlineKeyboardButton(
                t.plain("❌ Waitlist {n}. {name}", n=n, name=p.display_name),
                callback_data=cb.TEAM_DECIDE.build("rm", p.seq),
            )
        ]
        for n, p in enumerate(roster.waitlist, start=1)
    ]
    rows = rows[:MAX_BUTTON_ROWS]
    rows.append([InlineKeyboardButton(t._("⬅️ Back"), callback_data=cb.TEAM_SET.build("back", roster.team.id, 0))])
    return InlineKeyboardMarkup(rows)


def render_call(t: Translator, roster: Roster, caller: str, mentions: list[Html], note: str) -> list[str]:
    """The call to every member, split into messages under the limit."""
    if not mentions:
        return [t._("{team} has no members yet.", team=roster.team.name)]
    lines = [t._("📣 <b>{team}</b>: {caller} calls the team together!", team=roster.team.name, caller=caller)]
    if note:
        lines.append(t._("Message: {note}", note=note))
    lines.extend(mentions)
    return paginate(lines)


def render_my_teams(t: Translator, items: list[MyTeam]) -> str:
    """A person's teams across courtyards."""
    if not items:
        return t._("You have not joined any team yet. In your courtyard's group, type /teams to see them.")
    lines = [t._("<b>Your teams</b>")]
    for item in items:
        lines.append(
            t._(
                "• {courtyard} · <b>{team}</b> — {state}",
                courtyard=item.courtyard,
                team=item.team.name,
                state=my_state(t, item),
            )
        )
    return "\n".join(lines)


def my_state(t: Translator, item: MyTeam) -> str:
    """A person's place in one team, in words."""
    if item.status == "member":
        return t._("member, number {n}", n=item.position)
    if item.status == "waitlist":
        return t._("waitlist, number {n}", n=item.position)
    return status_word(t, item.status)


def my_teams_keyboard(t: Translator, items: list[MyTeam]) -> InlineKeyboardMarkup | None:
    """A leave button for every team the person has signed up for."""
    rows = [
        [
            InlineKeyboardButton(
                t.plain("👋 Leave {team}", team=item.team.name), callback_data=cb.TEAM.build("bye", item.team.id)
            )
        ]
        for item in items
        if item.status != "captain"
    ]
    return InlineKeyboardMarkup(rows[:MAX_BUTTON_ROWS]) if rows else None


def render_me_section(t: Translator, items: list[MyTeam]) -> str:
    """The teams paragraph of /me."""
    if not items:
        return ""
    parts = [t._("{team} ({state})", team=item.team.name, state=my_state(t, item)) for item in items]
    return t._("Teams: {teams}", teams=Html(t.join(parts)))


def export_table(t: Translator, rows: list[ExportRow]) -> tuple[list[str], list[list[Cell]]]:
    """Headers and cells of a roster export, in the reader's language and time zone."""
    headers = [
        t._("Courtyard"),
        t._("Team"),
        t._("Name"),
        t._("Status"),
        t._("Place"),
        t._("Signed up at"),
        t._("Joined at"),
        t._("Last change"),
    ]

    def local(moment: datetime | None) -> datetime | None:
        # Spreadsheets have no time zones: show the community's wall-clock time.
        return moment.astimezone(t.tz).replace(tzinfo=None) if moment else None

    cells: list[list[Cell]] = [
        [
            r.courtyard,
            r.team,
            r.name,
            status_word(t, r.status),
            r.position,
            local(r.requested_at),
            local(r.joined_at),
            local(r.changed_at),
        ]
        for r in rows
    ]
    return headers, cells
