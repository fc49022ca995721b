"""Money moves obey the policy: the approval rules run again on every reallocation and scale-up, bets awaiting
a sign-off receive nothing unless the policy allows it, ``[signoff] release_unsigned_at`` releases what is
still unsigned, and new requests are decided by the plan's policy and funded from released money or the
``[requests]`` reserve (docs/budget-year.md)."""

from __future__ import annotations

from pathlib import Path

import pytest
from year_helpers import (OUTCOMES, PLAN_SIGNOFFS, POLICY, QUARTERS, REQUESTS, cli, copied, one_line_error,
                          record_plan, sha256, sign)

import budgetpolicy as bp
from budgetpolicy.audit.ledger import Ledger
from budgetpolicy.year.events import read_year


def _conserved(positions: bp.Positions) -> None:
    pool = positions.pool
    assert pool.allocated + pool.earmarked + pool.returned + pool.leftover + pool.reserve == pool.pool
    for p in positions.initiatives:
        assert p.allocated + p.earmarked + p.returned == p.planned - p.released + p.received, p


def _year(ledger: Path, requests: dict[str, str] | None = None) -> None:
    """The example's three quarters, with new requests by quarter."""
    for quarter in QUARTERS:
        bp.review_year(ledger, OUTCOMES, quarter, initiatives=(requests or {}).get(quarter, ()))


def _plan(tmp_path: Path, extra: str, *, signed: bool = True, replace: tuple[str, str] = ("", "")) -> Path:
    """The example plan under the bundled policy with ``extra`` TOML appended (and one text ``replace``d),
    signed as the demo signs it."""
    policy = tmp_path / "policy.toml"
    text = Path(POLICY).read_text(encoding="utf-8").replace(*replace)
    policy.write_text(text + "\n" + extra, encoding="utf-8")
    path = record_plan(tmp_path / "year.db", str(policy))
    if signed:
        sign(path, PLAN_SIGNOFFS)
    return path


@pytest.fixture(scope="module")
def demo_year(signed_plan_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The signed example reviewed through Q3, with the example requests in Q3."""
    path = copied(signed_plan_file, tmp_path_factory.mktemp("demo") / "year.db")
    _year(path, requests={"2026-Q3": REQUESTS})
    return path


def test_a_reallocation_past_a_threshold_is_earmarked_until_that_role_signs(demo_year, tmp_path):
    ledger = copied(demo_year, tmp_path / "copy.db")
    before = bp.positions(ledger)
    # Q3 funds INI-032 (deferred in the plan) with 40,000: over the VP rule's 25,000.
    ini032 = before.initiative("INI-032")
    assert (ini032.state, ini032.allocated, ini032.earmarked, ini032.awaiting) == ("earmarked", 0, 40000, ("vp",))
    assert (ini032.required, ini032.signed) == (("vp",), ())
    _conserved(before)
    done = bp.approve(ledger, "INI-032", role="vp", by="e1042")
    assert (done.position.state, done.position.allocated, done.position.earmarked) == ("funded", 40000, 0)
    # The move's sign-off is shown as signed, though the plan (which deferred it) required nobody.
    assert (done.position.required, done.position.signed, done.position.awaiting) == (("vp",), ("vp",), ())
    after = bp.positions(ledger)
    assert after.initiative("INI-032") == done.position
    assert after.pool.allocated - before.pool.allocated == 40000 == before.pool.earmarked - after.pool.earmarked
    _conserved(after)


def test_the_approval_rules_name_the_roles_each_reallocation_awaits(demo_year):
    with Ledger(demo_year, create=False, readonly=True) as ledger:
        year = read_year(ledger)
    moves = {(q.period, m["initiative_id"]): (m["kind"], m["amount"], m.get("awaiting", []))
             for q in year.quarters for m in q.review["reallocations"]}
    assert moves == {("2026-Q2", "INI-005"): ("next_ranked", "17500", []),  # 17,500: under every threshold
                     ("2026-Q3", "INI-032"): ("next_ranked", "40000", ["vp"]),  # 40,000 > 25,000
                     ("2026-Q3", "INI-044"): ("next_ranked", "11000", [])}


def test_a_role_a_reallocation_awaits_is_refused_with_one_line_when_it_is_another(demo_year, tmp_path):
    ledger = copied(demo_year, tmp_path / "copy.db")
    before = sha256(ledger)
    line = one_line_error(cli("approve", str(ledger), "INI-032", "--role", "finance", "--by", "e2210"), "BP853")
    assert "INI-032 does not require a 'finance' sign-off (it requires: vp)" in line
    line = one_line_error(cli("approve", str(ledger), "INI-003", "--role", "vp", "--by", "e1042"), "BP852")
    assert "INI-003 is approved in the plan, not pending approval, and no reallocation to it awaits" in line
    assert sha256(ledger) == before


def test_refusing_a_reallocation_returns_it_and_keeps_the_bet(demo_year, tmp_path):
    ledger = copied(demo_year, tmp_path / "copy.db")
    done = bp.refuse(ledger, "INI-032", role="vp", by="e1187", reason="no budget for the analytics academy")
    p = done.position
    assert (p.state, p.allocated, p.earmarked, p.returned) == ("funded", 0, 0, 40000)  # the bet, not its money
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
    # Q3's released 51,000 goes to the waiting line by the plan's ranking: INI-032 and INI-044 rank above
    # both requests, which are recorded, decided and left unfunded
    assert {i: (p.requested, p.outcome, p.state, p.received) for i, p in rows.items()} == {
        "INI-045": ("2026-Q3", "approved", "unfunded", 0),
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
    assert [(r["initiative_id"], r["funded"]) for r in q3.review["requests"]] == [
        ("INI-045", "0"), ("INI-046", "0"), ("INI-047", "0")]
    assert year.request("INI-046").required_approvers == ("vp",)  # 28,000 > 25,000
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
    # INI-046 (Engineering) gets what the Engineering cap of 200,000 still has room for: 15,000 of 28,000,
    # above its minimum viable 14,000 (half its cost)
    assert got == {"INI-045": ("approved", 12000), "INI-046": ("pending_approval", 15000),
                   "INI-047": ("rejected", 0)}
    assert done.result.summary.reserve_used == 27000
    after = bp.positions(ledger)
    assert after.pool.reserve == 13000
    ini046 = after.initiative("INI-046")
    assert (ini046.state, ini046.earmarked, ini046.awaiting) == ("earmarked", 15000, ("vp",))
    _conserved(after)
    signed = bp.approve(ledger, "INI-046", role="vp", by="e1187")
    assert (signed.position.state, signed.position.allocated) == ("funded", 15000)
    _conserved(bp.positions(ledger))


def test_a_recorded_quarter_with_requests_is_shown_and_never_decided_again(demo_year, tmp_path):
    ledger = copied(demo_year, tmp_path / "copy.db")
    before = sha256(ledger)
    done = bp.review_year(ledger, OUTCOMES, "2026-Q3", initiatives=REQUESTS)
    assert done.shown_from_record and sha256(ledger) == before


def test_release_unsigned_at_releases_what_still_awaits_a_sign_off(tmp_path):
    ledger = _plan(tmp_path, '[spend]\non_mismatch = "flag"\n\n[signoff]\nrelease_unsigned_at = "2026-Q2"\n',
                   signed=False)
    sign(ledger, (("INI-009", "vp", "e1042"), ("INI-009", "finance", "e2210")))
    for quarter in QUARTERS[:2]:
        bp.review_year(ledger, OUTCOMES, quarter)
    with Ledger(ledger, create=False, readonly=True) as opened:
        q2 = read_year(opened).quarters[-1]
    lapsed = {r["initiative_id"] for r in q2.review["releases"] if r["cause"] == "unsigned"}
    # the plan bets nobody signed: each releases what it has not spent, and lapses
    assert lapsed == {"INI-001", "INI-002", "INI-011", "INI-021"}
    released = {r["initiative_id"]: r["amount"] for r in q2.review["releases"] if r["cause"] == "unsigned"}
    assert released["INI-001"] == "24000.00"  # 48,000 planned, 24,000 spent by Q2
    positions = bp.positions(ledger)
    assert {p.initiative_id for p in positions.initiatives if p.state == "lapsed"} == lapsed
    _conserved(positions)
    before = sha256(ledger)
    line = one_line_error(cli("approve", str(ledger), "INI-021", "--role", "vp", "--by", "e1187"), "BP864")
    assert "released unsigned at the review of 2026-Q2" in line
    assert sha256(ledger) == before
