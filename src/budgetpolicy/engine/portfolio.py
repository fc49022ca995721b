"""Criteria bound to the portfolio of one evaluation: diminishing returns and normalised criteria.

Most criteria score an initiative alone. Two policy choices need the whole portfolio first
(docs/evidence.md, "Diminishing returns and effective weights"):

- a scorer that offers ``for_portfolio(initiatives) -> score`` (the built-in ``expected_value`` with
  ``diminishing_returns = true``) is bound to the evaluation's initiatives, as its scorers see them;
- a criterion with ``normalise = "minmax"`` or ``"rank"`` has its raw scores rescaled across the
  portfolio, so its spread, and so its effective weight, matches the other criteria's.

Either way the bound scorer is still a pure function of one initiative (the portfolio's numbers are
fixed when it is bound), so explanations, counterfactuals and replay score exactly as deciding did.
``CompiledPolicy.evaluate`` binds before deciding; a policy with neither choice is left as it is.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from decimal import Decimal

from attrs import evolve

from budgetpolicy.engine.score import CompiledCriterion
from budgetpolicy.model import Initiative

ZERO, ONE, HALF = Decimal(0), Decimal(1), Decimal("0.5")


def needs_portfolio(criteria: Sequence[CompiledCriterion]) -> bool:
    """Whether any criterion must see the whole portfolio before it scores one initiative."""
    return any(cc.criterion.normalise is not None or hasattr(cc.fn, "for_portfolio") for cc in criteria)


def bind_criteria(criteria: Sequence[CompiledCriterion],
                  initiatives: Sequence[Initiative]) -> tuple[CompiledCriterion, ...]:
    """``criteria`` bound to ``initiatives`` (as the scorers see them: calibrated)."""
    bound: list[CompiledCriterion] = []
    for cc in criteria:
        # A criterion bound before (a what-if evaluates a bound policy again) is bound afresh from its scorer.
        unbound = getattr(cc.fn, "unbound", None) or cc.fn
        fn = unbound
        binder = getattr(fn, "for_portfolio", None)
        if binder is not None:
            fn = binder(initiatives)
        if cc.criterion.normalise is not None:
            raws = sorted(raw for raw in map(raw_of, map(fn, initiatives)) if raw is not None)
            fn = Normalised(fn, raws, cc.criterion.normalise, unbound)
        bound.append(cc if fn is cc.fn else evolve(cc, fn=fn))
    return tuple(bound)


def raw_of(result: object) -> Decimal | None:
    """The 0..1 score of a scorer's answer (a value or a (value, detail) pair); None for a wrong answer,
    which is passed on as it is so that the scoring loop names the plugin that gave it."""
    if isinstance(result, tuple) and len(result) == 2:
        result = result[0]
    if isinstance(result, bool) or not isinstance(result, (Decimal, int)):
        return None
    value = Decimal(result)
    return value if value.is_finite() and ZERO <= value <= ONE else None


class Normalised:
    """A criterion's scorer with its raw score rescaled over the portfolio's sorted raw scores.

    ``minmax``: (raw - lowest) / (highest - lowest). ``rank``: the share of the other initiatives that
    score lower, ties counting half: (below + (equal - 1) / 2) / (n - 1). All equal (or one initiative):
    0.5 for both, since the criterion then tells no one apart.
    """

    __slots__ = ("fn", "raws", "how", "unbound")

    def __init__(self, fn: Callable[[Initiative], object], raws: Sequence[Decimal], how: str,
                 unbound: Callable[[Initiative], object]) -> None:
        self.fn, self.raws, self.how, self.unbound = fn, raws, how, unbound

    def __call__(self, initiative: Initiative) -> object:
        result = self.fn(initiative)
        raw = raw_of(result)
        if raw is None:
            return result
        inner = result[1] if isinstance(result, tuple) else ""
        return self.rescale(raw), lambda: self.detail(raw, inner)

    def detail(self, raw: Decimal, inner: object) -> str:
        text = inner() if callable(inner) else str(inner)
        return f"{text}; raw {raw}, {self.how} over {len(self.raws)} initiatives".lstrip("; ")

    def rescale(self, raw: Decimal) -> Decimal:
        raws = self.raws
        if not raws or raws[0] == raws[-1]:
            return HALF
        if self.how == "minmax":
            value = (raw - raws[0]) / (raws[-1] - raws[0])
            return ZERO if value < ZERO else ONE if value > ONE else value
        below, upto = bisect_left(raws, raw), bisect_right(raws, raw)
        equal = upto - below
        others = len(raws) - 1
        # A raw the portfolio did not hold (a counterfactual's) counts as one more initiative among them.
        if equal == 0:
            return Decimal(below) / Decimal(len(raws))
        return (Decimal(below) + Decimal(equal - 1) / 2) / Decimal(others)
