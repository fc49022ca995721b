"""Exact rounding of the money and ratio figures of the evidence stage (docs/evidence.md, "Rounding").

Every figure is computed from exact inputs and rounded once, half-even, to its quantum: money to the
cent, benefit-cost ratios and ROI % to 0.01, payback to 0.1 month, weights to 0.0001. A quotient is
rounded from the exact fraction (``fractions.Fraction``), never from a 28-digit ``Decimal`` division
first, so no figure is rounded twice.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

CENT = Decimal("0.01")
RATIO = Decimal("0.01")
PERCENT = Decimal("0.01")
MONTHS = Decimal("0.1")
WEIGHT = Decimal("0.0001")
ZERO = Decimal(0)


def rounded(value: Fraction | Decimal, quantum: Decimal) -> Decimal:
    """``value`` rounded half-even to a multiple of ``quantum`` (a power of ten), exactly."""
    steps = Fraction(value) / Fraction(quantum)
    whole = round(steps)  # Fraction.__round__ rounds half to even, exactly
    return (Decimal(whole) * quantum).quantize(quantum) + 0  # + 0: -0.00 reads 0.00


def quotient(numerator: Fraction | Decimal, denominator: Fraction | Decimal, quantum: Decimal) -> Decimal | None:
    """``numerator / denominator`` rounded once to ``quantum``; None when the denominator is not above 0."""
    if denominator <= 0:
        return None
    return rounded(Fraction(numerator) / Fraction(denominator), quantum)


def roi_percent(benefit: Fraction | Decimal, cost: Fraction | Decimal) -> Decimal | None:
    """ROI % = (benefit - cost) / cost x 100, rounded once; None when the cost is not above 0."""
    if cost <= 0:
        return None
    return rounded((Fraction(benefit) - Fraction(cost)) / Fraction(cost) * 100, PERCENT)
