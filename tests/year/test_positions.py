"""Positions: derived from the ledger's events alone; money is only ever moved, never made or lost."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from year_helpers import AT, HOLDERS, PENDING, PLAN_SEQ, sha256

import budgetpolicy as bp
from budgetpolicy.audit.ledger import Ledger
from budgetpolicy.canonical import pretty_json
from budgetpolicy.errors import YearError
from budgetpolicy.year.events import BudgetYear, SignOff, read_year
from budgetpolicy.year.positions import positions
from budgetpolicy.year.render import positions_csv, positions_json, positions_table

POOL = Decimal(480000)
LEFTOVER = Decimal(500)  # what the example plan leaves unfunded


@pytest.fixture(scope="module")
def example_year(plan_file) -> BudgetYear:
    with Ledger(plan_file, create=False, readonly=True) as ledger:
        return read_year(ledger)


def _conserved(result) -> None:
    pool = result.pool
    assert pool.allocated + pool.earmarked + pool.returned + pool.leftover == pool.pool == POOL
    assert pool.leftover == LEFTOVER
    for p in result.initiatives:
        assert p.allocated + p.earmarked + p.returned == p.planned
        assert min(p.allocated, p.earmarked, p.returned) >= 0
        assert (p.spent, p.released, p.received) == (0, 0, 0)
    for column in ("allocated", "earmarked", "returned"):
        assert getattr(pool, column) == sum(getattr(p, column) for p in result.initiatives)


def test_the_plan_before_any_signoff(plan_file):
    result = bp.positions(plan_file)
    assert (result.plan, result.policy_id, result.signoffs, result.refusals) == (PLAN_SEQ, "acme-people-dev", 0, 0)
    pool = result.pool
    assert (pool.currency, pool.pool, pool.allocated, pool.earmarked, pool.returned, pool.leftover) == \
        ("USD", POOL, Decimal(285500), Decimal(194000), 0, LEFTOVER)
    states = {}
    for p in result.initiatives:
        states[p.state] = states.get(p.state, 0) + 1
    assert states == {"funded": 23, "earmarked": 5, "deferred": 7, "rejected": 9}
    earmarked = {p.initiative_id: (p.awaiting, p.earmarked) for p in result.initiatives if p.state == "earmarked"}
    assert earmarked == {i: (roles, Decimal(amount)) for i, (roles, amount) in PENDING.items()}
    _conserved(result)


def test_positions_rebuilt_from_a_copy_of_the_file_equal_the_live_ones(ledger, tmp_path):
    bp.approve(ledger, "INI-009", role="vp", by="e1042", at=AT)
    bp.approve(ledger, "INI-009", role="finance", by="e2210", at=AT)
    bp.refuse(ledger, "INI-001", role="vp", by="e1187", reason="no sales hires", at=AT)
    bp.approve(ledger, "INI-021", role="vp", by="e1187", at=AT)
    live = bp.positions(ledger)
    copy = tmp_path / "copy.db"
    shutil.copyfile(ledger, copy)
    assert bp.positions(copy) == live
    assert (live.signoffs, live.refusals) == (3, 1)
    assert (live.pool.allocated, live.pool.earmarked, live.pool.returned) == \
        (Decimal(285500 + 52000 + 32000), Decimal(36000 + 26000), Decimal(48000))
    _conserved(live)


_EVENT = st.tuples(st.sampled_from(("signoff", "refusal")), st.sampled_from(sorted(PENDING) + ["INI-003", "INI-019"]),
                   st.sampled_from(("vp", "finance", "director")))


@settings(max_examples=300, deadline=None)
@given(st.lists(_EVENT, max_size=25))
def test_any_sequence_of_events_conserves_the_pool(example_year, events):
    # Any events at all, including ones `approve` would refuse (positions never trust the writer).
    signed = tuple(SignOff(100 + i, kind, initiative, PLAN_SEQ, role, HOLDERS[role][0], "2026-01-20T10:00:00+00:00")
                   for i, (kind, initiative, role) in enumerate(events))
    result = positions(BudgetYear(example_year.plan, example_year.policy, signed))
    _conserved(result)
    for p in result.initiatives:
        if p.initiative_id not in PENDING:
            continue
        # Only the roles its plan decision requires decide it (another role's refusal can only refuse a
        # reallocation awaiting that role).
        mine = [e for e in signed if e.initiative_id == p.initiative_id and e.role in p.required]
        if any(e.refused for e in mine):
            assert p.state == "refused" and p.returned == p.planned
        elif set(p.required) <= {e.role for e in mine}:
            assert p.state == "funded" and p.allocated == p.planned
        else:
            assert p.state == "earmarked" and p.earmarked == p.planned and p.awaiting


_ATTEMPT = st.tuples(st.sampled_from((bp.approve, bp.refuse)), st.sampled_from(sorted(PENDING) + ["INI-003"]),
                     st.sampled_from(("vp", "finance")), st.sampled_from(("e1042", "e1187", "e2210", "e9999")))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_ATTEMPT, min_size=1, max_size=10))
def test_signing_through_the_ledger_conserves_the_pool_and_refusals_write_nothing(plan_file, attempts):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "audit.db"
        shutil.copyfile(plan_file, path)
        accepted = 0
        for i, (call, initiative, role, by) in enumerate(attempts):
            before = sha256(path)
            extra = {"reason": "no"} if call is bp.refuse else {}
            try:
                call(path, initiative, role=role, by=by, at=AT + dt.timedelta(minutes=i), **extra)
                accepted += 1
            except YearError:
                assert sha256(path) == before
        result = bp.positions(path)
        assert result.signoffs + result.refusals == accepted
        _conserved(result)


def test_the_table_is_aligned_with_a_pool_line(ledger):
    bp.approve(ledger, "INI-009", role="vp", by="e1042", at=AT)
    text = positions_table(bp.positions(ledger))
    lines = text.splitlines()
    assert lines[0] == ("Positions of the plan at record 2 (acme-people-dev 2026.1, planned 2026-01-15T09:00:00+00:00) "
                        "after 1 sign-off and 0 refusals; amounts in USD")
    header, rule, *rows = lines[2:2 + 2 + 44]
    assert header.split() == ["ID", "STATE", "PLANNED", "ALLOCATED", "EARMARKED", "RETURNED", "SPENT", "RELEASED",
                              "RECEIVED", "BURN"]
    row = next(r for r in rows if r.startswith("INI-009"))
    assert row.split() == ["INI-009", "earmarked", "52,000", "0", "52,000", "0", "0", "0", "0", "-"]
    # Amounts are right-aligned under their headings.
    assert row.index("52,000") + len("52,000") == header.index("PLANNED") + len("PLANNED")
    assert lines[49] == "44 initiatives: 23 funded, 5 earmarked, 7 deferred, 9 rejected"
    assert lines[50] == "pool USD 480,000: allocated 285,500, earmarked 194,000, returned 0, leftover 500"
    # Then who signed and who is awaited, for the initiatives that require anyone.
    assert lines[52] == "Sign-offs and flags (5 initiatives; the other 39 owe none)"
    signed = next(r for r in lines[52:] if r.startswith("INI-009"))
    assert signed.split() == ["INI-009", "earmarked", "vp;finance", "vp", "finance", "-", "-"]
    assert max(map(len, lines[1:])) <= 100  # both tables fit what a pipe gets


def test_json_is_canonical_and_csv_has_a_row_per_initiative(plan_file):
    result = bp.positions(plan_file)
    text = positions_json(result)
    assert text == pretty_json(result, normal=True)  # Decimals without trailing zeros, like every JSON output
    data = json.loads(text)
    assert data["pool"] == {"currency": "USD", "pool": "480000", "allocated": "285500", "earmarked": "194000",
                            "returned": "0", "leftover": "500", "spent": "0", "released": "0", "received": "0",
                                "reserve": "0"}
    assert data["initiatives"][8]["initiative_id"] == "INI-009"
    assert data["initiatives"][8]["awaiting"] == ["vp", "finance"]
    rows = positions_csv(result).splitlines()
    assert rows[0] == ("initiative_id,outcome,state,planned,allocated,earmarked,returned,spent,released,received,"
                       "burn,required,signed,awaiting,refused_by,flags")
    assert rows[9] == "INI-009,pending_approval,earmarked,52000,0,52000,0,0,0,0,,vp;finance,,vp;finance,,"
    assert len(rows) == 45
