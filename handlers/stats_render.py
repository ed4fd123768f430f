"""Pure rendering of participation statistics: the /stats text, chart inputs, buttons and workbook sheets."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callback_data as cb
from bot.charts import BarInput
from bot.clock import from_ts
from bot.export import Cell
from bot.i18n import Translator
from bot.services.errors import DomainError, InvalidInput
from bot.services.stats import PERIODS, ExportData, StatsView
from bot.stats_export import Sheet
from handlers.common import error_text
from handlers.meetings_render import kind_label
from handlers.proposals_render import status_label
from storage.stats import YardCounts

TOP_YARDS = 12  # courtyard lines in a community overview before "…"


@dataclass(frozen=True)
class LineInput:
    """Arguments of render_line_chart."""

    title: str
    x_labels: list[str]
    series: dict[str, list[float]]
    y_label: str


def rung_names(t: Translator) -> list[str]:
    """The four rungs of the depth ladder, lowest first."""
    return [t._("Take part"), t._("Deliberate"), t._("Decide"), t._("Lead")]


def rung_name(t: Translator, rung: int) -> str:
    """One rung's name; 0 is an onlooker."""
    return rung_names(t)[rung - 1] if 1 <= rung <= 4 else t._("Onlooker")


def period_label(t: Translator, days: int) -> str:
    """7天 / 30天 / 90天 / 全部."""
    return t._("{n} days", n=t.number(days)) if days else t._("All time")


def _share(t: Translator, part: int, whole: int) -> str:
    return t.percent(part / whole if whole else 0.0)


def _trend(t: Translator, row: YardCounts) -> str:
    now = row.active / row.members if row.members else 0.0
    before = row.prev_active / row.prev_members if row.prev_members else 0.0
    arrow = "↑" if now > before else "↓" if now < before else "→"
    return t._("{arrow} previous period {share}", arrow=arrow, share=t.percent(before))


def _breadth(t: Translator, row: YardCounts) -> str:
    return t._(
        "{active} of {members} residents took part ({share})",
        active=t.number(row.active),
        members=t.number(row.members),
        share=_share(t, row.active, row.members),
    )


def render_overview(t: Translator, view: StatsView, scope_name: str) -> str:
    """The numbers of /stats as text (the chart only illustrates them)."""
    row = view.total
    if view.start is None:
        when = t._("since the beginning, until {end}", end=t.date(view.end))
    else:
        when = t._("{start} – {end}", start=t.date(view.start), end=t.date(view.end))
    lines = [
        t._("<b>📊 Participation · {scope}</b>", scope=scope_name),
        t._("Period: {period} ({when})", period=period_label(t, view.days), when=when),
        "",
        t._("<b>Breadth</b>: {breadth}", breadth=_breadth(t, row)),
    ]
    if view.days:
        lines.append("　" + _trend(t, row))
    lines += ["", t._("<b>Depth</b> (highest rung each resident has reached):")]
    onlookers = max(row.members - sum(row.rungs), 0)
    lines.append("　" + t._("{rung}: {n}", rung=rung_name(t, 0), n=t.number(onlookers)))
    for rung, count in enumerate(row.rungs, start=1):
        lines.append("　" + t._("{rung}: {n}", rung=rung_name(t, rung), n=t.number(count)))
    lines.append(t._("Moved up a rung in this period: {n}", n=t.number(row.moved_up)))
    totals = view.totals
    lines += [
        "",
        t._("<b>Activity in this period</b>"),
        "　"
        + t._(
            "Votes {ballots} (anonymous {anonymous}) · RSVPs {rsvps} · check-ins {checkins}",
            ballots=t.number(totals.ballots),
            anonymous=t.number(totals.anonymous_ballots),
            rsvps=t.number(totals.rsvps),
            checkins=t.number(totals.checkins),
        ),
        "　"
        + t._(
            "Team sign-ups {signups} · proposals {proposals} · supports {supports}",
            signups=t.number(totals.signups),
            proposals=t.number(totals.proposals),
            supports=t.number(totals.supports),
        ),
    ]
    if view.yards:
        lines += ["", t._("<b>By courtyard</b> (took part / members):")]
        for yard in view.yards[:TOP_YARDS]:
            lines.append(
                "　"
                + t._(
                    "{name}: {active}/{members} ({share}), moved up {moved}",
                    name=yard.name,
                    active=t.number(yard.active),
                    members=t.number(yard.members),
                    share=_share(t, yard.active, yard.members),
                    moved=t.number(yard.moved_up),
                )
            )
        if len(view.yards) > TOP_YARDS:
            lines.append("　" + t._("… and {n} more courtyards", n=t.number(len(view.yards) - TOP_YARDS)))
    return "\n".join(lines)


def ladder_chart(t: Translator, view: StatsView, scope_name: str) -> BarInput:
    """The depth ladder as bars, onlookers first."""
    row = view.total
    counts = [max(row.members - sum(row.rungs), 0), *row.rungs]
    return BarInput(
        title=t.plain("Depth of participation · {scope}", scope=scope_name),
        labels=[rung_name(t, r) for r in range(5)],
        values=[float(c) for c in counts],
        value_labels=[t.number(c) for c in counts],
        subtitle=t._("Residents by highest rung reached"),
    )


def breadth_chart(t: Translator, view: StatsView, scope_name: str) -> LineInput:
    """Breadth by month over the last months, as percentages."""
    values = [round(100 * active / members, 1) if members else 0.0 for members, active in view.monthly]
    return LineInput(
        title=t.plain("Breadth by month · {scope}", scope=scope_name),
        x_labels=[t._("{month}/{year}", month=m.month, year=m.year % 100) for m in view.months],
        series={t._("Took part (%)"): values},
        y_label="%",
    )


def period_keyboard(t: Translator, days: int) -> InlineKeyboardMarkup:
    """7天 / 30天 / 90天 / 全部, the current one marked."""
    row = [
        InlineKeyboardButton(("• " if d == days else "") + period_label(t, d), callback_data=cb.STATS.build("p", d))
        for d in PERIODS
    ]
    return InlineKeyboardMarkup([row])


def stats_error(t: Translator, exc: DomainError) -> str:
    """Polite text for a refused or invalid statistics request."""
    if isinstance(exc, InvalidInput) and exc.reason == "period":
        return t._("Please choose 7, 30 or 90 days, or all time.")
    return error_text(t, exc)


def _local(t: Translator, ts: int | None) -> datetime | None:
    """A stored time as a naive local datetime (spreadsheets have no time zones)."""
    return from_ts(ts).astimezone(t.tz).replace(tzinfo=None) if ts is not None else None


def _yes_no(t: Translator, flag: object) -> str:
    return t._("yes") if flag else t._("no")


def export_sheets(t: Translator, data: ExportData) -> list[Sheet]:
    """The five sheets of the statistics workbook, headers translated."""

    def residents() -> Iterator[Sequence[Cell]]:
        for r in data.residents:
            yield (
                r.name,
                r.yards,
                rung_name(t, r.rung),
                r.votes,
                r.rsvps,
                r.checkins,
                r.signups,
                r.proposals,
                r.supports,
                r.committee_votes,
                r.leads,
                _local(t, r.first_at),
                _local(t, r.last_at),
            )

    resident_headers = [
        t._("Resident"),
        t._("Courtyard"),
        t._("Highest rung"),
        t._("Votes"),
        t._("RSVPs"),
        t._("Check-ins"),
        t._("Team sign-ups"),
        t._("Proposals"),
        t._("Supports"),
        t._("Committee votes"),
        t._("Led (captain, organiser, poll)"),
        t._("First activity"),
        t._("Last activity"),
    ]
    return [
        Sheet(t._("Residents"), resident_headers, residents(), (16, 20, 10) + (10,) * 8 + (18, 18)),
        Sheet(
            t._("Teams"),
            [
                t._("Courtyard"),
                t._("Team"),
                t._("Purpose"),
                t._("Capacity"),
                t._("Captain"),
                t._("Members"),
                t._("Waitlist"),
                t._("Created"),
            ],
            (
                [
                    r["yard"],
                    r["name"],
                    r["purpose"],
                    r["capacity"],
                    r["captain"],
                    r["members"] or 0,
                    r["waitlist"] or 0,
                    _local(t, r["created_at"]),
                ]
                for r in data.teams
            ),
            (16, 20, 30, 8, 14, 8, 8, 18),
        ),
        Sheet(
            t._("Meetings and check-ins"),
            [
                t._("Kind"),
                t._("Title"),
                t._("Time"),
                t._("Meeting place"),
                t._("Attending"),
                t._("Maybe"),
                t._("Not attending"),
                t._("Checked in"),
                t._("Cancelled"),
            ],
            (
                [
                    kind_label(t, r["kind"]),
                    r["title"],
                    _local(t, r["starts_at"]),
                    r["place"],
                    r["yes"],
                    r["maybe"],
                    r["no"],
                    r["checkins"],
                    _yes_no(t, r["status"] == "cancelled"),
                ]
                for r in data.meetings
            ),
            (10, 24, 18, 16, 8, 8, 8, 8, 8),
        ),
        Sheet(
            t._("Polls"),
            [
                t._("Question"),
                t._("Courtyard"),
                t._("Anonymous"),
                t._("Committee only"),
                t._("Ballots"),
                t._("Turnout"),
                t._("Closed"),
                t._("Created"),
            ],
            (
                [
                    r["question"],
                    r["yard"],
                    _yes_no(t, r["anonymous"]),
                    _yes_no(t, r["electorate"] == "committee"),
                    r["ballots"],
                    _turnout(t, r["ballots"], r["electorate_size"]),
                    _yes_no(t, r["status"] == "closed"),
                    _local(t, r["created_at"]),
                ]
                for r in data.polls
            ),
            (30, 16, 8, 8, 8, 8, 8, 18),
        ),
        Sheet(
            t._("Proposals"),
            [
                t._("No."),
                t._("Title"),
                t._("Courtyard"),
                t._("Proposer"),
                t._("Supports"),
                t._("Status"),
                t._("Reason"),
                t._("Created"),
            ],
            (
                [
                    r["number"],
                    r["title"],
                    r["yard"],
                    r["proposer"],
                    r["supports"],
                    status_label(t, r["status"]),
                    r["answer_reason"] or "",
                    _local(t, r["created_at"]),
                ]
                for r in data.proposals
            ),
            (6, 24, 16, 14, 8, 10, 24, 18),
        ),
    ]


def _turnout(t: Translator, ballots: int, size: int) -> str:
    """Ballots per known member of the poll's chat, as a percentage (empty when the chat's size is unknown)."""
    return t.percent(ballots / size) if size else ""
