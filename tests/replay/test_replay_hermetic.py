"""Hermetic and live re-scoring: a scorer plugin upgraded after the decisions were recorded.

Recorded with plugin 'bonus' 1.0 (every initiative scores 0.5 on criterion
'bonus'); replayed with 'bonus' 2.0 installed (scores 0.9). Weights are
normalised (feasibility 1, bonus 1), so each score rises by (0.9 - 0.5) / 2 =
0.2. Live replay reports every scored decision as different and names the
plugin with both versions; hermetic replay reuses the recorded 0.5 and
reproduces everything.
"""

from __future__ import annotations

import datetime as dt
import itertools
import sys
from decimal import Decimal
from pathlib import Path

from replay_helpers import SMALL_INITIATIVES, SMALL_POLICY

from budgetpolicy.api import evaluate, read_initiatives
from budgetpolicy.audit.ledger import Ledger
from budgetpolicy.audit.replay import replay
from budgetpolicy.engine.compile import compile_policy
from budgetpolicy.policy.load import load_policy
from budgetpolicy.plugins import get_plugin_manager
from budgetpolicy.registry import Registry

POLICY = SMALL_POLICY.read_text().replace(
    'weights = "strict"', 'weights = "normalise"').replace(
    '[[approval.rules]]', '[[scoring.criteria]]\nid = "bonus"\nscorer = "bonus"\nweight = 1\n\n[[approval.rules]]', 1)


BONUS = """
from decimal import Decimal
from budgetpolicy import hookimpl

@hookimpl
def register_scorers(register):
    register("bonus", lambda params, policy: (lambda initiative: (Decimal("{value}"), "bonus {value}")))
"""
_installs = itertools.count()


def _registry(tmp_path: Path, version: str, value: str) -> Registry:
    """A registry with plugin 'bonus' installed for real: distribution budgetpolicy-bonus ``version``, whose
    scorer gives ``value``, found through its entry point (the version comes from the distribution)."""
    n = next(_installs)
    site, module = tmp_path / f"site-{n}", f"bp_replay_bonus_{n}"
    dist = site / f"{module}-{version}.dist-info"
    dist.mkdir(parents=True)
    (site / f"{module}.py").write_text(BONUS.replace("{value}", value))
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: budgetpolicy-bonus\nVersion: {version}\n")
    (dist / "entry_points.txt").write_text(f"[budgetpolicy]\nbonus = {module}\n")
    sys.path.insert(0, str(site))
    try:
        return Registry.build(get_plugin_manager(enable=["bonus"]))
    finally:
        sys.path.remove(str(site))


def _record(tmp_path: Path) -> Path:
    policy_file = tmp_path / "policy.toml"
    policy_file.write_text(POLICY)
    registry = _registry(tmp_path, "1.0", "0.5")
    compiled = compile_policy(load_policy(policy_file), registry)
    initiatives = read_initiatives(str(SMALL_INITIATIVES), registry)
    evaluation = evaluate(compiled, initiatives, evaluated_at=dt.datetime(2026, 1, 15, tzinfo=dt.timezone.utc))
    assert evaluation.decision("INI-A").score == Decimal("0.75")  # (1 + 0.5) / 2
    path = tmp_path / "audit.db"
    with Ledger(path) as ledger:
        ledger.record_evaluation(evaluation, initiatives)
    return path


def test_live_names_the_upgraded_plugin(tmp_path: Path) -> None:
    path = _record(tmp_path)
    assert replay(str(path), registry=_registry(tmp_path, "1.0", "0.5")).reproduced == 5  # same plugin: exact
    report = replay(str(path), registry=_registry(tmp_path, "2.0", "0.9"), mode="live")
    assert report.plugin_drift == {"bonus": ("1.0", "2.0")}
    changes = {c.initiative_id: c for c in report.changes}
    assert sorted(changes) == ["INI-A", "INI-B", "INI-C", "INI-D", "INI-E"]
    a = changes["INI-A"]
    assert (a.before.score, a.after.score) == (Decimal("0.75"), Decimal("0.95"))
    assert a.causes == ("criterion 'bonus' 0.5 -> 0.9: scorer 'bonus' from plugin 'bonus' "
                        "(recorded 1.0, installed 2.0)",)


def test_hermetic_reuses_recorded_scores(tmp_path: Path) -> None:
    path = _record(tmp_path)
    report = replay(str(path), registry=_registry(tmp_path, "2.0", "0.9"), mode="hermetic")
    assert (report.replayed, report.reproduced, report.changes) == (5, 5, [])
    assert report.plugin_drift == {"bonus": ("1.0", "2.0")}  # still reported, as a note


def test_same_version_different_output_says_so(tmp_path: Path) -> None:
    path = _record(tmp_path)
    report = replay(str(path), registry=_registry(tmp_path, "1.0", "0.7"))
    assert report.plugin_drift == {}
    cause = next(c for c in report.changes if c.initiative_id == "INI-B").causes
    assert cause == ("criterion 'bonus' 0.5 -> 0.7: scorer 'bonus' from plugin 'bonus' (version 1.0 unchanged)",)
