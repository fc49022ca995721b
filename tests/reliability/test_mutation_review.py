"""Review behaviours that surviving mutants showed unpinned (issue #18, item 7; docs/reliability.md).

Each test asserts whole values, so the mutant named in its comment (and its neighbours) fails it.
"""

from __future__ import annotations

from decimal import Decimal as D

from budgetpolicy.errors import Location
from budgetpolicy.model import Initiative
from budgetpolicy.review.calibrate import NormalisedRating, normalise_ratings


def _rated(iid: str, department: str | None, ratings, **attributes) -> Initiative:
    return Initiative(id=iid, title=iid, kind="training", department=department or "", cost=D(1000),
                      ratings=ratings, attributes=attributes, location=Location(file="i.csv", row=1))


def test_percentile_counts_ties_as_half_and_ranks_within_a_group_of_three():
    people = [_rated("A", "Sales", {"f": D(1)}), _rated("B", "Sales", {"f": D(2)}), _rated("C", "Sales", {"f": D(2)}),
              _rated("D", "Sales", {"f": D(3)})]
    out = normalise_ratings(people, "department", "percentile")
    # A: 0 below, 1 equal of 4 -> 0.125; B, C: 1 below, 2 equal -> 0.5; D: 3 below, 1 equal -> 0.875
    assert out == (NormalisedRating("A", "Sales", "f", D(1), D("0.1250")),
                   NormalisedRating("B", "Sales", "f", D(2), D("0.5000")),
                   NormalisedRating("C", "Sales", "f", D(2), D("0.5000")),
                   NormalisedRating("D", "Sales", "f", D(3), D("0.8750")))


def test_ungrouped_initiatives_and_non_numbers_are_skipped_not_the_end_of_the_list():
    # The first initiative has no group (the attribute is missing) and its neighbour's first rating is
    # empty or a bool: each is skipped and every rating after it is still normalised.
    people = [_rated("A", None, {"f": D(5)}),
              _rated("B", None, {"a": None, "b": True, "f": D(4)}, team="x"),
              _rated("C", None, {"f": D(2)}, team="x"),
              _rated("D", None, {"f": D(3)}, team="y")]
    out = normalise_ratings(people, "team", "zscore")
    # All: 4, 2, 3 -> mean 3, sd sqrt(2/3); team x: mean 3, sd 1 -> 3 +- 0.8165; team y alone -> the mean 3.
    assert out == (NormalisedRating("B", "x", "f", D(4), D("3.8165")),
                   NormalisedRating("C", "x", "f", D(2), D("2.1835")),
                   NormalisedRating("D", "y", "f", D(3), D("3.0000")))


def test_a_normalised_rating_is_rounded_half_even_to_four_places():
    # Percentiles of a group of 16: 1/32 = 0.03125 -> 0.0312 (half-even), 3/32 = 0.09375 -> 0.0938.
    people = [_rated(f"P{i:02d}", "Ops", {"f": D(i)}) for i in range(16)]
    out = {n.initiative_id: n.normalised for n in normalise_ratings(people, "department", "percentile")}
    assert out["P00"] == D("0.0312") and out["P01"] == D("0.0938") and out["P15"] == D("0.9688")
    assert all(str(v).count(".") == 1 and len(str(v).split(".")[1]) == 4 for v in out.values())


def test_calibration_skips_an_ungrouped_or_unweighted_realisation_and_goes_on():
    from budgetpolicy.model import CalibrationPolicy
    from budgetpolicy.review.calibrate import GroupCalibration, calibrate
    from budgetpolicy.review.realise import Realisation

    people = {"A": _rated("A", None, {}), "B": _rated("B", None, {}, team="x"), "C": _rated("C", None, {}, team="x")}
    realisations = [Realisation("A", "2026-Q1", (), D(1), D(3), D(4)),   # no group: skipped
                    Realisation("B", "2026-Q1", (), None),                # no weight: skipped
                    Realisation("B", "2025-Q4", (), D(1), D(9), D(1)),    # before the window: skipped
                    Realisation("C", "2026-Q2", (), D(1), D(9), D(1)),    # after the reviewed quarter: skipped
                    Realisation("B", "2026-Q1", (), D(1), D(1), D(2)),
                    Realisation("C", "2026-Q1", (), D(1), D(2), D(2))]
    settings = CalibrationPolicy(group_by="team", lookback_quarters=1, shrinkage=D("0.5"), min_factor=D("0.1"),
                                 max_factor=D("2"))
    # x: realised 1 + 2 of forecast 2 + 2 -> raw 0.75; shrunk 0.5 + 0.5 * 0.75 = 0.875
    assert calibrate(realisations, people, settings, "2026-Q1") == (
        GroupCalibration("x", ("2026-Q1", "2026-Q1"), 2, D(3), D(4), D("0.7500"), D("0.8750"), D("0.8750"), ""),)
