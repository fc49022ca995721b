"""The readiness plugin as users get it: installed, found through its entry point, run by the engine."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from decimal import Decimal as D
from pathlib import Path

import pytest

import budgetpolicy_readiness
from budgetpolicy.errors import PolicyLoadError
from budgetpolicy.model import Initiative
from budgetpolicy.engine.compile import EvaluationContext, compile_policy
from budgetpolicy.policy.load import load_policy
from budgetpolicy.plugins import PINNED_ENV, build_registry

POLICY = Path(__file__).with_name("stretch_policy.toml")
AT = dt.datetime(2026, 2, 1, tzinfo=dt.timezone.utc)


def initiative(iid, agility, mentor_hours):
    return Initiative(id=iid, title=f"Stretch {iid}", kind="stretch", department="Sales", cost=D(10000),
                      priorities=("win-rate",), forecast={"win-rate": D("2.5")}, probability=D("0.6"),
                      mentor="A. Lee" if mentor_hours is not None else None,
                      ratings={"learning_agility": D(agility), "collaboration": D(3), "risk_tolerance": D(2)},
                      attributes={"mentor_hours": D(mentor_hours)} if mentor_hours is not None else {})


@pytest.fixture
def registry(monkeypatch):
    monkeypatch.setenv(PINNED_ENV, "readiness")
    return build_registry()


def test_entry_point_registers_the_scorer_under_the_plugin_name(registry):
    entry = registry.scorers["readiness"]
    assert entry.obj is budgetpolicy_readiness.readiness_scorer
    assert entry.plugin == "readiness"
    assert entry.version == "0.1.0"
    assert ("readiness", "0.1.0") in registry.plugin_versions()


def test_engine_scores_and_rules_see_the_readiness_score(registry):
    compiled = compile_policy(load_policy(POLICY), registry)
    evaluation = compiled.evaluate([initiative("S-1", 4, 6), initiative("S-2", 1, None)],
                                   EvaluationContext(evaluated_at=AT))
    ready, not_ready = evaluation.decisions
    # S-1 readiness 0.74 (see test_readiness_scorer); expected value 0.6 x 2.5/5 = 0.3; halves each.
    assert [line.raw for line in evaluation.explanation("S-1").scores] == [D("0.3"), D("0.74")]
    assert ready.score == D("0.52")
    assert ready.outcome == "approved"
    # S-2: 0.35*1/5 + 0.25*3/5 + 0.15*2/5 + 0 (no mentor) = 0.07 + 0.15 + 0.06 = 0.28
    lines = evaluation.explanation("S-2").scores
    assert lines[1].raw == D("0.28")
    assert lines[1].detail.endswith("no mentor")
    assert not_ready.outcome == "rejected"
    assert not_ready.reasons[0].code == "not-ready"
    assert ("readiness", "0.1.0") in ready.provenance.plugins


def test_bad_rating_fails_naming_plugin_criterion_and_initiative(registry):
    compiled = compile_policy(load_policy(POLICY), registry)
    bad = initiative("S-9", 9, 4)
    with pytest.raises(Exception) as info:
        compiled.evaluate([bad], EvaluationContext(evaluated_at=AT))
    text = str(info.value)
    assert "plugin 'readiness'" in text and "criterion 'readiness'" in text and "'S-9'" in text
    assert "outside 0..5" in text


def test_bad_params_are_a_validation_error_at_the_criterion(registry, tmp_path):
    text = POLICY.read_text().replace("mentor_hours = 4,", "mentor_hours = 0,")
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(PolicyLoadError) as info:
        compile_policy(load_policy(path), registry)
    (diag,) = info.value.diagnostics
    assert (diag.code, diag.location.key) == ("BP230", "scoring.criteria[1].params")
    assert "'mentor_hours' must be > 0" in diag.message


def cli(*args, pinned=None):
    env = dict(os.environ)
    env.pop(PINNED_ENV, None)
    if pinned is not None:
        env[PINNED_ENV] = pinned
    return subprocess.run([sys.executable, "-m", "budgetpolicy", *args], capture_output=True, text=True,
                          env=env, timeout=60)


def test_cli_validates_with_the_plugin_and_fails_cleanly_without_it():
    ok = cli("validate", str(POLICY))
    assert ok.returncode == 0, ok.stderr
    blocked = cli("-p", "no:readiness", "validate", str(POLICY))
    assert blocked.returncode == 1
    assert "BP508 error: policy needs plugin 'readiness'" in blocked.stderr
    assert "Traceback" not in blocked.stderr
    pinned_out = cli("validate", str(POLICY), pinned="")
    assert pinned_out.returncode == 1 and "installed but not enabled" in pinned_out.stderr
    enabled = cli("-p", "readiness", "validate", str(POLICY), pinned="")
    assert enabled.returncode == 0, enabled.stderr


def test_cli_evaluate_from_csv_explains_the_readiness_score():
    import json

    csv = str(POLICY.with_name("stretch_initiatives.csv"))
    result = cli("evaluate", "--policy", str(POLICY), "--initiatives", csv, "--evaluated-at", "2026-02-01T00:00:00Z",
                 "--format", "json", pinned="readiness")
    assert result.returncode == 0, result.stderr
    first, second = json.loads(result.stdout)["decisions"]
    assert [(s["criterion"], s["raw"]) for s in first["scores"]] == [("value", "0.3"), ("readiness", "0.74")]
    assert "readiness 0.74" in first["narrative"]
    assert ["readiness", "0.1.0"] in first["provenance"]["plugins"]  # the plugin's version is recorded
    # S-2 from CSV: no mentor, agility 1 -> 0.28 (text attributes are converted by the scorer)
    assert second["outcome"] == "rejected" and second["scores"][1]["raw"] == "0.28"
    blocked = cli("-p", "no:readiness", "evaluate", "--policy", str(POLICY), "--initiatives", csv)
    assert blocked.returncode != 0 and "BP508" in blocked.stderr and "Traceback" not in blocked.stderr
