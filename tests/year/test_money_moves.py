"""Money moves obey the policy: the approval rules run again on every reallocation and scale-up, bets awaiting
a sign-off receive nothing unless the policy allows it, ``[signoff] release_unsigned_at`` releases what is
still unsigned, and new requests are decided by the plan's policy and funded from released money or the
``[requests]`` reserve (docs/budget-year.md)."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from year_helpers import (INITIATIVES, OUTCOMES, PLAN_SIGNOFFS, PLANNED_AT, POLICY, QUARTERS, REQUESTS,
                          SIGNOFFS_AFTER, cli, one_line_error, sha256, sign)

import budgetpolicy as bp
from budgetpolicy.audit.record import record_evaluation
from budgetpolicy.audit.ledger import Ledger
from budgetpolicy.year.events import read_year


def _conserved(positions: bp.Positions) -> None:
    pool = positions.pool
    assert pool.allocated + pool.earmarked + pool.returned + pool.leftover + pool.reserve == pool.pool
    for p in positions.initiatives:
        assert p.allocated + p.earmarked + p.returned == p.planned - p.released + p.received, p


def _year(ledger: Path, until: str = "2026-Q3", requests: dict[str, str] | None = None) -> None:
    """The example's quarters up to ``until``, signed after each as `make demo` signs them."""
    for quarter in QUARTERS:
        bp.review_year(ledger, OUTCOMES, quarter, initiatives=(requests or {}).get(quarter, ()))
        sign(ledger, SIGNOFFS_AFTER.get(quarter, ()))
        if quarter == until:
            return


def _plan(tmp_path: Path, extra: str, *, signed: bool = True) -> Path:
    """The example plan under the bundled policy with ``extra`` TOML appended, signed as the demo signs it."""
    policy = tmp_path / "policy.toml"
    policy.write_text(Path(POLICY).read_text(encoding="utf-8") + "\n" + extra, encoding="utf-8")
    path = tmp_path / "year.db"
    evaluation = bp.run_cycle(str(policy), INITIATIVES, evaluated_at=PLANNED_AT)
    record_evaluation(path, evaluation, evaluation.initiatives)
    if signed:
        sign(path, PLAN_SIGNOFFS)
    return path


@pytest.fixture(scope="module")
def demo_year(signed_plan_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The signed example reviewed through Q3 (INI-005 signed after Q1), with the example requests in Q3."""
    path = tmp_path_factory.mktemp("demo") / "year.db"
    shutil.copyfile(signed_plan_file, path)
    _year(path, requests={"2026-Q3": REQUESTS})
    return path


def _copy(source: Path, tmp_path: Path) -> Path:
    path = tmp_path / "copy.db"
    shutil.copyfile(source, path)
    return path


def test_scale_ups_past_a_threshold_earmark_the_extra_money_until_that_role_signs(demo_year, tmp_path):
    ledger = _copy(demo_year, tmp_path)
    before = bp.positions(ledger)
    # INI-016 (approved at 20,000) grows to 30,000: over the VP rule's 25,000; INI-001 (signed by a VP at
    # 48,000) grows to 56,000: over the finance rule's 50,000. The VP's earlier sign-off still counts.
    ini016, ini001 = before.initiative("INI-016"), before.initiative("INI-001")
    assert (ini016.state, ini016.allocated, ini016.earmarked, ini016.awaiting) == ("funded", 20000, 6000, ("vp",))
    assert (ini001.allocated, ini001.earmarked, ini001.awaiting) == (48000, 0, ())
    _conserved(before)
    done = bp.approve(ledger, "INI-016", role="vp", by="e1042")
    assert (done.position.allocated, done.position.earmarked, done.position.awaiting) == (26000, 0, ())
    after = bp.positions(ledger)
    assert after.initiative("INI-016") == done.position
    assert after.pool.allocated - before.pool.allocated == 6000 == before.pool.earmarked - after.pool.earmarked
    _conserved(after)


def test_the_approval_rules_name_the_roles_each_reallocation_awaits(demo_year):
    with Ledger(demo_year, create=False, readonly=True) as ledger:
        year = read_year(ledger)
    moves = {(q.period, m["initiative_id"]): (m["kind"], m["amount"], m.get("awaiting", []))
             for q in year.quarters for m in q.review["reallocations"]}
    assert moves[("2026-Q1", "INI-005")] == ("next_ranked", "30000", ["vp"])  # 30,000 > 25,000
    assert moves[("2026-Q1", "INI-044")] == ("next_ranked", "9000", [])
    assert moves[("2026-Q2", "INI-032")] == ("next_ranked", "40000", ["vp"])
    assert moves[("2026-Q3", "INI-016")] == ("scale_up", "6000", ["vp"])
    assert moves[("2026-Q3", "INI-045")] == ("request", "12000", [])


def test_a_role_a_reallocation_awaits_is_refused_with_one_line_when_it_is_another(demo_year, tmp_path):
    ledger = _copy(demo_year, tmp_path)
    before = sha256(ledger)
    line = one_line_error(cli("approve", str(ledger), "INI-016", "--role", "finance", "--by", "e2210"), "BP853")
    assert "INI-016 does not require a 'finance' sign-off (it requires: vp)" in line
    line = one_line_error(cli("approve", str(ledger), "INI-003", "--role", "vp", "--by", "e1042"), "BP852")
    assert "INI-003 is approved in the plan, not pending approval, and no reallocation to it awaits" in line
    assert sha256(ledger) == before


def test_refusing_a_reallocation_returns_it_and_keeps_the_bet(demo_year, tmp_path):
    ledger = _copy(demo_year, tmp_path)
    done = bp.refuse(ledger, "INI-032", role="vp", by="e1187", reason="no budget for the analytics academy")
    p = done.position
    assert (p.state, p.allocated, p.earmarked, p.returned) == ("funded", 0, 0, 40000)
    positions = bp.positions(ledger)
    assert positions.initiative("INI-032") == p and positions.pool.returned == 40000
    _conserved(positions)
    # The refusal is final for that role: signing it later is refused and writes nothing.
    before = sha256(ledger)
    one_line_error(cli("approve", str(ledger), "INI-032", "--role", "vp", "--by", "e1042"), "BP855")
    assert sha256(ledger) == before


def test_new_requests_are_their_own_events_decided_by_the_plan_policy(demo_year):
    positions = bp.positions(demo_year)
    rows = {p.initiative_id: p for p in positions.initiatives if p.requested}
    assert {i: (p.requested, p.outcome, p.state, p.received) for i, p in rows.items()} == {
        "INI-045": ("2026-Q3", "approved", "funded", 12000),
        "INI-046": ("2026-Q3", "pending_approval", "unfunded", 0),
        "INI-047": ("2026-Q3", "rejected", "rejected", 0)}
    # Earlier quarters never see them.
    assert all(not p.requested for p in bp.positions(demo_year, "2026-Q2").initiatives)
    with Ledger(demo_year, create=False, readonly=True) as ledger:
        year = read_year(ledger)
    assert [(r.initiative_id, r.period) for r in year.requests] == [("INI-045", "2026-Q3"), ("INI-046", "2026-Q3"),
                                                                    ("INI-047", "2026-Q3")]
    q3 = year.quarters[-1]
    assert all(r.seq < q3.seq for r in year.requests)
    (funded,) = [m for m in q3.review["reallocations"] if m["kind"] == "request"]
    assert funded["reason"] == "new request funded 12000 of 12000 from released money"
    _conserved(positions)


def test_a_request_is_funded_from_the_reserve_and_awaits_its_sign_off(tmp_path):
    ledger = _plan(tmp_path, '[requests]\nreserve = 40000\nkinds = ["stretch", "pilot"]\n')
    planned = bp.positions(ledger)
    assert planned.pool.reserve == 40000  # held back from the plan: it allocates 440,000 of the 480,000
    assert planned.pool.allocated + planned.pool.earmarked <= 440000
    _conserved(planned)
    done = bp.review_year(ledger, OUTCOMES, "2026-Q1", initiatives=REQUESTS)
    assert done.result is not None
    got = {r.initiative_id: (r.outcome, r.funded) for r in done.result.requests}
    # INI-046 (Engineering) gets what the Engineering cap of 200,000 still has room for: 27,000 of 28,000
    assert got == {"INI-045": ("approved", 12000), "INI-046": ("pending_approval", 27000),
                   "INI-047": ("rejected", 0)}
    assert done.result.summary.reserve_used == 39000
    after = bp.positions(ledger)
    assert after.pool.reserve == 1000
    ini046 = after.initiative("INI-046")
    assert (ini046.state, ini046.earmarked, ini046.awaiting) == ("earmarked", 27000, ("vp",))
    _conserved(after)
    signed = bp.approve(ledger, "INI-046", role="vp", by="e1187")
    assert (signed.position.state, signed.position.allocated) == ("funded", 27000)
    _conserved(bp.positions(ledger))


def test_a_recorded_quarter_with_requests_is_shown_and_never_decided_again(demo_year, tmp_path):
    ledger = _copy(demo_year, tmp_path)
    before = sha256(ledger)
    done = bp.review_year(ledger, OUTCOMES, "2026-Q3", initiatives=REQUESTS)
    assert done.shown_from_record and sha256(ledger) == before


def test_bets_awaiting_a_sign_off_receive_no_reallocation_unless_the_policy_allows(tmp_path):
    flag = '[spend]\non_mismatch = "flag"\n'
    (tmp_path / "held").mkdir()
    (tmp_path / "allowed").mkdir()
    held = _plan(tmp_path / "held", flag, signed=False)
    allowed = _plan(tmp_path / "allowed", flag + "\n[signoff]\nreallocate_to_unsigned = true\n", signed=False)
    unsigned = {"INI-001", "INI-002", "INI-009", "INI-011", "INI-021"}
    for ledger in (held, allowed):
        for quarter in QUARTERS:
            bp.review_year(ledger, OUTCOMES, quarter)
    got = {}
    for name, ledger in (("held", held), ("allowed", allowed)):
        with Ledger(ledger, create=False, readonly=True) as opened:
            year = read_year(opened)
        got[name] = {m["initiative_id"] for q in year.quarters for m in q.review["reallocations"]} & unsigned
        _conserved(bp.positions(ledger))
    assert got["held"] == set()
    assert got["allowed"]  # a proven unsigned bet is scaled up, its extra money awaiting the same roles
    with Ledger(allowed, create=False, readonly=True) as opened:
        moves = [m for q in read_year(opened).quarters for m in q.review["reallocations"]
                 if m["initiative_id"] in unsigned]
    assert all(m["awaiting"] for m in moves)


def test_release_unsigned_at_releases_what_still_awaits_a_sign_off(tmp_path):
    ledger = _plan(tmp_path, '[spend]\non_mismatch = "flag"\n\n[signoff]\nrelease_unsigned_at = "2026-Q2"\n',
                   signed=False)
    sign(ledger, (("INI-009", "vp", "e1042"), ("INI-009", "finance", "e2210")))
    for quarter in QUARTERS[:2]:
        bp.review_year(ledger, OUTCOMES, quarter)
    with Ledger(ledger, create=False, readonly=True) as opened:
        q2 = read_year(opened).quarters[-1]
    lapsed = {r["initiative_id"] for r in q2.review["releases"] if r["cause"] == "unsigned"}
    # the plan bets nobody signed, and INI-005's Q1 reallocation that awaited a VP; INI-002 has spent all
    # it still held (Q1 released the rest), so there is nothing to release and it keeps waiting
    assert lapsed == {"INI-001", "INI-011", "INI-021", "INI-005"}
    positions = bp.positions(ledger)
    assert {p.initiative_id for p in positions.initiatives if p.state == "lapsed"} == {"INI-001", "INI-011", "INI-021"}
    assert positions.initiative("INI-002").state == "earmarked"
    _conserved(positions)
    before = sha256(ledger)
    line = one_line_error(cli("approve", str(ledger), "INI-021", "--role", "vp", "--by", "e1187"), "BP864")
    assert "released unsigned at the review of 2026-Q2" in line
    one_line_error(cli("approve", str(ledger), "INI-005", "--role", "vp", "--by", "e1187"), "BP864")
    assert sha256(ledger) == before
