"""The roster export: every sign-up of a courtyard's teams (or all of them), history included."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.clock import from_ts
from storage.teams import Team, TeamsRepository


@dataclass(frozen=True)
class ExportRow:
    courtyard: str
    team: str
    name: str
    status: str
    position: int | None
    requested_at: datetime
    joined_at: datetime | None
    changed_at: datetime


async def export_rows(repo: TeamsRepository, teams: list[tuple[Team, str]]) -> list[ExportRow]:
    """The rows of these (team, courtyard name) pairs: current states first, in queue order, then history."""
    rows: list[ExportRow] = []
    order = {"member": 0, "waitlist": 1, "pending": 2}
    for team, yard in teams:
        people = await repo.people(team.id, ("member", "waitlist", "pending", "left", "removed", "declined"))
        places: dict[str, int] = {}
        for person in sorted(people, key=lambda p: (order.get(p.status, 3), p.seq)):
            position = None
            if person.status in order:
                places[person.status] = position = places.get(person.status, 0) + 1
            rows.append(
                ExportRow(
                    courtyard=yard,
                    team=team.name,
                    name=person.display_name,
                    status=person.status,
                    position=position,
                    requested_at=from_ts(person.requested_at),
                    joined_at=from_ts(person.joined_at) if person.joined_at else None,
                    changed_at=from_ts(person.changed_at),
                )
            )
    return rows
