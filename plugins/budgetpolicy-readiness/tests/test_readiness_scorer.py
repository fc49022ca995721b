"""The readiness scorer on its own: parameters, hand-computed scores, bad data."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from budgetpolicy.model import Initiative
from budgetpolicy_readiness import readiness_scorer


def stretch(**changes):
    base = dict(id="S-1", title="Lead the Q3 pricing pilot", kind="stretch", department="Sales", cost=D(9000),
                mentor="A. Lee", ratings={"learning_agility": D(4), "collaboration": D(3), "risk_tolerance": D(2)},
                attributes={"mentor_hours": D(6)})
    base.update(changes)
    return Initiative(**base)


def score(params, initiative):
    return readiness_scorer({"criterion": "readiness", **params}, policy=None)(initiative)


def test_default_weights_hand_computed():
    value, detail = score({}, stretch())
    # 0.35*4/5 + 0.25*3/5 + 0.15*2/5 + 0.25*min(1, 6h/4h) = 0.28 + 0.15 + 0.06 + 0.25
    assert value == D("0.74")
    assert detail == ("learning_agility 4/5, collaboration 3/5, risk_tolerance 2/5, "
                      "mentor A. Lee 6h/4h a month")


def test_custom_weights_are_normalised_and_partial_mentor_hours_count():
    params = {"weights": {"learning_agility": 2, "mentor": 2}, "mentor_hours": 8}
    value, _ = score(params, stretch(attributes={"mentor_hours": D(2)}))
    # (2 * 0.8 + 2 * 2/8) / 4 = (1.6 + 0.5) / 4
    assert value == D("0.525")


def test_no_mentor_scores_zero_on_that_factor_and_unknown_hours_take_the_default():
    assert score({}, stretch(mentor=None))[0] == D("0.49")  # 0.74 - 0.25
    value, detail = score({"unknown_mentor": D("0.2")}, stretch(attributes={}))
    assert value == D("0.49") + D("0.25") * D("0.2")
    assert "hours unknown" in detail


def test_ratings_fall_back_to_attributes():
    initiative = stretch(ratings={}, attributes={"learning_agility": D(5), "collaboration": "5",
                                                 "risk_tolerance": 5, "mentor_hours": D(4)})
    assert score({}, initiative)[0] == D(1)


def test_other_kinds_get_the_not_applicable_value():
    assert score({}, stretch(kind="training")) == (
        D("0.5"), "not rated: kind 'training' is not one of stretch")
    assert score({"kinds": ["stretch", "pilot"], "not_applicable": 0}, stretch(kind="training"))[0] == 0
    assert score({"kinds": ["stretch", "pilot"]}, stretch(kind="pilot"))[0] == D("0.74")


def test_missing_rating_zero_or_error():
    initiative = stretch(ratings={"learning_agility": D(4), "collaboration": D(3)})
    value, detail = score({}, initiative)
    assert value == D("0.68") and "risk_tolerance missing" in detail
    with pytest.raises(ValueError, match="no 'risk_tolerance' rating"):
        score({"missing": "error"}, initiative)


def test_rating_outside_the_scale_is_an_error_not_a_clamp():
    with pytest.raises(ValueError, match=r"rating 'collaboration' = 7 is outside 0..5"):
        score({}, stretch(ratings={"learning_agility": 4, "collaboration": 7, "risk_tolerance": 2}))
    assert score({"scale": 10}, stretch(ratings={"learning_agility": 10, "collaboration": 10,
                                                 "risk_tolerance": 10}))[0] == D(1)


@pytest.mark.parametrize("params, message", [
    ({"scale": 0}, "'scale' must be > 0"),
    ({"scale": "high"}, "must be a number"),
    ({"scale": True}, "must be a number"),
    ({"mentor_hours": -1}, "'mentor_hours' must be > 0"),
    ({"weights": {"agility": 1}}, "unknown factor(s) agility"),
    ({"weights": {"mentor": 0}}, "at least one factor > 0"),
    ({"weights": {"mentor": -1, "collaboration": 2}}, ">= 0"),
    ({"weights": [1, 2]}, "must be a table"),
    ({"not_applicable": D("1.5")}, "'not_applicable' must be in 0..1"),
    ({"kinds": "stretch"}, "'kinds' must be a list"),
    ({"missing": "skip"}, "'missing' must be"),
    ({"colour": "blue"}, "unknown parameter(s) colour"),
])
def test_bad_parameters_raise_value_error(params, message):
    with pytest.raises(ValueError) as info:
        readiness_scorer(params, policy=None)
    assert message in str(info.value)
