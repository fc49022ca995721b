"""Shared inputs of the evidence tests: the bundled example, variants of its policy, the CLI in process."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from budgetpolicy.cli import main

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / "policies" / "acme-2026.toml"
INITIATIVES = ROOT / "policies" / "acme-2026.initiatives.csv"
OUTCOMES = ROOT / "policies" / "acme-2026.outcomes.csv"
AT = "2026-01-15T09:00:00+00:00"


def policy_variant(tmp_path: Path, name: str, *replacements: tuple[str, str]) -> Path:
    """The bundled policy with each (old, new) replaced once (each must be there), written to tmp_path."""
    text = POLICY.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run(capsys: Any, *args: str | Path) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def evaluate_json(capsys: Any, policy: Path = POLICY, *extra: str) -> dict[str, Any]:
    code, out, err = run(capsys, "evaluate", "-P", policy, "-i", INITIATIVES, "--evaluated-at", AT, "-f", "json", *extra)
    assert code == 0, err
    doc: dict[str, Any] = json.loads(out)
    return doc
