"""The budget year as the review engine sees it: sign-offs per quarter, the rules on a new amount, requests.

:func:`year_view` builds the :class:`~budgetpolicy.review.signoffs.YearView` a review from the ledger hands
the engine. Each recorded quarter sees the sign-offs and refusals recorded before its own record, so it is
recomputed exactly as it was recorded; the quarter being reviewed sees every event recorded so far. The
approval rules run again on a new amount under the plan's policy, in the plan's evaluation context, so a
replay runs them exactly as the review did.

:func:`decide_requests` decides the new requests of a quarter: the initiatives of the ``--initiatives`` file
that the plan does not decide and no earlier quarter requested.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from attrs import evolve

from budgetpolicy.audit.batches import rebuild_decision, rebuild_initiative
from budgetpolicy.audit.entry import LedgerEntry, LedgerRecord, decision_record
from budgetpolicy.canonical import to_jsonable
from budgetpolicy.data.rollouts import check_rollouts
from budgetpolicy.engine.compile import CompiledPolicy, EvaluationContext
from budgetpolicy.model import Decision, Explanation, Initiative
from budgetpolicy.review.periods import parse_period
from budgetpolicy.review.rollout import with_scaled_cost
from budgetpolicy.review.signoffs import SignState, YearView
from budgetpolicy.year.events import BudgetYear, RecordedRequest, recorded_time


def sign_state(year: BudgetYear, before: int | None = None) -> SignState:
    """The roles signed and refused per initiative, from the events recorded before record ``before``
    (all of them when None)."""
    signed: dict[str, list[str]] = {}
    refused: dict[str, list[str]] = {}
    for event in year.events:
        if before is not None and event.seq >= before:
            continue
        into = refused if event.refused else signed
        roles = into.setdefault(event.initiative_id, [])
        if event.role not in roles:
            roles.append(event.role)
    return SignState({k: tuple(v) for k, v in signed.items()}, {k: tuple(v) for k, v in refused.items()})


def plan_context(year: BudgetYear) -> EvaluationContext:
    """The plan's evaluation context: where the rules run again on a new amount and decide requests."""
    at = recorded_time(year.plan.evaluated_at)
    assert at is not None, year.plan.evaluated_at  # the plan's records were written by evaluate --ledger
    return EvaluationContext(evaluated_at=at, explain=False)


def year_view(year: BudgetYear, compiled: CompiledPolicy, period: str | None = None,
              new: Sequence[tuple[Initiative, Decision]] = ()) -> YearView:
    """The view of ``year`` for a review: each recorded quarter with the events before its record, and
    ``period`` (when it is not recorded) with every event and its ``new`` requests."""
    states = {parse_period(q.period): sign_state(year, q.seq) for q in year.quarters}
    requests: dict[int, list[tuple[Initiative, Decision]]] = {}
    for recorded in year.requests:
        requests.setdefault(parse_period(recorded.period), []).append(rebuilt_request(year, recorded))
    if period is not None and not any(q.period == period for q in year.quarters):
        states[parse_period(period)] = sign_state(year)
        requests.setdefault(parse_period(period), []).extend(new)
    context = plan_context(year)

    def requires(initiative: Initiative, amount: Decimal) -> tuple[str, ...]:
        return compiled.decide(evolve(initiative, cost=amount), context).required_approvers

    return YearView(states, requires, {q: tuple(pairs) for q, pairs in requests.items()})


def rebuilt_request(year: BudgetYear, recorded: RecordedRequest) -> tuple[Initiative, Decision]:
    """A recorded request's initiative and decision, as the engine takes them."""
    entry = LedgerEntry.of("request", recorded.initiative_id, recorded.period, "", "", "", "", {})
    record = LedgerRecord(recorded.seq, entry, "", "")
    payload: dict[str, Any] = {"input": recorded.input, "decision": recorded.decision}
    return rebuild_initiative(record, payload, year.policy.attributes), rebuild_decision(record, payload)


def decide_requests(year: BudgetYear, compiled: CompiledPolicy, initiatives: Sequence[Initiative],
                    planned: Sequence[Initiative] = ()) -> tuple[list[tuple[Initiative, Decision]], list[str]]:
    """The new requests among ``initiatives`` (not in the plan, not requested before), each decided by the
    plan's policy; and a note for each one left out because it is the plan's or requested already.

    A rollout (``rollout_of``) must name a pilot of the plan (``planned``, its initiatives), of an earlier
    request or of ``initiatives`` (BP460, BP461); it is decided at its cost scaled from the pilot
    (:mod:`budgetpolicy.review.rollout`), so the approval rules see what it will cost."""
    known = {d.initiative_id for d in year.plan.decisions}
    requested = {r.initiative_id: r for r in year.requests}
    asked = [rebuilt_request(year, r)[0] for r in year.requests]
    check_rollouts([i for i in initiatives if i.id not in known and i.id not in requested], (*planned, *asked))
    pilots = {i.id: i for i in (*planned, *asked, *initiatives) if i.pilot}
    context = plan_context(year)
    new: list[tuple[Initiative, Decision]] = []
    notes: list[str] = []
    for initiative in initiatives:
        if initiative.id in known:
            continue  # the plan's own initiative: its recorded input counts, not the file's
        earlier = requested.get(initiative.id)
        if earlier is not None:
            notes.append(f"{initiative.location}: {initiative.id} was requested with {earlier.period} (record "
                         f"{earlier.seq}); ignored (the record wins)")
            continue
        initiative = with_scaled_cost(initiative, pilots, year.policy.rollout)
        new.append((initiative, compiled.decide(initiative, context)))
    return new, notes


def request_payload(initiative: Initiative, decision: Decision) -> tuple[dict[str, Any], dict[str, Any]]:
    """A new request's input and decision as its record holds them (canonical JSON data)."""
    return to_jsonable(initiative), decision_record(decision, Explanation())
