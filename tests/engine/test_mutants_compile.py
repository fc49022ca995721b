"""The compiled policy's edges that surviving mutants showed unpinned (issue #18 item 7; docs/reliability.md).

A decision keeps the calls its rules made to a plugin's expression functions (replay reuses them), and
only those: the engine's own functions are versioned with it. A reason template reading a criterion's
score says the same in the decision as in its explanation.
"""

from __future__ import annotations

from decimal import Decimal as D
from types import ModuleType

import pytest

from budgetpolicy import hookimpl
from budgetpolicy.model import FunctionCall
from budgetpolicy.testing import evaluation_with, make_sample_initiatives, make_sample_policy, with_rule


def _doubling_plugin() -> ModuleType:
    @hookimpl
    def register_functions(register):
        register("double", lambda x: x * 2, params=("number",), returns="number")

    plugin = ModuleType("doubling")
    plugin.register_functions = register_functions  # type: ignore[attr-defined]
    return plugin


def test_a_decision_keeps_each_call_its_rules_made_to_a_plugin_function():
    policy = with_rule(make_sample_policy(), "double(cost) > 50000", rule_id="big", message="big")
    decisions = evaluation_with(_doubling_plugin(), policy, make_sample_initiatives()[:2]).decisions
    assert [d.calls for d in decisions] == [
        (FunctionCall("double", "doubling", (D(20000),), D(40000)),),
        (FunctionCall("double", "doubling", (D(30000),), D(60000)),),
    ]
    assert [d.flags for d in decisions] == [(), ("big",)]


@pytest.mark.parametrize("condition", ["len(title) > 100", "cost > 50000"])
def test_calls_to_the_engines_own_functions_or_none_are_not_kept(condition):
    policy = with_rule(make_sample_policy(), condition)
    decisions = evaluation_with(_doubling_plugin(), policy, make_sample_initiatives()[:1]).decisions
    assert decisions[0].calls == ()


def test_a_reason_reading_past_a_criterion_score_says_the_same_in_the_decision_and_its_trace():
    # The condition reads no score; the reason's only placeholder goes one level below a criterion's score.
    policy = with_rule(make_sample_policy(), "cost > 0", rule_id="deep", message="m",
                       reason="deeper {scores.impact.more}")
    evaluation = evaluation_with(None, policy, make_sample_initiatives()[:1])
    (reason,) = [r.message for r in evaluation.decisions[0].reasons if r.code == "deep"]
    (trace,) = [t.message for t in evaluation.explanation("SMP-1").rules if t.rule_id == "deep"]
    assert reason == trace == "deeper none"


def test_a_compile_warning_is_kept_on_the_compiled_policy_and_shown_by_validate(tmp_path):
    # A solver limit on the greedy strategy is a warning of the allocation checks (BP632): compiling keeps it
    # (CompiledPolicy.of must not drop it), and validate prints it with its place.
    import subprocess
    import sys
    from pathlib import Path

    from budgetpolicy import api

    root = Path(__file__).resolve().parents[2]
    text = (root / "policies" / "acme-2026.toml").read_text(encoding="utf-8")
    assert 'strategy = "greedy"' in text
    path = tmp_path / "limited.toml"
    path.write_text(text.replace('strategy = "greedy"', 'strategy = "greedy"\ntime_limit = 5', 1), encoding="utf-8")
    compiled = api.open_policy(str(path))
    assert [(d.code, d.severity, d.location.key) for d in compiled.warnings] == [
        ("BP632", "warning", "allocation.time_limit")]
    done = subprocess.run([sys.executable, "-m", "budgetpolicy", "validate", str(path)], capture_output=True,
                          text=True)
    assert done.returncode == 0 and "allocation.time_limit: BP632 warning: time_limit applies to the optimal " \
        "strategy only; strategy is 'greedy'" in done.stdout, done.stdout + done.stderr
