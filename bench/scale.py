"""Statistics at scale: /stats and the Excel export over 3,000 courtyards, 300,000 residents, 2,000,000 acts."""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

from bench.common import bench_config, emit, in_child, percentile, rss_mb
from bot.clock import to_ts
from tests import builders as b
from tests.fakes import FakeBotAPI, FakeClock
from tests.harness import SOCIAL_WORKER_ID, Harness

YARDS_PER_COMMUNITY = 100
RESIDENTS_PER_YARD = 100  # so one community has 10,000 residents, the size the export target names
POLLS_PER_YARD = 4  # poll 0 anonymous, poll 3 committee-only, the others public
TEAMS_PER_YARD = 2
PROPOSALS_PER_YARD = 5
MEETINGS_PER_COMMUNITY = 20
YEAR = 365 * 86400
FIRST_USER = 2_000_000
STATS_RUNS = 15


def _chat_id(yard: int) -> int:
    return -1005000000000 - yard


def _user(i: int) -> int:
    return FIRST_USER + i


def seed(path: Path, communities: int, now: int) -> dict[str, int]:
    """Fill a migrated database with plain sqlite3 (executemany in a few big transactions); return row counts."""
    rng = random.Random(6)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA foreign_keys=OFF")  # rows are generated consistent; checking each costs minutes
    yards = communities * YARDS_PER_COMMUNITY
    residents = yards * RESIDENTS_PER_YARD
    counts: dict[str, int] = {}

    def when() -> int:
        return now - rng.randrange(YEAR)

    def community_of(yard: int) -> int:
        return (yard - 1) // YARDS_PER_COMMUNITY + 1

    conn.execute("BEGIN")
    # Community 1 is the bot's own (created at start-up); the others share the database.
    conn.executemany(
        "INSERT OR IGNORE INTO communities(id, name, created_at) VALUES (?, ?, ?)",
        ((c, f"社区{c}", now) for c in range(2, communities + 1)),
    )
    conn.executemany(
        "INSERT INTO courtyards(id, community_id, name, created_at) VALUES (?, ?, ?, ?)",
        ((y, community_of(y), f"院落{y}", now - YEAR) for y in range(1, yards + 1)),
    )
    conn.executemany(
        "INSERT INTO chats(chat_id, type, title, community_id, courtyard_id, scope, added_at, updated_at) "
        "VALUES (?, 'supergroup', ?, ?, ?, 'courtyard', ?, ?)",
        ((_chat_id(y), f"院落{y}群", community_of(y), y, now - YEAR, now) for y in range(1, yards + 1)),
    )
    conn.executemany(
        "INSERT INTO users(user_id, display_name, first_seen, last_seen) VALUES (?, ?, ?, ?)",
        ((_user(i), f"居民{i}", now - YEAR, now) for i in range(residents)),
    )
    conn.executemany(
        "INSERT INTO chat_members(chat_id, user_id, first_seen, last_seen) VALUES (?, ?, ?, ?)",
        ((_chat_id(i // RESIDENTS_PER_YARD + 1), _user(i), now - YEAR, now) for i in range(residents)),
    )
    conn.execute("COMMIT")

    def first_of(yard: int) -> int:
        return (yard - 1) * RESIDENTS_PER_YARD

    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO polls(id, community_id, scope_id, chat_id, creator_id, question, anonymous, electorate, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            (
                (y - 1) * POLLS_PER_YARD + j + 1,
                community_of(y),
                y,
                _chat_id(y),
                _user(first_of(y)),
                f"院落{y}的第{j + 1}个问题",
                int(j == 0),
                "committee" if j == POLLS_PER_YARD - 1 else "all",
                when(),
            )
            for y in range(1, yards + 1)
            for j in range(POLLS_PER_YARD)
        ),
    )

    def ballots() -> Iterator[tuple[int, str, int | None, int, int]]:
        for i in range(residents):
            yard = i // RESIDENTS_PER_YARD + 1
            for j in rng.sample(range(POLLS_PER_YARD), 2):
                poll = (yard - 1) * POLLS_PER_YARD + j + 1
                yield poll, f"{poll}:{i}", None if j == 0 else _user(i), i, when()

    conn.executemany(
        "INSERT INTO poll_ballots(poll_id, voter_key, user_id, seq, cast_at) VALUES (?, ?, ?, ?, ?)", ballots()
    )
    counts["ballots"] = residents * 2
    conn.execute("COMMIT")

    conn.execute("BEGIN")
    meetings = communities * MEETINGS_PER_COMMUNITY
    conn.executemany(
        "INSERT INTO meetings(id, community_id, kind, title, starts_at, checkin_code, organiser_id, created_at, "
        "updated_at) VALUES (?, ?, 'courtyard', ?, ?, ?, ?, ?, ?)",
        (
            (
                m,
                (m - 1) // MEETINGS_PER_COMMUNITY + 1,
                f"坝坝会{m}",
                when(),
                f"c{m}",
                _user(((m - 1) // MEETINGS_PER_COMMUNITY) * YARDS_PER_COMMUNITY * RESIDENTS_PER_YARD + m % 97),
                now - YEAR,
                now,
            )
            for m in range(1, meetings + 1)
        ),
    )
    conn.executemany(
        "INSERT INTO meeting_chats(meeting_id, chat_id) VALUES (?, ?)",
        (
            (m, _chat_id(((m - 1) // MEETINGS_PER_COMMUNITY) * YARDS_PER_COMMUNITY + k * 20 + m % 20 + 1))
            for m in range(1, meetings + 1)
            for k in range(5)
        ),
    )
    rsvps: list[tuple[int, int, str, int, int]] = []
    checkins: list[tuple[int, int, int]] = []
    for i in range(residents):
        base = (i // (YARDS_PER_COMMUNITY * RESIDENTS_PER_YARD)) * MEETINGS_PER_COMMUNITY
        chosen = rng.sample(range(MEETINGS_PER_COMMUNITY), 2)
        for k in chosen:
            rsvps.append((base + k + 1, _user(i), rng.choice(("yes", "yes", "maybe", "no")), i, when()))
        if rng.random() < 0.7:
            checkins.append((base + chosen[0] + 1, _user(i), when()))
    conn.executemany(
        "INSERT INTO meeting_rsvps(meeting_id, user_id, answer, seq, updated_at) VALUES (?, ?, ?, ?, ?)", rsvps
    )
    conn.executemany("INSERT INTO meeting_checkins(meeting_id, user_id, via, at) VALUES (?, ?, 'code', ?)", checkins)
    counts["rsvps"], counts["checkins"] = len(rsvps), len(checkins)
    del rsvps, checkins
    conn.execute("COMMIT")

    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO teams(id, courtyard_id, name, captain_id, created_by, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            (
                (y - 1) * TEAMS_PER_YARD + j + 1,
                y,
                f"队伍{j}",
                _user(first_of(y) + 1),
                _user(first_of(y) + 1),
                when(),
                now,
            )
            for y in range(1, yards + 1)
            for j in range(TEAMS_PER_YARD)
        ),
    )
    events: list[tuple[int, int, int, str, int]] = []
    for i in range(residents):
        yard = i // RESIDENTS_PER_YARD + 1
        for j in range(TEAMS_PER_YARD):
            if rng.random() < 0.65:
                events.append((len(events) + 1, (yard - 1) * TEAMS_PER_YARD + j + 1, _user(i), "member", when()))
    conn.executemany("INSERT INTO team_events(id, team_id, user_id, status, at) VALUES (?, ?, ?, ?, ?)", events)
    conn.executemany(
        "INSERT INTO team_members(team_id, user_id, status, seq, requested_at, joined_at, changed_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        ((team, user, status, seq, at, at, at) for seq, team, user, status, at in events),
    )
    counts["team_events"] = len(events)
    del events
    conn.executemany(
        "INSERT INTO proposals(id, community_id, scope_id, number, chat_id, proposer_id, title, norm_title, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            (
                (y - 1) * PROPOSALS_PER_YARD + j + 1,
                community_of(y),
                y,
                j + 1,
                _chat_id(y),
                _user(first_of(y) + 2 + j),
                f"主题{j}",
                f"主题{j}",
                when(),
            )
            for y in range(1, yards + 1)
            for j in range(PROPOSALS_PER_YARD)
        ),
    )

    def supports() -> Iterator[tuple[int, int, int]]:
        for i in range(residents):
            if rng.random() < 0.67:
                yard = i // RESIDENTS_PER_YARD + 1
                yield (yard - 1) * PROPOSALS_PER_YARD + rng.randrange(PROPOSALS_PER_YARD) + 1, _user(i), when()

    conn.executemany("INSERT INTO proposal_supports(proposal_id, user_id, created_at) VALUES (?, ?, ?)", supports())
    conn.execute("COMMIT")
    counts["supports"] = int(conn.execute("SELECT COUNT(*) FROM proposal_supports").fetchone()[0])
    conn.execute("ANALYZE")
    conn.close()
    counts["courtyards"], counts["residents"] = yards, residents
    return counts


async def _measure(folder: Path) -> dict[str, float]:
    """In a fresh process: /stats for the whole community many times, then the export, through PTB."""
    # One command per social worker, so the flood gate (a few commands per person per window) never interferes.
    workers = [b.TgUser(SOCIAL_WORKER_ID + k, f"社工{k}") for k in range(STATS_RUNS)]
    sw = workers[0]
    chat = b.private(sw)
    config = bench_config(folder, roles={"social_workers": [w.id for w in workers]})
    async with Harness(config, FakeBotAPI(), FakeClock()) as h:
        await h.send(b.message(sw, chat, "/start"))
        service = h.deps.services.stats
        actor = await h.deps.services.people.actor(sw.id, "王社工", None, chat.id, "private", False)
        query_ms: list[float] = []
        for _ in range(STATS_RUNS):
            start = time.perf_counter()
            await service.overview(actor)
            query_ms.append((time.perf_counter() - start) * 1000)
        full_ms: list[float] = []
        for worker in workers:
            start = time.perf_counter()
            await h.send(b.message(worker, b.private(worker), "/stats"))
            full_ms.append((time.perf_counter() - start) * 1000)
            assert "院落" in h.fake.last_text(worker.id), h.fake.last_text(worker.id)
        start = time.perf_counter()
        await h.send(b.message(sw, chat, "/exportstats"))
        export_s = time.perf_counter() - start
        docs = h.fake.of("sendDocument", sw.id)
        assert docs, h.fake.last_text(chat.id)
        size = len(next(iter(docs[-1].files.values())))
    return {
        "query_p50": percentile(query_ms, 50),
        "full_p50": percentile(full_ms, 50),
        "full_p99": percentile(full_ms, 99),
        "export": export_s,
        "export_kb": size / 1024,
        "rss": rss_mb(),
    }


def _child(folder: str) -> None:
    print(json.dumps(asyncio.run(_measure(Path(folder)))))


def run(folder: Path, quick: bool) -> None:
    """Seed (a tenth of the sizes with --quick), then measure /stats and the export in a fresh process."""
    folder = folder / "scale"
    folder.mkdir(parents=True)
    clock = FakeClock()

    async def migrate() -> None:
        async with Harness(bench_config(folder), FakeBotAPI(), clock):
            pass

    asyncio.run(migrate())
    communities = 3 if quick else 30
    start = time.perf_counter()
    counts = seed(Path(bench_config(folder).database.path), communities, to_ts(clock.now()))
    emit("scale_seed_seconds", time.perf_counter() - start, "s")
    acts = counts["ballots"] + counts["rsvps"] + counts["checkins"] + counts["team_events"] + counts["supports"]
    emit("scale_courtyards", counts["courtyards"], "courtyards")
    emit("scale_residents", counts["residents"], "residents")
    emit("scale_participation_rows", acts, "rows")
    figures = in_child("bench.scale", folder, timeout=600)
    emit("stats_query_p50_ms", figures["query_p50"], "ms")
    emit("stats_p50_ms", figures["full_p50"], "ms")
    emit("stats_p99_ms", figures["full_p99"], "ms")
    emit("export_seconds", figures["export"], "s")
    emit("export_size", figures["export_kb"], "KB")
    emit("scale_rss", figures["rss"], "MB")
