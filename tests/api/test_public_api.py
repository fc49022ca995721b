"""The notebook API (``import budgetpolicy as bp``): the same results as the command line, byte for byte."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

import budgetpolicy as bp
from budgetpolicy.api import plan_time
from budgetpolicy.commands.review import review_json
from budgetpolicy.evidence.roi import realised_returns

ROOT = Path(__file__).resolve().parents[2]
POLICY = str(ROOT / "policies" / "acme-2026.toml")
INITIATIVES = str(ROOT / "policies" / "acme-2026.initiatives.csv")
OUTCOMES = str(ROOT / "policies" / "acme-2026.outcomes.csv")
AT = dt.datetime(2026, 1, 15, 9, 0, tzinfo=dt.timezone.utc)


def test_run_cycle_is_the_steps_in_order():
    whole = bp.run_cycle(POLICY, INITIATIVES, evaluated_at=AT)
    compiled = bp.open_policy(POLICY)
    initiatives = bp.read_initiatives(INITIATIVES, compiled.registry, attribute_types=compiled.policy.attributes)
    steps = bp.evaluate(compiled, initiatives, evaluated_at=AT)
    assert whole.decisions == steps.decisions
    assert [d.outcome for d in whole.decisions].count("approved") == \
        sum(1 for d in steps.decisions if d.outcome == "approved") > 0
    assert whole.explanation("INI-019").narrative == steps.explanation("INI-019").narrative != ""


def test_run_review_gives_what_budgetpolicy_review_prints():
    compiled = bp.open_policy(POLICY)
    initiatives = bp.read_initiatives(INITIATIVES, compiled.registry, attribute_types=compiled.policy.attributes)
    outcomes = bp.read_outcomes(OUTCOMES, compiled.registry, initiative_ids=[i.id for i in initiatives])
    result = bp.run_review(compiled, initiatives, outcomes, "2026-Q3")
    assert isinstance(result, bp.ReviewResult)
    printed = subprocess.run([sys.executable, "-m", "budgetpolicy", "review", "-P", POLICY, "-i", INITIATIVES,
                              "-O", OUTCOMES, "--period", "2026-Q3", "-f", "json"],
                             capture_output=True, text=True, cwd=ROOT, timeout=120, check=True).stdout
    # The command adds the realised money return (evidence.roi) of the same plan and readings.
    plan = bp.evaluate(compiled, initiatives, evaluated_at=plan_time(compiled.policy)).decisions
    assert review_json(compiled.policy, result, realised_returns(compiled.policy, initiatives, plan, outcomes, result)) \
        == printed


def test_check_policy_reports_without_raising(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(Path(POLICY).read_text(encoding="utf-8").replace('currency = "USD"', 'currency = 5', 1))
    policy, diagnostics = bp.check_policy(str(bad))
    assert policy is None
    assert diagnostics and all(d.location.file == str(bad) for d in diagnostics if d.severity == "error")
    good, found = bp.check_policy(POLICY)
    assert good is not None and good.id == "acme-people-dev"
    assert not [d for d in found if d.severity == "error"]


def test_a_bad_row_raises_a_located_error_unless_skipped(tmp_path):
    rows = Path(INITIATIVES).read_text(encoding="utf-8").splitlines()
    header = rows[0].split(",")
    broken = rows[1].split(",")
    broken[header.index("cost")] = "lots"
    data = tmp_path / "initiatives.csv"
    data.write_text("\n".join([rows[0], ",".join(broken), *rows[2:]]) + "\n", encoding="utf-8")
    registry = bp.build_registry()
    with pytest.raises(bp.DataError) as info:
        bp.read_initiatives(str(data), registry)
    assert info.value.diagnostics[0].location.row == 2
    skipped: list[bp.Diagnostic] = []
    kept = bp.read_initiatives(str(data), registry, skip_invalid=True, on_skip=skipped.append)
    assert len(kept) == len(rows) - 2 and len(skipped) == 1


def test_the_review_function_is_not_shadowed_by_the_review_package():
    import budgetpolicy.review.quarterly  # noqa: F401  (binds the subpackage on the package, as any import does)

    assert callable(bp.run_review) and bp.run_review.__module__ == "budgetpolicy.api"
