"""The contest's ranking math, pure: weighted totals, raw and normalised means, ties, the tie-break.

A member's weighted total for an entry is the sum of each criterion's score times its weight (weights
are percentages summing to 100), so it stays on the score scale. Only a member who scored every
criterion of an entry counts for it. The raw result of an entry is the mean of its members' totals.
Because recusal means not every member scores every entry, a strict member would pull down only the
entries they scored; the normalised result removes each member's own level and spread: a member's
totals become z-scores (their mean and population standard deviation), rescaled with the mean and
standard deviation of all totals, clamped to the scale, and averaged per entry like the raw ones. A
member with a single total (or all totals equal) contributes the pooled mean.

Rankings are competition rankings (1, 1, 3): equal results share a rank. The final order breaks ties
by the per-criterion averages in the contest's tie-break order; entries still equal stay tied.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from statistics import fmean, pstdev

PLACES = 6  # results equal to six decimal places are ties (floating-point noise is not a difference)

Member = Hashable
Scores = Mapping[tuple[Member, int], Mapping[int, int]]  # (member, entry) -> {criterion: score}


@dataclass(frozen=True)
class Criterion:
    id: int
    weight: int  # percent


@dataclass(frozen=True)
class EntryResult:
    entry: int
    scorers: int  # members who scored every criterion
    raw: float | None  # None: nobody scored it
    normalised: float | None
    averages: dict[int, float]  # per criterion, over the members who scored it fully
    raw_rank: int
    normalised_rank: int
    place: int  # after the tie-break (entries still equal share a place)
    tied: bool  # shares its raw rank with another entry

    @property
    def rankings_differ(self) -> bool:
        """Whether the raw and the normalised rankings put this entry in different places."""
        return self.raw_rank != self.normalised_rank


def weighted_total(criteria: Sequence[Criterion], scores: Mapping[int, int]) -> float | None:
    """A member's total for one entry, on the score scale; None unless every criterion is scored."""
    if any(c.id not in scores for c in criteria):
        return None
    return sum(c.weight * scores[c.id] for c in criteria) / 100


def check_weights(weights: Sequence[int]) -> bool:
    """Weights are whole positive percentages summing to 100."""
    return bool(weights) and all(w > 0 for w in weights) and sum(weights) == 100


def _key(value: float | None) -> float:
    return float("-inf") if value is None else round(value, PLACES)


def competition_ranks(values: Mapping[int, float | None]) -> dict[int, int]:
    """1 + the number of entries strictly better; entries without a result come last, tied."""
    keys = {entry: _key(v) for entry, v in values.items()}
    return {entry: 1 + sum(1 for other in keys.values() if other > k) for entry, k in keys.items()}


def normalised_totals(
    totals: Mapping[tuple[Member, int], float], scale: tuple[int, int]
) -> dict[tuple[Member, int], float]:
    """Each member's totals as z-scores, rescaled with the pooled mean and spread, clamped to the scale."""
    if not totals:
        return {}
    pooled = list(totals.values())
    grand_mean, grand_sd = fmean(pooled), pstdev(pooled)
    by_member: dict[Member, list[float]] = {}
    for (member, _), total in totals.items():
        by_member.setdefault(member, []).append(total)
    out: dict[tuple[Member, int], float] = {}
    for (member, entry), total in totals.items():
        own = by_member[member]
        mean, sd = fmean(own), pstdev(own)
        z = (total - mean) / sd if sd > 0 else 0.0
        out[(member, entry)] = min(max(grand_mean + z * grand_sd, scale[0]), scale[1])
    return out


def rank(
    entries: Sequence[int],
    criteria: Sequence[Criterion],
    scores: Scores,
    scale: tuple[int, int],
    tie_break: Sequence[int] = (),
) -> list[EntryResult]:
    """Every entry's results and places, best first (by place, then raw rank, then entry id)."""
    totals: dict[tuple[Member, int], float] = {}
    for key, given in scores.items():
        if key[1] in entries:
            total = weighted_total(criteria, given)
            if total is not None:
                totals[key] = total
    normal = normalised_totals(totals, scale)
    raw: dict[int, float | None] = {}
    norm: dict[int, float | None] = {}
    averages: dict[int, dict[int, float]] = {}
    counts: dict[int, int] = {}
    for entry in entries:
        members = [m for (m, e) in totals if e == entry]
        counts[entry] = len(members)
        raw[entry] = fmean(totals[(m, entry)] for m in members) if members else None
        norm[entry] = fmean(normal[(m, entry)] for m in members) if members else None
        averages[entry] = {c.id: fmean(scores[(m, entry)][c.id] for m in members) for c in criteria} if members else {}
    raw_ranks = competition_ranks(raw)
    norm_ranks = competition_ranks(norm)

    def order_key(entry: int) -> tuple[float, ...]:
        return (_key(raw[entry]), *(_key(averages[entry].get(c)) for c in tie_break))

    keys = {entry: order_key(entry) for entry in entries}
    places = {entry: 1 + sum(1 for other in keys.values() if other > keys[entry]) for entry in entries}
    results = [
        EntryResult(
            entry=entry,
            scorers=counts[entry],
            raw=raw[entry],
            normalised=norm[entry],
            averages=averages[entry],
            raw_rank=raw_ranks[entry],
            normalised_rank=norm_ranks[entry],
            place=places[entry],
            tied=sum(1 for r in raw_ranks.values() if r == raw_ranks[entry]) > 1,
        )
        for entry in entries
    ]
    return sorted(results, key=lambda r: (r.place, r.raw_rank, r.entry))


def award_tiers(ordered: Sequence[int], tiers: Sequence[tuple[str, int]]) -> dict[int, str]:
    """Tiers in order to entries in order; a count of 0 means "all the rest"."""
    out: dict[int, str] = {}
    position = 0
    for name, count in tiers:
        take = len(ordered) - position if count == 0 else count
        for entry in ordered[position : position + take]:
            out[entry] = name
        position += take
    return out
