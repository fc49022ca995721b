"""Compile a validated policy once, then evaluate many initiatives with it.

``compile_policy(policy, registry) -> CompiledPolicy`` instantiates scorers,
type-checks and compiles every condition to closures, and checks allocation
settings against the registered strategies, reporting every problem at once.
``CompiledPolicy.evaluate(initiatives, context)`` is pure: scoring, approval,
allocation and provenance, with the clock passed in the context; it gives an
:class:`~budgetpolicy.engine.evaluation.Evaluation`, which builds each
decision's explanation (``CompiledPolicy.explain``) when asked for it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from itertools import repeat
from operator import call
from typing import Any

from attrs import Factory, evolve, field, frozen

from budgetpolicy.allocation.allocate import allocate
from budgetpolicy.allocation.candidates import allocation_candidates, allocation_settings
from budgetpolicy.allocation.checks import allocation_diagnostics
from budgetpolicy.canonical import sha256_hex
from budgetpolicy.engine.collector import collector_paused
from budgetpolicy.errors import (DataError, Diagnostic, Diagnostics, ExpressionError, Location, PluginError,
                                 PolicyLoadError)
from budgetpolicy.explain.counterfactual import explain_outcomes
from budgetpolicy.expr import FunctionSpec, function_specs
from budgetpolicy.expr.calls import called, calls_of, is_recorded, recording
from budgetpolicy.model import (Decision, Explanation, FrozenMap, Funding, Initiative, Policy,
                               Provenance, frozen_map)
from budgetpolicy.engine.approve import Approved, CompiledRule, RuleSet, compile_rules
from budgetpolicy.engine.batch import CHUNK, column_names, decide_columns
from budgetpolicy.engine.evaluation import Evaluation
from budgetpolicy.engine.narrative import narrative
from budgetpolicy.engine.portfolio import bind_criteria, needs_portfolio
from budgetpolicy.engine.score import CompiledCriterion, ScoreProgram, Scored, compile_scoring, score_lines
from budgetpolicy.engine.symbols import ConditionEnv, initiative_env, initiative_symbols
from budgetpolicy.registry import Registry, required_plugin_diagnostics
from budgetpolicy.version import engine_version


@frozen
class EvaluationContext:
    """Everything outside the policy and the data that a decision depends on."""

    evaluated_at: dt.datetime
    as_of: dt.date | None = None
    # Forecast calibration factor per forecaster group (e.g. department), from a review.
    calibration: FrozenMap = field(factory=FrozenMap, converter=frozen_map)
    # Extra pool for what-if runs (+/-); the policy's pool is unchanged.
    pool_delta: Decimal = Decimal(0)
    # Compute counterfactuals for rejected / pending / deferred decisions (benchmarks turn it off).
    explain: bool = True


def registry_functions(registry: Registry) -> dict[str, FunctionSpec]:
    return function_specs(registry)


def compile_policy(policy: Policy, registry: Registry) -> "CompiledPolicy":
    """Compile ``policy``; raises PolicyLoadError carrying every problem found."""
    found = Diagnostics()
    file = policy.source.path if policy.source else None
    found.extend(required_plugin_diagnostics(policy, registry))
    compiled: list[Diagnostic] = []  # the scoring and rule compilers append to a list
    criteria = compile_scoring(policy, registry, compiled)
    symbols = initiative_symbols(policy)
    # Plugin functions log their calls, so that a recorded decision keeps them for replay (expr.calls).
    rules = compile_rules(policy.approval.rules, symbols, recording(registry_functions(registry)), compiled)
    found.extend(compiled)
    if policy.allocation is not None:
        found.extend(allocation_diagnostics(policy, registry))
    if found.has_errors:
        raise PolicyLoadError([d if d.location.file else evolve(d, location=d.location.evolve(file=file))
                               for d in found])
    return CompiledPolicy.of(policy, registry, criteria, rules, tuple(found))


@frozen
class CompiledPolicy:
    """A policy ready to decide initiatives; build it with :meth:`of` (``compile_policy`` does)."""

    policy: Policy
    registry: Registry = field(eq=False)
    criteria: tuple[CompiledCriterion, ...]
    rules: tuple[CompiledRule, ...]
    warnings: tuple[Diagnostic, ...]
    # Derived from the rules (and the policy's attributes) once, for the hot path: the rules ready to
    # run, the environment builder for the names they read, and whether they read ``scores.<criterion>``
    # (else the per-initiative map is skipped).
    ruleset: RuleSet = field(eq=False, repr=False)
    condition_env: ConditionEnv = field(eq=False, repr=False)
    reads_scores: bool = field(eq=False, repr=False)
    # Whether a rule calls a plugin's function: only then does deciding open a log of the calls.
    records_calls: bool = field(default=False, eq=False, repr=False)
    # The criteria as one scoring program (remembering the scorers' usual answers), for the hot path.
    # Not an __init__ argument: built from ``criteria`` by every construction, evolve() included (hermetic
    # replay swaps the scorers), so it can never go stale.
    scoring: ScoreProgram = field(init=False, eq=False, repr=False, default=Factory(
        lambda self: ScoreProgram(self.criteria, self.policy.scoring.precision), takes_self=True))
    # Every condition's column function when the rules can decide a batch column by column
    # (engine/batch.py: each condition has a column form and reads only fields, score and expected_value).
    columns: tuple[Any, ...] | None = field(init=False, eq=False, repr=False, default=Factory(
        lambda self: self.ruleset.columns if all(column_names(cr.condition.names) for cr in self.rules)
        else None, takes_self=True))

    @classmethod
    def of(cls, policy: Policy, registry: Registry, criteria: tuple[CompiledCriterion, ...],
           rules: tuple[CompiledRule, ...], warnings: tuple[Diagnostic, ...] = ()) -> "CompiledPolicy":
        # A fired rule's reason is written while deciding, from the same environment as its condition,
        # so that environment also binds the names reason templates fill in.
        names = [name for cr in rules for name in (*cr.condition.names, *cr.placeholders)]
        reads_scores = any(name.split(".", 1)[0] == "scores" for name in names)
        functions = {name for cr in rules for name in called(cr.condition.ast)}
        records_calls = any(name in registry.functions and is_recorded(registry.functions[name].plugin)
                            for name in functions)
        return cls(policy, registry, criteria, rules, warnings, RuleSet.of(rules),
                   ConditionEnv(names, policy.attributes), reads_scores, records_calls)

    def decide(self, initiative: Initiative, context: EvaluationContext) -> Decision:
        """Score and approve one initiative (no allocation: that needs the whole portfolio)."""
        if context.calibration and self.policy.calibration is not None:
            calibrated, calibration = calibrate_initiative(self.policy, initiative, context.calibration)
        else:  # calibrate_initiative's own answer without factors, without the call
            calibrated, calibration = initiative, _UNCALIBRATED
        scored = self.scoring(calibrated)
        if self.records_calls:
            with calls_of(initiative.id) as log:
                approved = self._approve(initiative, calibrated, scored, context)
            return Decision(initiative.id, approved.outcome, scored.total, scored.expected_value, approved.roles,
                            approved.flags, approved.reasons, calibration=calibration, calls=tuple(log.calls))
        approved = self._approve(initiative, calibrated, scored, context)
        return Decision(initiative.id, approved.outcome, scored.total, scored.expected_value, approved.roles,
                        approved.flags, approved.reasons, calibration=calibration)

    def _approve(self, initiative: Initiative, calibrated: Initiative, scored: Scored,
                 context: EvaluationContext) -> Approved:
        # The transient environment of _env(), built inline: this runs once per initiative.
        env = self.condition_env(calibrated)
        env["score"] = scored.total
        env["expected_value"] = scored.expected_value
        if self.reads_scores:
            env["scores"] = scored.by_criterion(self.criteria)
        return self._run_rules(initiative, env, context)

    def _run_rules(self, initiative: Initiative, env: dict[str, Any], context: EvaluationContext,
                   values: tuple[Any, ...] | None = None) -> Approved:
        """The rules on ``env`` (what :meth:`_approve` builds); a failing condition is located at ``initiative``.
        ``values``: the conditions' values on ``env``, already known (a batch computed them by columns)."""
        try:
            return self.ruleset.run(env, context.as_of) if values is None else self.ruleset.settle(values, env)
        except ExpressionError as exc:  # a condition (or a plugin function it calls) failed on this row
            raise ExpressionError([evolve(d, message=f"{d.message} on initiative '{initiative.id}'")
                                   for d in exc.diagnostics]) from exc

    def scored(self, initiative: Initiative, context: EvaluationContext) -> Scored:
        """The scores :meth:`decide` gives ``initiative`` (total, expected value, each criterion's), alone."""
        calibrated, _ = calibrate_initiative(self.policy, initiative, context.calibration)
        return self.scoring(calibrated)

    def explain(self, initiative: Initiative, decision: Decision, context: EvaluationContext,
                counterfactuals: tuple[str, ...] = ()) -> Explanation:
        """Why ``decision`` (this policy's decision for ``initiative`` in ``context``, final after any
        allocation) came out so: built again from the same inputs, exactly as deciding saw them."""
        calibrated, _ = calibrate_initiative(self.policy, initiative, context.calibration)
        lines, scored = score_lines(self.criteria, calibrated, self.policy.scoring.precision)
        if scored.total != decision.score:
            raise PluginError(f"initiative '{initiative.id}' scores {scored.total} now but {decision.score} in its "
                              "decision: a scorer is not pure (same initiative, same answer), or the decision was "
                              "made in another context", initiative.location, code="BP503")
        if self.records_calls:  # the rules run again: replay's recorded functions answer for this initiative
            with calls_of(initiative.id):
                traces = self.ruleset.traces(self._env(calibrated, scored), context.as_of)
        else:
            traces = self.ruleset.traces(self._env(calibrated, scored), context.as_of)
        return Explanation(lines, traces, narrative(decision, lines, traces, self.policy.currency), counterfactuals)

    def _env(self, initiative: Initiative, scored: Scored, transient: bool = False) -> dict[str, Any]:
        """What conditions see: the initiative's fields, its score, expected value and criterion scores.

        A ``transient`` environment, dropped once the rules have run, holds only what the conditions
        and reason templates read and shares the initiative's maps; the one built for an explanation
        (whose traces hand the values to the user) is complete and has its own copies.
        """
        env = self.condition_env(initiative) if transient else initiative_env(initiative, self.policy.attributes)
        env["score"] = scored.total
        env["expected_value"] = scored.expected_value
        if not transient or self.reads_scores:
            env["scores"] = scored.by_criterion(self.criteria)
        return env

    def decide_all(self, initiatives: Iterable[Initiative], context: EvaluationContext) -> list[Decision]:
        """:meth:`decide` for many initiatives (no allocation), with the cyclic GC paused as in :meth:`evaluate`."""
        with collector_paused():
            return self._decide_many(initiatives, context)

    def _decide_many(self, initiatives: Iterable[Initiative], context: EvaluationContext) -> list[Decision]:
        """:meth:`decide` for each initiative, in one loop over what the policy compiled to.

        The usual cycle (no calibration factors, no recorded plugin calls, every rule in force) runs
        its steps inline: score, environment, one sweep of the conditions, and the pattern of their
        values looked up in what the rules came to before. Anything else goes through :meth:`decide`
        itself; a pattern not seen yet, or a failure, runs the rules as :meth:`decide` would on the scores and
        environment already made, which gives the same decision or raises the located error. When every
        condition has a column form, batches of :data:`~budgetpolicy.engine.batch.CHUNK` initiatives are
        decided column by column (engine/batch.py); a batch the columns cannot take goes through the loop."""
        ruleset = self.ruleset
        if self.records_calls or not ruleset.sweep or (context.as_of is not None and ruleset.dated) or \
                (context.calibration and self.policy.calibration is not None):
            return [self.decide(i, context) for i in initiatives]
        if self.columns is None:
            return self._decide_rows(initiatives, context)
        items = initiatives if isinstance(initiatives, (list, tuple)) else list(initiatives)
        decisions: list[Decision] = []

        def settle(values: tuple[Any, ...], initiative: Initiative, scored: Scored) -> Approved:
            return self._run_rules(initiative, self._env(initiative, scored, transient=True), context, values)

        for start in range(0, len(items), CHUNK):
            chunk = items[start:start + CHUNK]
            made = decide_columns(chunk, self.scoring, self.columns, settle, ruleset.patterns, _UNCALIBRATED)
            decisions.extend(self._decide_rows(chunk, context) if made is None else made)
        return decisions

    def _decide_rows(self, initiatives: Iterable[Initiative], context: EvaluationContext) -> list[Decision]:
        """The loop of :meth:`_decide_many`, one initiative at a time (the usual cycle only)."""
        ruleset = self.ruleset
        score, environment = self.scoring, self.condition_env
        patterns, evaluators = ruleset.patterns, ruleset.evaluators
        reads_scores, criteria = self.reads_scores, self.criteria
        decisions: list[Decision] = []
        for initiative in initiatives:
            scored = score(initiative)
            env = environment(initiative)
            env["score"] = scored.total
            env["expected_value"] = scored.expected_value
            if reads_scores:
                env["scores"] = scored.by_criterion(criteria)
            try:
                approved = patterns.get(tuple(map(call, evaluators, repeat(env))))
            except Exception:  # a condition failed, or gave an unhashable value: _run_rules() says which
                approved = None
            if approved is None:  # what decide() does here (no calibration, no recorded calls) on this env
                approved = self._run_rules(initiative, env, context)
            decisions.append(Decision(initiative.id, approved.outcome, scored.total, scored.expected_value,
                                      approved.roles, approved.flags, approved.reasons, calibration=_UNCALIBRATED))
        return decisions

    def evaluate(self, initiatives: Sequence[Initiative], context: EvaluationContext) -> Evaluation:
        """A funding cycle: decide every initiative, allocate the pool, record provenance.

        Explanations are not built here: ``Evaluation.explanation(id)`` builds one when asked."""
        # A cycle allocates many small, acyclic frozen objects (reasons, decisions, allocation candidates);
        # the cyclic collector would walk them again and again for nothing. Reference counting frees them.
        with collector_paused():
            initiatives = tuple(initiatives)
            if needs_portfolio(self.criteria):  # diminishing returns, normalised criteria: engine/portfolio.py
                seen = [calibrate_initiative(self.policy, i, context.calibration)[0] for i in initiatives]
                return evolve(self, criteria=bind_criteria(self.criteria, seen))._evaluate(initiatives, context)
            return self._evaluate(initiatives, context)

    def _evaluate(self, initiatives: tuple[Initiative, ...], context: EvaluationContext) -> Evaluation:
        _check_in_force(self.policy, context.as_of)
        _check_unique(initiatives)
        decisions = self._decide_many(initiatives, context)
        allocation = None
        if self.policy.allocation is not None:
            decisions, allocation = self._allocate(initiatives, decisions, context)
        plugins = self.registry.plugin_versions()
        policy_sha = self.policy.source.sha256 if self.policy.source else sha256_hex(self.policy)
        stamp = context.evaluated_at.isoformat()
        as_of = context.as_of.isoformat() if context.as_of else None
        final: list[Decision] = []
        for initiative, decision in zip(initiatives, decisions):
            provenance = Provenance(self.policy.id, self.policy.version, policy_sha, sha256_hex(initiative),
                                    engine_version(), plugins, stamp, as_of, initiative.conversion)
            decision = evolve(decision, provenance=provenance)
            self.registry.process_decision(decision, self.policy, context)
            final.append(decision)
        return Evaluation(self.policy, context, tuple(final), allocation, self, initiatives)

    def counterfactuals(self, initiatives: Sequence[Initiative], decisions: Sequence[Decision],
                        context: EvaluationContext, allocation: Any = None) -> dict[str, tuple[str, ...]]:
        """Initiative id -> what would change its decision, for the rejected, pending and deferred
        ``decisions`` (final, allocated) of ``initiatives``: what ``Evaluation.counterfactuals`` holds.
        ``allocation``: the evaluation's allocation result, whose run funding thresholds are read from."""
        if all(d.outcome == "approved" for d in decisions):
            return {}
        settings = allocation_settings(self.policy, context.pool_delta)
        candidates = allocation_candidates(initiatives, decisions, settings) if settings is not None else None
        with collector_paused():
            return explain_outcomes(self, initiatives, decisions, context, candidates, settings, allocation)

    def _allocate(self, initiatives: Sequence[Initiative], decisions: list[Decision],
                  context: EvaluationContext) -> tuple[list[Decision], Any]:
        settings = allocation_settings(self.policy, context.pool_delta)
        assert settings is not None
        candidates = allocation_candidates(initiatives, decisions, settings)
        result = allocate(candidates, settings, self.registry)
        out: list[Decision] = []
        for d in decisions:
            funding: Funding | None = result.fundings.get(d.initiative_id)
            if funding is None:
                out.append(d)
                continue
            outcome = "deferred" if funding.step == "unfunded" else d.outcome
            out.append(evolve(d, funding=funding, outcome=outcome))
        return out, result


_UNCALIBRATED = FrozenMap()  # immutable, so one instance serves every uncalibrated decision


def calibrate_initiative(policy: Policy, initiative: Initiative,
                         factors: Mapping[str, Decimal]) -> tuple[Initiative, FrozenMap]:
    """The initiative its scorers see (forecasts times its group's factor) and the calibration record.
    Public because hermetic replay (:mod:`budgetpolicy.audit.replayrun`) must match scorer inputs exactly."""
    if not factors or policy.calibration is None:
        return initiative, _UNCALIBRATED
    group_by = policy.calibration.group_by
    group = getattr(initiative, group_by, None) if group_by != "attributes" else None
    if group is None:
        group = initiative.attributes.get(group_by)
    factor = factors.get(str(group)) if group is not None else None
    if factor is None or factor == 1:
        return initiative, _UNCALIBRATED
    calibrated = {k: v * factor for k, v in initiative.forecast.items()}
    info = {"group": str(group), "factor": factor, "raw_forecast": dict(initiative.forecast),
            "calibrated_forecast": calibrated}
    return evolve(initiative, forecast=calibrated), FrozenMap(info)


def _check_in_force(policy: Policy, as_of: dt.date | None) -> None:
    if as_of is None:
        return
    file = policy.source.path if policy.source else None
    if as_of < policy.effective_date or (policy.effective_until is not None and as_of > policy.effective_until):
        until = f" until {policy.effective_until}" if policy.effective_until else ""
        raise PolicyLoadError(f"policy '{policy.id}' {policy.version} is not in force on {as_of} "
                              f"(effective {policy.effective_date}{until})", Location(file=file),
                              hint="choose an --as-of date inside the policy's effective period", code="BP231")


def _check_unique(initiatives: Sequence[Initiative]) -> None:
    seen: dict[str, Initiative] = {}
    problems = Diagnostics()
    for i in initiatives:
        if i.id in seen:
            problems.add("BP410", i.location, f"duplicate initiative id '{i.id}' (first at {seen[i.id].location})",
                         "give every initiative a unique id")
        seen.setdefault(i.id, i)
    problems.raise_if_errors(DataError)
