"""Scoring: each rubric criterion's scorer, weighted into one total in 0..1.

Scorer factories are looked up in the plugin registry and called once, at
compile time; scoring an initiative only calls the returned closures. A scorer
that raises or returns something other than a 0..1 Decimal fails the run with
the plugin's name, the criterion and the initiative.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_EVEN, Decimal

from attrs import frozen

from budgetpolicy.errors import Diagnostic, Location, PluginError
from budgetpolicy.model import Criterion, Initiative, Policy, ScoreLine
from budgetpolicy.plugins import Registry

ZERO, ONE = Decimal(0), Decimal(1)


@frozen
class CompiledCriterion:
    criterion: Criterion
    weight: Decimal  # effective weight, normalised when the policy asks for it
    plugin: str
    fn: Callable[[Initiative], object]


@frozen
class Scored:
    lines: tuple[ScoreLine, ...]
    total: Decimal
    expected_value: Decimal


def compile_scoring(policy: Policy, registry: Registry, diagnostics: list[Diagnostic]) -> tuple[CompiledCriterion, ...]:
    """Instantiate every criterion's scorer; problems are appended to ``diagnostics``."""
    criteria = policy.scoring.criteria
    weight_sum = sum((c.weight for c in criteria), ZERO)
    normalise = policy.scoring.weights == "normalise" and weight_sum > 0
    compiled: list[CompiledCriterion] = []
    file = policy.source.path if policy.source else None
    for index, criterion in enumerate(criteria):
        key = f"scoring.criteria[{index}].scorer"
        entry = registry.scorers.get(criterion.scorer)
        if entry is None:
            from budgetpolicy.errors import did_you_mean

            hint = did_you_mean(criterion.scorer, registry.scorers)
            available = ", ".join(sorted(registry.scorers))
            diagnostics.append(Diagnostic(
                "BP506", f"criterion '{criterion.id}': no plugin provides scorer '{criterion.scorer}'",
                Location(file=file, key=key), (hint + "; " if hint else "") + f"available: {available}"))
            continue
        params = {"criterion": criterion.id, **criterion.params}
        try:
            fn = entry.obj(params, policy)
        except ValueError as exc:
            diagnostics.append(Diagnostic(
                "BP230", f"criterion '{criterion.id}': scorer '{criterion.scorer}': {exc}",
                Location(file=file, key=f"scoring.criteria[{index}].params"), "fix the parameters"))
            continue
        except Exception as exc:
            diagnostics.append(Diagnostic(
                "BP505", f"plugin '{entry.plugin}' scorer '{criterion.scorer}' raised {type(exc).__name__}: {exc}",
                Location(file=file, key=key), "report it to the plugin's authors or run with -p no:NAME"))
            continue
        if not callable(fn):
            diagnostics.append(Diagnostic(
                "BP503", f"plugin '{entry.plugin}' scorer '{criterion.scorer}' returned "
                f"{type(fn).__name__}, not a callable", Location(file=file, key=key)))
            continue
        weight = criterion.weight / weight_sum if normalise else criterion.weight
        compiled.append(CompiledCriterion(criterion, weight, entry.plugin, fn))
    return tuple(compiled)


def score_initiative(criteria: Sequence[CompiledCriterion], initiative: Initiative, precision: int) -> Scored:
    quantum = Decimal(1).scaleb(-precision)
    lines: list[ScoreLine] = []
    total = ZERO
    expected_value = ZERO
    for cc in criteria:
        raw, detail = _call_scorer(cc, initiative)
        # Quantize for a fixed precision, normalize so 0.250000 prints as 0.25 (equal either way).
        raw = raw.quantize(quantum, ROUND_HALF_EVEN).normalize()
        weighted = (raw * cc.weight).quantize(quantum, ROUND_HALF_EVEN).normalize()
        total += weighted
        if cc.criterion.scorer == "expected_value":
            expected_value += raw
        lines.append(ScoreLine(cc.criterion.id, cc.criterion.scorer, cc.weight, raw, weighted, detail))
    return Scored(tuple(lines), total.normalize(), expected_value.normalize())


def _call_scorer(cc: CompiledCriterion, initiative: Initiative) -> tuple[Decimal, str]:
    try:
        result = cc.fn(initiative)
    except Exception as exc:
        raise PluginError(f"{_where(cc)} raised {type(exc).__name__}: {exc} on initiative '{initiative.id}'",
                          initiative.location, code="BP505") from exc
    detail = ""
    if result.__class__ is tuple and len(result) == 2 and isinstance(result[1], str):
        result, detail = result
    # The usual answer, a finite Decimal in 0..1, takes two cheap checks; anything else the slow path.
    if result.__class__ is Decimal and result.is_finite() and ZERO <= result <= ONE:
        return result, detail
    return _checked(cc, initiative, result), detail


def _checked(cc: CompiledCriterion, initiative: Initiative, result: object) -> Decimal:
    if isinstance(result, tuple) and len(result) == 2 and isinstance(result[1], str):
        result = result[0]
    if isinstance(result, bool) or not isinstance(result, (Decimal, int)):
        raise PluginError(f"{_where(cc)} returned {type(result).__name__} for initiative '{initiative.id}'; "
                          "a scorer must return a Decimal in 0..1", initiative.location, code="BP503")
    value = Decimal(result)
    if not value.is_finite() or value < ZERO or value > ONE:
        raise PluginError(f"{_where(cc)} returned {value} for initiative '{initiative.id}', outside 0..1",
                          initiative.location, code="BP503")
    return value


def _where(cc: CompiledCriterion) -> str:
    return f"scorer '{cc.criterion.scorer}' (plugin '{cc.plugin}', criterion '{cc.criterion.id}')"
