"""The quarterly review of the budget year, worked from the ledger and recorded in it.

When the ledger holds a plan, a review of quarter P takes everything but P's readings from the ledger:
the policy is the plan's stored policy, the initiatives are rebuilt from the plan's recorded inputs, the
plan's decisions come from its records, and the readings of earlier quarters are the recorded ``reading``
events (never the file). The readings given for P are added, and the existing review engine
(:func:`budgetpolicy.review.quarterly.review`) walks every quarter up to P. It is deterministic, so the
earlier quarters come out as recorded; that is checked against their ``quarter`` records (BP862).

Quarters are recorded in order: P must be the first quarter of the year with readings, or the quarter
right after the last recorded one (BP860 names the missing quarter). A quarter already recorded is
shown from its record, never recomputed. Recording appends P's readings and its ``quarter`` record in
one :meth:`~budgetpolicy.audit.ledger.Ledger.append_checked` transaction, whose check repeats the order
rule under the write lock; every check runs read-only first, so refused input leaves the file untouched.
P's spend is reconciled with the positions at its start (:mod:`budgetpolicy.year.spend`, BP870..BP875),
read-only first and again in the transaction: refused together, or recorded with the readings as flags.
"""

from __future__ import annotations

import json
import os
from collections.abc import Collection, Iterable, Sequence
from typing import Any

from attrs import frozen

from budgetpolicy.audit.batches import rebuild_decision, rebuild_initiative
from budgetpolicy.audit.entry import LedgerEntry
from budgetpolicy.audit.ledger import Ledger
from budgetpolicy.canonical import canonical_json
from budgetpolicy.data.load import outcome_to_record, record_to_outcome
from budgetpolicy.engine.compile import CompiledPolicy, compile_policy
from budgetpolicy.errors import Diagnostic, Location, YearError
from budgetpolicy.model import Decision, Initiative, OutcomeReading
from budgetpolicy.plugins import build_registry
from budgetpolicy.registry import Registry
from budgetpolicy.review.periods import is_period, parse_period, period_name
from budgetpolicy.review.quarterly import QuarterReview, ReviewResult, review
from budgetpolicy.review.signoffs import YearView
from budgetpolicy.year.events import (BudgetYear, RecordedQuarter, RecordedReading, quarter_entry, read_year,
                                      reading_entry, request_entry)
from budgetpolicy.year.spend import SpendProblem, check_spend, flags_of, spend_policy
from budgetpolicy.year.view import decide_requests, request_payload, year_view


@frozen
class YearReview:
    """A review of ``period`` from the ledger: computed (``result``) or shown from its record (``result``
    None); ``recorded`` is the quarter's record (None on a dry run); ``notes`` say what was ignored."""

    period: str
    year: BudgetYear
    result: ReviewResult | None
    recorded: RecordedQuarter | None
    readings: int  # the readings recorded with the quarter
    notes: tuple[str, ...] = ()
    flags: tuple[Diagnostic, ...] = ()  # spend that did not reconcile, recorded with its reading
    # What a computed review read, for the evidence drawn from it (money returns, docs/evidence.md): the
    # plan's initiatives and the requests', the plan's decisions, every reading up to the quarter.
    initiatives: tuple[Initiative, ...] = ()
    decisions: tuple[Decision, ...] = ()
    outcomes: tuple[OutcomeReading, ...] = ()

    @property
    def shown_from_record(self) -> bool:
        """True when this quarter was already recorded and is shown from its record, not recomputed."""
        return self.result is None


def plan_inputs(ledger: Ledger, year: BudgetYear) -> tuple[tuple[Initiative, ...], tuple[Decision, ...]]:
    """The plan's initiatives (rebuilt from their recorded inputs) and its decisions (from their records)."""
    wanted = {d.seq for d in year.plan.decisions}
    initiatives: list[Initiative] = []
    decisions: list[Decision] = []
    for record in ledger.iter_records_from(year.plan.seq):
        if record.seq in wanted:
            payload = record.entry.data()
            initiatives.append(rebuild_initiative(record, payload, year.policy.attributes))
            decisions.append(rebuild_decision(record, payload))
        if record.seq >= max(wanted):
            break
    return tuple(initiatives), tuple(decisions)


def review_quarter(ledger_path: str | os.PathLike[str], outcomes: Sequence[OutcomeReading], period: str, *,
                   at: str, dry_run: bool = False, policy_sha256: str | None = None,
                   initiatives: Sequence[Initiative] = (), registry: Registry | None = None) -> YearReview:
    """Review ``period`` of the ledger's plan with ``outcomes`` (the file's readings), and record it unless
    ``dry_run``; a quarter already recorded is returned from its record. ``initiatives`` (a file's) bring
    the new requests: those the plan does not decide. See the module docstring."""
    with Ledger(ledger_path, create=False, readonly=True) as reader:
        year = read_year(reader)
        _check_policy(year, policy_sha256)
        shown = _recorded(year, period)
        if shown is not None:
            return YearReview(period, year, None, shown, 0)
        planned, decisions = plan_inputs(reader, year)
    compiled = compile_policy(year.policy, registry or build_registry())
    new, request_notes = decide_requests(year, compiled, initiatives, planned)
    readings, notes = _readings(year, outcomes)
    target = parse_period(period, Location(key="--period"))
    _check_order(year, target, readings)
    flags = _reconcile(year, readings, period)
    view = year_view(year, compiled, period, new)
    reviewed = (*planned, *requested(view))
    result = review(year.policy, reviewed, decisions, readings, period, view)
    inputs = (reviewed, tuple(decisions), tuple(readings))
    _check_history(year, result)
    notes = (*notes, *request_notes)
    moves = _jsonable(_quarter_of(result))
    flagged_first = tuple(p.diagnostic for p in flags)
    if dry_run:
        return YearReview(period, year, result, None, 0, notes, flagged_first, *inputs)
    seen = tuple(q.seq for q in year.quarters)
    last = list(flagged_first)  # the flags the transaction recorded (its last attempt, should a busy file retry it)
    with Ledger(ledger_path, create=False) as ledger:
        def entries() -> list[LedgerEntry]:
            now = read_year(ledger)
            if now.plan.seq != year.plan.seq or tuple(q.seq for q in now.quarters) != seen:
                _check_order(now, target, readings)  # names what was recorded meanwhile
                raise YearError(f"the ledger changed while {period} was reviewed", Location(file=now.path),
                                code="BP860", hint="run the review again")
            _check_order(now, target, readings)
            # Sign-offs recorded meanwhile change what reconciles: checked again under the write lock.
            problems = _reconcile(now, readings, period)
            flagged, last[:] = flags_of(problems), [p.diagnostic for p in problems]
            records = [outcome_to_record(r) for r in readings if r.period == period]
            return [*(reading_entry(now.plan, r, at, flagged.get(r["initiative_id"])) for r in records),
                    *(request_entry(now.plan, period, *request_payload(i, d), at) for i, d in new),
                    quarter_entry(now.plan, period, moves, at)]
        seqs = ledger.append_checked(entries)
    recorded = RecordedQuarter(seqs[-1], period, year.plan.seq, at, moves)
    return YearReview(period, year, result, recorded, len(seqs) - 1 - len(new), notes, tuple(last), *inputs)


def requested(view: YearView) -> list[Initiative]:
    """The initiatives of every request in ``view``: the review checks their readings too."""
    return [initiative for pairs in view.requests.values() for initiative, _ in pairs]


def _reconcile(year: BudgetYear, readings: Sequence[OutcomeReading], period: str) -> tuple[SpendProblem, ...]:
    """``period``'s spend against the position at its start: every problem refuses the review at once under
    ``[spend] on_mismatch = "error"`` (the default, also without a ``[spend]`` section); under ``"flag"``
    they are returned, to be recorded with the readings."""
    problems = check_spend(year, readings, period)
    if problems and spend_policy(year).on_mismatch == "error":
        raise YearError([p.diagnostic for p in problems])
    return problems


def _check_policy(year: BudgetYear, policy_sha256: str | None) -> None:
    plan = year.plan
    if policy_sha256 is not None and policy_sha256 != plan.policy_sha256:
        raise YearError(f"a ledger written under another policy: the {plan.where} was made under {plan.policy_id} "
                        f"{plan.policy_version} (sha256 {plan.policy_sha256[:12]}), --policy has sha256 "
                        f"{policy_sha256[:12]}", Location(file=year.path, key=plan.where), code="BP861",
                        hint="leave out --policy (the review uses the plan's own policy, stored in the ledger), "
                             "or give the policy file the plan was made under")


def _recorded(year: BudgetYear, period: str) -> RecordedQuarter | None:
    return next((q for q in year.quarters if q.period == period), None)


def _readings(year: BudgetYear, outcomes: Sequence[OutcomeReading]) -> tuple[list[OutcomeReading], tuple[str, ...]]:
    """The recorded readings of the recorded quarters, and the file's readings of later quarters; a file
    reading for a recorded quarter is ignored (with a note when it differs from the record)."""
    recorded_quarters = {q.period for q in year.quarters}
    kept = _kept_readings(year, recorded_quarters)
    readings = recorded_outcomes(year, kept.values())
    notes: list[str] = []
    for reading in outcomes:
        if reading.period not in recorded_quarters:
            readings.append(reading)
            continue
        earlier = kept.get((reading.initiative_id, reading.period))
        if earlier is None or earlier.record != outcome_to_record(reading):
            what = "is not in the record" if earlier is None else f"differs from record {earlier.seq}"
            notes.append(f"{reading.location}: the reading of {reading.initiative_id} for {reading.period} {what}; "
                         f"ignored ({reading.period} is recorded: the record wins)")
    return readings, tuple(notes)


def _check_order(year: BudgetYear, target: int, readings: Sequence[OutcomeReading]) -> int | None:
    """The quarter that must be reviewed next (BP860 when ``target`` is another); None without readings."""
    if year.quarters:
        expected: int | None = parse_period(year.quarters[-1].period) + 1
    else:
        quarters = [parse_period(r.period) for r in readings if is_period(r.period)]
        expected = min(quarters) if quarters else None
    if expected is None or target == expected:
        return expected
    name = period_name(target)
    where = Location(file=year.path, key=year.plan.where)
    if target > expected:
        missing = period_name(expected)
        raise YearError(f"{name} cannot be reviewed yet: {missing} is not recorded (quarters are reviewed in order)",
                        where,
                        code="BP860", hint=f"review {missing} first: budgetpolicy review --ledger {year.path} "
                                           f"--period {missing} --outcomes ...")
    if not year.quarters:
        return expected  # before the first reading: the review says so (BP705)
    first = year.quarters[0].period
    raise YearError(f"{name} is before {first}, the first quarter recorded in the {year.plan.where}", where,
                    code="BP860", hint=f"the year's reviews run from {first}; the next is {period_name(expected)}")


def _check_history(year: BudgetYear, result: ReviewResult) -> None:
    """The earlier quarters, recomputed, must be exactly the recorded ones (the engine is deterministic)."""
    recorded = {q.period: q for q in year.quarters}
    got = [q.period for q in result.history]
    if got != list(recorded):
        raise _diverged(year, f"the review walked {', '.join(got) or 'no earlier quarter'} before "
                              f"{result.period}, but the ledger records {', '.join(recorded) or 'none'}")
    for quarter in result.history:
        mismatch = quarter_mismatch(recorded[quarter.period], quarter)
        if mismatch is not None:
            raise _diverged(year, f"{quarter.period} recomputed from the recorded readings differs from its "
                                  f"record {mismatch.seq} (first at {mismatch.field})")


def _kept_readings(year: BudgetYear, periods: Collection[str], before: int | None = None
                   ) -> dict[tuple[str, str], RecordedReading]:
    """The recorded readings of ``periods`` (recorded before record ``before``, when given); the latest
    record of an initiative and quarter wins."""
    return {(r.initiative_id, r.period): r for r in year.readings
            if r.period in periods and (before is None or r.seq < before)}


def recorded_outcomes(year: BudgetYear, readings: Iterable[RecordedReading]) -> list[OutcomeReading]:
    """Recorded readings as the review engine takes them."""
    return [record_to_outcome(r.record, Location(file=year.path, key=f"record {r.seq}")) for r in readings]


def recompute_quarter(year: BudgetYear, initiatives: Sequence[Initiative], decisions: Sequence[Decision],
                      recorded: RecordedQuarter, compiled: CompiledPolicy) -> QuarterReview:
    """``recorded``'s quarter computed again from the ledger alone: the plan's policy, initiatives and
    decisions, the readings of that quarter and the ones before it as recorded before its record, and the
    sign-offs and requests each of those quarters saw (``compiled``: the plan's policy, compiled)."""
    until = parse_period(recorded.period)
    periods = {q.period for q in year.quarters if parse_period(q.period) <= until}
    readings = recorded_outcomes(year, _kept_readings(year, periods, before=recorded.seq).values())
    view = year_view(year, compiled)
    return _quarter_of(review(year.policy, (*initiatives, *requested(view)), decisions, readings,
                              recorded.period, view))


@frozen
class QuarterMismatch:
    """A recomputed quarter that is not its record: the first differing field, with both values."""

    seq: int
    period: str
    field: str
    recorded: Any
    replayed: Any


def quarter_mismatch(recorded: RecordedQuarter, quarter: QuarterReview) -> QuarterMismatch | None:
    """None when ``quarter`` is byte for byte its record's canonical payload; else its first difference."""
    moves = _jsonable(quarter)
    if canonical_json(moves) == canonical_json(recorded.review):
        return None
    path, before, after = first_difference(recorded.review, moves) or ("review", recorded.review, moves)
    return QuarterMismatch(recorded.seq, recorded.period, path, before, after)


def first_difference(recorded: Any, replayed: Any, path: str = "") -> tuple[str, Any, Any] | None:
    """The first field (keys sorted, lists in order) where two JSON values differ: path and both values;
    a field only one side has shows the other as None."""
    if isinstance(recorded, dict) and isinstance(replayed, dict):
        for key in sorted(set(recorded) | set(replayed)):
            where = f"{path}.{key}" if path else str(key)
            if key not in recorded or key not in replayed:
                return where, recorded.get(key), replayed.get(key)
            found = first_difference(recorded[key], replayed[key], where)
            if found is not None:
                return found
        return None
    if isinstance(recorded, list) and isinstance(replayed, list):
        for i, (a, b) in enumerate(zip(recorded, replayed)):
            found = first_difference(a, b, f"{path}[{i}]")
            if found is not None:
                return found
        if len(recorded) != len(replayed):
            i = min(len(recorded), len(replayed))
            return f"{path}[{i}]", recorded[i] if i < len(recorded) else None, replayed[i] if i < len(replayed) else None
        return None
    if recorded == replayed and type(recorded) is type(replayed):
        return None
    return path or "review", recorded, replayed


def _diverged(year: BudgetYear, problem: str) -> YearError:
    return YearError(problem, Location(file=year.path, key=year.plan.where), code="BP862",
                     hint="the recorded quarters no longer reproduce: this budgetpolicy reviews differently from "
                          "the one that recorded them; use that version, or report a bug")


def _quarter_of(result: ReviewResult) -> QuarterReview:
    return QuarterReview(result.period, result.realisations, result.calibrations, result.sunsets, result.releases,
                         result.reallocations, result.scale_ups, result.summary, result.completions,
                         result.requests, result.pilots, result.rollouts)


def _jsonable(quarter: QuarterReview) -> Any:
    """The quarter as its record holds it (canonical JSON read back: exact strings for amounts)."""
    return json.loads(canonical_json(quarter))
