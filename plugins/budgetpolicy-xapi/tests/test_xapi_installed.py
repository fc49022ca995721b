"""The xapi plugin as users get it: installed and found through its entry point."""

from __future__ import annotations

import budgetpolicy_xapi
from budgetpolicy.plugins import PINNED_ENV, build_registry


def test_entry_point_registers_the_source(monkeypatch):
    monkeypatch.setenv(PINNED_ENV, "xapi")
    registry = build_registry()
    entry = registry.sources["xapi"]
    assert entry.obj is budgetpolicy_xapi.xapi_source
    assert (entry.plugin, entry.version) == ("xapi", "0.1.0")
    # No extension claimed: .json stays with the built-in JSON source.
    assert entry.options["extensions"] == ()
    assert ("xapi", "0.1.0") in registry.plugin_versions()


def test_pinned_out_means_not_registered(monkeypatch):
    monkeypatch.setenv(PINNED_ENV, "")
    assert "xapi" not in build_registry().sources
    monkeypatch.setenv(PINNED_ENV, "readiness")
    assert "xapi" not in build_registry().sources
    assert "xapi" in build_registry(enable=["xapi"]).sources


SAMPLE = str(__import__("pathlib").Path(budgetpolicy_xapi.__file__).with_name("samples") / "acme-lrs-export.json")


def test_core_loader_validates_the_records_into_outcome_readings(monkeypatch):
    from decimal import Decimal as D

    from budgetpolicy.data.load import load_outcomes

    monkeypatch.setenv(PINNED_ENV, "xapi")
    result = load_outcomes(f"xapi:{SAMPLE}", build_registry(),
                           initiative_ids={"INI-001", "INI-010"})
    first = result.items[0]
    assert (first.initiative_id, first.period, first.completion_rate, first.pre_assessment,
            first.post_assessment) == ("INI-001", "2026-Q1", D("0.6000"), D("48.60"), D("70.75"))
    assert (first.location.file, first.location.row) == (SAMPLE, 1)
    assert [(o.initiative_id, o.period) for o in result.items] == [
        ("INI-001", "2026-Q1"), ("INI-001", "2026-Q2"), ("INI-010", "2026-Q1"), ("INI-010", "2026-Q2")]


def test_cli_using_xapi_for_initiatives_fails_cleanly():
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    env = {k: v for k, v in os.environ.items() if k != PINNED_ENV}
    result = subprocess.run([sys.executable, "-m", "budgetpolicy", "evaluate", "--policy",
                             str(root / "policies" / "acme-2026.toml"), "--initiatives", f"xapi:{SAMPLE}"],
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 2
    assert "BP491 error: the xapi source reads outcomes, not initiatives" in result.stderr
    assert "Traceback" not in result.stderr
