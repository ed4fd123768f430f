"""The contest's ranking math against values worked out by hand."""

from __future__ import annotations

import pytest

from bot.services.contest_ranking import (
    Criterion,
    award_tiers,
    check_weights,
    competition_ranks,
    normalised_totals,
    rank,
    weighted_total,
)

CRITERIA = [Criterion(1, 30), Criterion(2, 25), Criterion(3, 25), Criterion(4, 20)]


def test_weighted_total_needs_every_criterion() -> None:
    assert weighted_total(CRITERIA, {1: 8, 2: 6, 3: 7, 4: 9}) == pytest.approx((240 + 150 + 175 + 180) / 100)
    assert weighted_total(CRITERIA, {1: 8, 2: 6, 3: 7}) is None


def test_weights_must_sum_to_100() -> None:
    assert check_weights([30, 25, 25, 20])
    assert not check_weights([30, 25, 25, 25])
    assert not check_weights([100, 0])
    assert not check_weights([])


def test_competition_ranks_share_places() -> None:
    assert competition_ranks({1: 7.0, 2: 8.0, 3: 7.0, 4: None}) == {2: 1, 1: 2, 3: 2, 4: 4}


def test_normalised_removes_a_strict_members_level() -> None:
    # Member a scores everything 2 lower than member b; a recuses from entry 3.
    totals = {("a", 1): 5.0, ("a", 2): 6.0, ("b", 1): 7.0, ("b", 2): 8.0, ("b", 3): 9.0}
    normal = normalised_totals(totals, (1, 10))
    grand = sum(totals.values()) / 5  # 7.0
    sd = (sum((v - grand) ** 2 for v in totals.values()) / 5) ** 0.5  # sqrt(2)
    assert normal[("a", 1)] == pytest.approx(grand - sd)  # a's z = -1
    assert normal[("a", 2)] == pytest.approx(grand + sd)
    b_sd = (2 / 3) ** 0.5
    assert normal[("b", 3)] == pytest.approx(grand + (1 / b_sd) * sd)


def test_rank_raw_and_normalised_differ_and_ties_break_by_criterion() -> None:
    crit = [Criterion(1, 50), Criterion(2, 50)]
    scores = {
        ("a", 1): {1: 4, 2: 4},  # a: harsh, scores 1 and 2 only
        ("a", 2): {1: 6, 2: 6},
        ("b", 1): {1: 9, 2: 9},
        ("b", 2): {1: 9, 2: 9},
        ("b", 3): {1: 8, 2: 8},
    }
    results = {r.entry: r for r in rank([1, 2, 3], crit, scores, (1, 10), tie_break=[1])}
    assert results[1].raw == pytest.approx(6.5) and results[2].raw == pytest.approx(7.5)
    assert results[3].raw == pytest.approx(8.0)
    assert [results[e].raw_rank for e in (3, 2, 1)] == [1, 2, 3]
    assert results[3].scorers == 1 and results[1].scorers == 2
    # b gives 2 and 3 the same level: normalised, entry 2 (a's best) beats entry 3.
    assert results[2].normalised_rank < results[3].normalised_rank
    assert results[3].rankings_differ


def test_ties_stay_ties_then_tie_break() -> None:
    crit = [Criterion(1, 50), Criterion(2, 50)]
    scores = {("a", 1): {1: 8, 2: 6}, ("a", 2): {1: 6, 2: 8}, ("a", 3): {1: 7, 2: 7}}
    results = rank([1, 2, 3], crit, scores, (1, 10), tie_break=[2])
    assert all(r.raw_rank == 1 and r.tied for r in results)
    assert [(r.entry, r.place) for r in results] == [(2, 1), (3, 2), (1, 3)]
    no_break = rank([1, 2, 3], crit, scores, (1, 10))
    assert {r.place for r in no_break} == {1}


def test_award_tiers_rest_take_what_is_left() -> None:
    tiers = [("一等奖", 1), ("二等奖", 2), ("优秀奖", 0)]
    assert award_tiers([5, 3, 9, 1], tiers) == {5: "一等奖", 3: "二等奖", 9: "二等奖", 1: "优秀奖"}
    assert award_tiers([5], tiers) == {5: "一等奖"}
