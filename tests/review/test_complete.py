"""How bets end: completed, completed_below_target (horizon passed or finished) or sunset (still in flight)."""

from __future__ import annotations

from decimal import Decimal as D

from review_helpers import decision, initiative, policy, reading

from budgetpolicy.model import MilestonePolicy, ReallocationPolicy, SunsetCriterion
from budgetpolicy.review.quarterly import review

LOW = SunsetCriterion("persistently-low", "realisation_below", D("0.4"), 2)
HORIZON = SunsetCriterion("horizon-over", "horizon_passed", reason="{initiative}: {latest} of {target} by {end}")

INITS = [initiative("ON", horizon=2), initiative("NEAR", horizon=2), initiative("LOW", horizon=4),
         initiative("EARLY", horizon=4), initiative("UNREAD", horizon=2), initiative("WAIT", horizon=2)]
PLAN = [decision("ON", "10000"), decision("NEAR", "10000"), decision("LOW", "10000"), decision("EARLY", "10000"),
        decision("UNREAD", "10000"), decision("WAIT", None, outcome="rejected")]
OUTCOMES = [
    reading("ON", "2026-Q1", {"win-rate": "1"}), reading("ON", "2026-Q2", {"win-rate": "2"}, spend="6000"),
    reading("NEAR", "2026-Q1", {"win-rate": "1"}), reading("NEAR", "2026-Q2", {"win-rate": "1.7"}, spend="9000"),
    reading("LOW", "2026-Q1", {"win-rate": "0.1"}), reading("LOW", "2026-Q2", {"win-rate": "0.3"}),
    reading("EARLY", "2026-Q1", {"win-rate": "0.5"}, spend="4000", finished=True),
    reading("WAIT", "2026-Q2", {"win-rate": "2"}, finished=True),
]


def run(period="2026-Q2", **milestones):
    pol = policy(sunset=(LOW, HORIZON), reallocation=ReallocationPolicy(release_below=D("0"), scale_max_share=D("0")),
                 milestones=MilestonePolicy(**milestones) if milestones else None)
    return review(pol, INITS, PLAN, OUTCOMES, period)


def test_ended_bets_and_their_statuses():
    result = run()
    q1, q2 = result.history[0], result
    assert [(c.initiative_id, c.status, c.cause, c.latest) for c in q1.completions] == [
        ("EARLY", "completed_below_target", "finished", D("0.2500"))]  # finished: 0.5 of the whole 2
    assert [(c.initiative_id, c.status, c.cause, c.latest) for c in q2.completions] == [
        ("NEAR", "completed_below_target", "horizon", D("0.8500")),  # close to target: not a failure
        ("ON", "completed", "horizon", D("1.0000")),
        ("UNREAD", "completed_below_target", "horizon", None)]
    # LOW is still in flight (horizon 4): its second low quarter is a sunset (linear: 0.1 of 0.5, 0.3 of 1)
    assert [(s.initiative_id, s.criterion) for s in q2.sunsets] == [("LOW", "persistently-low")]
    statuses = {p.initiative_id: p.status for p in result.positions}
    assert statuses == {"ON": "completed", "NEAR": "completed_below_target", "LOW": "sunset",
                        "EARLY": "completed_below_target", "UNREAD": "completed_below_target", "WAIT": "ineligible"}


def test_below_target_at_the_horizon_takes_the_horizon_criterions_reason():
    near = next(c for c in run().completions if c.initiative_id == "NEAR")
    assert (near.criterion, near.reason) == ("horizon-over", "NEAR: 0.8500 of 1 by 2026-Q2")
    assert near.detail == ("horizon of 2 quarters (2026-Q1..2026-Q2) is over: the latest realisation 0.8500 is "
                           "below the target 1")
    on = next(c for c in run().completions if c.initiative_id == "ON")
    assert (on.criterion, on.reason) == ("", on.detail)  # met the target: no criterion is involved
    early = run().history[0].completions[0]
    assert early.reason == "reported finished in 2026-Q1: the latest realisation 0.2500 is below the target 1"


def test_completed_at_sets_the_target():
    result = run(completed_at=D("0.85"))
    assert {c.initiative_id: c.status for c in result.completions}["NEAR"] == "completed"
    assert result.completions[0].target == D("0.85")


def test_completed_bets_release_their_unspent_money_and_are_not_judged_again():
    result = run("2026-Q3")
    q2 = result.history[1]
    assert [(r.initiative_id, r.cause, r.amount, r.reason) for r in q2.releases] == [
        ("LOW", "sunset", D("10000.00"), "sunset this quarter: all unspent funds are released"),
        ("NEAR", "finished", D("1000.00"), "completed below target: its unspent funds are released"),
        ("ON", "finished", D("4000.00"), "completed: its unspent funds are released"),
        ("UNREAD", "finished", D("10000.00"), "completed below target: its unspent funds are released")]
    assert result.completions == () and result.sunsets == ()


def test_without_reallocation_a_completion_keeps_its_money():
    pol = policy(sunset=(HORIZON,), milestones=None)
    result = review(pol, INITS[:1], PLAN[:1], OUTCOMES[:2], "2026-Q2")
    assert [c.status for c in result.completions] == ["completed"]
    assert result.releases == () and result.positions[0].allocation == D("10000")


def test_a_completion_judges_the_latest_realisation_up_to_its_quarter_not_a_later_one():
    """A later quarter's realisation (a reading already in the file) does not decide an earlier end."""
    from budgetpolicy.review.complete import check_completion
    from budgetpolicy.review.periods import parse_period
    from budgetpolicy.review.realise import Realisation

    q1, q2 = parse_period("2026-Q1"), parse_period("2026-Q2")
    measured = {q1: Realisation("I1", "2026-Q1", (), D("0.4")), q2: Realisation("I1", "2026-Q2", (), D("1.2"))}
    done = check_completion("I1", q1, q1, 1, measured, False, None)
    assert done is not None and (done.status, done.latest) == ("completed_below_target", D("0.4"))
    assert "0.4" in done.reason and "1.2" not in done.reason
    later = check_completion("I1", q2, q1, 2, measured, False, None)
    assert later is not None and (later.status, later.latest) == ("completed", D("1.2"))
