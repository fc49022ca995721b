"""Evaluation.to_records() and to_pandas(): the evaluation as rows a notebook can use, with exact numbers
and stated dtypes (never a column of objects)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

import budgetpolicy as bp
from budgetpolicy.engine.records import COLUMNS

ROOT = Path(__file__).resolve().parents[2]
POLICY = str(ROOT / "policies" / "acme-2026.toml")
INITIATIVES = str(ROOT / "policies" / "acme-2026.initiatives.csv")
AT = dt.datetime(2026, 1, 15, 9, 0, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def evaluation():
    return bp.run_cycle(POLICY, INITIATIVES, evaluated_at=AT)


def test_records_are_plain_dicts_with_exact_decimals(evaluation):
    records = evaluation.to_records()
    assert [r["initiative_id"] for r in records] == [d.initiative_id for d in evaluation.decisions]
    assert len(records) == 44 and all(list(r) == list(COLUMNS) for r in records)
    assert records[0] == {
        "initiative_id": "INI-001", "title": "Consultative selling bootcamp", "kind": "training",
        "department": "Sales", "currency": "USD", "requested": Decimal("48000"), "outcome": "pending_approval",
        "score": Decimal("0.5236"), "expected_value": Decimal("0.084"), "allocated": Decimal("48000"),
        "funding_step": "baseline:sales-core", "required_approvers": ["vp"], "flags": [],
        "reasons": ["vp-over-25k"], "reason_messages": ["Requested 48,000 is over 25,000, so a VP must sign off"],
        "policy_id": "acme-people-dev", "policy_version": "2026.1", "evaluated_at": "2026-01-15T09:00:00+00:00"}
    total = sum((r["allocated"] for r in records), Decimal(0))
    assert total == sum((d.allocation for d in evaluation.decisions), Decimal(0))
    assert 0 < total <= evaluation.policy.allocation.pool


def test_records_match_what_evaluate_prints_as_json(evaluation):
    printed = subprocess.run([sys.executable, "-m", "budgetpolicy", "evaluate", "-P", POLICY, "-i", INITIATIVES,
                              "--evaluated-at", AT.isoformat(), "-f", "json"], capture_output=True, text=True)
    assert printed.returncode == 0, printed.stderr
    decisions = {d["initiative_id"]: d for d in json.loads(printed.stdout)["decisions"]}
    for record in evaluation.to_records(decimals="string"):
        cli = decisions[record["initiative_id"]]
        assert (record["outcome"], record["score"], record["expected_value"]) == \
            (cli["outcome"], cli["score"], cli["expected_value"])
        assert record["allocated"] == (cli["funding"]["amount"] if cli["funding"] else "0")


def test_records_with_decimals_as_strings(evaluation):
    record = evaluation.to_records(decimals="string")[0]
    assert (record["requested"], record["score"], record["expected_value"], record["allocated"]) == \
        ("48000", "0.5236", "0.084", "48000")
    assert not any(isinstance(v, (Decimal, float)) for r in evaluation.to_records("string") for v in r.values())
    with pytest.raises(ValueError, match="decimals must be 'decimal' or 'string', not 'float'"):
        evaluation.to_records(decimals="float")


def test_to_pandas_has_no_object_columns_and_exact_decimal_text(evaluation):
    frame = evaluation.to_pandas()
    assert list(frame.columns) == list(COLUMNS) and len(frame) == 44
    assert {str(t) for t in frame.dtypes} == {"string"}
    first = frame.iloc[0]
    assert (first["score"], first["allocated"], first["required_approvers"]) == ("0.5236", "48000", "vp")
    row = frame.set_index("initiative_id").loc["INI-001"]
    assert row["reason_messages"] == "Requested 48,000 is over 25,000, so a VP must sign off"
    assert sum(Decimal(v) for v in frame["allocated"]) == sum((d.allocation for d in evaluation.decisions), Decimal(0))
    by_outcome = frame.groupby("outcome").size().to_dict()
    assert by_outcome == {o: sum(1 for d in evaluation.decisions if d.outcome == o)
                          for o in {d.outcome for d in evaluation.decisions}}


def test_to_pandas_float_on_request(evaluation):
    frame = evaluation.to_pandas(decimals="float")
    assert {c: str(frame[c].dtype) for c in ("requested", "score", "expected_value", "allocated")} == \
        dict.fromkeys(("requested", "score", "expected_value", "allocated"), "float64")
    assert frame.loc[0, "score"] == pytest.approx(0.5236)
    assert frame["allocated"].sum() == pytest.approx(float(sum(d.allocation for d in evaluation.decisions)))
    assert not any(str(t) == "object" for t in frame.dtypes)
    with pytest.raises(ValueError, match="decimals must be 'string' or 'float'"):
        evaluation.to_pandas(decimals="decimal")


def test_dataframe_of_records_is_usable(evaluation):
    """pd.DataFrame(evaluation.to_records()) gives one column per field, not one column of objects."""
    frame = pd.DataFrame(evaluation.to_records())
    assert frame.shape == (44, len(COLUMNS))


def test_to_pandas_without_pandas_says_how_to_install_it(evaluation, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # as if pandas were not installed: import fails
    with pytest.raises(ImportError) as info:
        evaluation.to_pandas()
    assert str(info.value) == "to_pandas needs pandas: pip install pandas (or budgetpolicy's 'pandas' extra)"
    assert evaluation.to_records()[0]["initiative_id"]  # the records themselves need no pandas

