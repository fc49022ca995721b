"""A property over random budget years: for any sequence of plans, sign-offs and refusals (accepted or
refused), and quarterly reviews with their readings and new requests, money is conserved at every step
to the cent, the positions rebuilt from a copy of the ledger file equal the live ones, what each command
returns agrees with them, and a refused command leaves the file byte-identical."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from year_helpers import INITIATIVES, OUTCOMES, PENDING, PLANNED_AT, QUARTERS, REQUESTS, flag_policy, sha256

import budgetpolicy as bp
from budgetpolicy.audit.record import record_evaluation

SIGNERS = ("e1042", "e1187", "e2210", "e9999")
IDS = (*sorted(PENDING), "INI-005", "INI-016", "INI-032", "INI-045", "INI-046", "INI-003")

_SIGN = st.tuples(st.sampled_from(("approve", "refuse")), st.sampled_from(IDS),
                  st.sampled_from(("vp", "finance")), st.sampled_from(SIGNERS))
_STEP = st.one_of(_SIGN, st.tuples(st.just("review"), st.booleans()), st.just(("plan",)))


@pytest.fixture(scope="module")
def flag_evaluation(tmp_path_factory: pytest.TempPathFactory):
    """The example's evaluation under the policy that flags spend: recorded again for each new plan."""
    return bp.run_cycle(str(flag_policy(tmp_path_factory.mktemp("policy"))), INITIATIVES, evaluated_at=PLANNED_AT)


def _check(ledger: Path, copy_dir: Path) -> bp.Positions:
    live = bp.positions(ledger)
    pool = live.pool
    assert pool.allocated + pool.earmarked + pool.returned + pool.leftover + pool.reserve == pool.pool
    for p in live.initiatives:
        assert p.allocated + p.earmarked + p.returned == p.planned - p.released + p.received, p
        assert min(p.earmarked, p.returned) >= 0, p
    copy = copy_dir / "copy.db"
    shutil.copyfile(ledger, copy)
    assert bp.positions(copy) == live
    return live


def _review_agrees(done: object, positions: bp.Positions) -> None:
    """The engine's own holdings after the review (live) against the positions rebuilt from the records."""
    result = done.result  # type: ignore[attr-defined]
    assert result is not None
    for holding in result.positions:
        p = positions.initiative(holding.initiative_id)
        if p.state == "refused":
            assert holding.allocation == 0
        else:
            assert holding.allocation == p.allocated + p.earmarked, (holding, p)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(st.lists(_STEP, min_size=1, max_size=8))
def test_any_budget_year_conserves_money_and_rebuilds_the_same_positions(flag_evaluation, flag_plan_file, steps):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        ledger = folder / "year.db"
        shutil.copyfile(flag_plan_file, ledger)
        reviewed = 0
        at = PLANNED_AT
        for step in steps:
            at += dt.timedelta(days=7)
            before = sha256(ledger)
            if step[0] == "plan":  # a new plan: the year starts again, earlier events no longer count
                record_evaluation(ledger, flag_evaluation, flag_evaluation.initiatives)
                reviewed = 0
            elif step[0] == "review":
                if reviewed == len(QUARTERS):
                    continue
                done = bp.review_year(ledger, OUTCOMES, QUARTERS[reviewed], at=at,
                                      initiatives=REQUESTS if step[1] else ())
                reviewed += 1
                _review_agrees(done, _check(ledger, folder))
                continue
            else:
                verb, initiative, role, by = step
                call = bp.approve if verb == "approve" else bp.refuse
                extra = {"reason": "not this year"} if verb == "refuse" else {}
                try:
                    result = call(ledger, initiative, role=role, by=by, at=at, **extra)
                except bp.YearError:
                    assert sha256(ledger) == before  # refused: nothing written
                    continue
                assert _check(ledger, folder).initiative(initiative) == result.position
                continue
            _check(ledger, folder)

