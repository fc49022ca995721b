"""Replay names a changed plugin function, as it names a changed scorer; hermetic replay reuses its results.

A third-party plugin 'riskband' (a real installed distribution, found through its entry point) registers
``risk_band(department)``. Version 1.0 calls department E "high"; the policy asks a VP to sign off
high-risk bets. Decisions are recorded with 1.0 (``evaluate --ledger``), then the plugin is upgraded: 2.0
calls departments D and E "high", so I-2 (department D) would now need a VP. Everything goes through the CLI,
as an auditor would run it.
"""

from __future__ import annotations

import json
from pathlib import Path

from typing import Any

import pytest

RISKBAND = '''
from budgetpolicy import hookimpl

def risk_band(department):
    return "high" if department in "{high}".split(",") else "{low}"

@hookimpl
def register_functions(register):
    register("risk_band", risk_band, params=("string",), returns="string")
'''

POLICY = '''\
id = "p"
version = "1"
effective_date = 2026-01-01
currency = "USD"
plugins = ["riskband"]

[[priorities]]
id = "a"
name = "A"
weight = 1
[priorities.kpi]
metric = "m"
unit = "%"
direction = "higher"
baseline = 0
target = 10

[scoring]
weights = "normalise"
[[scoring.criteria]]
id = "value"
scorer = "expected_value"
weight = 1

[[approval.rules]]
id = "risky"
condition = 'risk_band(department) == "high" and len(title) > 0'
effect = "require"
role = "vp"
message = "high risk needs a VP"
'''

ROWS = ("id,title,kind,department,cost,priorities,forecast.a,probability,evaluation_plan\n"
        "I-1,t,training,C,100,a,1,0.5,kpi_tracking\n"
        "I-2,t,training,D,200,a,1,0.5,kpi_tracking\n"
        "I-3,t,training,E,300,a,1,0.5,kpi_tracking\n")
AT = "2026-01-15T09:00:00+00:00"


@pytest.fixture
def new_site(site: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Make another site directory like the ``site`` fixture's (conftest's FakeSite): one per plugin version."""
    def make(version: str, high: str, low: str = "low") -> Any:
        return _site(type(site), tmp_path, monkeypatch, version, high, low)
    return make


def _site(kind: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, version: str, high: str, low: str) -> Any:
    """A site directory holding riskband ``version`` alone (each version is its own installation)."""
    root = tmp_path / f"site-{version}-{high}-{low}"
    root.mkdir()
    site = kind(root, monkeypatch)
    site.install("riskband", RISKBAND.replace("{high}", high).replace("{low}", low), version=version)
    return site


def _recorded(tmp_path: Path, new_site: Any, policy: str = POLICY) -> tuple[Path, Any]:
    (tmp_path / "policy.toml").write_text(policy)
    (tmp_path / "rows.csv").write_text(ROWS)
    ledger = tmp_path / "audit.db"
    v1 = new_site("1.0", "E")
    done = v1.cli("evaluate", "-P", str(tmp_path / "policy.toml"), "-i", str(tmp_path / "rows.csv"),
                  "--evaluated-at", AT, "--ledger", str(ledger), pinned="riskband")
    assert done.returncode == 0, done.stderr
    return ledger, v1


def _payloads(site: Any, ledger: Path) -> dict[str, dict]:
    done = site.cli("ledger", "export", str(ledger), "--format", "jsonl", pinned="riskband")
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    return {row["initiative_id"]: json.loads(row["payload"]) if isinstance(row["payload"], str) else row["payload"]
            for row in rows if row["kind"] == "decision"}


def test_each_plugin_function_call_is_recorded_with_its_plugin_arguments_and_result(tmp_path, new_site):
    ledger, v1 = _recorded(tmp_path, new_site)
    payloads = _payloads(v1, ledger)
    # len() is a built-in (the engine's own, versioned with it): not recorded.
    assert payloads["I-2"]["functions"] == [
        {"function": "risk_band", "plugin": "riskband", "args": ["D"], "result": "low"}]
    assert payloads["I-3"]["functions"] == [
        {"function": "risk_band", "plugin": "riskband", "args": ["E"], "result": "high"}]
    assert payloads["I-3"]["decision"]["outcome"] == "pending_approval"
    assert ["riskband", "1.0"] in payloads["I-1"]["provenance"]["plugins"]


def test_a_policy_calling_no_plugin_function_records_nothing_extra(tmp_path, new_site):
    # The plugin is installed and loaded, but the rules call built-ins only: the record has no 'functions'.
    ledger, v1 = _recorded(tmp_path, new_site, POLICY.replace(
        "risk_band(department) == \"high\" and len(title) > 0", "department == \"E\" and len(title) > 0"))
    payloads = _payloads(v1, ledger)
    assert payloads["I-3"]["decision"]["outcome"] == "pending_approval"
    assert all("functions" not in p for p in payloads.values())


def test_live_replay_names_the_changed_function_its_plugin_versions_and_the_decision(tmp_path, new_site):
    ledger, v1 = _recorded(tmp_path, new_site)
    same = v1.cli("replay", "--ledger", str(ledger), pinned="riskband")
    assert same.returncode == 0, same.stdout + same.stderr
    assert "3 of 3 reproduced (100%)" in same.stdout

    v2 = new_site("2.0", "D,E")
    live = v2.cli("replay", "--ledger", str(ledger), pinned="riskband")
    assert live.returncode == 1, live.stderr
    assert "2 of 3 reproduced (66.6%)" in live.stdout
    assert "note: plugin 'riskband' recorded 1.0, installed 2.0" in live.stdout
    assert "seq 3 I-2 outcome: approved -> pending_approval" in live.stdout
    report = json.loads(v2.cli("replay", "--ledger", str(ledger), "--format", "json", pinned="riskband").stdout)
    (change,) = report["changes"]
    assert change["initiative_id"] == "I-2"
    assert change["causes"] == ['function risk_band("D") "low" -> "high": registered by plugin '
                                "'riskband' (recorded 1.0, installed 2.0)"]
    assert 'function risk_band("D") "low" -> "high"' in live.stdout


def test_hermetic_replay_reuses_the_recorded_results(tmp_path, new_site):
    ledger, _ = _recorded(tmp_path, new_site)
    v2 = new_site("2.0", "D,E")
    hermetic = v2.cli("replay", "--ledger", str(ledger), "--mode", "hermetic", "--format", "json",
                      pinned="riskband")
    assert hermetic.returncode == 0, hermetic.stdout + hermetic.stderr
    report = json.loads(hermetic.stdout)
    assert (report["replayed"], report["reproduced"], report["changes"]) == (3, 3, [])
    assert report["plugin_drift"] == {"riskband": {"recorded": "1.0", "installed": "2.0"}}


def test_a_changed_result_that_changes_no_outcome_is_still_a_difference(tmp_path, new_site):
    # Same version, new behaviour: the low band is now called "none"; no outcome moves, but the
    # recorded calls no longer come back, and replay says so (the decision made under 1.0 is not reproduced).
    ledger, _ = _recorded(tmp_path, new_site)
    quiet = new_site("1.0", "E", low="none")
    report = json.loads(quiet.cli("replay", "--ledger", str(ledger), "--format", "json", pinned="riskband").stdout)
    changed = {c["initiative_id"]: c for c in report["changes"]}
    assert sorted(changed) == ["I-1", "I-2"]
    assert changed["I-1"]["changed"] == ["functions"]
    assert changed["I-1"]["before"] == changed["I-1"]["after"]
    assert changed["I-1"]["causes"] == ['function risk_band("C") "low" -> "none": registered by plugin '
                                        "'riskband' (version 1.0 unchanged)"]
