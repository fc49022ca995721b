"""replay --ledger replays the budget year: every recorded quarter recomputed from the ledger alone and
compared byte for byte with its record, every sign-off and refusal checked again against the events before it."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from year_helpers import AT, PLAN_SEQ, REQUESTS, ROOT, cli

import budgetpolicy as bp
from budgetpolicy.audit.ledger import Ledger
from budgetpolicy.year.events import SIGNOFF, event_entry, quarter_entry, read_year, reading_entry, request_entry
from budgetpolicy.year.quarters import first_difference
from budgetpolicy.year.replay import replay_year

OUTCOMES = str(ROOT / "policies" / "acme-2026.outcomes.csv")
QUARTERS = ("2026-Q1", "2026-Q2", "2026-Q3")
REVIEWED_AT = AT + dt.timedelta(days=90)


def _signed(path: Path) -> None:
    bp.approve(path, "INI-009", role="vp", by="e1042", at=AT)
    bp.approve(path, "INI-009", role="finance", by="e2210", note="fits the Q1 sales plan", at=AT)
    bp.refuse(path, "INI-001", role="vp", by="e1187", reason="no sales hires this year", at=AT)


@pytest.fixture(scope="module")
def year_files(flag_plan_file: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The example plan (under the policy that flags spend) with two sign-offs and a refusal: reviewed
    through Q2, and through Q3 with the example's three new requests."""
    folder = tmp_path_factory.mktemp("year")
    q2, q3 = folder / "q2.db", folder / "q3.db"
    shutil.copyfile(flag_plan_file, q2)
    _signed(q2)
    for quarter in QUARTERS[:2]:
        bp.review_year(q2, OUTCOMES, quarter, at=REVIEWED_AT)
    shutil.copyfile(q2, q3)
    bp.review_year(q3, OUTCOMES, QUARTERS[2], at=REVIEWED_AT, initiatives=REQUESTS)
    return q2, q3


def _copy(source: Path, tmp_path: Path) -> Path:
    path = tmp_path / "audit.db"
    shutil.copyfile(source, path)
    return path


def test_a_year_with_plan_signoffs_and_three_quarters_replays_clean(year_files):
    _, q3 = year_files
    result = cli("replay", "--ledger", str(q3))
    assert result.returncode == 0, (result.stdout, result.stderr)
    lines = result.stdout.splitlines()
    assert "44 of 44 reproduced (100%)" in lines
    assert "3 quarter(s) reproduced" in lines
    assert "3 sign-off(s) consistent" in lines
    assert "3 new request(s) decided again alike" in lines
    out = json.loads(cli("replay", "--ledger", str(q3), "--format", "json").stdout)
    assert out["year"] == {"plan": PLAN_SEQ, "quarters": 3, "quarters_reproduced": 3, "signoffs": 3,
                           "signoffs_consistent": 3, "requests": 3, "requests_reproduced": 3,
                           "quarter_differences": [], "signoff_differences": []}


def test_a_forged_request_decision_is_reported_with_its_seq(year_files, tmp_path):
    _, q3 = year_files
    path = _copy(q3, tmp_path)
    with Ledger(path, create=False, readonly=True) as ledger:
        request = read_year(ledger).request("INI-046")
    assert request is not None and request.outcome == "pending_approval"
    forged = {**request.decision, "required_approvers": []}
    with Ledger(path, create=False) as ledger:
        year = read_year(ledger)
        (seq,) = ledger.append([request_entry(year.plan, request.period, request.input, forged,
                                              REVIEWED_AT.isoformat())])
    # A second INI-046 request, written past the review with no required roles: replay decides every
    # recorded request again under the plan's policy, and only the forged one differs from its record.
    report = replay_year(path)
    assert report is not None and not report.ok
    (mismatch,) = report.request_mismatches
    assert mismatch.seq == seq and mismatch.field == "request INI-046 required_approvers[0]"
    result = cli("replay", "--ledger", str(path))
    assert result.returncode == 1 and "3 of 4 new request(s) decided again alike" in result.stdout


def test_a_plan_without_events_replays_as_before(plan_file):
    result = cli("replay", "--ledger", str(plan_file))
    assert result.returncode == 0
    assert "quarter(s)" not in result.stdout and "sign-off(s)" not in result.stdout
    assert replay_year(plan_file) is None


def test_a_forged_quarter_record_is_reported_with_its_seq(year_files, tmp_path):
    q2, _ = year_files
    path = _copy(q2, tmp_path)
    honest_copy = tmp_path / "honest.db"  # Q3 recorded honestly (without the requests), to forge from
    shutil.copyfile(q2, honest_copy)
    bp.review_year(honest_copy, OUTCOMES, QUARTERS[2], at=REVIEWED_AT)
    with Ledger(honest_copy, create=False, readonly=True) as reference:
        real = read_year(reference)
    honest = real.quarters[-1]
    forged = json.loads(json.dumps(honest.review))
    forged["summary"]["released"] = "99999.00"
    readings = [r.record for r in real.readings if r.period == QUARTERS[2]]
    with Ledger(path, create=False) as ledger:
        plan = read_year(ledger).plan
        at = REVIEWED_AT.isoformat()
        seqs = ledger.append([*(reading_entry(plan, r, at) for r in readings),
                              quarter_entry(plan, QUARTERS[2], forged, at)])
    result = cli("replay", "--ledger", str(path))
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "2 of 3 quarter(s) reproduced" in result.stdout
    released = honest.review["summary"]["released"]
    assert f"  seq {seqs[-1]} quarter 2026-Q3 summary.released: 99999.00 -> {released}" in result.stdout
    report = replay_year(path)
    assert report is not None and not report.ok
    (mismatch,) = report.quarter_mismatches
    assert (mismatch.seq, mismatch.period, mismatch.field) == (seqs[-1], QUARTERS[2], "summary.released")


def test_readings_appended_after_a_quarter_do_not_change_its_replay(year_files, tmp_path):
    """A quarter is recomputed from what the ledger held when it was recorded."""
    _, q3 = year_files
    path = _copy(q3, tmp_path)
    with Ledger(path, create=False) as ledger:
        year = read_year(ledger)
        late = json.loads(json.dumps(year.readings[0].record))
        ledger.append([reading_entry(year.plan, late, REVIEWED_AT.isoformat())])
    report = replay_year(path)
    assert report is not None and report.ok and report.quarters_reproduced == 3


def test_a_signoff_that_no_longer_passes_its_checks_is_reported(year_files, tmp_path):
    q2, _ = year_files
    path = _copy(q2, tmp_path)
    with Ledger(path, create=False) as ledger:
        plan = read_year(ledger).plan  # a second vp sign-off of INI-009, written past the checks
        (seq,) = ledger.append([event_entry(plan, SIGNOFF, "INI-009", "vp", "e1187", AT, None)])
    result = cli("replay", "--ledger", str(path))
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "2 quarter(s) reproduced" in result.stdout
    assert "3 of 4 sign-off(s) consistent" in result.stdout
    assert f"  seq {seq} signoff INI-009 vp by e1187: BP855 INI-009 already has the vp sign-off" in result.stdout
    out = json.loads(cli("replay", "--ledger", str(path), "--format", "json").stdout)
    assert [d["seq"] for d in out["year"]["signoff_differences"]] == [seq]


def test_first_difference_names_the_first_field_in_key_and_list_order():
    assert first_difference({"a": 1, "b": [1, 2]}, {"a": 1, "b": [1, 2]}) is None
    assert first_difference({"a": 1, "b": [1, 2]}, {"a": 1, "b": [1, 3]}) == ("b[1]", 2, 3)
    assert first_difference({"a": {"x": "1"}}, {"a": {}}) == ("a.x", "1", None)
    assert first_difference({"b": [1]}, {"b": [1, 2]}) == ("b[1]", None, 2)
    assert first_difference({"a": "1"}, {"a": 1}) == ("a", "1", 1)


def test_the_events_of_an_earlier_plan_are_replayed_too(year_files, flag_plan_file, tmp_path):
    q2, _ = year_files
    path = _copy(q2, tmp_path)
    with Ledger(path, create=False) as ledger:
        first = read_year(ledger).plan  # a second vp sign-off of the first plan's INI-009, past the checks
        (seq,) = ledger.append([event_entry(first, SIGNOFF, "INI-009", "vp", "e1187", AT, None)])
    with Ledger(flag_plan_file, create=False, readonly=True) as source:
        decisions = [r.entry for r in source.iter_records() if r.entry.kind == "decision"]
    with Ledger(path, create=False) as ledger:  # a new plan: the year starts again
        ledger.append(decisions)
        assert read_year(ledger).plan.seq > first.seq
    report = replay_year(path)
    assert report is not None and not report.ok
    assert report.quarters_reproduced == report.quarters == 2  # the first plan's quarters
    assert [m.seq for m in report.signoff_mismatches] == [seq]
