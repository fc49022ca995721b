"""The Python API the CLI is a thin layer over; usable directly from a notebook.

    import budgetpolicy as bp
    evaluation = bp.run_cycle("policies/acme-2026.toml", "policies/acme-2026.initiatives.csv")
    decision = evaluation.decision("INI-001")

:func:`run_cycle` shows the order of the stages in one place; the other functions are its steps, for
callers that keep a compiled policy or a registry across calls. Nothing here prints or exits: problems
are raised as :class:`~budgetpolicy.errors.BudgetPolicyError` subclasses carrying located diagnostics,
and the command line turns them into messages and exit codes.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Collection, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from attrs import frozen

from budgetpolicy.audit.entry import LedgerEntry
from budgetpolicy.audit.git import load_policy_ref
from budgetpolicy.audit.ledger import Ledger
from budgetpolicy.authoring.lint import lint_diagnostics
from budgetpolicy.data.conform import unchecked_rows
from budgetpolicy.data.load import MAX_REPORTED, RowRules, apply_attribute_types, load_initiatives, load_outcomes
from budgetpolicy.data.merge import merge_readings
from budgetpolicy.data.rollouts import check_rollouts
from budgetpolicy.engine.compile import CompiledPolicy, EvaluationContext
from budgetpolicy.engine.compile import compile_policy as _compile
from budgetpolicy.engine.evaluation import Evaluation
from budgetpolicy.errors import BudgetPolicyError, DataError, Diagnostic, Location, PolicyLoadError, UsageError
from budgetpolicy.model import Initiative, OutcomeReading, Policy
from budgetpolicy.plugins import build_registry
from budgetpolicy.policy.budget_checks import static_diagnostics
from budgetpolicy.policy.checks import semantic_diagnostics
from budgetpolicy.policy.load import load_policy as _load_policy_file
from budgetpolicy.policy.load import load_policy_text
from budgetpolicy.registry import Registry
from budgetpolicy.review.quarterly import ReviewResult
from budgetpolicy.review.quarterly import review as _review
from budgetpolicy.stretch.candidates import read_candidates
from budgetpolicy.stretch.record import KIND as STRETCH_KIND
from budgetpolicy.stretch.record import replay_differences, selection_payload
from budgetpolicy.stretch.select import Selection, assignments_of
from budgetpolicy.stretch.select import select as select_candidates
from budgetpolicy.year.events import REFUSAL, SIGNOFF, latest_plan, read_year
from budgetpolicy.year.positions import Positions
from budgetpolicy.year.positions import positions as _positions
from budgetpolicy.year.quarters import YearReview, review_quarter
from budgetpolicy.year.signoff import SignOffResult, record_event


def run_cycle(policy_spec: str, initiatives_spec: str, *, registry: Registry | None = None,
              evaluated_at: dt.datetime | None = None, as_of: dt.date | None = None) -> Evaluation:
    """A whole funding cycle, stage by stage: the one place that shows the order of the pipeline.

    Load and check the policy (``policy/``), compile it once (``engine/``, conditions by ``expr/``), read and
    check the initiatives (``data/``), then evaluate: score and approve each initiative (``engine/``),
    allocate the pool (``allocation/``) and record provenance. Explanations (``explain/``) are built when
    asked for, with :meth:`Evaluation.explanation`.
    """
    registry = registry or build_registry()
    policy = load_policy(policy_spec)
    compiled = compile_policy(policy, registry)
    initiatives = read_initiatives(initiatives_spec, registry, attribute_types=policy.attributes, policy=policy)
    return evaluate(compiled, initiatives, evaluated_at=evaluated_at, as_of=as_of)


def load_policy(spec: str) -> Policy:
    """Load and check a policy from a file path, or from git history with ``path@REV``.

    Raises :class:`~budgetpolicy.errors.PolicyLoadError` carrying every problem found (schema, semantics),
    each with the file, key path and line.
    """
    if "@" in spec and not Path(spec).exists():
        return load_policy_ref(spec)
    return _load_policy_file(spec)


def check_policy(spec: str, registry: Registry | None = None, *,
                 today: dt.date | None = None) -> tuple[Policy | None, list[Diagnostic]]:
    """Every diagnostic for one policy: what ``budgetpolicy validate`` prints.

    Schema, semantics, expressions, plugins, allocation settings, budget-specific static checks and lint
    warnings; never raises for problems in the policy itself. ``today`` enables the already-expired rule
    warning (BP247): the engine itself reads no clock. Without a ``registry``, the built-ins and the
    installed plugins allowed here (``BUDGETPOLICY_PLUGINS``) are loaded.
    """
    try:
        policy = load_policy(spec)
    except PolicyLoadError as exc:
        return None, list(exc.diagnostics)
    diagnostics = [d for d in semantic_diagnostics(policy) if d.severity == "warning"]
    diagnostics += static_diagnostics(policy, today)
    try:
        compiled = compile_policy(policy, registry)
    except BudgetPolicyError as exc:
        return policy, diagnostics + list(exc.diagnostics)
    diagnostics += [d for d in compiled.warnings if d not in diagnostics]
    return policy, diagnostics + lint_diagnostics(policy, compiled)


def compile_policy(policy: Policy, registry: Registry | None = None) -> CompiledPolicy:
    """Compile a loaded policy once (scorers instantiated, every condition type-checked and compiled).

    Raises :class:`~budgetpolicy.errors.PolicyLoadError` with every problem. Without a ``registry``, the
    built-ins and the installed plugins allowed here are loaded.
    """
    return _compile(policy, registry or build_registry())


def open_policy(spec: str, registry: Registry | None = None) -> CompiledPolicy:
    """:func:`load_policy` then :func:`compile_policy`: a policy file ready to evaluate initiatives."""
    return compile_policy(load_policy(spec), registry)


def read_initiatives(spec: str, registry: Registry, *, skip_invalid: bool = False,
                     on_skip: Callable[[Diagnostic], None] | None = None,
                     attribute_types: Mapping[str, Any] | None = None,
                     rollouts_within: bool = True, policy: Policy | None = None) -> tuple[Initiative, ...]:
    """Initiatives from any registered data source (a file, or ``NAME:TARGET`` for a plugin's source).

    Every row is checked; a bad row raises :class:`~budgetpolicy.errors.DataError` naming the file, row and
    field, unless ``skip_invalid``, when each skipped row's diagnostic goes to ``on_skip`` (never dropped
    silently). ``attribute_types`` is the policy's ``[attributes]`` table (text sources keep custom
    attributes as text until it types them). ``rollouts_within``: each ``rollout_of`` must name a pilot of
    the same source (BP460, BP461); mid-year requests, whose pilots are the plan's, are checked by the review.
    With ``policy``, every row is also checked against it (its priorities, attributes and currency, see
    ``docs/data-formats.md``); its attribute types apply only when given as ``attribute_types`` too
    (``evaluate`` types them, and the ledger records rows as read).
    """
    rules = RowRules.of(policy) if policy is not None else None
    result = load_initiatives(spec, registry, skip_invalid=skip_invalid, attribute_types=attribute_types,
                              rules=rules)
    for diagnostic in result.skipped:
        if on_skip is None:
            raise BudgetPolicyError([diagnostic])
        on_skip(diagnostic)
    if rollouts_within:
        check_rollouts(result.items)
    return tuple(result.items)


def read_outcomes(spec: str | Sequence[str], registry: Registry, *, initiative_ids: Collection[str] | None = None,
                  policy: Policy | None = None) -> tuple[OutcomeReading, ...]:
    """Outcome readings (per initiative and quarter) from any registered data source, every row checked;
    with ``initiative_ids``, a reading for an unknown initiative is an error; with ``policy``, a KPI
    column that names neither a priority nor a KPI metric of it. Several specs are merged per initiative
    and quarter (:mod:`budgetpolicy.data.merge`: two sources disagreeing on a field is BP660)."""
    rules = RowRules.of(policy) if policy is not None else None
    specs = [spec] if isinstance(spec, str) else list(spec)
    return merge_readings([load_outcomes(s, registry, initiative_ids=initiative_ids, rules=rules).items
                           for s in specs])


def evaluate(compiled: CompiledPolicy, initiatives: str | Sequence[Initiative], *,
             evaluated_at: dt.datetime | None = None, as_of: dt.date | None = None,
             calibration: Mapping[str, Decimal] | None = None, pool_delta: Decimal = Decimal(0),
             skip_invalid: bool = False, on_skip: Callable[[Diagnostic], None] | None = None) -> Evaluation:
    """A funding cycle of ``initiatives`` (a data-source spec or initiatives already read) under ``compiled``.

    ``evaluated_at`` is recorded in every decision's provenance (default: now, UTC): pass it for
    byte-identical results. ``as_of`` applies the rules in force on that date (default:
    :func:`default_as_of`, the evaluation's date); ``calibration`` holds a
    forecast factor per forecaster group (from a review); ``pool_delta`` changes the pool for a what-if.
    """
    if isinstance(initiatives, str):
        initiatives = read_initiatives(initiatives, compiled.registry, skip_invalid=skip_invalid, on_skip=on_skip,
                                       attribute_types=compiled.policy.attributes, policy=compiled.policy)
    else:
        # Read without the policy, perhaps: what it does not declare is refused here as when reading with it.
        problems = unchecked_rows(initiatives, RowRules.of(compiled.policy))
        if problems:
            raise DataError(problems[:MAX_REPORTED])
        # Text sources keep custom attributes as text; the policy's [attributes] declares their types.
        initiatives = apply_attribute_types(initiatives, compiled.policy.attributes)
    at = evaluated_at or dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    context = EvaluationContext(evaluated_at=at, as_of=as_of or default_as_of(compiled.policy, at),
                                calibration=calibration or {}, pool_delta=pool_delta)
    return compiled.evaluate(initiatives, context)


def default_as_of(policy: Policy, evaluated_at: dt.datetime) -> dt.date:
    """The as-of date when none is given: the evaluation's date (UTC), moved into the policy's effective
    period when it falls outside it (planning a 2026 policy in December 2025 applies the rules in force on
    its first day, not every dated rule at once). Recorded in provenance, so replay applies the same date."""
    day = evaluated_at.astimezone(dt.timezone.utc).date() if evaluated_at.tzinfo else evaluated_at.date()
    if day < policy.effective_date:
        return policy.effective_date
    if policy.effective_until is not None and day > policy.effective_until:
        return policy.effective_until
    return day


def plan_time(policy: Policy) -> dt.datetime:
    """When a review's plan is taken to be made: the policy's effective date, midnight UTC (so the same
    inputs give the same plan, whatever the day the review runs)."""
    return dt.datetime.combine(policy.effective_date, dt.time(), tzinfo=dt.timezone.utc)


def run_review(compiled: CompiledPolicy, initiatives: Sequence[Initiative], outcomes: Sequence[OutcomeReading],
           period: str, *, plan: Evaluation | None = None) -> ReviewResult:
    """The quarterly review of ``period``: every quarter from the first reading up to it, in order.

    The plan is ``plan``, or the funding cycle of ``initiatives`` evaluated at :func:`plan_time`, as
    ``budgetpolicy review`` does. Raises :class:`~budgetpolicy.errors.ReviewError` with every problem in
    the readings.
    """
    if plan is None:
        plan = evaluate(compiled, initiatives, evaluated_at=plan_time(compiled.policy))
    return _review(compiled.policy, initiatives, plan.decisions, outcomes, period)


def ledger_has_plan(ledger: str | os.PathLike[str]) -> bool:
    """Whether ``ledger`` exists and holds a funding plan (then a review works from the ledger)."""
    if not Path(ledger).exists():
        return False
    with Ledger(ledger, create=False, readonly=True) as opened:
        return latest_plan(opened) is not None


def review_year(ledger: str | os.PathLike[str], outcomes: str | Sequence[str] | Sequence[OutcomeReading],
                period: str, *,
                registry: Registry | None = None, policy: str | None = None, dry_run: bool = False,
                at: dt.datetime | None = None, initiatives: str | Sequence[Initiative] = ()) -> YearReview:
    """The quarterly review of ``period`` of the ledger's plan, recorded in the ledger (unless ``dry_run``).

    The policy, the initiatives and the plan's decisions come from the ledger, and so do the readings of
    the quarters recorded before; ``outcomes`` (data-source specs, merged, or readings) gives ``period``'s. A
    quarter already recorded is returned from its record. ``policy``, when given, must be the plan's
    (BP861). Quarters are recorded in order (BP860 names the missing one). ``initiatives`` (a data-source
    spec or initiatives) brings new requests: those the plan does not decide are decided by the plan's
    policy and may be funded from released money or the ``[requests]`` reserve. ``at`` is the time recorded
    (default: now, UTC). Raises :class:`~budgetpolicy.errors.YearError` and writes nothing when refused.
    """
    given = load_policy(policy).source if policy is not None else None
    sha = given.sha256 if given is not None else None
    registry = registry or build_registry()
    specs = [outcomes] if isinstance(outcomes, str) else [o for o in outcomes if isinstance(o, str)]
    if isinstance(initiatives, str) or specs:
        with Ledger(ledger, create=False, readonly=True) as opened:
            year = read_year(opened)
        if isinstance(initiatives, str):  # typed as the plan's policy types its [attributes]
            initiatives = read_initiatives(initiatives, registry, attribute_types=year.policy.attributes,
                                           rollouts_within=False,  # their pilots may be the plan's
                                           policy=year.policy)
        if specs:
            outcomes = read_outcomes(specs, registry, initiative_ids=year.ids() + [i.id for i in initiatives],
                                     policy=year.policy)
    readings = tuple(o for o in outcomes if isinstance(o, OutcomeReading))  # specs were read above
    return review_quarter(ledger, readings, period, at=_now(at).isoformat(), dry_run=dry_run, policy_sha256=sha,
                          initiatives=initiatives, registry=registry)


def approve(ledger: str | os.PathLike[str], initiative_id: str, *, role: str, by: str, note: str | None = None,
            at: dt.datetime | None = None) -> SignOffResult:
    """Record that ``by``, holding ``role``, signs off ``initiative_id`` in the ledger's latest plan.

    The decision must be pending approval and require ``role``; ``by`` must hold it in the plan's policy
    ``[roles]`` (read from the ledger); the role must not have signed, nor anyone refused, already. Any
    failure raises :class:`~budgetpolicy.errors.YearError` (BP85x) and writes nothing. ``at`` is the time
    of signing (default: now, UTC). Returns the event recorded (with its seq) and the initiative's position
    after it: once every required role has signed, its money moves from earmarked to allocated.
    """
    return record_event(ledger, SIGNOFF, initiative_id, role=role, by=by, at=_now(at), text=note)


def refuse(ledger: str | os.PathLike[str], initiative_id: str, *, role: str, by: str, reason: str,
           at: dt.datetime | None = None) -> SignOffResult:
    """Record that ``by``, holding ``role``, refuses ``initiative_id`` in the ledger's latest plan, for ``reason``.

    The same checks as :func:`approve`; a refusal is final for the plan, and the initiative's money is
    returned to the pool.
    """
    return record_event(ledger, REFUSAL, initiative_id, role=role, by=by, at=_now(at), text=reason)


def positions(ledger: str | os.PathLike[str], period: str | None = None) -> Positions:
    """Where the money of the ledger's latest plan stands, derived from the recorded events alone.

    Per initiative: state, allocated (spendable), earmarked (awaiting sign-off), returned (refused), the
    roles signed and awaited; per pool: allocated + earmarked + returned + leftover == pool. Raises
    :class:`~budgetpolicy.errors.YearError` (BP850) when the ledger holds no plan. With ``period``, the
    positions after that reviewed quarter (spent, released and received from the quarters recorded up to it).
    """
    with Ledger(ledger, create=False, readonly=True) as opened:
        return _positions(read_year(opened), period)


def _now(at: dt.datetime | None) -> dt.datetime:
    if at is None:
        return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    return at if at.tzinfo is not None else at.replace(tzinfo=dt.timezone.utc)


def parse_timestamp(text: str, option: str) -> dt.datetime:
    """An ISO 8601 timestamp given as ``option`` (UTC when it has no offset), or a located UsageError."""
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{option} '{text}' is not an ISO 8601 timestamp", Location(key=option),
                         hint="e.g. 2026-01-15T09:00:00+00:00") from None
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def parse_date(text: str, option: str) -> dt.date:
    """A ``YYYY-MM-DD`` date given as ``option``, or a located UsageError."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{option} '{text}' is not a date", Location(key=option), hint="use YYYY-MM-DD") from None


# -- stretch selection (docs/stretch.md) ----------------------------------------------------


@frozen
class StretchRun:
    """A stretch selection and, when it was recorded, the seq of its ``stretch_selection`` record."""

    policy: Policy
    selection: Selection
    seq: int | None = None


def select_stretch(policy: str | Policy, initiatives: str | Sequence[Initiative], candidates: str, *,
                   strategy: str | None = None, ledger: str | os.PathLike[str] | None = None,
                   at: dt.datetime | None = None, registry: Registry | None = None) -> StretchRun:
    """Choose who takes each stretch assignment (``candidates``: a .csv or .json file), within every capacity of
    the policy's ``[stretch]``; with ``ledger``, record the selection there (with the policy) at ``at``.

    Every input is checked before anything is written: a bad candidate row raises DataError (BP44x) naming
    its file, row and column, and the ledger is left as it was.
    """
    loaded = load_policy(policy) if isinstance(policy, str) else policy
    if loaded.stretch is None:
        raise PolicyLoadError("the policy has no [stretch] section", Location(file=loaded.source.path if
                              loaded.source else None, key="stretch"), code="BP256",
                              hint="add [stretch] with its weights and [[stretch.mentors]] (docs/stretch.md)")
    if isinstance(initiatives, str):
        initiatives = read_initiatives(initiatives, registry or build_registry(), attribute_types=loaded.attributes)
    read = read_candidates(candidates, loaded.stretch, {i.id: i.kind for i in initiatives})
    assignments = assignments_of(initiatives, loaded.stretch, [c.assignment for c in read])
    selection = select_candidates(loaded.stretch, assignments, read, strategy)
    if ledger is None:
        return StretchRun(loaded, selection)
    entry = LedgerEntry.of(STRETCH_KIND, "", None, loaded.id, loaded.version,
                           loaded.source.sha256 if loaded.source else "", _now(at).isoformat(),
                           selection_payload(selection, read))
    with Ledger(ledger) as opened:
        (seq,) = opened.record(loaded, [entry])
    return StretchRun(loaded, selection, seq)


def replay_stretch(ledger: str | os.PathLike[str]) -> tuple[tuple[int, tuple[str, ...]], ...]:
    """Each ``stretch_selection`` record of ``ledger`` selected again under its stored policy: (seq, the parts
    of its payload that differ), empty parts when it reproduced."""
    out = []
    with Ledger(ledger, create=False, readonly=True) as opened:
        for record in opened.iter_records(kind=STRETCH_KIND):
            text = opened.stored_policy(record.entry.policy_sha256).text
            policy = load_policy_text(text, f"{opened.path} (policy {record.entry.policy_sha256[:12]})")
            out.append((record.seq, replay_differences(record.entry.data(), policy.stretch, f"record {record.seq}")))
    return tuple(out)
