"""Replay of the budget year: every recorded quarter and sign-off of the plan, checked from the ledger alone.

``replay --ledger`` re-evaluates the recorded decisions (:mod:`budgetpolicy.audit.replay`); this module
does the same for the year's events of the latest plan. Each recorded ``quarter`` is computed again from
what the ledger held when it was recorded: the plan's stored policy, its recorded inputs and decisions,
and the readings of that quarter and the ones before it recorded before the quarter's record
(:func:`budgetpolicy.year.quarters.recompute_quarter`). It must be its record byte for byte on the
canonical payload; the same comparison guards ``review --ledger`` (BP862). Every sign-off and refusal
must still pass the checks it passed when it was recorded
(:func:`budgetpolicy.year.signoff.check_event`) against the events before it.

Every plan of the ledger is replayed with its own events (a new plan starts the year again: the events
of an earlier plan do not count for the latest, but they were recorded and are checked).
"""

from __future__ import annotations

import os

from attrs import field, frozen

from budgetpolicy.audit.ledger import Ledger
from budgetpolicy.canonical import canonical_json
from budgetpolicy.engine.compile import CompiledPolicy, compile_policy
from budgetpolicy.errors import YearError
from budgetpolicy.plugins import build_registry
from budgetpolicy.registry import Registry
from budgetpolicy.year.events import (BudgetYear, RecordedRequest, SignOff, latest_plan, plans, read_year,
                                      recorded_time)
from budgetpolicy.year.quarters import (QuarterMismatch, first_difference, plan_inputs, quarter_mismatch,
                                        recompute_quarter)
from budgetpolicy.year.view import plan_context, rebuilt_request, request_payload
from budgetpolicy.year.signoff import check_event


@frozen
class SignOffMismatch:
    """A recorded sign-off or refusal that no longer passes its checks: the check's code and message."""

    seq: int
    kind: str
    initiative_id: str
    role: str
    by: str
    code: str
    message: str


@frozen
class YearReplay:
    """What replaying the year's events found for the plan at record ``plan``."""

    plan: int
    quarters: int = 0
    signoffs: int = 0  # sign-offs and refusals
    quarter_mismatches: tuple[QuarterMismatch, ...] = field(default=())
    signoff_mismatches: tuple[SignOffMismatch, ...] = field(default=())
    requests: int = 0
    request_mismatches: tuple[QuarterMismatch, ...] = field(default=())  # seq, period, first field, both values

    @property
    def quarters_reproduced(self) -> int:
        return self.quarters - len(self.quarter_mismatches)

    @property
    def signoffs_consistent(self) -> int:
        return self.signoffs - len(self.signoff_mismatches)

    @property
    def requests_reproduced(self) -> int:
        return self.requests - len(self.request_mismatches)

    @property
    def ok(self) -> bool:
        return not (self.quarter_mismatches or self.signoff_mismatches or self.request_mismatches)


def replay_year(path: str | os.PathLike[str], registry: Registry | None = None) -> YearReplay | None:
    """Replay the quarters, sign-offs and requests of every plan in the ledger at ``path`` (the counts and
    differences of all of them; ``plan`` names the latest); None when it holds no plan, or only plans
    without recorded events (nothing to replay beyond their decisions)."""
    with Ledger(path, create=False, readonly=True) as ledger:
        if latest_plan(ledger) is None:
            return None
        registry = registry or build_registry()
        found = [r for plan in plans(ledger) if (r := _replay_plan(ledger, read_year(ledger, plan), registry))]
    if not found:
        return None
    return YearReplay(found[-1].plan, sum(r.quarters for r in found), sum(r.signoffs for r in found),
                      tuple(m for r in found for m in r.quarter_mismatches),
                      tuple(m for r in found for m in r.signoff_mismatches), sum(r.requests for r in found),
                      tuple(m for r in found for m in r.request_mismatches))


def _replay_plan(ledger: Ledger, year: BudgetYear, registry: Registry) -> YearReplay | None:
    if not (year.quarters or year.events):  # requests come with quarters
        return None
    quarters: tuple[QuarterMismatch, ...] = ()
    requests: tuple[QuarterMismatch, ...] = ()
    if year.quarters:
        initiatives, decisions = plan_inputs(ledger, year)
        compiled = compile_policy(year.policy, registry)
        recomputed = (quarter_mismatch(q, recompute_quarter(year, initiatives, decisions, q, compiled))
                      for q in year.quarters)
        quarters = tuple(m for m in recomputed if m is not None)
        requests = tuple(m for r in year.requests if (m := request_mismatch(year, compiled, r)) is not None)
    signoffs = tuple(e for event in year.events if (e := _check_signoff(year, ledger.path, event)) is not None)
    return YearReplay(year.plan.seq, len(year.quarters), len(year.events), quarters, signoffs, len(year.requests),
                      requests)


def request_mismatch(year: BudgetYear, compiled: CompiledPolicy, recorded: RecordedRequest) -> QuarterMismatch | None:
    """A recorded request decided again under the plan's policy, in the plan's context: None when the
    decision is its record's, byte for byte."""
    initiative, _ = rebuilt_request(year, recorded)
    _, again = request_payload(initiative, compiled.decide(initiative, plan_context(year)))
    if canonical_json(again) == canonical_json(recorded.decision):
        return None
    path, before, after = first_difference(recorded.decision, again) or ("decision", recorded.decision, again)
    return QuarterMismatch(recorded.seq, recorded.period, f"request {recorded.initiative_id} {path}", before, after)


def _check_signoff(year: BudgetYear, path: str, event: SignOff) -> SignOffMismatch | None:
    """``event`` checked against the plan and everything recorded before it."""
    at = recorded_time(event.at)
    if at is None:
        return SignOffMismatch(event.seq, event.kind, event.initiative_id, event.role, event.by, "BP858",
                               f"its time '{event.at}' is not an ISO 8601 timestamp")
    try:
        check_event(year.before(event.seq), path, event.initiative_id, event.role, event.by, at)
    except YearError as exc:
        first = exc.diagnostics[0]
        return SignOffMismatch(event.seq, event.kind, event.initiative_id, event.role, event.by,
                               first.code or "", first.message)
    return None
