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
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

from replay_helpers import SMALL_INITIATIVES, SMALL_POLICY

from budgetpolicy import hookimpl
from budgetpolicy.api import evaluate, read_initiatives
from budgetpolicy.audit.ledger import Ledger
from budgetpolicy.audit.replay import replay
from budgetpolicy.engine.compile import compile_policy
from budgetpolicy.policy.load import load_policy
from budgetpolicy.plugins import Registry, get_plugin_manager

POLICY = SMALL_POLICY.read_text().replace(
    'weights = "strict"', 'weights = "normalise"').replace(
    '[[approval.rules]]', '[[scoring.criteria]]\nid = "bonus"\nscorer = "bonus"\nweight = 1\n\n[[approval.rules]]', 1)


def _registry(version: str, value: str) -> Registry:
    class Bonus:
        @hookimpl
        def register_scorers(self, register):
            register("bonus", lambda params, policy: (lambda initiative: (Decimal(value), f"bonus {value}")))

    plugin = Bonus()
    pm = get_plugin_manager(entry_points=False)
    pm.register(plugin, name="bonus")
    pm.add_distinfo(plugin, SimpleNamespace(metadata={"name": "budgetpolicy-bonus"}, version=version))
    return Registry.build(pm)


def _record(tmp_path: Path) -> Path:
    policy_file = tmp_path / "policy.toml"
    policy_file.write_text(POLICY)
    registry = _registry("1.0", "0.5")
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
    assert replay(str(path), registry=_registry("1.0", "0.5")).reproduced == 5  # same plugin: exact
    report = replay(str(path), registry=_registry("2.0", "0.9"), mode="live")
    assert report.plugin_drift == {"bonus": ("1.0", "2.0")}
    changes = {c.initiative_id: c for c in report.changes}
    assert sorted(changes) == ["INI-A", "INI-B", "INI-C", "INI-D", "INI-E"]
    a = changes["INI-A"]
    assert (a.before.score, a.after.score) == (Decimal("0.75"), Decimal("0.95"))
    assert a.causes == ("criterion 'bonus' 0.5 -> 0.9: scorer 'bonus' from plugin 'bonus' "
                        "(recorded 1.0, installed 2.0)",)


def test_hermetic_reuses_recorded_scores(tmp_path: Path) -> None:
    path = _record(tmp_path)
    report = replay(str(path), registry=_registry("2.0", "0.9"), mode="hermetic")
    assert (report.replayed, report.reproduced, report.changes) == (5, 5, [])
    assert report.plugin_drift == {"bonus": ("1.0", "2.0")}  # still reported, as a note


def test_same_version_different_output_says_so(tmp_path: Path) -> None:
    path = _record(tmp_path)
    report = replay(str(path), registry=_registry("1.0", "0.7"))
    assert report.plugin_drift == {}
    cause = next(c for c in report.changes if c.initiative_id == "INI-B").causes
    assert cause == ("criterion 'bonus' 0.5 -> 0.7: scorer 'bonus' from plugin 'bonus' (version 1.0 unchanged)",)
