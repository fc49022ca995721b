"""The learning chain in sunset criteria: ``completion_below`` and ``no_behaviour_change`` (review.sunset),
their policy checks (BP214, BP245, BP661, BP662), and a sunset by them through the command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal as D
from pathlib import Path

from attrs import evolve
from review_helpers import decision, initiative, policy, reading

import budgetpolicy
from budgetpolicy.model import ReallocationPolicy, SunsetCriterion
from budgetpolicy.review.quarterly import review

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / "policies" / "acme-2026.toml"
LOW_COMPLETION = SunsetCriterion("low-completion", "completion_below", D("0.5"), 2,
                                 "Completion {completions} in {periods}, under {threshold}")
NO_CHANGE = SunsetCriterion("no-change", "no_behaviour_change", None, 2)
INITS = [initiative("A1", horizon=4), initiative("B2", horizon=4, cost="6000")]
PLAN = [decision("A1", "10000"), decision("B2", "6000")]


def learned(iid, period, **fields):
    return evolve(reading(iid, period, {"win-rate": "2"}), **{k: D(v) for k, v in fields.items()})


def sunsets(outcomes, period, criteria):
    return review(policy(sunset=tuple(criteria)), INITS, PLAN, outcomes, period).sunsets


def test_completion_below_for_two_consecutive_quarters():
    outcomes = [learned("A1", "2026-Q1", completion_rate="0.3"), learned("A1", "2026-Q2", completion_rate="0.45"),
                learned("B2", "2026-Q1", completion_rate="0.3"), learned("B2", "2026-Q2", completion_rate="0.5")]
    assert sunsets(outcomes, "2026-Q1", [LOW_COMPLETION]) == ()  # one quarter is not two
    (sunset,) = sunsets(outcomes, "2026-Q2", [LOW_COMPLETION])  # B2 reached 0.5: not strictly below
    assert (sunset.initiative_id, sunset.criterion, sunset.kind) == ("A1", "low-completion", "completion_below")
    assert sunset.reason == "Completion 0.3, 0.45 in 2026-Q1..2026-Q2, under 0.5"
    assert sunset.detail == "completion rate 0.3, 0.45 in 2026-Q1..2026-Q2: below 0.5 for 2 consecutive quarters"
    assert (sunset.numbers["latest"], sunset.numbers["threshold"]) == (D("0.45"), D("0.5"))


def test_the_window_names_one_quarter_alone_and_three_by_their_ends():
    outcomes = [learned("A1", "2026-Q1", completion_rate="0.3"), learned("A1", "2026-Q2", completion_rate="0.45"),
                learned("A1", "2026-Q3", completion_rate="0.2")]
    one = evolve(LOW_COMPLETION, quarters=1)
    (sunset,) = sunsets(outcomes, "2026-Q1", [one])
    assert sunset.reason == "Completion 0.3 in 2026-Q1, under 0.5" and sunset.numbers["periods"] == "2026-Q1"
    three = evolve(LOW_COMPLETION, quarters=3)
    (sunset,) = sunsets(outcomes, "2026-Q3", [three])
    assert sunset.reason == "Completion 0.3, 0.45, 0.2 in 2026-Q1..2026-Q3, under 0.5"
    assert (sunset.numbers["latest"], sunset.numbers["quarters"]) == (D("0.2"), 3)


def test_a_quarter_without_a_completion_rate_breaks_the_streak():
    outcomes = [learned("A1", "2026-Q1", completion_rate="0.3"), learned("A1", "2026-Q2"),
                learned("A1", "2026-Q3", completion_rate="0.2")]
    assert [s for q in ("2026-Q2", "2026-Q3") for s in sunsets(outcomes, q, [LOW_COMPLETION])] == []


def test_no_behaviour_change_compares_the_first_and_last_observed_quarters():
    outcomes = [learned("A1", "2026-Q1", observation="2.8"), learned("A1", "2026-Q2", observation="2.8"),
                learned("B2", "2026-Q1", observation="2.8"), learned("B2", "2026-Q2", observation="2.9")]
    (sunset,) = sunsets(outcomes, "2026-Q2", [NO_CHANGE])
    assert (sunset.initiative_id, sunset.kind, sunset.numbers["change"]) == ("A1", "no_behaviour_change", D("0.0"))
    assert sunset.detail == ("manager observation 2.8, 2.8 in 2026-Q1..2026-Q2: changed by 0.0 over 2 quarters, "
                             "not more than 0")
    # With a threshold of 0.1, B2's rise of 0.1 is no change either; a fall always is.
    tolerant = evolve(NO_CHANGE, threshold=D("0.1"))
    assert sorted(s.initiative_id for s in sunsets(outcomes, "2026-Q2", [tolerant])) == ["A1", "B2"]
    falling = [learned("A1", "2026-Q1", observation="3"), learned("A1", "2026-Q2", observation="2.5")]
    assert [s.initiative_id for s in sunsets(falling, "2026-Q2", [NO_CHANGE])] == ["A1"]


def test_no_behaviour_change_needs_every_quarter_observed_and_started():
    gap = [learned("A1", "2026-Q1", observation="2.8"), learned("A1", "2026-Q2"),
           learned("A1", "2026-Q3", observation="2.8")]
    assert sunsets(gap, "2026-Q3", [NO_CHANGE]) == ()
    late = [initiative("A1", horizon=4, start="2026-Q2"), INITS[1]]
    outcomes = [learned("A1", "2026-Q2", observation="2"), learned("B2", "2026-Q1", observation="3")]
    result = review(policy(sunset=(NO_CHANGE,)), late, PLAN, outcomes, "2026-Q2")
    assert result.sunsets == ()  # A1's window would begin before its start; B2 has no Q2 observation


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    path = os.pathsep.join([str(Path(budgetpolicy.__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "BUDGETPOLICY_PLUGINS": "", "PYTHONPATH": path, "COLUMNS": "100"}
    return subprocess.run([sys.executable, "-m", "budgetpolicy", *args], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=120)


def with_criteria(tmp_path: Path, text: str) -> str:
    path = tmp_path / "acme.toml"
    path.write_text(POLICY.read_text(encoding="utf-8") + text, encoding="utf-8")
    return str(path)


def test_a_policy_sunsets_on_completion_through_the_command_line(tmp_path):
    policy_file = with_criteria(tmp_path, '\n[[sunset.criteria]]\nid = "low-completion"\nkind = "completion_below"\n'
                                          'threshold = 0.6\nquarters = 2\n'
                                          'reason = "Completion {completions} in {periods}"\n')
    result = cli("review", "-P", policy_file, "-i", str(ROOT / "policies" / "acme-2026.initiatives.csv"),
                 "-O", str(ROOT / "policies" / "acme-2026.outcomes.csv"), "--period", "2026-Q2", "-f", "json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    low = {s["initiative_id"]: s["reason"] for s in doc["sunsets"] if s["criterion"] == "low-completion"}
    # INI-002 completed 0.30 then 0.45 of its learners (policies/acme-2026.outcomes.csv).
    assert low == {"INI-002": "Completion 0.30, 0.45 in 2026-Q1..2026-Q2"}


def test_bad_learning_criteria_are_located_policy_errors(tmp_path):
    policy_file = with_criteria(tmp_path, '\n[[sunset.criteria]]\nid = "low-completion"\nkind = "completion_below"\n'
                                          'threshold = 1.5\nquarters = 2\n\n'
                                          '[[sunset.criteria]]\nid = "no-change"\nkind = "no_behaviour_change"\n'
                                          'quarters = 1\n\n'
                                          '[[sunset.criteria]]\nid = "completion-unset"\nkind = "completion_below"\n')
    result = cli("validate", policy_file)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    out = result.stdout + result.stderr
    assert "sunset.criteria[3].threshold: BP661 error: threshold 1.5 of 'low-completion' is outside 0..1" in out
    assert "sunset.criteria[4].quarters: BP662 error: 'no-change' compares the first and last of 1 quarter(s)" in out
    assert "sunset.criteria[5]: BP214 error: criterion 'completion-unset' of kind completion_below needs a " \
           "threshold" in out
    review_run = cli("review", "-P", policy_file, "-i", str(ROOT / "policies" / "acme-2026.initiatives.csv"),
                     "-O", str(ROOT / "policies" / "acme-2026.outcomes.csv"), "--period", "2026-Q2")
    assert review_run.returncode == 2 and review_run.stdout == "" and "Traceback" not in review_run.stderr
    assert "BP661" in review_run.stderr


def test_low_completion_releases_the_share_of_unspent_funds():
    settings = ReallocationPolicy(release_below=D("0"), release_share=D("0.5"), scale_max_share=D("0"),
                                  release_completion_below=D("0.5"))
    outcomes = [evolve(reading("A1", "2026-Q1", {"win-rate": "2"}, spend="4000"), completion_rate=D("0.4")),
                evolve(reading("B2", "2026-Q1", {"win-rate": "2"}, spend="1000"), completion_rate=D("0.5"))]
    result = review(policy(reallocation=settings), INITS, PLAN, outcomes, "2026-Q1")
    (release,) = result.releases  # B2's 0.5 is not below 0.5
    assert (release.initiative_id, release.cause, release.unspent, release.share, release.amount) == \
        ("A1", "low_completion", D("6000"), D("0.5"), D("3000.00"))
    assert release.reason == ("completion rate 0.4 is below release_completion_below 0.5: 50.0% of its unspent "
                              "funds are released")
    # Unset, completion releases nothing (the policies written before it keep their reviews).
    assert review(policy(reallocation=evolve(settings, release_completion_below=None)), INITS, PLAN, outcomes,
                  "2026-Q1").releases == ()


def test_release_completion_below_outside_0_to_1_is_refused(tmp_path):
    text = POLICY.read_text(encoding="utf-8").replace("[reallocation]\n", "[reallocation]\nrelease_completion_below = 2\n")
    assert "release_completion_below = 2" in text
    path = tmp_path / "acme.toml"
    path.write_text(text, encoding="utf-8")
    result = cli("validate", str(path))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "reallocation.release_completion_below: BP213 error: release_completion_below 2 is outside 0..1" in \
        result.stdout + result.stderr
