"""Use cases: plain values in, dataclasses out, domain errors raised; no Telegram, no text."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from bot.clock import Clock, to_ts
from bot.config import Config
from bot.services.attendance import AttendanceService
from bot.services.broadcasts import BroadcastService
from bot.services.committee import CommitteeService
from bot.services.community import CommunityService
from bot.services.feedback import FeedbackService
from bot.services.meetings import MeetingService
from bot.services.minutes import MinutesService
from bot.services.people import PeopleService
from bot.services.polls import PollService
from bot.services.privacy import PrivacyService
from bot.services.proposals import ProposalService
from bot.services.reminders import ReminderService
from bot.services.stats import StatsService
from bot.services.teams import TeamsService
from bot.services.teams_settings import TeamSettingsService
from storage.chats import ChatsRepository
from storage.db import Database


@dataclass
class Services:
    """Every service, built once the database is open."""

    community_id: int
    community: CommunityService
    people: PeopleService
    privacy: PrivacyService
    broadcasts: BroadcastService
    reminders: ReminderService
    teams: TeamsService
    team_settings: TeamSettingsService
    meetings: MeetingService
    attendance: AttendanceService
    minutes: MinutesService
    proposals: ProposalService
    polls: PollService
    stats: StatsService
    committee: CommitteeService
    feedback: FeedbackService


async def build_services(config: Config, db: Database, clock: Clock) -> Services:
    """Create the services over an open, migrated database."""
    async with db.transaction() as conn:
        community_id = await ChatsRepository(conn).ensure_community(config.community.name, to_ts(clock.now()))
    teams = TeamsService(db, clock, community_id, config.community.timezone)
    services = Services(
        community_id=community_id,
        community=CommunityService(db, clock, community_id),
        people=PeopleService(db, clock, config.roles.social_workers),
        privacy=PrivacyService(db),
        broadcasts=BroadcastService(db, clock, community_id),
        reminders=ReminderService(db, clock, config.community.timezone),
        teams=teams,
        team_settings=TeamSettingsService(teams),
        meetings=MeetingService(
            db,
            clock,
            community_id,
            config.community.timezone,
            (int(o.total_seconds()) for o in config.reminders.default_offsets),
        ),
        attendance=AttendanceService(db, clock, community_id, config.community.timezone),
        minutes=MinutesService(db, clock, community_id, config.community.timezone),
        proposals=ProposalService(db, clock, community_id),
        polls=PollService(db, clock, community_id, ballot_secret(config)),
        stats=StatsService(db, clock, community_id, config.community.timezone, config.roles.social_workers),
        committee=CommitteeService(db, clock, community_id, config.community.timezone, config.roles.social_workers),
        feedback=FeedbackService(db, clock, community_id, config.community.timezone, config.feedback),
    )
    services.privacy.add_hook(services.teams.forget_hook)
    services.privacy.add_hook(services.attendance.forget_hook)
    services.privacy.add_hook(services.polls.forget)
    services.privacy.add_hook(services.feedback.forget_hook)
    return services


def ballot_secret(config: Config) -> bytes:
    """The key that turns (poll, person) into a ballot key; derived from the token, which never enters the db."""
    # Rotating the token makes open anonymous polls forget who voted (they could vote again).
    return hashlib.sha256(b"courtyard-bot/poll-ballots\0" + config.telegram.token.encode()).digest()
