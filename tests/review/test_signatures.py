"""Sign-offs inside the review (review.quarterly._apply_signatures, reallocate.release_unsigned and grant): what a
refusal takes back, what clears a held reallocation, what lapses at ``[signoff] release_unsigned_at``, and how a
new request joins the book. Each case builds the review's positions by hand and pins the whole result."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from attrs import evolve
from review_helpers import decision, initiative, policy, reading

from budgetpolicy.model import SignoffPolicy
from budgetpolicy.review.periods import parse_period

from budgetpolicy.review.quarterly import _apply_signatures, _arrivals, review
from budgetpolicy.review.reallocate import Gate, Position, Release, grant, release_unsigned
from budgetpolicy.review.signoffs import PendingMove, SignState, YearView


def _pos(iid: str, allocation: str, *, status: str = "active", required: tuple[str, ...] = (),
         plan_held: bool = False, pending=(), spent: str = "0") -> Position:
    return Position(initiative(iid, cost="50000"), status, D(allocation), D(allocation), 1, D("0.1"), D("0.5"),
                    spent=D(spent), required=required, plan_held=plan_held, pending=list(pending))


def test_a_refused_plan_decision_gives_up_its_money_and_withdraws_its_moves_funded_or_not():
    moves = [PendingMove(D(500), ("vp",))]
    book = {"A1": _pos("A1", "8000", required=("vp",), pending=moves),
            "B2": _pos("B2", "0", status="unfunded", required=("finance",))}
    _apply_signatures(book, SignState(refused={"A1": ("vp",), "B2": ("finance",)}))
    assert [(p.status, p.allocation, p.plan_held) for p in book.values()] == [
        ("refused", D(0), False), ("refused", D(0), False)]
    assert (moves[0].withdrawn, moves[0].cleared) == (True, False)


def test_a_refusal_does_not_stop_the_review_of_the_bets_after_it():
    # A1 is refused; B2 (after it in id order) holds a move whose role signed: it is cleared all the same.
    cleared = PendingMove(D(700), ("finance",))
    book = {"A1": _pos("A1", "8000", required=("vp",)), "B2": _pos("B2", "9000", pending=[cleared])}
    _apply_signatures(book, SignState(signed={"B2": ("finance",)}, refused={"A1": ("vp",)}))
    assert book["A1"].status == "refused"
    assert (cleared.cleared, cleared.withdrawn, cleared.held) == (True, False, False)
    assert book["B2"].allocation == D(9000)


def test_a_plan_funding_stays_held_until_every_required_role_signed():
    book = {"A1": _pos("A1", "30000", required=("vp", "finance")),
            "B2": _pos("B2", "30000", required=("vp", "finance"))}
    _apply_signatures(book, SignState(signed={"A1": ("vp",), "B2": ("finance", "vp")}))
    assert [(p.status, p.plan_held) for p in book.values()] == [("active", True), ("active", False)]


@pytest.mark.parametrize(("allocation", "after"), [("12000", D(4000)), ("5000", D(0))])
def test_a_refused_reallocation_is_taken_back_but_never_below_zero(allocation, after):
    move = PendingMove(D(8000), ("finance",))
    book = {"A1": _pos("A1", allocation, pending=[move])}
    _apply_signatures(book, SignState(refused={"A1": ("finance",)}))
    assert (move.withdrawn, move.cleared, book["A1"].allocation, book["A1"].status) == (True, False, after, "active")


def test_a_reallocation_clears_only_when_every_role_it_awaits_signed():
    half, whole, done = (PendingMove(D(100), ("vp", "finance")), PendingMove(D(200), ("vp", "finance")),
                         PendingMove(D(300), ("vp",), cleared=True))
    book = {"A1": _pos("A1", "20000", pending=[half]), "B2": _pos("B2", "20000", pending=[whole, done])}
    _apply_signatures(book, SignState(signed={"A1": ("vp",), "B2": ("finance", "vp")}))
    assert [(m.cleared, m.withdrawn) for m in (half, whole, done)] == [(False, False), (True, False), (True, False)]
    assert [p.allocation for p in book.values()] == [D(20000), D(20000)]


def test_release_unsigned_releases_held_reallocations_up_to_what_is_unspent_and_lapses_them():
    small, big, clear = PendingMove(D("0.50"), ("vp",)), PendingMove(D(3000), ("vp",)), \
        PendingMove(D(999), ("vp",), cleared=True)
    cents = _pos("A1", "1000.50", pending=[small])
    tight = _pos("B2", "10000", pending=[big, clear], spent="8500.25")
    releases = release_unsigned([tight, cents], "2026-Q3")
    why = ("unsigned at the review of 2026-Q3 ([signoff] release_unsigned_at): reallocations to it still await a "
           "sign-off: they are released")
    assert releases == [Release("A1", "2026-Q3", "unsigned", None, D("1000.50"), D(1), D("0.50"), why),
                        Release("B2", "2026-Q3", "unsigned", None, D("1499.75"), D(1), D("1499.75"), why)]
    assert [(m.lapsed, m.held) for m in (small, big, clear)] == [(True, False), (True, False), (False, False)]
    assert [(p.status, p.allocation, p.released) for p in (cents, tight)] == [
        ("active", D("1000.00"), D("0.50")), ("active", D("8500.25"), D("1499.75"))]


def test_release_unsigned_lapses_a_held_plan_funding_and_keeps_a_bet_with_nothing_unspent_waiting():
    held = _pos("A1", "6000.009", required=("vp",), plan_held=True, spent="1000")
    spent = _pos("B2", "4000", pending=[PendingMove(D(100), ("vp",))], spent="4000")
    (release,) = release_unsigned([held, spent], "2026-Q2")
    assert release == Release("A1", "2026-Q2", "unsigned", None, D("5000.009"), D(1), D("5000.00"),
                              "unsigned at the review of 2026-Q2 ([signoff] release_unsigned_at): its funding still "
                              "awaits a sign-off: all unspent funds are released")
    assert (held.status, held.plan_held, held.allocation) == ("lapsed", False, D("1000.009"))
    assert (spent.status, spent.allocation, spent.pending[0].held) == ("active", D(4000), True)


def test_a_grant_past_two_thresholds_names_every_role_it_awaits():
    view = YearView({}, lambda i, amount: ("vp", "finance") if amount > 50000 else ())
    pos = _pos("A1", "48000")
    move = grant(pos, D(8000), "scale_up", "proven", "2026-Q3", Gate(view, SignState()), None)
    assert move.reason == "proven; awaits the sign-off of vp, finance (the approval rules on 56000)"
    assert (move.awaiting, pos.pending) == (("vp", "finance"), [PendingMove(D(8000), ("vp", "finance"))])


def test_a_new_request_starts_the_quarter_after_its_review_at_the_earliest():
    pending = evolve(decision("R1", None, outcome="pending_approval"), required_approvers=("vp",))
    asked = [(initiative("R1"), pending), (initiative("R2"), decision("R2", None)),
             (initiative("R3"), evolve(decision("R3", None), required_approvers=("finance",)))]
    book: dict[str, Position] = {}  # R3 is approved: its decision's approvers are not awaited
    arrived = _arrivals(book, YearView(requests={2: tuple(asked)}), 2, {"R1": None, "R2": 2, "R3": 5})
    assert arrived == asked
    assert [(iid, p.status, p.start, p.required, p.allocation) for iid, p in book.items()] == [
        ("R1", "requested", 3, ("vp",), D(0)), ("R2", "requested", 3, (), D(0)), ("R3", "requested", 5, (), D(0))]


def test_the_review_at_release_unsigned_at_releases_a_plan_funding_nobody_signed():
    pending = evolve(decision("A1", "8000", outcome="pending_approval"), required_approvers=("vp",))
    year = YearView({parse_period("2026-Q2"): SignState(signed={"B2": ("vp",)})}, lambda i, amount: ())
    plan = [pending, evolve(decision("B2", "9000", outcome="pending_approval"), required_approvers=("vp",))]
    outcomes = [reading(i, p, {"win-rate": "2"}, spend="1000") for i in ("A1", "B2") for p in ("2026-Q1", "2026-Q2")]
    result = review(evolve(policy(), signoff=SignoffPolicy(release_unsigned_at="2026-Q2")),
                    [initiative("A1"), initiative("B2")], plan, outcomes, "2026-Q2", year)
    assert result.history[0].releases == ()
    assert result.releases == (Release(
        "A1", "2026-Q2", "unsigned", None, D(7000), D(1), D("7000.00"), "unsigned at the review of 2026-Q2 "
        "([signoff] release_unsigned_at): its funding still awaits a sign-off: all unspent funds are released"),)
    assert [(h.initiative_id, h.status, h.allocation) for h in result.positions] == [
        ("A1", "lapsed", D("1000.00")), ("B2", "active", D(9000))]
