"""The threshold arithmetic of the voting rules that follow the law (pure: no storage, no text).

- 普通 ('plain'): today's poll, no turnout rule.
- 居民会议 ('residents_meeting', 城市居民委员会组织法 第9条): valid when more than half of the households (or of
  the residents, when no households are entered) take part; passes by more than half of those who took part.
- 业主共同决定 ('owners', 民法典 第278条): valid when owners of at least 2/3 of the floor area and at least 2/3 of
  the owners take part; passes with more than half of the participating area and of the participating owners,
  or at least 3/4 of both for the 'major' matters (筹集维修资金, 改建重建, 改变共有部分用途或者利用共有部分从事经营).
  One vote per owner: several units of one owner count once by headcount with their areas added.

Every comparison is made on whole numbers (areas in hundredths of a square metre), never on floats.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

PLAIN = "plain"
RESIDENTS_MEETING = "residents_meeting"
OWNERS = "owners"
VOTE_RULES = (PLAIN, RESIDENTS_MEETING, OWNERS)
ORDINARY = "ordinary"
MAJOR = "major"  # 筹集维修资金, 改建重建, 改变共有部分用途或者利用共有部分从事经营
MATTERS = (ORDINARY, MAJOR)

HALF = Fraction(1, 2)
TWO_THIRDS = Fraction(2, 3)
THREE_QUARTERS = Fraction(3, 4)


def at_least(part: int, whole: int, share: Fraction) -> bool:
    """part ≥ share × whole, exactly."""
    return part * share.denominator >= whole * share.numerator


def more_than(part: int, whole: int, share: Fraction) -> bool:
    """part > share × whole, exactly."""
    return part * share.denominator > whole * share.numerator


def needed_at_least(whole: int, share: Fraction) -> int:
    """The smallest whole number n with n ≥ share × whole."""
    return -(-whole * share.numerator // share.denominator)


def needed_more_than(whole: int, share: Fraction) -> int:
    """The smallest whole number n with n > share × whole."""
    return whole * share.numerator // share.denominator + 1


@dataclass(frozen=True)
class UnitShare:
    """One unit of the list: its floor area (0.01 ㎡) and who owns it (None: its own owner)."""

    unit_id: int
    area: int
    owner: str | None = None

    @property
    def owner_key(self) -> str:
        """Units of one named owner share a key; an unnamed owner is the unit itself."""
        return f"n:{' '.join(self.owner.split())}" if self.owner and self.owner.strip() else f"u:{self.unit_id}"


@dataclass(frozen=True)
class UnitBallot:
    """A ballot that speaks for a unit: its choices and an order (the later ballot of one owner wins)."""

    unit_id: int
    choices: frozenset[int]
    order: int = 0


@dataclass(frozen=True)
class OptionShare:
    """How much of those who took part chose one option, and whether that passes."""

    position: int
    count: int  # households / residents (居民会议) or owners (业主共同决定)
    area: int  # 0.01 ㎡; 0 under 居民会议
    passed: bool


@dataclass(frozen=True)
class RuleOutcome:
    """A poll's result under its rule: turnout, the threshold still missing, and each option's share."""

    rule: str
    matter: str
    basis: str  # 'households' | 'residents' | 'owners' | 'none': what was counted
    eligible: int  # households, residents or owners
    took_part: int
    eligible_area: int
    took_part_area: int
    turnout_met: bool
    options: tuple[OptionShare, ...]
    short_by: int  # how many more (households, residents or owners) reach the turnout threshold
    short_by_area: int  # how much more area (0.01 ㎡) reaches it (业主共同决定)
    advisory_reasons: tuple[str, ...] = ()  # non-empty: the result is 仅供参考
    uncounted: int = 0  # ballots that speak for no unit of the list (业主共同决定) or no known household

    @property
    def advisory(self) -> bool:
        """仅供参考: the unit list (or the count it rests on) is incomplete."""
        return bool(self.advisory_reasons)

    @property
    def passed(self) -> tuple[int, ...]:
        """Positions that passed (only when turnout was met)."""
        return tuple(o.position for o in self.options if o.passed) if self.turnout_met else ()

    @property
    def turnout_share(self) -> Fraction:
        """The threshold of turnout (1/2 for 居民会议, 2/3 for 业主共同决定)."""
        return TWO_THIRDS if self.rule == OWNERS else HALF

    @property
    def pass_share(self) -> Fraction:
        """The share an option needs of those who took part."""
        return THREE_QUARTERS if self.rule == OWNERS and self.matter == MAJOR else HALF


def residents_meeting(
    eligible: int,
    voters: Mapping[object, frozenset[int]],
    positions: Sequence[int],
    *,
    basis: str,
    advisory_reasons: Iterable[str] = (),
) -> RuleOutcome:
    """居民会议: voters maps each household (or resident) that took part to its choices.

    Valid when more than half of `eligible` took part; an option passes when more than half of those who
    took part chose it.
    """
    took_part = len(voters)
    turnout = more_than(took_part, eligible, HALF) if eligible else False
    counts = {p: sum(1 for c in voters.values() if p in c) for p in positions}
    options = tuple(OptionShare(p, counts[p], 0, turnout and more_than(counts[p], took_part, HALF)) for p in positions)
    short = max(needed_more_than(eligible, HALF) - took_part, 0) if eligible else 0
    return RuleOutcome(
        rule=RESIDENTS_MEETING,
        matter=ORDINARY,
        basis=basis,
        eligible=eligible,
        took_part=took_part,
        eligible_area=0,
        took_part_area=0,
        turnout_met=turnout,
        options=options,
        short_by=short,
        short_by_area=0,
        advisory_reasons=tuple(advisory_reasons),
    )


def owners_decision(
    units: Sequence[UnitShare],
    ballots: Iterable[UnitBallot],
    positions: Sequence[int],
    *,
    matter: str = ORDINARY,
    advisory_reasons: Iterable[str] = (),
) -> RuleOutcome:
    """业主共同决定 over a unit list: one say per owner, their units' areas added.

    A ballot for a unit not on the list is ignored. When an owner's units carry several ballots, the one
    with the highest order speaks for all of that owner's units.
    """
    by_unit = {u.unit_id: u for u in units}
    owner_area: dict[str, int] = {}
    for unit in units:
        owner_area[unit.owner_key] = owner_area.get(unit.owner_key, 0) + unit.area
    said: dict[str, UnitBallot] = {}
    for ballot in ballots:
        found = by_unit.get(ballot.unit_id)
        if found is None:
            continue
        key = found.owner_key
        if key not in said or ballot.order > said[key].order:
            said[key] = ballot
    total_owners, total_area = len(owner_area), sum(owner_area.values())
    part_owners, part_area = len(said), sum(owner_area[k] for k in said)
    turnout = (
        total_owners > 0
        and at_least(part_area, total_area, TWO_THIRDS)
        and at_least(part_owners, total_owners, TWO_THIRDS)
    )
    share = THREE_QUARTERS if matter == MAJOR else HALF
    options = []
    for p in positions:
        owners = [k for k, b in said.items() if p in b.choices]
        count, area = len(owners), sum(owner_area[k] for k in owners)
        if matter == MAJOR:
            ok = at_least(count, part_owners, share) and at_least(area, part_area, share)
        else:
            ok = more_than(count, part_owners, share) and more_than(area, part_area, share)
        options.append(OptionShare(p, count, area, turnout and part_owners > 0 and ok))
    return RuleOutcome(
        rule=OWNERS,
        matter=matter,
        basis="owners",
        eligible=total_owners,
        took_part=part_owners,
        eligible_area=total_area,
        took_part_area=part_area,
        turnout_met=turnout,
        options=tuple(options),
        short_by=max(needed_at_least(total_owners, TWO_THIRDS) - part_owners, 0),
        short_by_area=max(needed_at_least(total_area, TWO_THIRDS) - part_area, 0),
        advisory_reasons=tuple(advisory_reasons),
    )


def list_gaps(households: int | None, units_listed: int, units_without_area: int = 0) -> tuple[str, ...]:
    """Why a unit list cannot carry a binding 业主共同决定 (empty: it can)."""
    reasons: list[str] = []
    if units_listed == 0:
        reasons.append("no_list")
    elif households is not None and units_listed < households:
        reasons.append("list_short")
    if units_without_area:
        reasons.append("no_area")
    return tuple(reasons)
