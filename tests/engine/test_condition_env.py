"""The hot-path environment holds exactly what the conditions read, with initiative_env's values."""

from __future__ import annotations

from decimal import Decimal as D

from budgetpolicy.model import FrozenMap, Initiative
from budgetpolicy.engine.symbols import ConditionEnv, initiative_env

INITIATIVE = Initiative(
    id="I-1", title="t", kind="coaching", department="Sales", cost=D(1200), headcount=3, horizon=2,
    priorities=("win-rate",), forecast={"win-rate": D("1.5")}, ratings={"feasibility": D(4)},
    attributes={"team_size": D(7)}, mentor=None)


def test_only_the_names_read_with_the_full_environments_values():
    names = ["cost", "headcount", "attributes.manager_nominated", "forecast", "id", "horizon", "ratings"]
    env = ConditionEnv(names, FrozenMap({"manager_nominated": "bool", "team_size": "number"}))(INITIATIVE)
    full = initiative_env(INITIATIVE, FrozenMap({"manager_nominated": "bool", "team_size": "number"}))
    assert sorted(env) == ["attributes", "cost", "forecast", "headcount", "horizon", "id", "ratings"]
    assert env == {name: full[name] for name in env}
    assert env["headcount"].__class__ is D and env["horizon"] == D(2)
    assert env["attributes"] == {"manager_nominated": None, "team_size": D(7)}  # declared, missing = null


def test_a_single_name_and_no_names():
    assert ConditionEnv(["kind"])(INITIATIVE) == {"kind": "coaching"}
    assert ConditionEnv([])(INITIATIVE) == {}
    assert ConditionEnv(["attributes"])(INITIATIVE) == {"attributes": {"team_size": D(7)}}


def test_names_outside_the_initiative_are_left_to_the_caller():
    # score, expected_value and scores come from scoring; unknown heads are not invented.
    assert ConditionEnv(["score", "scores.impact", "mentor"])(INITIATIVE) == {"mentor": None}
