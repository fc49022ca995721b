"""Effective dates: a rule applies only on as-of dates inside its range; the policy only inside its own."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from budgetpolicy.api import evaluate, open_policy
from budgetpolicy.errors import PolicyLoadError

HERE = Path(__file__).resolve().parents[1] / "explain"
ROOT = HERE.parents[1]
POLICY = str(HERE / "fixtures" / "counterfactual.toml")
DATA = str(HERE / "fixtures" / "counterfactual.initiatives.csv")
AT = dt.datetime(2026, 1, 15, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def compiled():
    return open_policy(POLICY)


def _summit(compiled, day):
    evaluation = evaluate(compiled, DATA, evaluated_at=AT, as_of=day)
    return evaluation.decision("F"), evaluation.explanation("F")


def _trace(summit, rule_id):
    return next(t for t in summit[1].rules if t.rule_id == rule_id)


@pytest.mark.parametrize("day, outcome, status", [
    (dt.date(2026, 2, 28), "approved", "not_in_force"),   # the day before effective_from
    (dt.date(2026, 3, 1), "rejected", "fired"),           # effective_from is inclusive
    (dt.date(2026, 3, 2), "rejected", "fired"),           # the day after
    (dt.date(2026, 5, 31), "rejected", "fired"),          # effective_until is inclusive
    (dt.date(2026, 6, 1), "approved", "not_in_force"),    # the day after effective_until
])
def test_rule_boundary(compiled, day, outcome, status):
    summit = _summit(compiled, day)
    d = summit[0]
    assert d.outcome == outcome
    assert _trace(summit, "spring-freeze").status == status
    assert d.provenance.as_of == day.isoformat()


def test_not_in_force_trace_says_why(compiled):
    assert _trace(_summit(compiled, dt.date(2026, 2, 28)), "spring-freeze").message == (
        "not in force on 2026-02-28: effective from 2026-03-01")
    assert _trace(_summit(compiled, dt.date(2026, 6, 1)), "spring-freeze").message == (
        "not in force on 2026-06-01: expired 2026-05-31")


@pytest.mark.parametrize("at, as_of, outcome", [
    ("2026-02-10T09:00:00+00:00", "2026-02-10", "approved"),   # the freeze starts in March
    ("2026-04-10T09:00:00+00:00", "2026-04-10", "rejected"),   # inside the freeze
    ("2026-04-10T23:30:00-05:00", "2026-04-11", "rejected"),   # the date is the UTC date
    ("2025-11-20T09:00:00+00:00", "2026-01-01", "approved"),   # planned ahead: the policy's first day
    ("2027-03-01T09:00:00+00:00", "2026-12-31", "approved"),   # after the policy: its last day
])
def test_without_as_of_the_evaluation_date_applies(compiled, at, as_of, outcome):
    decision = evaluate(compiled, DATA, evaluated_at=dt.datetime.fromisoformat(at)).decision("F")
    assert (decision.outcome, decision.provenance.as_of) == (outcome, as_of)


def test_cli_without_as_of_applies_the_rules_in_force_on_the_evaluation_date():
    def run(at):
        done = subprocess.run([sys.executable, "-m", "budgetpolicy", "evaluate", "-P", POLICY, "-i", DATA,
                               "--evaluated-at", at, "--format", "json"], capture_output=True, text=True, cwd=ROOT)
        assert done.returncode == 0, done.stderr
        return {d["initiative_id"]: d for d in json.loads(done.stdout)["decisions"]}

    february, april = run("2026-02-10T09:00:00+00:00")["F"], run("2026-04-10T09:00:00+00:00")["F"]
    assert (february["outcome"], february["provenance"]["as_of"]) == ("approved", "2026-02-10")
    assert (april["outcome"], april["provenance"]["as_of"]) == ("rejected", "2026-04-10")


def test_policy_not_in_force(compiled):
    with pytest.raises(PolicyLoadError) as err:
        evaluate(compiled, DATA, evaluated_at=AT, as_of=dt.date(2027, 1, 1))
    (d,) = err.value.diagnostics
    policy = compiled.policy
    until = f" until {policy.effective_until}" if policy.effective_until else ""
    assert (d.code, d.location.file, d.message, d.hint) == (
        "BP231", POLICY, f"policy '{policy.id}' {policy.version} is not in force on 2027-01-01 "
        f"(effective {policy.effective_date}{until})", "choose an --as-of date inside the policy's effective period")
    with pytest.raises(PolicyLoadError):  # the day before it starts, too
        evaluate(compiled, DATA, evaluated_at=AT, as_of=policy.effective_date - dt.timedelta(days=1))
    assert evaluate(compiled, DATA, evaluated_at=AT, as_of=policy.effective_date).decisions  # its first day is in


def test_the_same_initiative_id_twice_is_one_located_error_per_repeat(compiled):
    from attrs import evolve

    from budgetpolicy.api import read_initiatives
    from budgetpolicy.engine.compile import EvaluationContext
    from budgetpolicy.errors import DataError, Location

    first, second, *_ = read_initiatives(DATA, compiled.registry)
    again = evolve(second, id=first.id, location=Location(file="extra.csv", row=7))
    with pytest.raises(DataError) as err:
        compiled.evaluate([first, second, again], EvaluationContext(evaluated_at=AT, as_of=dt.date(2026, 4, 1)))
    (d,) = err.value.diagnostics
    assert (d.code, d.location, d.message, d.hint) == (
        "BP410", again.location, f"duplicate initiative id '{first.id}' (first at {first.location})",
        "give every initiative a unique id")


def _explain(*args):
    return subprocess.run([sys.executable, "-m", "budgetpolicy", "explain", "-P", POLICY, "-i", DATA, *args],
                          capture_output=True, text=True, cwd=ROOT)


def test_explain_cli_shows_rule_in_force_and_counterfactuals():
    run = _explain("F", "--as-of", "2026-02-28", "--evaluated-at", "2026-01-15T00:00:00+00:00")
    assert run.returncode == 0, run.stderr
    assert "Decision: approved" in run.stdout
    assert "not in force on 2026-02-28: effective from 2026-03-01" in run.stdout
    run = _explain("A", "--evaluated-at", "2026-01-15T00:00:00+00:00")
    assert run.returncode == 0, run.stderr
    assert "What would change the answer\n  - would pass the score gate with feasibility >= 3\n" in run.stdout
    run = _explain("C", "--format", "json", "--evaluated-at", "2026-01-15T00:00:00+00:00")
    assert '"would need no finance sign-off if cost <= 49,999"' in run.stdout


def test_explain_cli_policy_not_in_force():
    run = _explain("A", "--as-of", "2025-12-31")
    assert run.returncode == 2
    assert "BP231" in run.stderr and "2025-12-31" in run.stderr
