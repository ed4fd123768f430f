"""The threshold arithmetic of 居民会议 and 业主共同决定, each case against a hand computation."""

from __future__ import annotations

from fractions import Fraction

from bot.services.vote_rules import (
    MAJOR,
    UnitBallot,
    UnitShare,
    list_gaps,
    needed_at_least,
    needed_more_than,
    owners_decision,
    residents_meeting,
)

SMALL, BIG = 8000, 12000  # 80.00 ㎡ and 120.00 ㎡, in hundredths


def thirty_units(owner_of_two: str | None = None) -> list[UnitShare]:
    """Units 1–20 of 80 ㎡, 21–30 of 120 ㎡: 2,800 ㎡; units 29 and 30 may share one owner."""
    units = [UnitShare(i, SMALL if i <= 20 else BIG, f"业主{i}") for i in range(1, 31)]
    if owner_of_two:
        units[28] = UnitShare(29, BIG, owner_of_two)
        units[29] = UnitShare(30, BIG, owner_of_two)
    return units


def ballots(yes: list[int], no: list[int]) -> list[UnitBallot]:
    return [UnitBallot(u, frozenset({1}), i) for i, u in enumerate(yes)] + [
        UnitBallot(u, frozenset({2}), 100 + i) for i, u in enumerate(no)
    ]


def test_thresholds_are_exact() -> None:
    assert needed_at_least(120, Fraction(2, 3)) == 80  # 62 took part: 18 short
    assert needed_at_least(280000, Fraction(2, 3)) == 186667  # 1,866.67 ㎡
    assert needed_more_than(120, Fraction(1, 2)) == 61
    assert needed_more_than(7, Fraction(1, 2)) == 4


def test_owners_pass() -> None:
    # 20 small + 4 big take part: 24 of 30 owners (≥ 20), 1,600 + 480 = 2,080 ㎡ of 2,800 (≥ 1,866.67).
    # Option 1: 14 small + 2 big = 16 owners (> 12 of 24), 1,120 + 240 = 1,360 ㎡ (> 1,040 of 2,080).
    yes = [*range(1, 15), 21, 22]
    no = [*range(15, 21), 23, 24]
    outcome = owners_decision(thirty_units(), ballots(yes, no), [1, 2])
    assert (outcome.eligible, outcome.eligible_area) == (30, 280000)
    assert (outcome.took_part, outcome.took_part_area) == (24, 208000)
    assert outcome.turnout_met and not outcome.advisory
    assert (outcome.options[0].count, outcome.options[0].area) == (16, 136000)
    assert outcome.passed == (1,)
    assert (outcome.short_by, outcome.short_by_area) == (0, 0)


def test_owners_fail_turnout_by_area_not_headcount() -> None:
    # All 20 small units: 20 of 30 owners (= 2/3, met), but 1,600 ㎡ < 1,866.67 ㎡.
    outcome = owners_decision(thirty_units(), ballots(list(range(1, 21)), []), [1, 2])
    assert outcome.took_part == 20 and outcome.short_by == 0
    assert outcome.took_part_area == 160000 and outcome.short_by_area == 186667 - 160000
    assert not outcome.turnout_met
    assert outcome.options[0].count == 20 and not outcome.options[0].passed
    assert outcome.passed == ()


def test_owners_three_quarter_matter() -> None:
    # 18 small + 6 big take part: 24 owners, 1,440 + 720 = 2,160 ㎡ (turnout met).
    took_part = list(range(1, 19)) + list(range(21, 27))
    # Option 1 by 16 small + 3 big: 19/24 owners ≥ 3/4 (18), 1,280 + 360 = 1,640 ㎡ ≥ 1,620 ㎡ (3/4 of 2,160).
    yes = [*range(1, 17), 21, 22, 23]
    outcome = owners_decision(
        thirty_units(), ballots(yes, [u for u in took_part if u not in yes]), [1, 2], matter=MAJOR
    )
    assert (outcome.took_part, outcome.took_part_area) == (24, 216000)
    assert (outcome.options[0].count, outcome.options[0].area) == (19, 164000) and outcome.passed == (1,)
    # 15 small + 3 big: 18/24 owners is exactly 3/4 (enough), but 1,560 ㎡ < 1,620 ㎡: fails.
    yes = [*range(1, 16), 21, 22, 23]
    outcome = owners_decision(
        thirty_units(), ballots(yes, [u for u in took_part if u not in yes]), [1, 2], matter=MAJOR
    )
    assert (outcome.options[0].count, outcome.options[0].area) == (18, 156000)
    assert outcome.turnout_met and outcome.passed == ()
    # The same 18 owners and 1,560 ㎡ pass an ordinary matter (> 12 owners, > 1,080 ㎡).
    assert owners_decision(thirty_units(), ballots(yes, [u for u in took_part if u not in yes]), [1, 2]).passed == (1,)


def test_owner_of_two_units_counts_once_with_both_areas() -> None:
    units = thirty_units("王建国")  # units 29 and 30: one owner of 240 ㎡; 29 owners in all
    # 18 small + units 21, 22 + unit 29: 21 owners (≥ 20 = ⌈29 × 2/3⌉), 1,440 + 240 + 240 = 1,920 ㎡.
    outcome = owners_decision(units, ballots([*range(1, 19), 21, 22, 29], []), [1, 2])
    assert (outcome.eligible, outcome.eligible_area) == (29, 280000)
    assert (outcome.took_part, outcome.took_part_area) == (21, 192000)
    assert outcome.turnout_met and outcome.passed == (1,)
    # Two ballots from the owner's two units: the later one speaks for the owner, once.
    both = [
        *ballots([*range(1, 19), 21, 22], []),
        UnitBallot(29, frozenset({1}), 1),
        UnitBallot(30, frozenset({2}), 9),
    ]
    outcome = owners_decision(units, both, [1, 2])
    assert outcome.took_part == 21 and outcome.took_part_area == 192000
    assert (outcome.options[0].count, outcome.options[0].area) == (20, 168000)
    assert (outcome.options[1].count, outcome.options[1].area) == (1, 24000)


def test_incomplete_list_is_advisory() -> None:
    reasons = list_gaps(households=32, units_listed=30)
    assert reasons == ("list_short",)
    outcome = owners_decision(thirty_units(), ballots(list(range(1, 31)), []), [1, 2], advisory_reasons=reasons)
    assert outcome.turnout_met and outcome.passed == (1,) and outcome.advisory
    assert list_gaps(households=None, units_listed=0) == ("no_list",)
    assert list_gaps(households=30, units_listed=30) == ()


def test_residents_meeting() -> None:
    # 120 households, 62 took part: more than half (61) — valid; option 1 by 32 of 62 (> 31) passes.
    voters = {f"h{i}": frozenset({1 if i < 32 else 2}) for i in range(62)}
    outcome = residents_meeting(120, voters, [1, 2], basis="households")
    assert outcome.turnout_met and outcome.passed == (1,) and outcome.short_by == 0
    # 60 of 120 is exactly half: not more than half.
    voters = {f"h{i}": frozenset({1}) for i in range(60)}
    outcome = residents_meeting(120, voters, [1, 2], basis="households")
    assert not outcome.turnout_met and outcome.short_by == 1 and outcome.passed == ()
    # 31 of 62 is a tie: not passed.
    voters = {f"h{i}": frozenset({1 if i < 31 else 2}) for i in range(62)}
    assert residents_meeting(120, voters, [1, 2], basis="households").passed == ()
