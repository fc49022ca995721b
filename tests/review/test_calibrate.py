"""Calibration factors by forecaster group: pooling, shrinkage, bounds, lookback; rating normalisation."""

from __future__ import annotations

from decimal import Decimal as D

from attrs import evolve
from review_helpers import initiative, policy, reading

from budgetpolicy.model import CalibrationPolicy
from budgetpolicy.review.calibrate import calibrate, normalise_ratings
from budgetpolicy.review.realise import kpi_lifts, realise

POLICY = policy()


def real(init, period, kpis):
    r = reading(init.id, period, kpis)
    return realise(init, r, kpi_lifts(r, POLICY)[0])


SALES_A = initiative("I1", department="Sales", forecast={"win-rate": "2"})
SALES_B = initiative("I2", department="Sales", forecast={"win-rate": "2"})
ENG = initiative("I3", department="Engineering", forecast={"ttc": "10"})
BY_ID = {i.id: i for i in (SALES_A, SALES_B, ENG)}


def test_pooled_ratio_shrunk_halfway_to_one():
    # Sales: realised 1 + 0.6 of forecast 2 + 2 -> raw 0.4; w = 0.5 -> 0.5 + 0.5 * 0.4 = 0.7 (inside 0.6..1.3)
    rs = [real(SALES_A, "2026-Q1", {"win-rate": "1"}), real(SALES_B, "2026-Q1", {"win-rate": "0.6"})]
    settings = CalibrationPolicy(shrinkage=D("0.5"), min_factor=D("0.6"), max_factor=D("1.3"))
    (sales,) = calibrate(rs, BY_ID, settings, "2026-Q1")
    assert (sales.group, sales.observations, sales.raw, sales.shrunk, sales.factor, sales.bounded) == \
        ("Sales", 2, D("0.4000"), D("0.7000"), D("0.7000"), "")
    assert (sales.realised, sales.forecast) == (D("1.6"), D("4"))


def test_less_shrinkage_hits_the_lower_bound():
    # w = 0.25: 0.25 + 0.75 * 0.4 = 0.55 < 0.6 -> 0.6
    rs = [real(SALES_A, "2026-Q1", {"win-rate": "1"}), real(SALES_B, "2026-Q1", {"win-rate": "0.6"})]
    settings = CalibrationPolicy(shrinkage=D("0.25"), min_factor=D("0.6"), max_factor=D("1.3"))
    (sales,) = calibrate(rs, BY_ID, settings, "2026-Q1")
    assert (sales.shrunk, sales.factor, sales.bounded) == (D("0.5500"), D("0.6"), "min")


def test_generous_track_record_hits_the_upper_bound():
    # Engineering realised 20 of 10 -> raw 2; w = 0.5 -> 1.5 > 1.3 -> 1.3
    settings = CalibrationPolicy(shrinkage=D("0.5"), min_factor=D("0.6"), max_factor=D("1.3"))
    (eng,) = calibrate([real(ENG, "2026-Q1", {"ttc": "20"})], BY_ID, settings, "2026-Q1")
    assert (eng.raw, eng.shrunk, eng.factor, eng.bounded) == (D("2.0000"), D("1.5000"), D("1.3"), "max")


def test_full_shrinkage_ignores_history_and_none_trusts_it():
    rs = [real(SALES_A, "2026-Q1", {"win-rate": "1.4"})]  # raw 0.7
    assert calibrate(rs, BY_ID, CalibrationPolicy(shrinkage=D("1")), "2026-Q1")[0].factor == D("1.0000")
    assert calibrate(rs, BY_ID, CalibrationPolicy(shrinkage=D("0")), "2026-Q1")[0].factor == D("0.7000")


def test_lookback_window_drops_older_quarters():
    rs = [real(SALES_A, "2026-Q1", {"win-rate": "0"}), real(SALES_A, "2026-Q3", {"win-rate": "2"})]
    two = CalibrationPolicy(lookback_quarters=2, shrinkage=D("0"), min_factor=D("0.1"), max_factor=D("2"))
    (g,) = calibrate(rs, BY_ID, two, "2026-Q3")  # window Q2..Q3: only the Q3 reading, raw 1
    assert (g.window, g.observations, g.raw) == (("2026-Q2", "2026-Q3"), 1, D("1.0000"))
    three = CalibrationPolicy(lookback_quarters=3, shrinkage=D("0"), min_factor=D("0.1"), max_factor=D("2"))
    (g,) = calibrate(rs, BY_ID, three, "2026-Q3")  # Q1..Q3: (0 + 2) / (2 + 2) = 0.5
    assert (g.observations, g.raw) == (2, D("0.5000"))
    # readings after the reviewed quarter are not part of its window
    assert calibrate(rs, BY_ID, three, "2026-Q2")[0].observations == 1


def test_groups_are_sorted_and_unmeasured_groups_absent():
    rs = [real(SALES_A, "2026-Q1", {"win-rate": "2"}), real(ENG, "2026-Q1", {"ttc": "5"})]
    out = calibrate(rs, BY_ID, CalibrationPolicy(shrinkage=D("0")), "2026-Q1")
    assert [(g.group, g.factor) for g in out] == [("Engineering", D("0.5")), ("Sales", D("1.0000"))]
    only_sales = calibrate(rs[:1], BY_ID, CalibrationPolicy(), "2026-Q1")
    assert [g.group for g in only_sales] == ["Sales"]


def test_group_by_a_custom_attribute():
    a = evolve(initiative("I7", forecast={"win-rate": "2"}), attributes={"forecaster": "Ann"})
    out = calibrate([real(a, "2026-Q1", {"win-rate": "1"})], {"I7": a},
                    CalibrationPolicy(group_by="forecaster", shrinkage=D("0")), "2026-Q1")
    assert [(g.group, g.factor) for g in out] == [("Ann", D("0.5000"))]  # raw 0.5, default min 0.5


RATED = [
    initiative("R1", department="Sales", ratings={"feasibility": D(4)}),
    initiative("R2", department="Sales", ratings={"feasibility": D(5)}),
    initiative("R3", department="Engineering", ratings={"feasibility": D(2)}),
    initiative("R4", department="Engineering", ratings={"feasibility": D(3)}),
]


def test_zscore_normalisation_gives_generous_and_strict_raters_the_same_scale():
    # all: mean 3.5, population sd sqrt(1.25) = 1.1180339887..; each group: mean +-0.5, sd 0.5, so z = -1 or +1
    out = {n.initiative_id: n.normalised for n in normalise_ratings(RATED, "department", "zscore")}
    assert out == {"R1": D("2.3820"), "R2": D("4.6180"), "R3": D("2.3820"), "R4": D("4.6180")}


def test_percentile_normalisation_is_mid_rank_within_group():
    out = {n.initiative_id: n.normalised for n in normalise_ratings(RATED, "department", "percentile")}
    assert out == {"R1": D("0.2500"), "R2": D("0.7500"), "R3": D("0.2500"), "R4": D("0.7500")}


def test_zscore_of_a_group_with_one_rating_maps_to_the_overall_mean():
    out = normalise_ratings(RATED[:3], "department", "zscore")  # Engineering has one rating: sd 0
    assert next(n for n in out if n.initiative_id == "R3").normalised == D("3.6667")  # mean of 4, 5, 2


def test_no_normalisation_returns_nothing():
    assert normalise_ratings(RATED, "department", "none") == ()
